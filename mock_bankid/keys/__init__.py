"""Signing keys, the JWKS and key rotation (see ``docs/keys.md``).

These are **test keys of a mock**: generated on this machine, never trusted for anything real.

* ``rotation``: the state machine, pure functions of the key records and a time: which key is
  next, current, previous (or retiring) or retired, what is published, what a rotation changes.
* ``manager``: ``KeyManager``, which does the I/O around it: the files in ``keys_dir``, the file
  lock, parsing and caching keys, the mock CA, signing.

Import ``KeyManager`` (and ``ALGORITHMS``, ``STATES``) from ``mock_bankid.keys``.
"""

from __future__ import annotations

from mock_bankid.keys.manager import KeyManager
from mock_bankid.keys.rotation import ALGORITHMS, STATES

__all__ = ["KeyManager", "ALGORITHMS", "STATES"]
