"""One error family, and every error_description within RFC 6749's character set.

RFC 6749 section 5.2 (and 4.1.2.1) allows only %x20-21 / %x23-5B / %x5D-7E in
``error_description``: printable ASCII without ``"`` and ``\\``. Two checks: every message
written in the source is already clean (so nothing relies on the constructor's clean-up), and
whatever a message quotes from the request still comes out clean at every surface.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import mock_bankid
from mock_bankid.core import errors
from mock_bankid.core.errors import DESCRIPTION_CHARS, InvalidRequest, OAuthError, clean_description

PACKAGE = Path(mock_bankid.__file__).parent
ERROR_CLASSES = {
    name for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, OAuthError)
}


def literal_parts(node: ast.expr) -> list[str]:
    """The literal text of a message argument: a string, an f-string's fixed parts, or ``a + b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    if isinstance(node, ast.BinOp):
        return literal_parts(node.left) + literal_parts(node.right)
    return []


def error_messages() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in ERROR_CLASSES and node.args:
                for text in literal_parts(node.args[0]):
                    found.append((str(path.relative_to(PACKAGE)), node.lineno, text))
    return found


def test_the_scan_finds_the_messages():
    messages = error_messages()
    assert len(messages) > 80  # a scan that finds nothing proves nothing
    assert any("PKCE verification failed" in text for _f, _l, text in messages)


def test_every_literal_error_message_is_within_the_rfc_character_set():
    bad = [f"{path}:{line}: {text!r}" for path, line, text in error_messages() if not DESCRIPTION_CHARS.fullmatch(text)]
    assert not bad, "error_description outside RFC 6749's character set:\n" + "\n".join(bad)


def test_untrusted_redirect_is_part_of_the_family():
    assert not hasattr(errors, "UntrustedRedirect")
    exc = InvalidRequest("x", untrusted=True)
    assert exc.untrusted and not exc.redirect
    assert InvalidRequest("x").redirect and not errors.SessionExpired("x").redirect


@given(st.text())
def test_the_constructor_keeps_any_description_within_the_set(text):
    for cls in (OAuthError, InvalidRequest, errors.InvalidToken):
        assert DESCRIPTION_CHARS.fullmatch(cls(text).description)
    assert DESCRIPTION_CHARS.fullmatch(clean_description(text))


def test_quoted_request_input_comes_out_clean_as_json(client):
    response = client.post("/auth/realms/current/protocol/openid-connect/token",
                           data={"grant_type": "authorization_code", "code": "x", "client_id": 'a"b\\c§ø\u2603'})
    body = response.get_json()
    assert response.status_code == 401 and body["error"] == "invalid_client"
    assert DESCRIPTION_CHARS.fullmatch(body["error_description"])
    assert "a'b" in body["error_description"]


def test_quoted_request_input_comes_out_clean_in_a_redirect(rp):
    answer = rp.authorize(scope="openid", login_hint='bad"hint§\u00e6')
    assert answer.status == 302
    assert answer.params["error"] == "invalid_request"
    assert DESCRIPTION_CHARS.fullmatch(answer.params["error_description"])
