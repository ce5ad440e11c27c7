"""Live state is private to the user running the mock: directories 0700, files 0600.

The data directory holds live authorization codes, refresh tokens, grants and SSO sessions (the
SQLite store) and the local TLS CA key; the keys directory the signing keys. A default umask (022)
would make them world-readable, so they are created, and tightened if they already exist, here.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700, or tighten it to 0700 if it is ours and looser."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty as 0600 if missing, or tighten it to 0600 if it is ours and looser."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        _tighten(path, 0o600)
    return path


def tighten_if_present(path: Path) -> None:
    """Tighten ``path`` to 0600 if it exists; never create it.

    For SQLite's ``-wal`` and ``-shm``: SQLite creates them itself with the database's mode, and
    deletes the ``-wal`` when its last connection closes, so another process may remove it at any
    moment -- a missing file is nothing to do, not an error (a fork race can remove it).
    """
    with contextlib.suppress(FileNotFoundError):
        _tighten(Path(path), 0o600)


def _tighten(path: Path, mode: int) -> None:
    st = path.stat()
    if st.st_mode & stat.S_ISVTX:  # a shared directory like /tmp given as the data dir: leave it be
        return
    if st.st_mode & 0o777 & ~mode and st.st_uid == os.geteuid():
        os.chmod(path, mode)
