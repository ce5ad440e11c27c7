"""Signing keys: creation, JWKS, verification with joserfc, the x5c chain, rotation, workers."""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FakeClock
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

import mock_bankid.keys.manager as keys_module
from mock_bankid.cli import cli
from mock_bankid.keys import KeyManager

REPO = Path(__file__).resolve().parent.parent
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
T0 = 1_900_000_000.0


def key_pems(keys_dir: Path) -> list[str]:
    return sorted(p.name for p in keys_dir.glob("*.pem") if not p.name.startswith("ca."))


def kids(jwks: dict) -> set[str]:
    """The signing keys' kids (the one ``use: enc`` key is fixed, not rotated)."""
    return {k["kid"] for k in jwks["keys"] if k["use"] == "sig"}


def header_kid(token: str) -> str:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]


def verify(token: str, jwks: dict) -> jwt.Token:
    return jwt.decode(token, KeySet.import_key_set(jwks))


def active(km: KeyManager, alg: str) -> str:
    [row] = [r for r in km.list_keys() if r["alg"] == alg and r["state"] == "current"]
    return row["kid"]


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory) -> KeyManager:
    """A key set that tests only read from (creating keys costs ~0.1-0.3 s)."""
    km = KeyManager(tmp_path_factory.mktemp("ready") / "keys")
    km.ensure()
    return km


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def km(tmp_path: Path, clock: FakeClock) -> KeyManager:
    manager = KeyManager(tmp_path / "keys", clock)
    manager.ensure()
    return manager


# --- creation and files -----------------------------------------------------------------------


def test_ensure_creates_previous_current_and_next_per_alg_with_private_modes(tmp_path: Path) -> None:
    keys_dir = tmp_path / "deep" / "keys"
    km = KeyManager(keys_dir)
    km.ensure()

    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700
    names = sorted(os.listdir(keys_dir))
    assert {"keys.json", "ca.key.pem", "ca.cert.pem", ".lock"} <= set(names)
    assert len(key_pems(keys_dir)) == 6
    for name in names:
        path = keys_dir / name
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), name
    for name in os.listdir(keys_dir / "enc"):  # the request-object encryption key
        assert stat.S_IMODE((keys_dir / "enc" / name).stat().st_mode) == 0o600, name
    for alg in ("RS256", "ES256"):  # BankID's three keys per algorithm, all at once on first start
        assert [r["state"] for r in km.list_keys() if r["alg"] == alg] == ["previous", "current", "next"]

    before = (keys_dir / "keys.json").stat()
    km.ensure()  # idempotent: nothing rewritten
    after = (keys_dir / "keys.json").stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert len(key_pems(keys_dir)) == 6


def test_existing_open_directory_is_tightened(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir(mode=0o755)
    os.chmod(keys_dir, 0o755)
    KeyManager(keys_dir).ensure()
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700


def test_restart_keeps_the_same_keys(tmp_path: Path) -> None:
    first = KeyManager(tmp_path / "keys")
    first.ensure()
    jwks = first.jwks()
    second = KeyManager(tmp_path / "keys")  # a restart, or another worker
    second.ensure()
    assert second.jwks() == jwks
    assert second.list_keys() == first.list_keys()
    for alg in ("RS256", "ES256"):
        assert header_kid(second.sign({"sub": "x"}, alg)) == header_kid(first.sign({"sub": "x"}, alg))
    assert len(key_pems(tmp_path / "keys")) == 6


def test_first_use_creates_keys_without_an_explicit_ensure(tmp_path: Path) -> None:
    km = KeyManager(tmp_path / "keys")
    token = km.sign({"sub": "x"})
    assert verify(token, km.jwks()).claims == {"sub": "x"}


# --- JWKS ---------------------------------------------------------------------------------------


def test_jwks_publishes_public_keys_only(ready: KeyManager) -> None:
    jwks = ready.jwks()
    # previous, current, next each; then the request-object encryption key, last
    assert [k["alg"] for k in jwks["keys"]] == ["RS256"] * 3 + ["ES256"] * 3 + ["RSA-OAEP-256"]
    for key in jwks["keys"]:
        assert key["use"] == ("enc" if key["alg"] == "RSA-OAEP-256" else "sig")
        assert {"kid", "kty", "alg"} <= set(key)
        assert not PRIVATE_MEMBERS & set(key), key
        cls = RSAKey if key["kty"] == "RSA" else ECKey
        assert cls.import_key(key).thumbprint() == key["kid"]  # RFC 7638 kid
    rsa_key = next(k for k in jwks["keys"] if k["alg"] == "RS256")
    ec_key = next(k for k in jwks["keys"] if k["alg"] == "ES256")
    assert rsa_key["kty"] == "RSA" and ec_key["kty"] == "EC" and ec_key["crv"] == "P-256"
    assert {"x5c", "x5t", "x5t#S256"} <= set(ec_key) and {"x5c", "x5t", "x5t#S256"} <= set(rsa_key)
    enc = jwks["keys"][-1]  # BankID's JWKS also holds keys to encrypt request objects to (api/jwks)
    assert (enc["kty"], enc["use"], enc["alg"]) == ("RSA", "enc", "RSA-OAEP-256") and "x5c" in enc
    json.dumps(jwks)  # plain JSON
    for key in ready.key_set():
        assert not key.is_private

    def walk(node: object) -> None:  # keys.json holds no private key material either
        if isinstance(node, dict):
            assert not PRIVATE_MEMBERS & set(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(ready.state_path.read_text()))


def test_jwks_returns_a_copy(ready: KeyManager) -> None:
    ready.jwks()["keys"].clear()
    ready.jwks()["keys"][0]["kid"] = "changed"
    assert "changed" not in kids(ready.jwks()) and len(ready.jwks()["keys"]) == 7


# --- signing and verification -------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_tokens_verify_against_the_published_jwks(ready: KeyManager, tmp_path: Path, alg: str) -> None:
    claims = {"iss": "https://mock", "sub": "abc", "aud": "client", "exp": 2_000_000_000, "nested": {"a": [1, 2]}}
    token = ready.sign(claims, alg)
    decoded = verify(token, ready.jwks())
    assert decoded.claims == claims
    assert decoded.header == {"alg": alg, "typ": "JWT", "kid": active(ready, alg)}
    assert jwt.decode(token, ready.key_set()).claims == claims
    assert jwt.decode(token, ready.public_key(header_kid(token))).claims == claims

    other = KeyManager(tmp_path / "other")  # a different key set must not verify it
    with pytest.raises(JoseError):
        verify(token, other.jwks())
    same_kid_wrong_key = {"keys": [dict(k, kid=header_kid(token)) for k in other.jwks()["keys"] if k["alg"] == alg]}
    with pytest.raises(JoseError):
        verify(token, same_kid_wrong_key)


def test_sign_header_and_typ(ready: KeyManager) -> None:
    ec_jwk = next(k for k in ready.jwks()["keys"] if k["kid"] == active(ready, "ES256"))
    token = ready.sign({"sub": "x"}, "ES256", typ="at+jwt", header={"x5t#S256": ec_jwk["x5t#S256"]})
    assert verify(token, ready.jwks()).header == {
        "x5t#S256": ec_jwk["x5t#S256"], "alg": "ES256", "typ": "at+jwt", "kid": ec_jwk["kid"]
    }
    with pytest.raises(ValueError):  # joserfc's verifier would reject an unregistered member
        ready.sign({"sub": "x"}, header={"x-mock": "yes"})
    assert "typ" not in verify(ready.sign({"sub": "x"}, typ=None), ready.jwks()).header
    for reserved in ("alg", "kid", "typ"):
        with pytest.raises(ValueError):
            ready.sign({"sub": "x"}, header={reserved: "x"})
    with pytest.raises(ValueError):
        ready.sign({"sub": "x"}, "HS256")
    with pytest.raises(ValueError):
        ready.rotate("none")
    with pytest.raises(ValueError):
        ready.rotate("RS256", activate_after=-1)
    assert ready.public_key("no-such-kid") is None


def test_signing_keys_are_cached_not_reparsed(km: KeyManager) -> None:
    kid = header_kid(km.sign({"sub": "x"}))
    (km.keys_dir / f"{kid}.pem").unlink()  # a second sign must not need the PEM again
    assert header_kid(km.sign({"sub": "y"})) == kid
    with pytest.raises(LookupError, match="missing"):  # while a new process says what is wrong
        KeyManager(km.keys_dir).sign({"sub": "z"})


def test_a_pem_that_is_not_its_kid_is_refused(km: KeyManager) -> None:
    rs_kid, es_kid = active(km, "RS256"), active(km, "ES256")
    (km.keys_dir / f"{rs_kid}.pem").write_bytes((km.keys_dir / f"{es_kid}.pem").read_bytes())
    with pytest.raises(ValueError, match="does not hold"):
        KeyManager(km.keys_dir).sign({"sub": "x"}, "RS256")
    (km.keys_dir / f"{es_kid}.pem").write_bytes((km.keys_dir / "ca.key.pem").read_bytes())
    with pytest.raises(ValueError, match="does not hold"):
        KeyManager(km.keys_dir).sign({"sub": "x"}, "ES256")


def test_clock_before_creation_still_signs(km: KeyManager, clock: FakeClock) -> None:
    kid = active(km, "RS256")
    clock.advance(-3600)  # the mock's clock moved back past the keys' creation
    assert header_kid(km.sign({"sub": "x"})) == kid


# --- the x5c chain -------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_x5c_chain_of_every_key_is_issued_by_the_mock_ca(ready: KeyManager, alg: str) -> None:
    """BankID: every key carries its certificate chain in x5c, and relying parties should verify it."""
    ec_jwk = next(k for k in ready.jwks()["keys"] if k["alg"] == alg)
    leaf_der = base64.b64decode(ec_jwk["x5c"][0])
    leaf = x509.load_der_x509_certificate(leaf_der)
    ca = x509.load_pem_x509_certificate(ready.ca_certificate_pem())

    jwk_public = (ECKey if alg == "ES256" else RSAKey).import_key(ec_jwk).public_key
    assert leaf.public_key().public_numbers() == jwk_public.public_numbers()
    leaf.verify_directly_issued_by(ca)  # raises if the CA did not sign it
    ca.verify_directly_issued_by(ca)  # self-signed
    assert base64.b64decode(ec_jwk["x5c"][1]) == ca.public_bytes(serialization.Encoding.DER)
    assert ec_jwk["x5t#S256"] == base64.urlsafe_b64encode(hashlib.sha256(leaf_der).digest()).rstrip(b"=").decode()
    assert ec_jwk["x5t"] == base64.urlsafe_b64encode(hashlib.sha1(leaf_der).digest()).rstrip(b"=").decode()

    assert "MOCK" in ca.subject.rfc4514_string() and "NOT BankID" in ca.subject.rfc4514_string()
    assert leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "mock-bankid OIDC MOCK"
    assert leaf.issuer == ca.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert ready.ca_certificate_path.read_bytes() == ready.ca_certificate_pem()


# --- rotation ------------------------------------------------------------------------------------


def roles(km: KeyManager, alg: str) -> dict[str, str]:
    """state -> kid for ``alg`` (the published states each hold one key outside a grace window)."""
    rows = [r for r in km.list_keys() if r["alg"] == alg and r["state"] != "retired"]
    out = {r["state"]: r["kid"] for r in rows}
    assert len(out) == len(rows), rows
    return out


def test_rotation_timeline(km: KeyManager, clock: FakeClock) -> None:
    """BankID's rotation: current replaces previous, next replaces current, a new next, the oldest out."""
    first = roles(km, "RS256")
    es_before = roles(km, "ES256")
    assert set(first) == {"previous", "current", "next"}
    assert header_kid(km.sign({"sub": "x"})) == first["current"]

    promoted = km.rotate("RS256")  # default: the next key signs at once
    assert promoted == first["next"]
    second = roles(km, "RS256")
    assert second["current"] == first["next"] and second["previous"] == first["current"]
    assert second["next"] not in first.values()  # a new key; kids are never reused
    assert header_kid(km.sign({"sub": "x"})) == promoted
    assert first["previous"] not in kids(km.jwks())  # it stopped signing long before: out at once
    assert km.public_key(first["previous"]) is None
    assert {r["kid"]: r["state"] for r in km.list_keys()}[first["previous"]] == "retired"
    assert kids(km.jwks()) == set(second.values()) | set(es_before.values())
    assert roles(km, "ES256") == es_before  # the other alg never moved
    assert km.next_kid("RS256") == second["next"]

    clock.advance(3600)
    km.rotate("RS256")
    third = roles(km, "RS256")
    assert (third["previous"], third["current"]) == (second["current"], second["next"])
    assert first["current"] not in kids(km.jwks())


def test_rotating_again_soon_keeps_the_old_previous_for_its_grace(km: KeyManager, clock: FakeClock) -> None:
    """Tokens the old previous key signed may still be live: it stays until rotation_grace after it
    stopped signing, even when rotations come faster than BankID's."""
    first = roles(km, "RS256")
    token = km.sign({"sub": "x"})
    clock.advance(10)
    km.rotate("RS256")
    clock.advance(10)
    km.rotate("RS256")  # first["current"] stopped signing 10 s ago: retiring, not gone
    rows = {r["kid"]: r for r in km.list_keys()}
    assert rows[first["current"]]["state"] == "retiring"
    assert rows[first["current"]]["retires_at"] == T0 + 10 + km.rotation_grace
    assert verify(token, km.jwks()).claims == {"sub": "x"}
    clock.advance(km.rotation_grace - 10)
    assert first["current"] not in kids(km.jwks())
    assert [r["state"] for r in km.list_keys() if r["alg"] == "RS256" and r["state"] != "retired"] == [
        "previous", "current", "next"]


def test_cached_jwks_before_and_after_rotation(km: KeyManager, clock: FakeClock) -> None:
    """What BankID's hours of JWKS caching rely on: the copy cached before a rotation has the next key."""
    jwks_before = km.jwks()
    token_old = km.sign({"sub": "old"})
    km.rotate("RS256")
    clock.advance(3 * 3600)
    token_new = km.sign({"sub": "new"})
    assert header_kid(token_new) != header_kid(token_old)

    assert verify(token_new, jwks_before).claims == {"sub": "new"}  # cached before, verifies after
    assert verify(token_old, jwks_before).claims == {"sub": "old"}
    assert verify(token_old, km.jwks()).claims == {"sub": "old"}  # the previous key stays published
    km.rotate("RS256")  # a second rotation within one cache period is faster than BankID rotates:
    with pytest.raises(JoseError):
        verify(km.sign({"sub": "newer"}), jwks_before)  # that copy lacks the newest key (refetch on a kid miss)


def test_activate_after_puts_the_promotion_off(km: KeyManager, clock: FakeClock) -> None:
    first = roles(km, "ES256")
    promoted = km.rotate("ES256", activate_after=300)
    assert promoted == first["next"]
    rows = {r["kid"]: r for r in km.list_keys() if r["alg"] == "ES256"}
    assert rows[promoted]["state"] == "next" and rows[promoted]["activates_at"] == T0 + 300
    assert rows[first["current"]]["state"] == "current"
    assert header_kid(km.sign({"sub": "x"}, "ES256")) == first["current"]
    assert rows[first["previous"]]["state"] == "retiring" and rows[first["previous"]]["retires_at"] == T0 + 300
    clock.advance(300)
    after = roles(km, "ES256")
    assert (after["previous"], after["current"]) == (first["current"], promoted)
    assert header_kid(km.sign({"sub": "x"}, "ES256")) == promoted


def test_rotate_while_a_promotion_is_pending(km: KeyManager, clock: FakeClock) -> None:
    first = roles(km, "ES256")
    pending = km.rotate("ES256", activate_after=300)  # would sign from T0+300
    clock.advance(10)
    now_kid = km.rotate("ES256", activate_after=0)  # the pending promotion happens now, then this one
    assert header_kid(km.sign({"sub": "x"}, "ES256")) == now_kid
    states = {r["kid"]: r for r in km.list_keys() if r["alg"] == "ES256"}
    assert states[pending]["state"] == "previous" and states[now_kid]["state"] == "current"
    assert states[first["current"]]["state"] == "retiring"
    assert states[first["current"]]["retires_at"] == T0 + 10 + km.rotation_grace
    new_ec = next(k for k in km.jwks()["keys"] if k["kid"] == now_kid)
    leaf = x509.load_der_x509_certificate(base64.b64decode(new_ec["x5c"][0]))
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(km.ca_certificate_pem()))
    # kids are never reused and nothing is overwritten; a retired key's PEM is pruned at the rotation
    listed = km.list_keys()
    pems = {p.removesuffix(".pem") for p in key_pems(km.keys_dir)}
    assert {r["kid"] for r in listed if r["state"] != "retired"} <= pems
    assert not pems & {r["kid"] for r in listed if r["state"] == "retired"}


def test_restart_after_rotation_keeps_the_set(tmp_path: Path, clock: FakeClock) -> None:
    km = KeyManager(tmp_path / "keys", clock)
    km.rotate("RS256")
    jwks, listing = km.jwks(), km.list_keys()
    again = KeyManager(tmp_path / "keys", clock)  # a restart
    again.ensure()
    assert again.jwks() == jwks and again.list_keys() == listing
    assert header_kid(again.sign({"sub": "x"})) == roles(km, "RS256")["current"]


def test_a_key_dir_of_an_older_version_gets_its_next_key(tmp_path: Path, clock: FakeClock) -> None:
    """Format 1 (one key per alg, activation times always set) upgrades on first start: the signing
    key keeps signing, a next key is published, and the first rotation brings a previous."""
    km = KeyManager(tmp_path / "keys", clock)
    km.ensure()
    doc = json.loads(km.state_path.read_text())
    current = {alg: roles(km, alg)["current"] for alg in ("RS256", "ES256")}
    doc["format"] = 1
    doc["keys"] = [k for k in doc["keys"] if k["kid"] in current.values()]
    for k in doc["keys"]:
        k["seq"] = 1 if k["alg"] == "RS256" else 2
    km.state_path.write_text(json.dumps(doc))
    for pem in key_pems(km.keys_dir):
        if pem.removesuffix(".pem") not in current.values():
            (km.keys_dir / pem).unlink()

    old = KeyManager(tmp_path / "keys", clock)
    assert {r["state"] for r in old.list_keys()} == {"current", "next"}  # first use upgrades
    for alg in ("RS256", "ES256"):
        assert roles(old, alg)["current"] == current[alg]
        assert header_kid(old.sign({"sub": "x"}, alg)) == current[alg]
    assert json.loads(old.state_path.read_text())["format"] == 2
    promoted = old.rotate("RS256")
    assert roles(old, "RS256")["previous"] == current["RS256"] and roles(old, "RS256")["current"] == promoted


def _rotate_in_child(keys_dir: str) -> None:
    KeyManager(Path(keys_dir)).rotate("RS256", activate_after=0)


@pytest.mark.forks
def test_rotation_in_another_process_is_picked_up(tmp_path: Path) -> None:
    km = KeyManager(tmp_path / "keys")  # real clock, like a gunicorn worker
    km.ensure()
    old = header_kid(km.sign({"sub": "x"}))
    assert old in kids(km.jwks())
    child = multiprocessing.get_context("fork").Process(target=_rotate_in_child, args=(str(km.keys_dir),))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    new = header_kid(km.sign({"sub": "x"}))  # the same object, no restart
    assert new != old
    assert {old, new} <= kids(km.jwks())


def _ensure_in_child(keys_dir: str, barrier, queue) -> None:
    barrier.wait(30)
    km = KeyManager(Path(keys_dir))
    km.ensure()
    queue.put(sorted(r["kid"] for r in km.list_keys()))


@pytest.mark.forks
def test_concurrent_ensure_creates_one_key_set(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    keys_dir = tmp_path / "keys"
    barrier, queue = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_ensure_in_child, args=(str(keys_dir), barrier, queue)) for _ in range(6)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert len(results[0]) == 6
    assert all(r == results[0] for r in results), results
    assert key_pems(keys_dir) == sorted(f"{kid}.pem" for kid in results[0])
    assert len(json.loads((keys_dir / "keys.json").read_text())["keys"]) == 6
    assert not [p for p in keys_dir.iterdir() if p.name.endswith(".tmp")]


# --- CLI -------------------------------------------------------------------------------------------


def test_cli_list_rotate_ca(tmp_path: Path) -> None:
    runner = CliRunner()
    d = str(tmp_path / "keys")
    result = runner.invoke(cli, ["keys", "list", "--keys-dir", d])
    assert result.exit_code == 0, result.output
    km = KeyManager(Path(d))
    for row in km.list_keys():
        assert row["kid"] in result.output

    result = runner.invoke(cli, ["keys", "list", "--json", "--keys-dir", d])
    assert result.exit_code == 0
    assert [r["kid"] for r in json.loads(result.stdout)] == [r["kid"] for r in km.list_keys()]

    result = runner.invoke(cli, ["keys", "rotate", "--alg", "ES256", "--activate-after", "0", "--keys-dir", d])
    assert result.exit_code == 0, result.output
    new = result.stdout.splitlines()[0]
    assert "signs from" in result.stdout
    assert header_kid(km.sign({"sub": "x"}, "ES256")) == new

    assert "published as the new next key" in result.stdout and "is the previous key" in result.stdout
    result = runner.invoke(cli, ["keys", "rotate", "--activate-after", "300", "--keys-dir", d])
    assert result.exit_code == 0 and "stays published until" in result.stdout
    assert {r["kid"]: r["state"] for r in km.list_keys()}[result.stdout.splitlines()[0]] == "next"

    result = runner.invoke(cli, ["keys", "ca", "--keys-dir", d])
    assert result.exit_code == 0 and result.stdout.encode() == km.ca_certificate_pem()
    result = runner.invoke(cli, ["keys", "ca", "--path", "--keys-dir", d])
    assert result.stdout.strip() == str(km.ca_certificate_path)


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    result = runner.invoke(cli, ["keys", "list", "--keys-dir", str(not_a_dir)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # handled, not a crash
    assert result.output.strip().splitlines() == [f"Error: keys dir {not_a_dir} is not a directory"]
    result = runner.invoke(cli, ["keys", "rotate", "--alg", "HS256", "--keys-dir", str(tmp_path / "k")])
    assert result.exit_code == 2 and "Traceback" not in result.output


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.run(
        [sys.executable, "-m", "mock_bankid.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.forks
def test_cli_in_a_real_process(tmp_path: Path) -> None:
    d = tmp_path / "keys"
    proc = _run_cli("keys", "list", "--keys-dir", str(d))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for row in KeyManager(d).list_keys():
        assert row["kid"] in proc.stdout and row["state"] in {"previous", "current", "next"}

    bad = _run_cli("keys", "list", "--keys-dir", str(d / "keys.json"))
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_rotating_again_and_again_keeps_the_keys_directory_bounded(km: KeyManager, clock: FakeClock) -> None:
    """Issue 12.9: every rotation added a PEM file that was never removed."""
    km.ensure()
    for _ in range(12):
        km.rotate("ES256", activate_after=0)
        clock.advance(km.rotation_grace + 1)  # the previous key's grace period passes
    km.rotate("ES256", activate_after=0)
    pems = sorted(p.name for p in km.keys_dir.glob("*.pem") if not p.name.startswith("ca."))
    live = [r for r in km.list_keys() if r["state"] != "retired"]
    assert len(pems) == len(live) <= 6, pems  # previous, current and next of each algorithm
    retired = [r for r in km.list_keys() if r["state"] == "retired" and r["alg"] == "ES256"]
    assert len(retired) == keys_module.KEEP_RETIRED
    assert {r["kid"] for r in live} <= {p.removesuffix(".pem") for p in pems}
    token = km.sign({"sub": "x"}, "ES256")
    assert token.count(".") == 2


def test_the_rotation_state_machine_needs_no_keys_or_files() -> None:
    """rotation.py decides states from records and a time alone: the timeline of docs/keys.md."""
    from mock_bankid.keys.rotation import Entry, listing, missing, plan_rotation, published, signer

    prev = Entry("prev", "RS256", 1, created=0.0, activates_at=0.0, retires_at=None, jwk={})
    cur = Entry("cur", "RS256", 2, created=0.0, activates_at=0.0, retires_at=None, jwk={})
    nxt = Entry("nxt", "RS256", 3, created=0.0, activates_at=None, retires_at=None, jwk={})
    es = Entry("es", "ES256", 4, created=0.0, activates_at=0.0, retires_at=None, jwk={})
    before = [prev, cur, nxt, es]
    assert missing(before, "RS256", 50.0) == () and missing(before, "ES256", 50.0) == ("next",)
    assert missing([], "RS256", 0.0) == ("previous", "current", "next")
    assert signer(before, "RS256", -10.0).kid == "cur"  # a clock moved back: still the current key

    after = plan_rotation(before, "RS256", now=100.0, activates_at=400.0, grace=300.0)
    assert nxt.activates_at is None  # the records passed in are not changed
    new = Entry("new", "RS256", 5, created=100.0, activates_at=None, retires_at=None, jwk={})
    entries = [*after, new]

    def states(now: float) -> dict[str, str]:
        return {row["kid"]: row["state"] for row in listing(entries, now) if row["alg"] == "RS256"}

    assert states(100.0) == {"prev": "retiring", "cur": "current", "nxt": "next", "new": "next"}
    assert states(400.0) == {"prev": "retired", "cur": "previous", "nxt": "current", "new": "next"}
    assert [e.kid for e in published(entries, 500.0)] == ["cur", "nxt", "new", "es"]
    assert signer(entries, "RS256", 399.0).kid == "cur"
    # rotating again before "nxt" activates: it signs from now, and "new" is promoted
    again = plan_rotation(entries, "RS256", now=200.0, activates_at=200.0, grace=300.0)
    assert {e.kid: (e.activates_at, e.retires_at) for e in again if e.alg == "RS256"} == {
        "prev": (0.0, 400.0), "cur": (0.0, 500.0), "nxt": (200.0, None), "new": (200.0, None)}
    with pytest.raises(LookupError):
        plan_rotation([es], "ES256", now=0.0, activates_at=0.0, grace=300.0)  # no next key to promote


def test_the_timeline_answers_as_the_rotation_functions_at_every_time() -> None:
    """``Timeline`` computes once per stretch between key times: never a stale answer across one,
    in either direction (the mock's clock can be moved back), at the boundaries themselves too."""
    from mock_bankid.keys.rotation import ALGORITHMS, Entry, Timeline, complete, plan_rotation, published, signer

    first = [Entry("prev", "RS256", 1, 0.0, 0.0, None, {}), Entry("cur", "RS256", 2, 0.0, 0.0, None, {}),
             Entry("nxt", "RS256", 3, 0.0, None, None, {}), Entry("es", "ES256", 4, 0.0, 0.0, None, {})]
    entries = [*plan_rotation(first, "RS256", now=100.0, activates_at=400.0, grace=300.0),
               Entry("new", "RS256", 5, 100.0, None, None, {})]
    timeline = Timeline(entries)
    times = [-50.0, 0.0, 99.9, 100.0, 399.999, 400.0, 400.001, 700.0, 1e9, 250.0, 400.0, -1.0, 400.0, 399.0]
    for now in times:
        moment = timeline.at(now)
        assert moment.published == tuple(e.kid for e in published(entries, now)), now
        assert moment.complete == complete(entries, now), now
        for alg in ALGORITHMS:
            assert moment.signers[alg] is signer(entries, alg, now), (now, alg)
    assert timeline.at(399.0).signers["RS256"].kid == "cur" and timeline.at(400.0).signers["RS256"].kid == "nxt"
