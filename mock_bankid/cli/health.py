"""``mock-bankid health``: ask a running server on this machine whether it is alive (or ready).

The Dockerfile's HEALTHCHECK runs this, so it needs only the standard library and the same
``MOCK_BANKID_*`` settings the server was started with (port, base URL path, TLS).
"""

from __future__ import annotations

import contextlib
import json
import ssl
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import click

from mock_bankid.cli._common import one_line_errors
from mock_bankid.core import routes
from mock_bankid.core.settings import WILDCARD_HOSTS, Settings


def health_url(settings: Settings, ready: bool = False) -> str:
    """The loopback URL of ``{base}/_mock/health`` (or ``/_mock/ready``) for this server's settings."""
    https = settings.tls or bool(settings.tls_cert)
    host = settings.host if settings.host not in WILDCARD_HOSTS else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    base_path = urlsplit(settings.base_url).path.rstrip("/")
    route = routes.READY if ready else routes.HEALTH
    return f"{'https' if https else 'http'}://{host}:{settings.port}{base_path}{route.under_base}"


def check(url: str, timeout: float) -> tuple[bool, str]:
    # A loopback probe of our own process: the certificate's trust is not what it checks.
    context = ssl._create_unverified_context() if url.startswith("https") else None  # noqa: S323
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310
            return response.status == 200, response.read(2000).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return False, exc.read(2000).decode(errors="replace")
    except (OSError, ValueError) as exc:
        return False, str(exc)


def register(group: click.Group) -> None:
    @group.command()
    @click.option("--ready", is_flag=True, help="Check readiness (store and keys), not just liveness.")
    @click.option("--port", type=int, help="Port of the server (default MOCK_BANKID_PORT or 8080).")
    @click.option("--timeout", type=float, default=3.0, show_default=True)
    @one_line_errors
    def health(ready: bool, port: int | None, timeout: float) -> None:
        """Exit 0 if the local server answers {base}/_mock/health (or /_mock/ready) with 200."""
        url = health_url(Settings.from_env(port=port), ready)
        ok, body = check(url, timeout)
        with contextlib.suppress(ValueError):  # not JSON: print it as it came
            body = json.dumps(json.loads(body))
        click.echo(f"{'ok' if ok else 'FAILED'} {url} {body}", err=not ok)
        sys.exit(0 if ok else 1)
