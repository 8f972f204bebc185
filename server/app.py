"""The Flask application factory.

``create_app()`` reads the defaults in ``server.config``, then ``BMKG_*``
environment variables (or ``test_config`` instead, in tests), checks them,
opens the store's current generation and registers one blueprint per
concern: the protocol (``/sparql``), self-description (service description
and ``/.well-known/void``), operations (``/healthz``, ``/metrics``),
linked data and pages (``/id``, ``/page``, ``/data``, ``/ontology``, charts,
dumps, ``/api/queries``) and, when writes are enabled, the Graph Store
Protocol (``/store``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from server import config, description, graphstore, health, protocol, responses
from server import api, charts, dumps, linkeddata, openapi, pages, web
from server.negotiation import NotAcceptable
from server.policy import Refused
from server.responses import HTTPProblem
from server.fastlane import FastLane
from server.runtime import PREFIXES, get_runtime, init_app



def create_app(test_config: Mapping | None = None, *, overrides: Mapping | None = None) -> Flask:
    """Build the app. Raises ``config.ConfigError`` or ``ontology.store.StoreError`` on bad setup."""
    app = Flask(__name__)
    app.config.from_mapping(config.DEFAULTS)
    if test_config is None:
        app.config.from_prefixed_env("BMKG")
        app.config.from_mapping(overrides or {})
    else:
        app.config.from_mapping(test_config)
    settings = config.parse(app.config)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    runtime = init_app(app, settings)
    # Point lookups are answered in front of Flask; every other request reaches it (server/fastlane.py).
    app.wsgi_app = FastLane(runtime, app.wsgi_app, PREFIXES)

    app.register_blueprint(protocol.bp)
    app.register_blueprint(description.bp)
    app.register_blueprint(health.bp)
    if settings.enable_updates:
        app.register_blueprint(graphstore.bp)
    # Linked data, pages, charts, dumps and the query API (server/README.md, "Linked data and pages").
    for blueprint in (linkeddata.bp, pages.bp, charts.bp, dumps.bp, api.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(openapi.bp)  # /openapi.json (server/openapi.py)
    web.init_app(app)

    app.before_request(_start_clock)
    app.after_request(_cors)
    app.after_request(_gzip)
    app.after_request(_count)
    app.register_error_handler(HTTPProblem, _problem)
    app.register_error_handler(NotAcceptable, _not_acceptable)
    app.register_error_handler(Refused, _refused)
    app.register_error_handler(HTTPException, _http_exception)
    return app


def _start_clock() -> None:
    g.bmkg_started = time.perf_counter()
    # One deadline per request, from its arrival: waiting for a worker counts (protocol.run_job).
    g.bmkg_deadline = time.monotonic() + get_runtime().settings.timeout_s
    g.bmkg_endpoint = "other"


def _problem(error: HTTPProblem) -> Response:
    return responses.text(error.status, error.message, error.headers)


def _not_acceptable(error: NotAcceptable) -> Response:
    response = responses.text(406, str(error))
    responses.add_vary(response, "Accept")
    return response


def _refused(error: Refused) -> Response:
    return responses.text(error.status, str(error))


def _http_exception(error: HTTPException) -> Response:
    response = error.get_response()
    message = error.description or error.name
    if error.code == 413:
        limit = get_runtime().settings.max_content_length
        message = f"the request body is larger than this server's limit of {limit} bytes"
    response.set_data(f"{error.code} {error.name}: {message}\n")
    response.content_type = "text/plain; charset=utf-8"
    return response


def _cors(response: Response) -> Response:
    """CORS headers on every response, errors included, so a page on another origin can read why."""
    preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
    headers, vary_origin = responses.cors_headers(get_runtime().settings, request.headers.get("Origin"), preflight)
    for name, value in headers:
        response.headers[name] = value
    if vary_origin:
        responses.add_vary(response, "Origin")
    return response


def _gzip(response: Response) -> Response:
    settings = get_runtime().settings
    if (response.status_code != 200 or response.direct_passthrough or response.is_streamed
            or "Content-Encoding" in response.headers or request.method == "HEAD"):
        return response
    body = response.get_data()
    if len(body) < settings.gzip_min_bytes:
        return response
    responses.add_vary(response, "Accept-Encoding")
    if responses.accepts_gzip():
        response.set_data(responses.compress(body))
        response.headers["Content-Encoding"] = "gzip"
    return response


def _count(response: Response) -> Response:
    started = g.get("bmkg_started")
    if started is not None:
        get_runtime().metrics.request(g.get("bmkg_endpoint", "other"), response.status_code,
                                      time.perf_counter() - started)
    return response
