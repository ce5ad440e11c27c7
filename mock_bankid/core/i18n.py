"""Page texts in Norwegian Bokmål, Nynorsk and English, chosen by ``ui_locales``."""

from __future__ import annotations

DEFAULT_LOCALE = "nb"
ALIASES = {"no": "nb", "nb-no": "nb", "nn-no": "nn", "en-gb": "en", "en-us": "en"}

TEXTS: dict[str, dict[str, str]] = {
    "nb": {
        "mock_banner": "MOCK – dette er ikke BankID. Kun for utvikling og testing; ingen ekte identitet.",
        "title": "Logg inn med BankID (mock)",
        "signing_in_to": "Du logger inn hos",
        "approve_title": "Godkjenn betaling",
        "approve_hint": "Velg hvem som godkjenner under; Avbryt avviser betalingen.",
        "adults": "Voksne",
        "minors": "Under 18",
        "edge": "Spesialtilfeller",
        "malformed": "Ugyldige fødselsnummer",
        "age": "alder",
        "years": "år",
        "any_number": "Logg inn med et hvilket som helst fødselsnummer (også ugyldige)",
        "invalid": "ugyldig",
        "number_label": "Fødselsnummer",
        "sign_in": "Logg inn",
        "cancel": "Avbryt",
        "error_title": "Noe gikk galt",
        "error_help": (
            "Forespørselen kan ikke sendes tilbake til tjenesten, fordi klienten eller adressen ikke er registrert."
        ),
        "continue": "Fortsett",
        "qa_panel": "QA: scenario for denne innloggingen",
        "no_scenario": "(ingen)",
        "logged_out": "Du er logget ut av BankID (mock).",
        "search": "Søk",
        "search_label": "Finn en person",
        "search_hint": "navn, id, nummer, alder …",
        "search_clear": "Vis alle",
        "search_none": "Ingen treff.",
        "consent": "Samtykke: del dette med tjenesten (fjern haken for å nekte)",
    },
    "nn": {
        "mock_banner": "MOCK – dette er ikkje BankID. Berre for utvikling og testing; inga ekte identitet.",
        "title": "Logg inn med BankID (mock)",
        "signing_in_to": "Du loggar inn hos",
        "approve_title": "Godkjenn betaling",
        "approve_hint": "Vel kven som godkjenner under; Avbryt avviser betalinga.",
        "adults": "Vaksne",
        "minors": "Under 18",
        "edge": "Spesialtilfelle",
        "malformed": "Ugyldige fødselsnummer",
        "age": "alder",
        "years": "år",
        "any_number": "Logg inn med kva fødselsnummer som helst (også ugyldige)",
        "invalid": "ugyldig",
        "number_label": "Fødselsnummer",
        "sign_in": "Logg inn",
        "cancel": "Avbryt",
        "error_title": "Noko gjekk gale",
        "error_help": (
            "Førespurnaden kan ikkje sendast tilbake til tenesta, fordi klienten eller adressa ikkje er registrert."
        ),
        "continue": "Hald fram",
        "qa_panel": "QA: scenario for denne innlogginga",
        "no_scenario": "(inga)",
        "logged_out": "Du er logga ut av BankID (mock).",
        "search": "Søk",
        "search_label": "Finn ein person",
        "search_hint": "namn, id, nummer, alder …",
        "search_clear": "Vis alle",
        "search_none": "Ingen treff.",
        "consent": "Samtykke: del dette med tenesta (fjern haken for å nekte)",
    },
    "en": {
        "mock_banner": "MOCK – this is not BankID. For development and testing only; no real identity.",
        "title": "Sign in with BankID (mock)",
        "signing_in_to": "You are signing in to",
        "approve_title": "Approve payment",
        "approve_hint": "Choose who approves below; Cancel refuses the payment.",
        "adults": "Adults",
        "minors": "Under 18",
        "edge": "Edge cases",
        "malformed": "Malformed national identity numbers",
        "age": "age",
        "years": "years",
        "any_number": "Sign in with any national identity number (invalid ones too)",
        "invalid": "invalid",
        "number_label": "National identity number",
        "sign_in": "Sign in",
        "cancel": "Cancel",
        "error_title": "Something went wrong",
        "error_help": (
            "The request cannot be sent back to the service, because the client or its address is not registered."
        ),
        "continue": "Continue",
        "qa_panel": "QA: scenario for this sign-in",
        "no_scenario": "(none)",
        "logged_out": "You are signed out of BankID (mock).",
        "search": "Search",
        "search_label": "Find a persona",
        "search_hint": "name, id, number, age …",
        "search_clear": "Show all",
        "search_none": "No match.",
        "consent": "Consent: share this with the service (untick to refuse)",
    },
}


def pick_locale(ui_locales: str | None) -> str:
    """The first supported entry of a space-separated ``ui_locales``; ``no`` means Bokmål."""
    for tag in (ui_locales or "").lower().split():
        tag = ALIASES.get(tag, tag)
        if tag in TEXTS:
            return tag
        if tag.split("-")[0] in TEXTS:
            return tag.split("-")[0]
    return DEFAULT_LOCALE


PROVIDER_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "vipps": {
        "nb": {
            "mock_banner": "MOCK – dette er ikke Vipps. Kun for utvikling og testing; ingen ekte identitet.",
            "title": "Logg inn med Vipps (mock)",
            "logged_out": "Du er logget ut av Vipps (mock).",
            "consent_all": "Ved å logge inn deler du dette med tjenesten (alt eller ingenting; Avbryt for å nekte):",
            "any_number": "Logg inn med et hvilket som helst gyldig fødselsnummer eller D-nummer",
        },
        "nn": {
            "mock_banner": "MOCK – dette er ikkje Vipps. Berre for utvikling og testing; inga ekte identitet.",
            "title": "Logg inn med Vipps (mock)",
            "logged_out": "Du er logga ut av Vipps (mock).",
            "consent_all": "Når du loggar inn, deler du dette med tenesta (alt eller ingenting; Avbryt for å nekte):",
            "any_number": "Logg inn med kva gyldig fødselsnummer eller D-nummer som helst",
        },
        "en": {
            "mock_banner": "MOCK – this is not Vipps. For development and testing only; no real identity.",
            "title": "Sign in with Vipps (mock)",
            "logged_out": "You are signed out of Vipps (mock).",
            "consent_all": "Signing in shares this with the service (all or nothing; Cancel to refuse):",
            "any_number": "Sign in with any valid national identity number or D-number",
        },
    },
}
"""What a page says differently for another provider than BankID (its name; Vipps's all-or-none consent)."""


def texts(locale: str, provider: str = "bankid") -> dict[str, str]:
    found = TEXTS.get(locale, TEXTS[DEFAULT_LOCALE])
    other = PROVIDER_TEXTS.get(provider)
    if other is None:
        return found
    return {**found, **other.get(locale, other[DEFAULT_LOCALE])}
