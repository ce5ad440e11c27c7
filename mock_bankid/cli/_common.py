"""Helpers shared by the command modules."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click


def one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn an expected failure (ValueError, OSError, LookupError) into one line and a non-zero exit (1)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            raise  # the reader went away (e.g. `| head`); main() exits quietly
        except (ValueError, OSError, LookupError) as exc:
            raise click.ClickException(str(exc).strip() or type(exc).__name__) from None

    return wrapper
