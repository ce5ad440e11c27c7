"""The route table (mock_bankid/core/routes.py) is where an endpoint's facts live, and the only place:

- every path in it is written in no other module of the package (docstrings aside);
- every rule ``create_app()`` serves is declared in it, at the declared path and methods, under any
  base path and realm; the shipped OpenAPI description has exactly its paths;
- what the readers make of it is what a client sees over HTTP: discovery's URLs, the cache headers,
  CORS, and the request log's redaction.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import mock_bankid
from mock_bankid.app import create_app
from mock_bankid.core import routes
from mock_bankid.core.routes import ROUTES, Route
from mock_bankid.endpoints.openapi import openapi_path, packaged_description, under_base
from mock_bankid.http.requestlog import REDACTED

pytestmark = pytest.mark.unit

PACKAGE = Path(mock_bankid.__file__).parent
TABLE = PACKAGE / "core" / "routes.py"
IGNORED_METHODS = {"HEAD", "OPTIONS"}  # Flask answers these for every route by itself
ORIGIN = "http://localhost:3000"  # the dev clients' redirect URIs admit any localhost origin


def _strings(tree: ast.AST) -> list[str]:
    """Every string literal (and every literal part of an f-string) that is not documentation."""
    docs = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def _written(route: Route) -> tuple[re.Pattern[str], str]:
    """How the route's path shows when written out: its full path under the default base path (or,
    under the issuer, its path there) followed by no further path character; or its own path exactly."""
    full = route.path if route.mount == "issuer" else routes.mount_path(route.mount, "current") + route.path
    full = full.partition("<")[0]
    return re.compile(re.escape(full) + r"(?![\w/-]|\.\w)"), route.path


def _hits(route: Route, literal: str) -> bool:
    if route.path == "/" and route.mount != "control":  # the console's home page: "/" is everywhere
        return False
    pattern, own = _written(route)
    elsewhere = [re.escape(routes.mount_path(route.mount, "", provider) + path) + r"(?![\w/-]|\.\w)"
                 for provider, path in route.elsewhere]  # Vipps's paths, written out in full
    return ((own != "/" and literal == own) or pattern.search(literal) is not None
            or any(re.search(other, literal) for other in elsewhere))


def test_each_path_is_written_in_one_module():
    written: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == TABLE:
            continue
        for literal in _strings(ast.parse(path.read_text(encoding="utf-8"))):
            for route in ROUTES:
                if _hits(route, literal):
                    written.setdefault(route.name, set()).add(f"{path.relative_to(PACKAGE)}: {literal!r}")
    assert not written, "paths of the route table written elsewhere (use routes.<ROUTE> instead):\n" + "\n".join(
        f"{name}: {where}" for name, places in sorted(written.items()) for where in sorted(places))


def test_templates_link_through_the_table():
    """Console pages link with ``at.<view>`` (``console/web.hrefs``): each names a console route, and
    no template writes a path of the table out."""
    views = {route.view for route in routes.all_of("console")}
    for template in sorted((PACKAGE / "templates").rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        assert set(re.findall(r"\bat\.(\w+)", text)) <= views, template.name
        assert not [r.name for r in ROUTES if r.mount == "control" and _written(r)[0].search(text)], template.name


def test_the_check_finds_a_path_written_out():
    """The scan above sees the forms a path takes in code (so its silence means something)."""
    assert _hits(routes.TOKEN, "https://x/auth/realms/r/protocol/openid-connect/token")
    assert _hits(routes.TOKEN, "http://x/access-management-1.0/access/oauth2/token")
    assert not _hits(routes.TOKEN, "/access-management-1.0/access/oauth2/token/other")
    assert not _hits(routes.TOKEN, "/protocol/openid-connect/token/introspect")
    assert _hits(routes.SCENARIO_GET, "PUT /_mock/scenario instead.") and _hits(routes.SCENARIO_GET, "/scenario")
    assert not _hits(routes.SCENARIO_GET, "/_mock/scenarios") and not _hits(routes.CONSOLE_HOME, "/")
    tree = ast.parse('"""/_mock/health in a docstring"""\nx = f"{base}/_mock/health"\n')
    assert [literal for literal in _strings(tree) if _hits(routes.HEALTH, literal)] == ["/_mock/health"]


def _rules(app) -> dict[str, tuple[str, set[str]]]:
    return {rule.endpoint: (rule.rule, set(rule.methods or ()) - IGNORED_METHODS) for rule in app.url_map.iter_rules()}


@pytest.mark.parametrize("where", [{}, {"base_url": "http://localhost:8080/bankid", "realm": "other"}])
def test_every_rule_of_the_app_is_declared_and_every_route_served(settings, where):
    settings = settings.with_(**where)
    served = _rules(create_app(settings))
    base_path = urlsplit(settings.base_url).path.rstrip("/")
    declared = {name: (base_path + under_base(route, provider, in_realm), set(route.methods))
                for route in ROUTES for name, provider, in_realm in route.endpoints()}
    assert served == declared


def test_the_openapi_description_has_the_tables_paths():
    described = set(packaged_description()["paths"])
    assert described == {openapi_path(under_base(r, provider, in_realm))
                         for r in ROUTES for _name, provider, in_realm in r.endpoints()}


def test_names_and_facts_are_consistent():
    assert len({route.name for route in ROUTES}) == len(ROUTES)
    assert len({(routes.path(r, _Default()), m) for r in ROUTES for m in r.methods}) == sum(
        len(r.methods) for r in ROUTES), "two routes answer the same method at the same path"
    for route in ROUTES:
        assert route.path.startswith("/") and route.methods, route.name
        assert not route.discovery or route.mount != "control", route.name


class _Default:
    base_url = "http://localhost:8080"
    backchannel_base_url = ""
    userinfo_base_url = ""
    realm = "current"
    provider = "bankid"
    home_realm = ""


# --- what the readers make of it, over HTTP ---------------------------------------------
def test_discovery_names_each_declared_endpoint_at_its_channels_url(settings):
    settings = settings.with_(backchannel_base_url="http://bankid-back:9000", userinfo_base_url="http://tinfo:9001")
    doc = create_app(settings).test_client().get(routes.path(routes.DISCOVERY, settings)).get_json()
    expected = {key: routes.url(route, settings) for route in ROUTES for key in route.discovery}
    assert {key: doc[key] for key in expected} == expected
    assert doc["jwks_uri"].startswith("http://bankid-back:9000/") and doc["userinfo_endpoint"].startswith("http://tinfo")
    assert doc["authorization_endpoint"].startswith(settings.base_url)


def _plain_gets() -> list[Route]:
    return [r for r in ROUTES if "GET" in r.methods and "<" not in r.path and r.cache]


@pytest.mark.parametrize("route", _plain_gets(), ids=lambda r: r.name)
def test_each_answer_carries_its_routes_cache_headers(client, settings, route):
    response = client.get(routes.path(route, settings))
    for name, value in route.cache:
        assert response.headers.get(name) == value, (route.name, response.status_code, dict(response.headers))


@pytest.mark.parametrize("route", [r for r in ROUTES if r.mount != "control"], ids=lambda r: r.name)
def test_each_route_answers_cross_origin_as_declared(client, settings, route):
    preflight = client.options(routes.path(route, settings),
                               headers={"Origin": ORIGIN, "Access-Control-Request-Method": route.methods[0]})
    allowed = preflight.headers.get("Access-Control-Allow-Origin")
    assert allowed == {"any": "*", "client": ORIGIN, "none": None}[route.cors], route.name
    if route.cors != "none":
        assert set(preflight.headers["Access-Control-Allow-Methods"].split(", ")) == set(route.methods)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.redacts and r.blueprint != "console"], ids=lambda r: r.name)
def test_the_request_log_redacts_what_each_route_declares(client, settings, route):
    client.delete(routes.path(routes.REQUESTS_CLEAR, settings))
    values = {name: f"plain-secret-{i}" for i, name in enumerate(sorted(route.redacts))}
    path = routes.path(route, settings)
    if "GET" in route.methods:
        client.get(path, query_string=values)
    else:
        client.post(path, data=values)
    entries = client.get(routes.path(routes.REQUESTS_GET, settings)).get_json()["requests"]
    logged = [e for e in entries if e["endpoint"] == route.name]
    assert logged, route.name
    sent = logged[-1]["query"] or logged[-1]["form"]
    assert sent == dict.fromkeys(values, REDACTED)
    assert not any(value in json.dumps(entries) for value in values.values())


def test_the_fast_path_serves_the_declared_documents(app, settings):
    documents = app.extensions["mock_bankid.fast_documents"]
    assert {urlsplit(routes.url(r, settings)).path: (r.hook, r.name) for r in (routes.DISCOVERY, routes.JWKS)} == \
        documents.paths
