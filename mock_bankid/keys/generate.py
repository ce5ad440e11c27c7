"""Making keys: the mock CA, a new signing key with its ``x5c`` chain, the request-object encryption
key (call with the file lock held).

Apart from ``manager.py``, which keeps the key set; these only write new files.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from mock_bankid.keys import certs
from mock_bankid.keys.files import KEY_CLASS, KTY, b64url, pem_private, utc, write_atomic
from mock_bankid.keys.rotation import Entry, pem_name, thumbprint_kid

ENC_ALG = "RSA-OAEP-256"
"""BankID's request-object encryption keys are RSA with RSA-OAEP-256 (developer.bankid.no api/jwks)."""
ENC_KEY_FILE = "enc/key.pem"
ENC_JWK_FILE = "enc/jwk.json"
"""In a directory of their own: the encryption key is not one of the rotating signing keys' files."""
CA_KEY_FILE = "ca.key.pem"
CA_CERT_FILE = "ca.cert.pem"
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COMMON_NAME, "mock-bankid MOCK Utility CA (NOT BankID)"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mock-bankid test keys - NOT BankID"),
    ]
)
LEAF_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COMMON_NAME, "mock-bankid OIDC MOCK"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mock-bankid test keys - NOT BankID"),
    ]
)

_DAY = 86400.0


def ensure_ca(keys_dir: Path, now: float) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Load the mock CA, creating it if absent (call with the file lock held)."""
    key_path, cert_path = keys_dir / CA_KEY_FILE, keys_dir / CA_CERT_FILE
    if key_path.exists() and cert_path.exists():
        ca_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path} is not an EC private key")
        return ca_key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    ca_key, cert = certs.new_ca(CA_NAME, utc(now - _DAY), utc(now + 20 * 365 * _DAY))
    write_atomic(key_path, pem_private(ca_key))
    write_atomic(cert_path, certs.cert_pem(cert))
    return ca_key, cert


def new_key(
    keys_dir: Path,
    alg: str,
    entries: list[Entry],
    now: float,
    *,
    activates_at: float | None,
    ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None,
    kid_of: Callable[[str], str] = thumbprint_kid,
) -> Entry:
    """Generate a key, write its PEM, and return its entry (call with the file lock held)."""
    native: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if alg == "RS256":
        native = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        native = ec.generate_private_key(ec.SECP256R1())
    pem = pem_private(native)
    key = KEY_CLASS[KTY[alg]].import_key(pem)
    kid = kid_of(key.thumbprint())
    if any(e.kid == kid for e in entries):  # pragma: no cover - 2^-128
        raise ValueError("generated a key whose kid already exists; try again")
    public = {k: v for k, v in key.as_dict(private=False).items() if k not in PRIVATE_MEMBERS}
    jwk: dict[str, Any] = {"kid": kid, "kty": public.pop("kty"), "use": "sig", "alg": alg, **public}
    if ca is not None:  # every key carries its chain (BankID: "the certificate chain is available in ... x5c")
        leaf = issue_leaf(native.public_key(), ca, now)
        leaf_der = leaf.public_bytes(serialization.Encoding.DER)
        ca_der = ca[1].public_bytes(serialization.Encoding.DER)
        jwk["x5c"] = [base64.b64encode(leaf_der).decode("ascii"), base64.b64encode(ca_der).decode("ascii")]
        # RFC 7517 4.8: x5t is the SHA-1 thumbprint by definition (x5t#S256 is the SHA-256 one)
        jwk["x5t"] = b64url(hashlib.sha1(leaf_der, usedforsecurity=False).digest())
        jwk["x5t#S256"] = b64url(hashlib.sha256(leaf_der).digest())
    write_atomic(keys_dir / pem_name(kid), pem)
    return Entry(
        kid=kid,
        alg=alg,
        seq=max((e.seq for e in entries), default=0) + 1,
        created=now,
        activates_at=activates_at,
        retires_at=None,
        jwk=jwk,
    )


def issue_leaf(
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
    now: float,
) -> x509.Certificate:
    return certs.issue(ca, public_key, LEAF_NAME, utc(now - _DAY), utc(now + 10 * 365 * _DAY))



def ensure_encryption_key(keys_dir: Path, now: float,
                          ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]) -> dict[str, Any]:
    """The public JWK (``use: enc``, ``alg: RSA-OAEP-256``, with its ``x5c``) of the one request-object
    encryption key, creating it if absent (call with the file lock held).

    One fixed key, not rotated: BankID's rotation schedule is about its signing keys ("three sig keys
    for each algorithm"), and nothing is encrypted to this key until request objects (PAR) are read.
    """
    key_path, jwk_path = keys_dir / ENC_KEY_FILE, keys_dir / ENC_JWK_FILE
    if key_path.exists() and jwk_path.exists():
        return dict(json.loads(jwk_path.read_text(encoding="utf-8")))
    key_path.parent.mkdir(mode=0o700, exist_ok=True)
    native = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = pem_private(native)
    key = KEY_CLASS["RSA"].import_key(pem)
    public = {k: v for k, v in key.as_dict(private=False).items() if k not in PRIVATE_MEMBERS}
    jwk: dict[str, Any] = {"kid": key.thumbprint(), "kty": public.pop("kty"), "use": "enc", "alg": ENC_ALG, **public}
    leaf_der = issue_leaf(native.public_key(), ca, now).public_bytes(serialization.Encoding.DER)
    jwk["x5c"] = [base64.b64encode(leaf_der).decode("ascii"),
                  base64.b64encode(ca[1].public_bytes(serialization.Encoding.DER)).decode("ascii")]
    jwk["x5t"] = b64url(hashlib.sha1(leaf_der, usedforsecurity=False).digest())
    jwk["x5t#S256"] = b64url(hashlib.sha256(leaf_der).digest())
    write_atomic(key_path, pem)
    write_atomic(jwk_path, (json.dumps(jwk, indent=2) + "\n").encode("utf-8"))
    return jwk
