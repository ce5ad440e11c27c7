"""Moved to the ``rp`` package (tests/rp/): kept only so branches written against the old name still import."""

from rp import Discovered, at_hash_of, mock_today, verify_id_token

__all__ = ["Discovered", "at_hash_of", "mock_today", "verify_id_token"]
