"""The key manager: the files, the lock, parsing and signing (see ``rotation.py`` for the states).

These are **test keys of a mock**: generated on this machine, never trusted for anything real.

Files in ``keys_dir`` (directory 0700, every file 0600, each written atomically: tmp + rename):

- ``keys.json``: metadata of every key ever made here (kid, alg, created, activates_at,
  retires_at) and its *public* JWK; no private key material.
- ``<kid>.pem``: the private key (PKCS#8), one per key.
- ``ca.key.pem`` / ``ca.cert.pem``: the self-signed mock CA that issues every key's ``x5c``
  certificate (BankID's keys carry an ``x5c`` chain from its Utility CA).
- ``.lock``: the file lock that makes key creation and rotation happen once, whichever of
  several workers, processes or hosts sharing the directory gets there first.

Which key is next, current, previous or retired at a given time is decided by the pure functions
in ``rotation.py``; this module reads and writes ``keys.json`` under the lock around them.

As BankID's, the JWKS holds three keys per algorithm: the previous (verifies what it signed before
the last rotation), the current (signs) and the next (published, not yet signing). ``ensure``
makes all three at once on first start (and a missing next in a key directory of an older
mock-bankid). ``rotate`` promotes next to current and current to previous, makes a new next, and
retires the old previous once ``rotation_grace`` (the longest token lifetime) has passed since it
stopped signing. kids (RFC 7638 thumbprints) are never reused; retired keys stay listed in
``keys.json`` and are published nowhere.
Once retired a key is pruned at the next rotation: its PEM file is deleted and only the newest
``KEEP_RETIRED`` retired keys per algorithm stay listed in ``keys.json``, so rotating over and over
(``POST /_mock/keys/rotate`` in a test loop) keeps the directory bounded.

Other processes see a rotation through ``keys.json``: every call compares its inode, mtime and
size (one ``stat``) with what was loaded and re-reads it when it changed. Parsed joserfc key
objects are cached per kid, so ``sign`` never re-parses a PEM.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet, RSAKey
from joserfc.jws import JWSRegistry

from mock_bankid.keys import generate, rotation
from mock_bankid.keys.files import KEY_CLASS, KTY, load_own_private_key, write_atomic
from mock_bankid.keys.rotation import ALGORITHMS, Entry, check_alg, check_seconds, next_key, signer

__all__ = ["KeyManager"]

KEEP_RETIRED = 5
"""Retired keys per algorithm still listed (without their files) after pruning: recent history."""
STATE_FILE = "keys.json"
LOCK_FILE = ".lock"
FORMAT = 2
"""keys.json format: 2 has next keys without an activation time; 1 (older mock-bankid) is read too."""
READABLE_FORMATS = frozenset({1, FORMAT})
LOCK_TIMEOUT = 60.0



class _Snapshot:
    """One parsed version of keys.json plus what is derived from it (never mutated)."""

    def __init__(self, signature: tuple[int, int, int] | None, entries: list[Entry]) -> None:
        self.signature = signature
        self.entries = entries
        self.by_kid = {e.kid: e for e in entries}
        self.public: dict[str, Key] = {}
        for e in entries:
            key = KEY_CLASS[KTY[e.alg]].import_key(e.jwk)
            self.public[e.kid] = key
        self.timeline = rotation.Timeline(entries)
        # (published kids) -> (jwks template, KeySet); a handful at most per snapshot.
        self.published_cache: dict[tuple[str, ...], tuple[list[dict[str, Any]], KeySet]] = {}


# --- the manager ----------------------------------------------------------------------------


class KeyManager:
    """Creates, publishes, rotates and uses the mock's signing keys (see the module docstring)."""

    def __init__(
        self,
        keys_dir: Path,
        clock: Callable[[], float] = time.time,
        *,
        rotation_grace: float = 300.0,
        kid_of: Callable[[str], str] = rotation.thumbprint_kid,
    ) -> None:
        """``kid_of``: a key's kid from its thumbprint (the provider's kid shape: ``rotation.py``)."""
        self.keys_dir = Path(keys_dir).expanduser()
        self.clock = clock
        self.rotation_grace = check_seconds("rotation_grace", rotation_grace)
        self.kid_of = kid_of
        self.state_path = self.keys_dir / STATE_FILE
        self.ca_certificate_path = self.keys_dir / generate.CA_CERT_FILE
        self._lock = threading.RLock()
        self._snap = _Snapshot(None, [])
        self._private: dict[str, Key] = {}  # kid -> parsed private key, kept across reloads
        self._enc_jwk: dict[str, Any] | None = None  # the request-object encryption key (public)
        # Strict header check (joserfc's default, also when verifying): only registered JWS header
        # members, so every token verifies with a default joserfc.jwt.decode.
        self._registries = {alg: JWSRegistry(algorithms=[alg]) for alg in ALGORITHMS}

    # --- public API ---------------------------------------------------------------------

    def ensure(self) -> None:
        """Create what is missing (directory, CA, a previous, current and next key per algorithm), once.

        Cheap when everything exists. Creation happens under ``keys_dir/.lock``, so concurrent
        workers, processes or hosts sharing the directory create one set between them (``serve``
        calls it in the master, before the workers fork). A key directory of an older
        mock-bankid, which has no next key, gets one; its previous comes with the first rotation.
        """
        snap = self._refresh()
        now = self.clock()
        ca_files = (self.keys_dir / generate.CA_KEY_FILE, self.ca_certificate_path,
                    self.keys_dir / generate.ENC_KEY_FILE, self.keys_dir / generate.ENC_JWK_FILE)
        if rotation.complete(snap.entries, now) and all(path.exists() for path in ca_files):
            return
        self._prepare_dir()
        with self._file_lock():
            entries = self._read_entries()
            now = self.clock()
            ca = generate.ensure_ca(self.keys_dir, now)
            self._enc_jwk = generate.ensure_encryption_key(self.keys_dir, now, ca)
            changed = False
            for alg in ALGORITHMS:
                for role in rotation.missing(entries, alg, now):
                    activates_at = None if role == "next" else now
                    entries.append(generate.new_key(self.keys_dir, alg, entries, now, activates_at=activates_at, ca=ca,
                                                      kid_of=self.kid_of))
                    changed = True
            if changed:
                self._write_entries(entries)
        self._check_files(self._refresh(force=True))

    def sign(
        self,
        claims: dict,
        alg: str = "RS256",
        typ: str | None = "JWT",
        header: dict | None = None,
    ) -> str:
        """A compact JWS of ``claims`` by the key that is active for ``alg`` now.

        The protected header is ``header`` (extra members) plus ``alg``, ``typ`` (omitted when
        falsy) and the signing key's ``kid``; ``header`` may not set those three itself, and only
        registered JWS header members (``cty``, ``x5t#S256``, ...) are accepted: joserfc's
        verifier rejects unknown ones by default. A bad header raises ValueError.
        """
        check_alg(alg)
        if header:
            clash = {"alg", "kid", "typ"} & set(header)
            if clash:
                raise ValueError(f"header may not set {', '.join(sorted(clash))}: use the arguments of sign()")
        snap = self._refresh()
        now = self.clock()
        entry = snap.timeline.at(now).signers.get(alg)
        if entry is None:
            self.ensure()
            snap = self._refresh()
            entry = signer(snap.entries, alg, now)
            if entry is None:  # pragma: no cover - ensure() guarantees one
                raise LookupError(f"no {alg} signing key in {self.keys_dir}")
        protected: dict[str, Any] = dict(header or {})
        protected["alg"] = alg
        if typ:
            protected["typ"] = typ
        protected["kid"] = entry.kid
        key = self._private_key(entry)
        try:
            return jwt.encode(protected, claims, key, registry=self._registries[alg], default_type=None)
        except JoseError as exc:
            raise ValueError(f"cannot sign: {exc}") from None

    def jwks(self) -> dict:
        """``{"keys": [...]}``: the public JWKs of every published signing key (previous, current,
        next), then the request-object encryption key (``use: "enc"``, ``RSA-OAEP-256``), last so a
        client that takes the first RSA key still finds a signing key.

        Each has ``kid``, ``kty``, ``use``, ``alg``, ``x5c``, ``x5t`` and ``x5t#S256`` (keys
        made before RSA keys got a chain have none until they are rotated). A fresh dict on every
        call (callers may change it).
        """
        template, _ = self._published()
        keys = [*template, self.encryption_jwk()]
        return {"keys": [{k: (list(v) if isinstance(v, list) else v) for k, v in jwk.items()} for jwk in keys]}

    def encryption_jwk(self) -> dict[str, Any]:
        """The public JWK of the request-object encryption key (one fixed key; ``generate.ensure_encryption_key``)."""
        if self._enc_jwk is None:
            path = self.keys_dir / generate.ENC_JWK_FILE
            if not path.exists():
                self.ensure()
            if self._enc_jwk is None:
                self._enc_jwk = json.loads(path.read_text(encoding="utf-8"))
        assert self._enc_jwk is not None
        return self._enc_jwk

    def decryption_key(self) -> RSAKey:
        """The private half of ``encryption_jwk``: what decrypts a request object (``oidc/request_objects.py``)."""
        jwk = self.encryption_jwk()
        return RSAKey.import_key((self.keys_dir / generate.ENC_KEY_FILE).read_bytes(), {"kid": jwk["kid"]})

    def jwks_version(self) -> tuple[Any, ...]:
        """Changes whenever ``jwks()`` would answer differently (keys.json rewritten, or a key
        published or retired as the clock passes its time): what a served copy is keyed on."""
        snap = self._ensure_loaded()
        return (snap.signature, snap.timeline.at(self.clock()).published, self.encryption_jwk()["kid"])

    def key_set(self) -> KeySet:
        """A joserfc ``KeySet`` of the published public keys, to verify the mock's own tokens.

        Shared between calls while the published set is unchanged: do not modify it.
        """
        return self._published()[1]

    def public_key(self, kid: str) -> Key | None:
        """The public key of a published ``kid``; None for an unknown or retired one."""
        snap = self._ensure_loaded()
        entry = snap.by_kid.get(kid)
        if entry is None or entry.retired(self.clock()):
            return None
        return snap.public[kid]

    def rotate(self, alg: str = "RS256", activate_after: float | None = None) -> str:
        """Rotate ``alg`` as BankID does; returns the kid of the key that signs from now on.

        The next key (published since the last rotation, or since the keys were made) signs from
        ``now + activate_after`` (default 0: at once, since every JWKS fetched since it was made
        holds it); the current key becomes the previous one, still published; a new next key is
        made and published; the old previous key leaves the JWKS once ``rotation_grace`` has passed
        since it stopped signing (at once, unless the last rotation was that recent).
        """
        check_alg(alg)
        after = 0.0 if activate_after is None else check_seconds("activate_after", activate_after)
        self.ensure()
        with self._file_lock():
            entries = self._read_entries()
            now = self.clock()
            ca = generate.ensure_ca(self.keys_dir, now)  # every key gets an x5c chain, RSA too
            if next_key(entries, alg, now) is None:  # pragma: no cover - ensure() just made one
                entries.append(generate.new_key(self.keys_dir, alg, entries, now, activates_at=None, ca=ca,
                                                kid_of=self.kid_of))
            entries = self._prune(entries, now)
            promoted = next_key(entries, alg, now)
            assert promoted is not None
            entries = rotation.plan_rotation(entries, alg, now, now + after, self.rotation_grace)
            entries.append(generate.new_key(self.keys_dir, alg, entries, now, activates_at=None, ca=ca,
                                                kid_of=self.kid_of))
            entries = self._prune(entries, now)
            self._write_entries(entries)
        self._refresh(force=True)
        return promoted.kid

    def next_kid(self, alg: str) -> str | None:
        """The kid of the published ``alg`` key the next rotation promotes."""
        check_alg(alg)
        entry = next_key(self._ensure_loaded().entries, alg, self.clock())
        return None if entry is None else entry.kid

    def _prune(self, entries: list[Entry], now: float) -> list[Entry]:
        """Delete retired keys' PEM files; keep the newest KEEP_RETIRED retired entries per alg
        (call with the file lock held). A retired key signs nothing and is published nowhere."""
        keep: list[Entry] = []
        for alg in {e.alg for e in entries}:
            retired = sorted((e for e in entries if e.alg == alg and e.retired(now)), key=lambda e: e.order)
            for e in retired:
                (self.keys_dir / rotation.pem_name(e.kid)).unlink(missing_ok=True)
            keep += retired[-KEEP_RETIRED:]
        kept = {id(e) for e in keep}
        return [e for e in entries if not e.retired(now) or id(e) in kept]

    def list_keys(self) -> list[dict[str, Any]]:
        """Every key ever made here, oldest first per alg, with its state at ``clock()`` now."""
        return rotation.listing(self._ensure_loaded().entries, self.clock())

    def ca_certificate_pem(self) -> bytes:
        """The PEM of the self-signed mock CA that issued the keys' ``x5c`` certificates."""
        if not self.ca_certificate_path.exists():
            self.ensure()
        return self.ca_certificate_path.read_bytes()

    # --- loading and caching ------------------------------------------------------------

    def _refresh(self, force: bool = False) -> _Snapshot:
        """The current snapshot, re-read when keys.json changed (one stat per call)."""
        try:
            st = os.stat(self.state_path)
            signature: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            signature = None
        except NotADirectoryError:
            raise NotADirectoryError(f"keys dir {self.keys_dir} is not a directory") from None
        snap = self._snap
        if signature == snap.signature and not force:
            return snap
        with self._lock:
            if self._snap.signature == signature and not force:
                return self._snap
            entries = self._read_entries() if signature is not None else []
            self._snap = _Snapshot(signature, entries)
            return self._snap

    def _ensure_loaded(self) -> _Snapshot:
        snap = self._refresh()
        if not snap.entries or not snap.timeline.at(self.clock()).complete:  # also upgrades an old key dir
            self.ensure()
            snap = self._refresh()
        return snap

    def _published(self) -> tuple[list[dict[str, Any]], KeySet]:
        snap = self._ensure_loaded()
        kids = snap.timeline.at(self.clock()).published
        cached = snap.published_cache.get(kids)
        if cached is None:
            template = [snap.by_kid[k].jwk for k in kids]
            key_set = KeySet([KEY_CLASS[KTY[snap.by_kid[k].alg]].import_key(snap.by_kid[k].jwk) for k in kids])
            cached = (template, key_set)
            if len(snap.published_cache) > 16:
                snap.published_cache.clear()
            snap.published_cache[kids] = cached
        return cached

    def _private_key(self, entry: Entry) -> Key:
        key = self._private.get(entry.kid)
        if key is not None:
            return key
        with self._lock:
            key = self._private.get(entry.kid)
            if key is not None:
                return key
            path = self.keys_dir / rotation.pem_name(entry.kid)
            try:
                pem = path.read_bytes()
            except FileNotFoundError:
                raise LookupError(
                    f"{path} is missing but keys.json lists it as a signing key; "
                    f"restore it or empty {self.keys_dir} to start over"
                ) from None
            key = load_own_private_key(pem, entry, self.kid_of)
            if key is None:
                raise ValueError(f"{path} does not hold a working private key for kid {entry.kid}")
            self._private[entry.kid] = key
            return key

    def _read_entries(self) -> list[Entry]:
        try:
            raw = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except ValueError as exc:
            raise ValueError(f"{self.state_path} is not valid JSON ({exc}); fix or remove it") from None
        try:
            if raw.get("format") not in READABLE_FORMATS:
                raise ValueError(f"unknown format {raw.get('format')!r}")
            entries = [Entry.from_json(item) for item in raw["keys"]]
            for e in entries:
                check_alg(e.alg)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"{self.state_path} is not a mock-bankid key file ({exc}); fix or remove it") from None
        return entries

    def _write_entries(self, entries: list[Entry]) -> None:
        doc = {
            "format": FORMAT,
            "warning": "Test keys of mock-bankid, a MOCK of BankID. Never trust them for anything real.",
            "keys": [e.as_json() for e in sorted(entries, key=lambda e: e.seq)],
        }
        write_atomic(self.state_path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))

    # --- creation -----------------------------------------------------------------------

    def _prepare_dir(self) -> None:
        if self.keys_dir.exists() and not self.keys_dir.is_dir():
            raise NotADirectoryError(f"keys dir {self.keys_dir} is not a directory")
        self.keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = self.keys_dir.stat()
        if st.st_mode & 0o077 and st.st_uid == os.geteuid():
            os.chmod(self.keys_dir, 0o700)

    def _file_lock(self) -> FileLock:
        return FileLock(str(self.keys_dir / LOCK_FILE), timeout=LOCK_TIMEOUT, mode=0o600)

    def _check_files(self, snap: _Snapshot) -> None:
        now = self.clock()
        for e in snap.entries:
            if not e.retired(now) and not (self.keys_dir / rotation.pem_name(e.kid)).exists():
                raise LookupError(
                    f"{self.keys_dir / rotation.pem_name(e.kid)} is missing but keys.json lists it; "
                    f"restore it or empty {self.keys_dir} to start over"
                )
