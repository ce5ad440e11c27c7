"""Short-lived shared state: authorization codes, sessions, refresh tokens, queues, counters.

Three backends behind one small interface (see ``docs/store.md``), one module each:

* ``base``: the ``Store`` interface, ``StoreError`` and the helpers every backend shares.
* ``memory``: ``MemoryStore``, one process, thread-safe. For the in-process pytest fixture.
* ``sqlite``: ``SqliteStore``, the default. One file shared by every gunicorn worker (processes).
* ``redis_store``: ``RedisStore``, for several hosts (``redis://host:port/db``); needs the
  optional ``redis`` package (``pip install 'mock-bankid[redis]'``).
* ``url``: ``open_store``, the backend a ``MOCK_BANKID_STORE`` value names.

Everything callers use is re-exported here: import from ``mock_bankid.store``.
"""

from __future__ import annotations

from mock_bankid.store.base import Store, StoreError
from mock_bankid.store.memory import MemoryStore
from mock_bankid.store.redis_store import REDIS_TTL_MARGIN, RedisStore
from mock_bankid.store.sqlite import SqliteStore
from mock_bankid.store.url import SQLITE_FILENAME, URL_HELP, open_store

__all__ = [
    "Store",
    "StoreError",
    "MemoryStore",
    "SqliteStore",
    "RedisStore",
    "open_store",
    "SQLITE_FILENAME",
    "URL_HELP",
    "REDIS_TTL_MARGIN",
]
