"""Numbers from untrusted input, parsed once where they enter, with bounds.

Python's own parsers are too generous for a protocol: ``str.isdigit`` and ``int`` accept Unicode
digits (``"²"``, ``"٣"``), ``int`` accepts ``"+5"``, ``" 5"`` and ``"1_000"`` and refuses more than
4300 digits with a ``ValueError`` nobody expects, and ``float`` of a 400-digit JSON integer raises
``OverflowError``: each would be a 500 where it escaped. These helpers accept exactly what the spec
means (ASCII digits; a finite JSON number) within bounds the caller names, and raise ``ValueError``
for everything else, so a caller has one exception to turn into its own 4xx.
"""

from __future__ import annotations

import math
import re
from typing import Any

_WHOLE = re.compile(r"[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?", re.ASCII)


def whole_number(text: str, *, maximum: int) -> int:
    """A non-negative whole number written in ASCII digits only, at most ``maximum``."""
    if not isinstance(text, str) or len(text) > len(str(maximum)) or not _WHOLE.fullmatch(text):
        raise ValueError(f"not a whole number from 0 to {maximum}")
    value = int(text)
    if value > maximum:
        raise ValueError(f"not a whole number from 0 to {maximum}")
    return value


def json_number(value: Any, *, minimum: float, maximum: float) -> float:
    """A JSON number (or a decimal string, as form bodies send) within ``[minimum, maximum]``.

    Booleans are not numbers here. Integers are compared before any conversion to float, so a
    400-digit integer is simply out of range instead of an ``OverflowError``.
    """
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise ValueError("not a number")
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a finite number")
    if not minimum <= value <= maximum:
        raise ValueError(f"not within {minimum:g} to {maximum:g}")
    return float(value)
