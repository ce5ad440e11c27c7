"""Reading the fixture files (clients, personas, scenarios) the way a person who typed them needs.

A TOML mistake names the file, line and column (``tomllib`` puts ``(at line L, column C)`` in its
message); a key no entry knows names the file, the entry and the key, with the nearest known key,
because a mistyped key that was silently ignored is a setting that silently does nothing.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class FixtureError(ValueError):
    """A fixture file that cannot be used; the message names the file and, where there is one, the entry."""


def read_toml(path: Path) -> dict[str, Any]:
    """``path`` parsed; a syntax error becomes ``<path>: not valid TOML: <what> (at line L, column C)``."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FixtureError(f"{path}: not valid TOML: {exc}") from None
    except FileNotFoundError:
        raise FixtureError(f"{path}: no such file (MOCK_BANKID_FIXTURES_DIR names the fixtures directory)") from None
    except UnicodeDecodeError as exc:
        raise FixtureError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest of ``known``, or nothing when none is near."""
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_keys(entry: dict[str, Any], known: Iterable[str], where: str) -> None:
    """Raise FixtureError naming ``where`` (file and entry) and each key of ``entry`` not in ``known``."""
    known = set(known)
    bad = [key for key in entry if key not in known]
    if bad:
        named = "; ".join(f"{key!r}{did_you_mean(key, known)}" for key in bad)
        raise FixtureError(f"{where}: unknown key {named}. Known keys: {', '.join(sorted(known))}")
