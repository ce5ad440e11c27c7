"""Helpers shared by the command modules."""

from __future__ import annotations

import functools
import json
import urllib.request
from collections.abc import Callable
from typing import Any

import click

from mock_bankid.core import routes
from mock_bankid.core.errors import OAuthError
from mock_bankid.core.settings import SettingError, Settings

CONFIG_EXIT = 2
"""Exit status for a configuration the command cannot start with (a bad setting, flag or fixture):
the usage-error status, so a script can tell "fix your configuration" from "the server said no" (1)."""


class ConfigError(click.ClickException):
    """One line naming the setting, flag or fixture file at fault; exit status 2."""

    exit_code = CONFIG_EXIT


def one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn an expected failure (ValueError, OSError, LookupError) into one line and a non-zero exit:
    2 for a bad ``MOCK_BANKID_*`` value (SettingError), else 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            raise  # the reader went away (e.g. `| head`); main() exits quietly
        except SettingError as exc:
            raise ConfigError(str(exc).strip()) from None
        except (ValueError, OSError, LookupError) as exc:
            raise click.ClickException(str(exc).strip() or type(exc).__name__) from None
        except OAuthError as exc:  # e.g. a realm name the server would refuse too
            raise click.ClickException(exc.description or exc.error) from None

    return wrapper


def other_issuer(settings: Settings, timeout: float = 1.0) -> str | None:
    """The issuer of the server at ``settings``' back-channel URL when it is not ``settings.issuer``.

    ``token`` mints offline for the issuer its settings give; a server started with another base URL
    (``make run ARGS=--base-url ...``, another scheme) refuses those tokens, which is hard to see
    from the refusal. None when they agree or nothing answers (minting with no server is normal).
    """
    url = routes.url(routes.DISCOVERY, settings, "back")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the configured mock's URL
            served = json.loads(response.read(200_000)).get("issuer")
    except (OSError, ValueError, AttributeError):
        return None
    return served if isinstance(served, str) and served != settings.issuer else None
