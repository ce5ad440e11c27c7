"""The key files' helpers: atomic 0600 writes, and loading a private key this package wrote.

Apart from ``manager.py`` so the manager stays about keeping the key set; nothing here holds state.
"""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, RSAKey

from mock_bankid.keys import certs
from mock_bankid.keys.rotation import Entry, thumbprint_kid

KTY = {"RS256": "RSA", "ES256": "EC"}
KEY_CLASS: dict[str, type[RSAKey] | type[ECKey]] = {"RSA": RSAKey, "EC": ECKey}



def write_atomic(path: Path, data: bytes) -> None:
    certs.write_atomic(path, data, 0o600)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def utc(ts: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(ts, tz=_dt.UTC)


pem_private = certs.private_pem


def load_own_private_key(pem: bytes, entry: Entry, kid_of: Callable[[str], str] = thumbprint_kid) -> Key | None:
    """Parse a PEM this module wrote, as a joserfc key with kid/alg/use; None if it is not that key.

    cryptography's RSA key validation costs ~40 ms per load (joserfc's ``import_key`` always
    runs it), which every worker would pay on its first RS256 token and after every rotation.
    These files are our own (0600, written atomically), so the validation is skipped and replaced
    by two cheap checks: the public part must hash to the kid, and a test signature must verify.
    """
    native = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
    if entry.alg == "RS256" and not isinstance(native, rsa.RSAPrivateKey):
        return None
    if entry.alg == "ES256" and not (
        isinstance(native, ec.EllipticCurvePrivateKey) and isinstance(native.curve, ec.SECP256R1)
    ):
        return None
    cls = KEY_CLASS[KTY[entry.alg]]
    key = cls(native, native, {"kid": entry.kid, "alg": entry.alg, "use": "sig"})  # type: ignore[arg-type]
    if kid_of(key.thumbprint()) != entry.kid:
        return None
    probe = jwt.encode({"alg": entry.alg}, {"probe": entry.kid}, key, algorithms=[entry.alg])
    try:
        jwt.decode(probe, cls.import_key(entry.jwk), algorithms=[entry.alg])
    except JoseError:
        return None
    return key
