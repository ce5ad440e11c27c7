"""BankID's legacy ``login_hint`` method selectors: which IDP (sign-in method) a hint asks for.

BankID documents ``login_hint`` as a way to choose the method "for legacy reasons" (``acr_values``
is the recommended one, and wins here when it names a supported IDP):

=====================================  ==========================================================
``BID``, ``BID:<nnin>``                BankID High, ``urn:bankid:bid`` (acr ``...bid;LOA=4``)
``BIS``                                BankID biometrics, ``urn:bankid:bis`` (acr ``...bis;LOA=3``)
``BIM``, ``BIM:<phone>:<ddmmyy>``      BankID on mobile; that service is retired and BankID's
                                       current IDP table has no BIM entry, so the mock signs in
                                       with BankID High (an assumption, see docs/differences.md)
``:<nnin>``, empty                     no method chosen (BankID's selector), so the default
=====================================  ==========================================================

Auth.js's ``bankid-no`` provider sends ``login_hint=BIS`` by default, so an app that gates on
LOA 4 must see ``urn:bankid:bis;LOA=3`` here as it would at BankID. Who signs in (persona ids,
numbers after the prefix, recipes) is the personas' business (``Personas.resolve``), not this
module's: those are mock-only additions.
"""

from __future__ import annotations

import re

from mock_bankid.bankid.claims import IDPS

METHOD_SELECTORS: dict[str, str] = {
    "BID": "urn:bankid:bid",
    "BIS": "urn:bankid:bis",
    "BIM": "urn:bankid:bid",
}
"""Selector (the part before the first ``:``) -> the ``acr_values`` value it stands for."""

_SELECTOR = re.compile(r"\s*([A-Za-z]{3})\s*(?::|$)")


def hinted_acr_value(login_hint: str | None) -> str | None:
    """The ``acr_values`` value a ``login_hint`` method selector asks for, or None."""
    m = _SELECTOR.match(login_hint or "")
    return METHOD_SELECTORS.get(m[1].upper()) if m else None


def requested_acr_values(acr_values: str | None, login_hint: str | None) -> str | None:
    """What the request asks for: ``acr_values`` if it names a supported IDP, else the hint's method."""
    if acr_values and any(value in IDPS for value in acr_values.split()):
        return acr_values
    return hinted_acr_value(login_hint) or acr_values
