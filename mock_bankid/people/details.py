"""The deterministic details of a person: names, e-mail, phone, address (Faker), ``sub`` and ``bankid_altsub``.

Faker (``no_NO``) supplies names, addresses and phone numbers only, seeded from a key (a persona's
id, or its number) through hashlib, so a persona is the same person every day and in every
process. Numbers and dates never come from here: they come from ``mock_bankid.people.nnin``.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
import uuid
from typing import TYPE_CHECKING, Any

from mock_bankid.people import nnin

if TYPE_CHECKING:
    from faker import Faker

NAMESPACE = uuid.UUID("6f1c3c1e-5b1a-5d7e-9a51-6d6f636b2d62")
"""Fixed namespace for persona ``sub`` values (uuid5), so they never change between runs."""
ALTSUB_PREFIX = "9578-6000-4-"
EMAIL_DOMAIN = "example.com"
"""Reserved for documentation (RFC 2606): no real person can be mailed by accident."""


def hash_int(key: str, salt: str = "") -> int:
    """A stable integer for a key (``hash()`` is randomised per process, so use sha256)."""
    return int.from_bytes(hashlib.sha256(f"mock-bankid:{salt}:{key}".encode()).digest()[:8], "big")


def hash_gender(key: str) -> str:
    return nnin.GENDERS[hash_int(key, "gender") % 2]


_faker: Faker | None = None
_faker_lock = threading.Lock()


def _get_faker() -> Faker:
    global _faker
    if _faker is None:
        from faker import (
            Faker,  # imported late: it takes a moment, and only personas need it
        )

        _faker = Faker("no_NO")  # nb_NO / nn_NO do not exist in Faker
    return _faker


_TRANSLIT = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "å": "aa", "Å": "Aa", "ß": "ss"})


def ascii_fold(text: str) -> str:
    """'Bjørn Ødegård' -> 'Bjorn Odegaard': Norwegian letters transliterated, other accents dropped."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    return "".join(c for c in text if not unicodedata.combining(c)).encode("ascii", "ignore").decode()


def person_details(seed_key: str, gender: str, given_name: str | None = None,
                   family_name: str | None = None) -> dict[str, Any]:
    """Names, e-mail, phone and address for a seed key: the same key gives the same person.

    The address has every part either provider names: BankID's ``locality`` and Vipps's ``region``
    are both the town (*poststed*); each provider's claims pick their own keys.

    Names are built from ``first_name_male/female`` + ``last_name`` because ``no_NO`` has no
    gendered name formats (``name_male()`` returns women's names about half the time). Phone
    numbers are Norwegian mobiles (+47, 8 digits starting 4 or 9): Faker's own formats include
    numbers starting 0 or 1, which do not exist.
    """
    with _faker_lock:
        fake = _get_faker()
        fake.seed_instance(hash_int(seed_key, "faker"))
        given = fake.first_name_male() if gender == "male" else fake.first_name_female()
        family = fake.last_name()
        street, postcode, city = fake.street_address(), fake.postcode(), fake.city()
        rnd = fake.random
        phone = "+47" + rnd.choice("49") + "".join(str(rnd.randrange(10)) for _ in range(7))
    given = given_name or given
    family = family_name or family
    local = re.sub(r"[^a-z0-9.-]+", "", ascii_fold(f"{given}.{family}").lower().replace(" ", "."))
    email = f"{local}{hash_int(seed_key, 'email') % 1000:03d}@{EMAIL_DOMAIN}"
    return {
        "given_name": given, "family_name": family, "email": email, "phone_number": phone,
        "address": {
            "formatted": f"{street}\n{postcode} {city}",
            "street_address": street, "postal_code": postcode, "locality": city, "region": city,
            "country": "NO",
        },
    }


def stable_sub(key: str) -> str:
    """``sub``: a uuid5 of a fixed namespace, so it survives restarts and machines."""
    return str(uuid.uuid5(NAMESPACE, key))


def stable_altsub(key: str) -> str:
    """``bankid_altsub`` in BankID's shape (``9578-6000-4-470125``), derived from the key."""
    return f"{ALTSUB_PREFIX}{100000 + hash_int(key, 'altsub') % 9_900_000}"
