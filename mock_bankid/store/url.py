"""``open_store``: the backend a ``MOCK_BANKID_STORE`` value names (see ``URL_HELP``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from mock_bankid.core.private_files import private_dir
from mock_bankid.store.base import Store, _redacted
from mock_bankid.store.memory import MemoryStore
from mock_bankid.store.redis_store import RedisStore
from mock_bankid.store.sqlite import SqliteStore

SQLITE_FILENAME = "mock-bankid.sqlite3"
URL_HELP = (
    "use 'memory', 'sqlite' (a file in the data directory), 'sqlite:///absolute/path.sqlite3' "
    "or 'redis://host:port/db' (also rediss://, optionally ?prefix=name)"
)


def open_store(url: str, data_dir: Path, clock: Callable[[], float] = time.time) -> Store:
    """The store a ``MOCK_BANKID_STORE`` value names; see ``URL_HELP``. Does not connect yet."""
    if not isinstance(url, str):
        raise ValueError(f"store must be a string: {URL_HELP}")
    text = url.strip()
    if text == "memory":
        return MemoryStore(clock)
    if text == "sqlite":
        return SqliteStore(private_dir(Path(data_dir)) / SQLITE_FILENAME, clock)
    if text.startswith("sqlite:"):
        if not text.startswith("sqlite://"):
            raise ValueError(f"bad store {url!r}: {URL_HELP}")
        path = text[len("sqlite://") :]
        if not path.startswith("/") or path.endswith("/") or "?" in path:
            raise ValueError(
                f"bad store {url!r}: a sqlite URL names an absolute file, "
                "e.g. 'sqlite:///var/lib/mock-bankid/store.sqlite3'"
            )
        file = Path(path)
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a directory of the user's: not tightened
        return SqliteStore(file, clock)
    if text.startswith(("redis://", "rediss://")):
        return _open_redis(url, text, clock)
    raise ValueError(f"unknown store {url!r}: {URL_HELP}")


def _open_redis(url: str, text: str, clock: Callable[[], float]) -> RedisStore:
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        raise ValueError(f"bad store {_redacted(url)!r}: the port must be a number") from None
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ValueError(f"bad store {_redacted(url)!r}: the database after '/' must be a number")
    query = parse_qs(parts.query, keep_blank_values=True)
    prefix = "mock-bankid"
    if "prefix" in query:
        prefix = query.pop("prefix")[-1]
        if not prefix or any(c in prefix for c in "*?[]\\ "):
            raise ValueError(f"bad store {_redacted(url)!r}: ?prefix= must be a plain, non-empty name")
    plain = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    return RedisStore(plain, clock, prefix=prefix)
