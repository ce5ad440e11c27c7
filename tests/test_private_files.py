"""Live state is not world-readable (issue 12.8): the data directory 0700, SQLite files 0600."""

from __future__ import annotations

import os
import stat

import pytest
from conftest import start_server

from mock_bankid.store import SQLITE_FILENAME, open_store


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_sqlite_store_makes_its_directory_0700_and_files_0600(tmp_path):
    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        store = open_store("sqlite", data)
        store.put("codes", "k", {"v": 1}, 60)
        store.get("codes", "k")
    finally:
        os.umask(old)
    assert mode(data) == 0o700
    db = data / SQLITE_FILENAME
    for path in (db, f"{db}-wal", f"{db}-shm"):
        assert os.path.exists(path), path
        assert mode(path) == 0o600, (path, oct(mode(path)))
    store.close()


def test_an_existing_loose_data_directory_and_files_are_tightened(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    db = data / SQLITE_FILENAME
    db.touch()
    os.chmod(db, 0o644)
    store = open_store("sqlite", data)
    store.put("codes", "k", {"v": 1}, 60)
    assert mode(data) == 0o700 and mode(db) == 0o600
    store.close()


def test_a_wal_file_that_vanishes_is_no_store_error(tmp_path, monkeypatch):
    """SQLite deletes the -wal when its last connection closes, in any process, so it can vanish
    between "exists" and "chmod": opening a connection then was a StoreError (a fork race in
    tests/test_store.py). A missing file is nothing to tighten; and none is ever created here."""
    from mock_bankid.core import private_files

    real_tighten = private_files._tighten

    def vanishing(path, mode):
        if str(path).endswith("-wal"):
            raise FileNotFoundError(path)
        real_tighten(path, mode)

    data = tmp_path / "data"
    open_store("sqlite", data).put("codes", "k", {"v": 1}, 60)  # leaves a -wal behind for the next open
    monkeypatch.setattr(private_files, "_tighten", vanishing)
    store = open_store("sqlite", data)
    store.put("codes", "j", {"v": 2}, 60)
    assert store.get("codes", "j") == {"v": 2}
    store.close()
    private_files.tighten_if_present(tmp_path / "never-made-wal")
    assert not (tmp_path / "never-made-wal").exists()


@pytest.mark.e2e
def test_a_served_mock_keeps_data_and_keys_private(tmp_path):
    server = start_server(tmp_path, workers=2, args=["--tls"], tls=True)
    try:
        import requests
        assert requests.get(f"{server.base_url}/_mock/ready", verify=server.verify, timeout=5).status_code == 200
    finally:
        server.stop()
    data, keys = tmp_path / "data", tmp_path / "keys"
    assert mode(data) == 0o700 and mode(keys) == 0o700 and mode(data / "tls") == 0o700
    for path in data.rglob("*"):
        if (path.is_file() and path.suffix != ".pem") or path.name.endswith("key.pem"):
            assert mode(path) == 0o600, (path, oct(mode(path)))
    for path in keys.rglob("*"):
        if path.is_file():
            assert mode(path) & 0o077 == 0, (path, oct(mode(path)))


def test_the_request_log_journal_files_are_0600_through_appends_compaction_and_clearing(tmp_path):
    """Each worker's request-log file holds (redacted) requests: private like the database."""
    from mock_bankid.store.journal import FileJournal

    journal = FileJournal(tmp_path / "data" / "mock-bankid-requests")
    for i in range(12):  # keep 5: the file is compacted (tmp + rename) on the way
        journal.append({"i": i}, keep=5)
    assert [e["i"] for e in journal.recent(5)] == [7, 8, 9, 10, 11]
    journal.clear()
    journal.append({"i": 99}, keep=5)
    assert mode(journal.directory) == 0o700
    files = list(journal.directory.iterdir())
    assert any(p.suffix == ".jsonl" for p in files)
    for path in files:
        if path.suffix == ".jsonl":
            assert mode(path) == 0o600, (path, oct(mode(path)))
