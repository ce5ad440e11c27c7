"""The home page at ``/``: what this is (a mock, not BankID), where its discovery is, who is registered."""

from __future__ import annotations

from flask import send_from_directory
from werkzeug.wrappers import Response

from mock_bankid.control import ops
from mock_bankid.core import routes
from mock_bankid.endpoints.console.texts import console_texts
from mock_bankid.endpoints.console.web import STATIC_DIR, bp, href, locale, page
from mock_bankid.http.web import routed
from mock_bankid.oidc.provider import provider


@routed(bp, routes.CONSOLE_HOME)
def home() -> Response:
    p = provider()
    return page(
        "console/home.html", active="home", page_title=console_texts(locale())["home_title"],
        discovery=routes.url(routes.DISCOVERY, p.settings), clients=p.clients.all(),
        clock=ops.clock_state(p),
        providers=ops.providers_overview(p),  # each with its scenario and queue (no summary of BankID alone)
        mock_index=href(routes.CONTROL_INDEX),
    )


@routed(bp, routes.CONSOLE_INDEX)
def console_index() -> Response:
    """The console's own address: the home page is its front door."""
    return home()


@routed(bp, routes.FAVICON)
def favicon() -> Response:
    """Every browser asks for one: an answer keeps a 404 per page out of the server's log (the
    request log leaves the console's own requests out)."""
    return send_from_directory(STATIC_DIR, "favicon.png", mimetype="image/png", max_age=86400)
