"""Serving pieces at unit level: request log, readiness, back-channel discovery, banner, bind policy, TLS files."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import click
import pytest
from cryptography import x509
from rp import FlaskRP

from mock_bankid.app import create_app
from mock_bankid.cli.health import health_url
from mock_bankid.cli.serve import banner, default_base_url, default_workers, is_loopback, resolve_tls
from mock_bankid.core.settings import Settings
from mock_bankid.keys.tls import TlsFiles, certificate_names, ensure_local_tls, hosts_for


# --- request log -----------------------------------------------------------------------------
def test_one_log_line_per_request_with_client_id_and_no_secrets(settings: Settings, caplog) -> None:
    rp = FlaskRP(create_app(settings.with_(log_requests=True)).test_client(), scope="openid",
                 state="state-SECRET", nonce="nonce-SECRET")
    caplog.set_level(logging.INFO, logger="mock_bankid")
    authz = rp.authorize()
    code, verifier = authz.code, authz.verifier
    assert rp.redeem(authz).status_code == 200
    basic = base64.b64encode(b"ci:ci-secret").decode()
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "mock_bankid"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /auth/realms/current/precheck/auth 302 ") and lines[0].endswith("client=ci")
    assert lines[1].startswith("POST /auth/realms/current/protocol/openid-connect/token 200 ")
    assert lines[1].endswith("client=ci")  # from HTTP Basic
    text = "\n".join(lines)
    for secret in ("ci-secret", "SECRET", code, verifier, basic):
        assert secret not in text


# --- readiness ---------------------------------------------------------------------------------
def test_ready_checks_store_and_keys(client, provider, monkeypatch) -> None:
    assert client.get("/_mock/health").json == {"status": "ok", "mock": True}
    r = client.get("/_mock/ready")
    assert r.status_code == 200 and r.json["checks"] == {"store": "ok", "keys": "ok"}

    def broken() -> None:
        raise ConnectionError("store is down")

    monkeypatch.setattr(provider.store, "ping", broken)
    r = client.get("/_mock/ready")
    assert r.status_code == 503 and r.json["status"] == "unavailable"
    assert r.json["checks"]["store"] == "failed: store is down" and r.json["checks"]["keys"] == "ok"
    assert client.get("/_mock/health").status_code == 200  # liveness does not depend on the store


# --- browser and back-channel URLs ---------------------------------------------------------
def test_backchannel_base_serves_server_endpoints_with_one_issuer(settings: Settings) -> None:
    s = settings.with_(base_url="http://localhost:8080", backchannel_base_url="http://mock-bankid:8080")
    doc = create_app(s).test_client().get("/auth/realms/current/.well-known/openid-configuration").json
    assert doc["issuer"] == "http://localhost:8080/auth/realms/current"
    assert doc["authorization_endpoint"].startswith("http://localhost:8080/auth/realms/current/")
    for key in ("token_endpoint", "jwks_uri", "userinfo_endpoint"):
        assert doc[key].startswith("http://mock-bankid:8080/"), key


# --- serve: banner, workers, bind policy -------------------------------------------------------
def test_banner_names_issuer_discovery_data_keys_and_warns(tmp_path: Path) -> None:
    s = Settings(base_url="https://localhost:8443", data_dir=tmp_path / "data", keys_dir=tmp_path / "keys", tls=True)
    tls = TlsFiles(cert=tmp_path / "c.pem", key=tmp_path / "k.pem", ca=tmp_path / "ca.pem")
    text = banner(s, 4, tls)
    for needle in ("NOT FOR PRODUCTION", "https://localhost:8443/auth/realms/current",
                   "https://localhost:8443/auth/realms/current/.well-known/openid-configuration",
                   str(tmp_path / "data"), str(tmp_path / "keys"), f"tls CA         {tmp_path / 'ca.pem'}",
                   "4 workers"):
        assert needle in text
    plain = banner(s.with_(base_url="http://localhost:8080", tls=False), 2)
    assert "tls CA" not in plain and "listening      http://" in plain


def test_default_workers_and_bind_policy() -> None:
    assert 2 <= default_workers() <= 8
    assert all(is_loopback(h) for h in ("127.0.0.1", "::1", "[::1]", "localhost", "127.5.0.1"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.com"))
    assert default_base_url("https", "127.0.0.1", 9443) == "https://localhost:9443"
    assert default_base_url("http", "0.0.0.0", 8080) == "http://localhost:8080"


def test_health_url_follows_port_base_path_and_tls() -> None:
    assert health_url(Settings(port=9000)) == "http://127.0.0.1:9000/_mock/health"
    s = Settings(host="0.0.0.0", port=8443, base_url="https://mock.test/bankid", tls=True)
    assert health_url(s, ready=True) == "https://127.0.0.1:8443/bankid/_mock/ready"


# --- TLS files ---------------------------------------------------------------------------------
def test_local_ca_is_made_once_and_covers_loopback_and_the_base_host(tmp_path: Path) -> None:
    hosts = hosts_for("https://localhost:8443", "https://mock-bankid.test:8443", "")
    assert hosts == ["localhost", "127.0.0.1", "::1", "mock-bankid.test"]
    files = ensure_local_tls(tmp_path, hosts)
    assert set(certificate_names(files.cert)) == set(hosts)
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    x509.load_pem_x509_certificate(files.cert.read_bytes()).verify_directly_issued_by(ca)
    assert oct(files.key.stat().st_mode & 0o777) == "0o600"
    before = (files.ca.read_bytes(), files.cert.read_bytes(), files.key.read_bytes())
    assert ensure_local_tls(tmp_path, hosts) == files
    assert (files.ca.read_bytes(), files.cert.read_bytes(), files.key.read_bytes()) == before  # kept

    ensure_local_tls(tmp_path, hosts_for("https://other.test"))  # a new name: new server cert, same CA
    assert files.ca.read_bytes() == before[0] and files.cert.read_bytes() != before[1]
    assert "other.test" in certificate_names(files.cert)


def test_given_cert_and_key_are_used_as_is(tmp_path: Path) -> None:
    made = ensure_local_tls(tmp_path / "elsewhere", hosts_for("https://localhost"))
    s = Settings(data_dir=tmp_path / "data", tls_cert=str(made.cert), tls_key=str(made.key))
    assert resolve_tls(s) == TlsFiles(cert=made.cert, key=made.key, ca=None)
    assert not (tmp_path / "data").exists()
    with pytest.raises(click.ClickException, match="go together"):
        resolve_tls(s.with_(tls_key=""))
    with pytest.raises(click.ClickException, match="not found"):
        resolve_tls(s.with_(tls_cert=str(tmp_path / "missing.pem")))
    assert resolve_tls(Settings(data_dir=tmp_path / "data")) is None
