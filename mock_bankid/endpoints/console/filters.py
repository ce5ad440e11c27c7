"""Template filters for the console pages: times on the mock clock, durations, JSON, parameter values."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from mock_bankid.core.clock import OSLO
from mock_bankid.endpoints.console.debugger import utc
from mock_bankid.endpoints.console.web import bp


@bp.app_template_filter("when")
def when(ts: Any) -> str:
    return utc(ts) if ts not in (None, "") else "–"


@bp.app_template_filter("oslo")
def oslo(ts: Any) -> str:
    """The time in Oslo (where ages are judged: "turns 18 today" is an Oslo date), beside the UTC one."""
    try:
        return datetime.fromtimestamp(float(ts), OSLO).strftime("%Y-%m-%d %H:%M:%S %Z")
    except (TypeError, ValueError, OverflowError, OSError):
        return "–"


@bp.app_template_filter("duration")
def duration(seconds: Any) -> str:
    """``3600`` -> ``1h``, ``-90`` -> ``-1m 30s``: a clock shift or a time left, readable at a glance."""
    try:
        total = float(seconds)
    except (TypeError, ValueError):
        return str(seconds)
    sign, total = ("-" if total < 0 else ""), abs(total)
    days, rest = divmod(int(total), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")) if n]
    if not parts:
        return f"{total:g}s"
    return sign + " ".join(parts)


@bp.app_template_filter("pretty")
def pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


@bp.app_template_filter("paramvalue")
def paramvalue(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


@bp.app_template_filter("ms")
def ms(value: Any) -> str:
    """Milliseconds as the timeline shows them: ``4.2 ms``, ``1.3 s``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number / 1000:.1f} s" if number >= 1000 else f"{number:g} ms"


@bp.app_template_filter("ticks")
def ticks(text: str) -> Markup:
    """A summary's ```name``` (a parameter) as code, the rest escaped: no literal backticks on the page."""
    code = re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text)))
    return Markup(code)  # noqa: S704 - escaped above; only <code> was added
