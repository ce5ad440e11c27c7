"""URLs come from the configured base URL, never from the Host header (issue 12.5)."""

from __future__ import annotations

import pytest

EVIL = "evil.example"


@pytest.mark.parametrize("path", ["/_mock", "/_mock/", "//_mock/health", "/_mock//health", "/auth/realms/current/",
                                  "/auth/realms/current/.well-known/openid-configuration/",
                                  "/auth/realms/current//.well-known/openid-configuration"])
def test_no_answer_points_at_the_host_header(client, path):
    response = client.get(path, headers={"Host": EVIL})
    assert EVIL not in response.headers.get("Location", ""), response.headers
    assert EVIL.encode() not in response.data


def test_the_control_index_answers_without_a_redirect(client):
    response = client.get("/_mock", headers={"Host": EVIL})
    assert response.status_code == 200
    assert response.json["issuer"] == "http://localhost:8080/auth/realms/current"


def test_every_route_with_a_host_header_never_redirects_there(app, client):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "<" in rule.rule:
            continue
        for path in (rule.rule, rule.rule.rstrip("/") + "/", rule.rule.rstrip("/")):
            response = client.get(path or "/", headers={"Host": EVIL, "X-Forwarded-Host": EVIL})
            assert EVIL not in response.headers.get("Location", ""), (path, response.headers)
