"""A local certificate authority and server certificate for ``mock-bankid serve --tls``.

Made once with ``cryptography`` and kept in ``<data_dir>/tls/`` so clients trust the CA file once
and keep trusting it across restarts. Creation runs under a file lock, so two servers started
together on one data directory end up with the same files. The server certificate is re-issued
(by the same CA) when the host names it must cover change, e.g. a new ``MOCK_BANKID_BASE_URL``.

Files::

    tls/ca.pem          the CA certificate: give this to clients (NODE_EXTRA_CA_CERTS, verify=...)
    tls/ca-key.pem      the CA's private key (0600); never leaves the data directory
    tls/server.pem      the server certificate (SANs: localhost, 127.0.0.1, ::1, the base URL host)
    tls/server-key.pem  its private key (0600)
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from filelock import FileLock

from mock_bankid.core.private_files import private_dir
from mock_bankid.keys import certs

TLS_DIRNAME = "tls"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
CA_DAYS = 3650
SERVER_DAYS = 825  # the most Apple platforms accept for a TLS server certificate
RENEW_BEFORE = _dt.timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    """Where gunicorn finds its certificate and key, and which CA clients should trust."""

    cert: Path
    key: Path
    ca: Path | None
    """None when the user gave their own certificate: their CA is theirs to distribute."""


def hosts_for(*urls: str, extra: Iterable[str] = ()) -> list[str]:
    """The names the server certificate must cover: loopback, the hosts of ``urls``, ``extra``."""
    hosts = list(DEFAULT_HOSTS)
    for url in urls:
        host = urlsplit(url).hostname if url else None
        if host:
            hosts.append(host)
    hosts.extend(h for h in extra if h)
    return list(dict.fromkeys(h.strip("[]").lower() for h in hosts))


def ensure_local_tls(data_dir: Path, hosts: Iterable[str]) -> TlsFiles:
    """Create (once) the local CA and a server certificate covering ``hosts``; return their paths."""
    tls_dir = Path(data_dir) / TLS_DIRNAME
    private_dir(tls_dir.parent)
    private_dir(tls_dir)
    wanted = list(dict.fromkeys(hosts))
    ca_path = tls_dir / "ca.pem"
    files = TlsFiles(cert=tls_dir / "server.pem", key=tls_dir / "server-key.pem", ca=ca_path)
    with FileLock(str(tls_dir / ".lock"), mode=0o600):
        ca_key_path = tls_dir / "ca-key.pem"
        if not (ca_path.exists() and ca_key_path.exists()):
            now = _now()
            ca_key, ca_cert = certs.new_ca(CA_NAME, now - _dt.timedelta(minutes=5), now + _dt.timedelta(days=CA_DAYS))
            certs.write_atomic(ca_key_path, certs.private_pem(ca_key), 0o600)
            certs.write_atomic(ca_path, certs.cert_pem(ca_cert), 0o644)
        if not _server_cert_ok(files, wanted):
            loaded = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{ca_key_path} is not the EC key of the local CA; remove {tls_dir} to start over")
            ca_cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
            key, cert = _make_server_cert(loaded, ca_cert, wanted)
            certs.write_atomic(files.key, certs.private_pem(key), 0o600)
            certs.write_atomic(files.cert, certs.cert_pem(cert), 0o644)
    return files


def certificate_names(cert_path: Path) -> list[str]:
    """The DNS names and IP addresses a certificate's SAN extension lists."""
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*san.get_values_for_type(x509.DNSName), *(str(ip) for ip in san.get_values_for_type(x509.IPAddress))]


# --- internals -------------------------------------------------------------------------------
def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


CA_NAME = x509.Name([
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mock-bankid (NOT FOR PRODUCTION)"),
    x509.NameAttribute(NameOID.COMMON_NAME, "mock-bankid local CA"),
])


def _san(hosts: Iterable[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _make_server_cert(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate,
                      hosts: list[str]) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = certs.issue(
        (ca_key, ca_cert), key.public_key(), x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]),
        now - _dt.timedelta(minutes=5), now + _dt.timedelta(days=SERVER_DAYS),
        extensions=(_san(hosts), x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])),
    )
    return key, cert


def _server_cert_ok(files: TlsFiles, hosts: list[str]) -> bool:
    """Keep the certificate if it exists, is signed by our CA, covers ``hosts`` and is not expiring."""
    if not (files.cert.exists() and files.key.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        ca = x509.load_pem_x509_certificate(files.ca.read_bytes())  # type: ignore[union-attr]
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, Exception):  # noqa: BLE001 - anything odd: issue a new one
        return False
    if cert.not_valid_after_utc - RENEW_BEFORE < _now():
        return False
    covered = {n.lower() for n in certificate_names(files.cert)}
    return all(h.lower() in covered for h in hosts)
