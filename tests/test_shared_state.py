"""Server-wide state read only when it changes, the request log off the store, documents as bytes.

Unit level: the shared generation and the request-log journal across real forked processes (as
gunicorn's workers are), and the ETag/304 answers of discovery and the JWKS on the test client.
End to end across a multi-worker gunicorn: ``test_shared_state_e2e.py``.
"""

from __future__ import annotations

import json
import os

import pytest

from mock_bankid.store import MemoryStore, SqliteStore
from mock_bankid.store.generation import (
    LocalGeneration,
    MappedGeneration,
    PerGeneration,
    StoreGeneration,
    generation_of,
)
from mock_bankid.store.journal import FileJournal, MemoryJournal, StoreJournal, journal_of

ISSUER = "/auth/realms/current"
DISCOVERY = f"{ISSUER}/.well-known/openid-configuration"
JWKS = f"{ISSUER}/protocol/openid-connect/certs"


def in_child(action) -> None:
    """Run ``action`` in a forked child process (what a gunicorn worker is) and wait for it."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            action()
        except BaseException:  # noqa: BLE001
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# --- the generation ---------------------------------------------------------------------------------
def test_each_store_gets_its_kind_of_generation(tmp_path):
    sqlite = SqliteStore(tmp_path / "s.sqlite3")
    assert isinstance(generation_of(sqlite), MappedGeneration)
    assert isinstance(generation_of(MemoryStore()), LocalGeneration)
    assert generation_of(sqlite) is generation_of(sqlite)
    sqlite.close()


@pytest.mark.forks
def test_a_bump_in_another_process_is_seen_at_once(tmp_path):
    store = SqliteStore(tmp_path / "s.sqlite3")
    gen = generation_of(store)
    before = gen.current()
    in_child(gen.bump)  # the mapping is inherited over fork, as gunicorn's workers inherit it
    assert gen.current() != before
    other = MappedGeneration(tmp_path / "s.sqlite3-generation")  # a process that opened it itself
    assert other.current() == gen.current()
    other.bump()
    assert gen.current() == other.current()
    store.close()


def test_store_generation_counts_in_the_store():
    store = MemoryStore()
    gen = StoreGeneration(store)
    assert gen.current() == 0
    gen.bump()
    gen.bump()
    assert gen.current() == 2 and store.get("generation", "n") == {"count": 2}


def test_per_generation_loads_again_only_when_it_moves():
    loads = []
    kept = PerGeneration(lambda: loads.append(1) or len(loads))
    assert kept.get(7) == 1 and kept.get(7) == 1
    assert kept.get(8) == 2 and kept.get(8) == 2
    assert len(loads) == 2


def test_scenario_and_clock_are_read_from_the_store_only_after_a_change(settings):
    """Two apps on one SQLite file (two workers): each reads the shared state once per change."""
    from mock_bankid.app import create_app

    shared = settings.with_(store="sqlite")
    a, b = create_app(shared), create_app(shared)
    store_b = b.extensions["mock_bankid"].store
    reads = []
    original = store_b.get
    store_b.get = lambda ns, key: reads.append(ns) or original(ns, key)
    cb = b.test_client()
    cb.get(DISCOVERY)  # once per start: the engine marks the boot (a change of state)
    reads.clear()
    for _ in range(5):
        assert cb.get(DISCOVERY).status_code == 200
    assert reads.count("scenario") == 0 and reads.count("clock") == 0
    a.test_client().put("/_mock/scenario", json={"scenario": "outage"})
    assert cb.get(DISCOVERY).status_code == 503  # the other worker's change, on the next request
    reads.clear()
    for _ in range(5):
        assert cb.get(DISCOVERY).status_code == 503
    assert reads.count("scenario") == 0
    a.test_client().delete("/_mock/scenario")
    assert cb.get(DISCOVERY).status_code == 200
    now = cb.get("/_mock/clock").get_json()["now"]
    a.test_client().put("/_mock/clock", json={"shift": 86400})
    assert cb.get("/_mock/clock").get_json()["now"] >= now + 86400 - 5


def test_queued_login_reaches_a_worker_that_found_the_queue_empty(settings):
    from conftest import CI_REDIRECT, pkce_pair, query_of

    from mock_bankid.app import create_app

    shared = settings.with_(store="sqlite")
    a, b = create_app(shared), create_app(shared)
    cb = b.test_client()
    _verifier, challenge = pkce_pair()
    query = {"client_id": "ci", "redirect_uri": CI_REDIRECT, "response_type": "code", "scope": "openid",
             "state": "s", "nonce": "n", "code_challenge": challenge, "code_challenge_method": "S256"}
    assert cb.get(f"{ISSUER}/precheck/auth", query_string=query).status_code == 200  # the login page: queue empty
    a.test_client().post("/_mock/next-login", json={"persona": "adult"})
    response = cb.get(f"{ISSUER}/precheck/auth", query_string=query)
    assert response.status_code == 302 and "code" in query_of(response.headers["Location"])
    fresh = b.test_client()  # no SSO cookie from the sign-in above
    assert fresh.get(f"{ISSUER}/precheck/auth", query_string=query).status_code == 200  # used once


# --- the request log's journal ----------------------------------------------------------------------
def test_each_store_gets_its_kind_of_journal(tmp_path):
    sqlite = SqliteStore(tmp_path / "s.sqlite3")
    assert isinstance(journal_of(sqlite), FileJournal)
    assert isinstance(journal_of(MemoryStore()), MemoryJournal)
    sqlite.close()


@pytest.mark.forks
def test_file_journal_merges_every_process_in_order(tmp_path):
    journal = FileJournal(tmp_path / "requests")
    journal.append({"n": 1}, 50)
    in_child(lambda: [journal.append({"n": n}, 50) for n in (2, 3)])
    journal.append({"n": 4}, 50)
    in_child(lambda: journal.append({"n": 5}, 50))
    assert [e["n"] for e in journal.recent(50)] == [1, 2, 3, 4, 5]
    assert [e["n"] for e in journal.recent(2)] == [4, 5]
    assert len(list((tmp_path / "requests").glob("*.jsonl"))) == 3  # one file per process, no shared lock
    in_child(journal.clear)  # any worker clears for all
    assert journal.recent(50) == []
    journal.append({"n": 6}, 50)
    assert [e["n"] for e in journal.recent(50)] == [6]


def test_file_journal_stays_bounded_and_keeps_the_newest(tmp_path):
    journal = FileJournal(tmp_path / "requests")
    for n in range(100):
        journal.append({"n": n}, 10)
    lines = (tmp_path / "requests" / f"{os.getpid()}.jsonl").read_text().splitlines()
    assert len(lines) < 20
    assert [e["n"] for e in journal.recent(10)] == list(range(90, 100))
    assert json.loads(lines[-1])["e"] == {"n": 99}


def test_memory_and_store_journals_keep_the_newest():
    for journal in (MemoryJournal(), StoreJournal(MemoryStore())):
        for n in range(30):
            journal.append({"n": n}, 10)
        assert [e["n"] for e in journal.recent(5)] == list(range(25, 30))
        assert len(journal.recent(100)) >= 10
        journal.clear()
        assert journal.recent(10) == []


def test_request_log_is_no_store_write(settings):
    from mock_bankid.app import create_app

    app = create_app(settings.with_(store="sqlite"))
    store = app.extensions["mock_bankid"].store
    writes = []
    for op in ("put", "push", "trim", "delete", "incr", "add"):
        original = getattr(store, op)
        setattr(store, op, lambda *a, _o=original, _op=op, **k: writes.append((_op, a[0])) or _o(*a, **k))
    client = app.test_client()
    client.get(DISCOVERY)
    del writes[:]  # once per start: the scenario engine marks the boot
    client.get(DISCOVERY)
    client.get(JWKS, headers={"User-Agent": "rp/1"})
    assert writes == []
    log = client.get("/_mock/requests").get_json()["requests"]
    assert [e["path"] for e in log[-2:]] == [DISCOVERY, JWKS] and log[-1]["headers"]["User-Agent"] == "rp/1"


# --- discovery and JWKS as bytes with an ETag ------------------------------------------------------
@pytest.mark.parametrize("path", [DISCOVERY, JWKS])
def test_documents_have_an_etag_and_answer_304(client, path):
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.get_json() and etag
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert client.get(path).data == first.data


def test_jwks_etag_changes_on_rotation(client):
    first = client.get(JWKS)
    rotated = client.post("/_mock/keys/rotate", json={"alg": "RS256", "activate_after": 0}).get_json()["kid"]
    after = client.get(JWKS, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != first.headers["ETag"]
    assert rotated in {k["kid"] for k in after.get_json()["keys"]}


def test_a_scenario_on_the_documents_still_acts(client):
    client.put("/_mock/scenario", json={"scenario": "outage", "endpoints": ["jwks", "discovery"]})
    assert client.get(JWKS).status_code == 503 and client.get(DISCOVERY).status_code == 503
    client.delete("/_mock/scenario")
    assert client.get(JWKS).status_code == 200 and client.get(DISCOVERY).status_code == 200


# --- discovery and JWKS replayed below Flask ---------------------------------------------------------
def test_plain_gets_are_replayed_with_the_same_answer_and_still_logged(settings):
    from mock_bankid.app import create_app

    shared = settings.with_(store="sqlite")
    a, b = create_app(shared), create_app(shared)  # two workers on one store
    client = b.test_client()
    served = [client.get(path, headers={"User-Agent": f"rp/{n}"}) for n in range(3) for path in (DISCOVERY, JWKS)]
    for first, later in ((served[0], served[2]), (served[1], served[3])):
        assert later.data == first.data and later.status_code == 200
        assert dict(later.headers) == dict(first.headers)
    assert later.headers["X-Mock-BankID"] and later.headers["ETag"]
    log = client.get("/_mock/requests").get_json()["requests"]
    assert [(e["path"], e["headers"]["User-Agent"]) for e in log[-6:]] == [
        (path, f"rp/{n}") for n in range(3) for path in (DISCOVERY, JWKS)]
    assert log[-1]["endpoint"] == "jwks.certs" and log[-1]["status"] == 200
    a.test_client().put("/_mock/scenario", json={"scenario": "outage", "endpoints": ["discovery"]})
    assert client.get(DISCOVERY).status_code == 503  # the other worker's scenario wins at once
    a.test_client().delete("/_mock/scenario")
    assert client.get(DISCOVERY).data == served[0].data
    cross = client.get(DISCOVERY, headers={"Origin": "https://spa.example"})  # not plain: Flask answers
    assert cross.headers["Access-Control-Allow-Origin"] == "*"
    rotated = a.test_client().post("/_mock/keys/rotate", json={"activate_after": 0}).get_json()["kid"]
    assert rotated in {k["kid"] for k in client.get(JWKS).get_json()["keys"]}
