"""The OpenAPI description (mock_bankid/openapi.json): valid OpenAPI 3.1, served with the running
mock's URLs, and in step with the app's routes in both directions -- a new route cannot go
undescribed, a removed one cannot stay described. (What the app answers is checked against it by
schemathesis in tests/test_fuzz.py.)"""

from __future__ import annotations

import re
import tomllib
from urllib.parse import urlsplit

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from mock_bankid.app import create_app
from mock_bankid.core.settings import PROJECT_ROOT
from mock_bankid.endpoints.openapi import DESCRIPTION_FILE, grant_type_schema, packaged_description
from mock_bankid.oidc import grant_types

IGNORED_METHODS = {"HEAD", "OPTIONS"}  # Flask answers these for every route by itself
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def openapi_path(rule: str) -> str:
    """Flask's ``/x/<path:name>`` is OpenAPI's ``/x/{name}``."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def app_operations(app, prefix: str = "") -> dict[tuple[str, str], str]:
    """``(METHOD, OpenAPI path) -> view name`` for every route of ``app`` (paths without ``prefix``)."""
    found = {}
    for rule in app.url_map.iter_rules():
        assert rule.rule.startswith(prefix), rule.rule
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            found[(method, openapi_path(rule.rule[len(prefix):]))] = rule.endpoint
    return found


def described_operations(doc) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item if method in HTTP_METHODS}


def test_the_shipped_file_is_valid_openapi_3_1():
    doc = packaged_description()
    assert doc["openapi"].startswith("3.1.")
    validate(doc, cls=OpenAPIV31SpecValidator)


def test_every_route_of_the_app_is_described(app):
    """The message names the route, its view and where to describe it."""
    missing = {op: view for op, view in app_operations(app).items() if op not in described_operations(
        packaged_description())}
    assert not missing, "\n".join(
        f"{method} {path} (view {view}) is not described: add paths[{path!r}][{method.lower()!r}] to "
        f"{DESCRIPTION_FILE.relative_to(PROJECT_ROOT)} with its parameters, request body and responses "
        "(JSON errors: $ref #/components/responses/JsonError; pages: ErrorPage)"
        for (method, path), view in sorted(missing.items())
    )


def test_everything_described_is_a_route_of_the_app(app):
    routes = set(app_operations(app))
    extra = sorted(described_operations(packaged_description()) - routes)
    assert not extra, "\n".join(
        f"{method} {path} is described in {DESCRIPTION_FILE.relative_to(PROJECT_ROOT)} but no route of "
        "create_app() answers it: remove it or register the route" for method, path in extra
    )


def test_operation_ids_are_unique():
    ids = [op["operationId"] for item in packaged_description()["paths"].values()
           for method, op in item.items() if method in HTTP_METHODS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def token_path_item(doc):
    return next(item for item in doc["paths"].values() if item.get("post", {}).get("operationId") == "token")


def test_the_grant_type_enum_is_the_registered_grant_types(client):
    """Served, the enum is the registry (``oidc/grant_types``); the file, read on its own, names the
    same built-in grant types (tests/test_grant_types.py: a registered one is served too)."""
    assert sorted(grant_type_schema(token_path_item(packaged_description()))["enum"]) == list(grant_types.names()), (
        f"the grant_type enum of the token operation in {DESCRIPTION_FILE.relative_to(PROJECT_ROOT)} "
        f"must list the registered grant types: {', '.join(grant_types.names())}")
    served = client.get("/_mock/openapi.json").get_json()
    assert grant_type_schema(token_path_item(served))["enum"] == list(grant_types.names())


def test_the_served_copy_is_valid_and_names_this_mock(client, settings):
    response = client.get("/_mock/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.json
    validate(doc, cls=OpenAPIV31SpecValidator)
    assert doc["servers"][0]["url"] == settings.base_url
    assert described_operations(doc) == described_operations(packaged_description())


@pytest.mark.parametrize("realm", ["current", "preprod"])
def test_the_served_copy_follows_base_path_realm_and_back_channel(settings, realm):
    """Server URL + described path is where the route really is, for any base path and realm;
    back-channel operations name the back-channel host, as discovery does."""
    configured = settings.with_(base_url="http://localhost:8080/bankid", realm=realm,
                                backchannel_base_url="http://mock-bankid:8080/bankid")
    app = create_app(configured)
    doc = app.test_client().get("/bankid/_mock/openapi.json").json
    validate(doc, cls=OpenAPIV31SpecValidator)
    base_path = urlsplit(doc["servers"][0]["url"]).path
    assert base_path == "/bankid"
    assert described_operations(doc) == set(app_operations(app, prefix=base_path))
    token = doc["paths"]["/auth/realms/{realm}/protocol/openid-connect/token"]
    assert doc["components"]["parameters"]["Realm"]["schema"]["default"] == realm
    assert token["servers"][0]["url"] == "http://mock-bankid:8080/bankid"
    assert "servers" not in doc["paths"]["/auth/realms/{realm}/precheck/auth"]  # the browser's host


def test_the_wheel_ships_the_description():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert DESCRIPTION_FILE.name in pyproject["tool"]["setuptools"]["package-data"]["mock_bankid"]
    assert DESCRIPTION_FILE.parent.name == "mock_bankid"


def test_the_provider_choice_is_described_where_the_control_api_takes_it(client):
    """``provider`` on /_mock/scenario, /_mock/next-login and /_mock/token: the query parameter,
    the body fields, and the state's shape, which the app's answers follow."""
    from jsonschema import Draft202012Validator

    from mock_bankid.core.routes import PROVIDERS

    doc = packaged_description()
    assert doc["components"]["parameters"]["ProviderQuery"]["schema"]["enum"] == list(PROVIDERS)
    for path in ("/_mock/scenario", "/_mock/next-login", "/_mock/token"):
        assert {"$ref": "#/components/parameters/ProviderQuery"} in doc["paths"][path]["parameters"], path
    put = doc["paths"]["/_mock/scenario"]["put"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"][0]
    push = doc["paths"]["/_mock/next-login"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    mint = doc["paths"]["/_mock/token"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    for schema in (put, push, mint):
        assert schema["properties"]["provider"]["enum"] == list(PROVIDERS)
    catalogue_item = doc["components"]["schemas"]["Catalogue"]["properties"]["scenarios"]["items"]
    assert "providers" in catalogue_item["properties"]
    state = Draft202012Validator(doc["components"]["schemas"]["ScenarioState"])
    answers = [client.put("/_mock/scenario", json={"scenario": "outage", "provider": "bankid"}).get_json(),
               client.get("/_mock/scenario").get_json(), client.get("/_mock/scenario?provider=vipps").get_json(),
               client.get("/_mock/scenario?realm=w1").get_json()]
    for answer in answers:
        state.validate(answer)
    assert answers[1]["providers"]["bankid"]["active"]["scenario"] == "outage"
    assert answers[2] == {"provider": "vipps", "active": None}
    broken = {"active": None, "providers": {"vipps": {"nothing": True}}}
    assert not state.is_valid(broken)  # the shape is checked, not just any object
