"""``RedisStore``: the store for several hosts acting as one provider (``redis://host:port/db``).

The ``redis`` package is an optional dependency (``pip install 'mock-bankid[redis]'``): it is
imported when a ``RedisStore`` is made, so the memory and SQLite stores never need it.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mock_bankid.store.base import (
    Store,
    StoreError,
    _check,
    _check_ns,
    _decode,
    _encode,
    _redacted,
    _ttl,
)

# Every stored string is "<expires_at>|<seq>|<json>": the mock-clock expiry (Python repr of a
# float, which Lua's tonumber reads back exactly), a global insertion sequence (for items order
# and queue item keys) and the value. Scripts never decode the JSON, so values round-trip byte for
# byte. Keys: "<prefix>:<ns>:<key>" for entries, "<prefix>:<ns>" (a list) for the queue,
# "<prefix>:#seq" for the sequence (namespaces cannot contain ':' or '#').

REDIS_TTL_MARGIN = 1.0
"""Seconds added to the ttl for Redis's own (real-time) expiry; it is never below one second."""

_LUA_EXPIRES = """
local function expires(v)
  local p = string.find(v, '|', 1, true)
  if not p then return nil end
  return tonumber(string.sub(v, 1, p - 1))
end
"""

_LUA_PUT = """
local s = string.format('%d', redis.call('INCR', KEYS[2]))
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. s .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1
"""
"""Write ``<expires_at>|<seq>|<json>`` with a fresh insertion sequence number."""

_LUA_ADD = (
    _LUA_EXPIRES
    + """
local v = redis.call('GET', KEYS[1])
if v then
  local e = expires(v)
  if e and e > tonumber(ARGV[4]) then return 0 end
end
"""
    + _LUA_PUT
)

_LUA_INCR = (
    _LUA_EXPIRES
    + """
local v = redis.call('GET', KEYS[1])
if v then
  local e = expires(v)
  if e and e > tonumber(ARGV[3]) then
    local p = string.find(v, '|', 1, true)
    local q = string.find(v, '|', p + 1, true)
    local n = tonumber(string.match(string.sub(v, q + 1), '^{"count":(%-?%d+)}$')) or 0
    n = n + 1
    redis.call('SET', KEYS[1],
      string.sub(v, 1, q) .. '{"count":' .. string.format('%d', n) .. '}', 'KEEPTTL')
    return n
  end
end
local s = string.format('%d', redis.call('INCR', KEYS[2]))
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. s .. '|{"count":1}', 'PX', ARGV[2])
return 1
"""
)

_LUA_PUSH = (
    _LUA_EXPIRES
    + """
local s = string.format('%d', redis.call('INCR', KEYS[2]))
redis.call('RPUSH', KEYS[1], ARGV[1] .. '|' .. s .. '|' .. ARGV[2])
local now = tonumber(ARGV[4])
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head then break end
  local e = expires(head)
  if e and e > now then break end
  redis.call('LPOP', KEYS[1])
end
local px = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < px then redis.call('PEXPIRE', KEYS[1], px) end
return 1
"""
)

_LUA_POP = (
    _LUA_EXPIRES
    + """
local now = tonumber(ARGV[1])
while true do
  local v = redis.call('LPOP', KEYS[1])
  if not v then return false end
  local e = expires(v)
  if e and e > now then return v end
end
"""
)

_LUA_PURGE = (
    _LUA_EXPIRES
    + """
local now = tonumber(ARGV[1])
local removed = 0
for _, k in ipairs(KEYS) do
  local t = redis.call('TYPE', k)['ok']
  if t == 'string' then
    local e = expires(redis.call('GET', k))
    if e and e <= now then
      redis.call('DEL', k)
      removed = removed + 1
    end
  elseif t == 'list' then
    local all = redis.call('LRANGE', k, 0, -1)
    local keep = {}
    for _, v in ipairs(all) do
      local e = expires(v)
      if e and e <= now then removed = removed + 1 else keep[#keep + 1] = v end
    end
    if #keep < #all then
      local pttl = redis.call('PTTL', k)
      redis.call('DEL', k)
      for i = 1, #keep, 1000 do
        redis.call('RPUSH', k, unpack(keep, i, math.min(i + 999, #keep)))
      end
      if #keep > 0 and pttl > 0 then redis.call('PEXPIRE', k, pttl) end
    end
  end
end
return removed
"""
)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


class RedisStore(Store):
    """Shared by several hosts. Atomicity comes from single Redis commands (GETDEL) and Lua
    scripts (add, incr, push, pop); each key also carries a real Redis TTL (ttl + margin)."""

    def __init__(
        self,
        url: str,
        clock: Callable[[], float] = time.time,
        *,
        prefix: str = "mock-bankid",
    ) -> None:
        try:  # the optional dependency, imported only when a Redis store is asked for
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:
            raise StoreError(
                f"the store {_redacted(url)} needs the redis package, which is not installed: "
                "pip install 'mock-bankid[redis]'"
            ) from exc

        self._redis_errors = (redis.RedisError,)
        self.url = url
        self.clock = clock
        self.prefix = prefix
        self._r = redis.Redis.from_url(
            url,
            socket_connect_timeout=2.0,
            socket_timeout=10.0,
            health_check_interval=30,
            retry=Retry(NoBackoff(), 1),  # one quick retry on a dropped pooled connection
        )
        self._seq_key = f"{prefix}:#seq"
        self._put = self._r.register_script(_LUA_PUT)
        self._add = self._r.register_script(_LUA_ADD)
        self._incr = self._r.register_script(_LUA_INCR)
        self._push = self._r.register_script(_LUA_PUSH)
        self._pop = self._r.register_script(_LUA_POP)
        self._purge = self._r.register_script(_LUA_PURGE)
        self._closed = False

    def __repr__(self) -> str:
        return f"RedisStore({_redacted(self.url)!r}, prefix={self.prefix!r})"

    @contextmanager
    def _call(self) -> Iterator[None]:
        if self._closed:
            raise StoreError(f"the redis store {_redacted(self.url)} is closed")
        try:
            yield
        except (*self._redis_errors, OSError) as exc:
            raise StoreError(f"redis store {_redacted(self.url)}: {exc}") from exc

    def _key(self, ns: str, key: str) -> str:
        return f"{self.prefix}:{ns}:{key}"

    def _queue(self, ns: str) -> str:
        return f"{self.prefix}:{ns}"

    @staticmethod
    def _px(ttl: float) -> int:
        return max(1000, math.ceil((max(ttl, 0.0) + REDIS_TTL_MARGIN) * 1000))

    @staticmethod
    def _parse(raw: bytes | str) -> tuple[float, int, bytes]:
        # redis-py types replies as bytes or str; this client never decodes them, so they are bytes.
        e, s, body = (raw.encode() if isinstance(raw, str) else raw).split(b"|", 2)
        return float(e), int(s), body

    def _live(self, raw: bytes | str | None, now: float) -> dict | None:
        if raw is None:
            return None
        expires_at, _seq, body = self._parse(raw)
        return _decode(body) if expires_at > now else None

    def put(self, ns: str, key: str, value: dict, ttl: float) -> None:
        _check(ns, key)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._call():
            self._put(keys=[self._key(ns, key), self._seq_key], args=[repr(now + ttl), text, self._px(ttl)])

    def get(self, ns: str, key: str) -> dict | None:
        _check(ns, key)
        now = self.clock()
        with self._call():
            raw = self._r.get(self._key(ns, key))
        return self._live(raw, now)

    def take(self, ns: str, key: str) -> dict | None:
        _check(ns, key)
        now = self.clock()
        with self._call():
            raw = self._r.getdel(self._key(ns, key))
        return self._live(raw, now)

    def add(self, ns: str, key: str, value: dict, ttl: float) -> bool:
        _check(ns, key)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._call():
            done = self._add(
                keys=[self._key(ns, key), self._seq_key],
                args=[repr(now + ttl), text, self._px(ttl), repr(now)],
            )
        return bool(done)

    def delete(self, ns: str, key: str) -> None:
        _check(ns, key)
        with self._call():
            self._r.delete(self._key(ns, key))

    def push(self, ns: str, value: dict, ttl: float) -> None:
        _check_ns(ns)
        text, ttl = _encode(value), _ttl(ttl)
        now = self.clock()
        with self._call():
            self._push(
                keys=[self._queue(ns), self._seq_key],
                args=[repr(now + ttl), text, self._px(ttl), repr(now)],
            )

    def pop(self, ns: str) -> dict | None:
        _check_ns(ns)
        now = self.clock()
        with self._call():
            raw = self._pop(keys=[self._queue(ns)], args=[repr(now)])
        return None if raw is None else self._live(raw, now)

    def trim(self, ns: str, keep: int) -> None:
        _check_ns(ns)
        with self._call():
            if keep > 0:
                self._r.ltrim(self._queue(ns), -int(keep), -1)
            else:
                self._r.delete(self._queue(ns))

    def incr(self, ns: str, key: str, ttl: float) -> int:
        _check(ns, key)
        ttl = _ttl(ttl)
        now = self.clock()
        with self._call():
            n = self._incr(
                keys=[self._key(ns, key), self._seq_key],
                args=[repr(now + ttl), self._px(ttl), repr(now)],
            )
        return int(n)

    def _scan(self, pattern: str) -> Iterator[bytes]:
        return self._r.scan_iter(match=pattern, count=1000)

    def _ns_keys(self, ns: str) -> list[bytes]:
        return list(self._scan(_glob_escape(f"{self.prefix}:{ns}:") + "*"))

    def items(self, ns: str) -> list[tuple[str, dict]]:
        _check_ns(ns)
        now = self.clock()
        cut = len(f"{self.prefix}:{ns}:".encode())
        found: list[tuple[int, str, bytes]] = []
        with self._call():
            keys = self._ns_keys(ns)
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                for k, raw in zip(chunk, self._r.mget(chunk), strict=True):
                    if raw is None:
                        continue
                    expires_at, seq, body = self._parse(raw)
                    if expires_at > now:
                        found.append((seq, k[cut:].decode(), body))
            for raw in self._r.lrange(self._queue(ns), 0, -1):
                expires_at, seq, body = self._parse(raw)
                if expires_at > now:
                    found.append((seq, str(seq), body))
        found.sort(key=lambda row: row[0])
        return [(k, _decode(body)) for _s, k, body in found]

    def clear(self, ns: str) -> None:
        _check_ns(ns)
        with self._call():
            keys = [*self._ns_keys(ns), self._queue(ns).encode()]
            for i in range(0, len(keys), 500):
                self._r.delete(*keys[i : i + 500])

    def clear_all(self) -> None:
        with self._call():
            keys = list(self._scan(_glob_escape(f"{self.prefix}:") + "*"))
            for i in range(0, len(keys), 500):
                self._r.delete(*keys[i : i + 500])

    def clear_prefix(self, prefix: str) -> None:
        _check_ns(prefix)
        with self._call():
            keys = list(self._scan(_glob_escape(f"{self.prefix}:{prefix}") + "*"))
            for i in range(0, len(keys), 500):
                self._r.delete(*keys[i : i + 500])

    def purge_expired(self) -> int:
        now = self.clock()
        removed = 0
        with self._call():
            keys = [k for k in self._scan(_glob_escape(f"{self.prefix}:") + "*")]
            for i in range(0, len(keys), 200):
                removed += int(self._purge(keys=keys[i : i + 200], args=[repr(now)]))
        return removed

    def ping(self) -> None:
        if self._closed:
            raise StoreError(f"the redis store {_redacted(self.url)} is closed")
        try:
            self._r.ping()
        except self._redis_errors as exc:
            raise StoreError(
                f"Redis at {_redacted(self.url)} is not usable ({type(exc).__name__}: {exc}); "
                "is redis-server running and MOCK_BANKID_STORE right?"
            ) from exc

    def close(self) -> None:
        self._closed = True
        self._r.close()
