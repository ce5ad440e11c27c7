"""The console's texts in Norwegian Bokmål and English (the login page's own are in ``i18n.py``).

The language is chosen as the login page chooses it (``ui_locales``, ``pick_locale``); Nynorsk
readers get the Bokmål console. Protocol names (``nonce``, ``at_hash``) stay as the specs spell them.
"""

from __future__ import annotations

from mock_bankid.core.i18n import texts as login_texts
from mock_bankid.endpoints.console.texts_en import EN
from mock_bankid.endpoints.console.texts_nb import NB

TEXTS = {"nb": NB, "en": EN}


def console_texts(locale: str) -> dict[str, str]:
    """The console's texts plus the login page's (the banner and titles ``base.html`` shows)."""
    return {**login_texts(locale), **TEXTS.get(locale, NB)}
