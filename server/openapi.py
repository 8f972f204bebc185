"""``/openapi.json``: an OpenAPI 3.0 description of the server's HTTP API.

Written by hand from the blueprints (protocol, description, health, linked data,
pages, dumps, api). Error responses are plain text that names what was wrong;
504 is a query stopped at the timeout, 503 a busy or unavailable store.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__)

SOLUTIONS = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
             "text/tab-separated-values")
GRAPHS = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml",
          "text/n3", "application/trig", "application/n-quads")
RDF_VIEWS = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
             "application/trig", "application/n-quads")
TEXT = {"text/plain": {"schema": {"type": "string"}}}
ANY = {"schema": {"type": "string"}}


def _content(*types: str) -> dict:
    return {t: ANY for t in types}


def _errors(*codes: int) -> dict:
    words = {400: "bad request; the body says what was wrong", 401: "missing or wrong bearer token",
             403: "refused (read-only, SERVICE, LOAD, file: IRIs)", 404: "not found", 406: "not acceptable",
             413: "request body or query too long", 414: "GET query too long; POST it",
             415: "unsupported Content-Type or charset", 503: "busy or store unavailable; see Retry-After",
             504: "the query ran past the timeout and was stopped"}
    # A 406 for a page or document answers in text/plain too; any of these may carry any type.
    return {str(c): {"description": words[c], "content": {"text/plain": ANY, "text/html": ANY}} for c in codes}


def _param(name: str, where: str = "query", description: str = "", *, required: bool = False,
           array: bool = False, schema: dict | None = None) -> dict:
    schema = schema or ({"type": "array", "items": {"type": "string"}} if array else {"type": "string"})
    param = {"name": name, "in": where, "required": required or where == "path", "schema": schema}
    if array:
        param.update(style="form", explode=True)
    if description:
        param["description"] = description
    return param


# Keys are minted slugs (ontology.mint); others are 404s.
KEY = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._~-]*$"}
IRIS = {"type": "array", "items": {"type": "string", "format": "uri"}}  # absolute IRIs
QUERY_PARAMS = [
    _param("query", description="a SPARQL query; absent: the service description"),
    _param("default-graph-uri", schema=IRIS), _param("named-graph-uri", schema=IRIS),
    _param("format", array=True, description="a result format name; one not on offer is ignored"),
    _param("output", array=True), _param("version", description="SPARQL version, 1.1 or 1.2"),
]
RESULTS = {"200": {"description": "results, or the service description",
                   "content": _content(*SOLUTIONS, *GRAPHS, "text/html")},
           "304": {"description": "not modified"},
           **_errors(400, 403, 406, 413, 414, 415, 503, 504)}
FORM_SCHEMA = {"type": "object", "properties": {
    "query": {"type": "string"}, "update": {"type": "string"},
    "default-graph-uri": IRIS, "named-graph-uri": IRIS, "using-graph-uri": IRIS, "using-named-graph-uri": IRIS}}
DOCUMENT = {"200": {"description": "a page or document", "content": _content("text/html", *RDF_VIEWS)},
            "303": {"description": "see the page or a data document"},
            "304": {"description": "not modified"}, **_errors(404, 406)}


def spec() -> dict:
    paths = {
        "/sparql": {
            "get": {"summary": "SPARQL query by GET, or the service description", "parameters": QUERY_PARAMS,
                    "responses": RESULTS},
            "post": {
                "summary": "SPARQL query or update by form or direct POST",
                "parameters": [p for p in QUERY_PARAMS if p["name"] != "query"],
                "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": {"schema": FORM_SCHEMA},
                    "application/sparql-query": {"schema": {"type": "string"}},
                    "application/sparql-update": {"schema": {"type": "string"}}}},
                "responses": {**RESULTS, "204": {"description": "update applied"}, **_errors(401)},
            },
        },
        "/healthz": {"get": {"summary": "liveness and the served generation", "responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "required": ["status", "generation", "workers"],
                "properties": {"status": {"type": "string", "enum": ["ok"]},
                               "generation": {"type": "string"}, "workers": {"type": "object"},
                               "updates": {"type": "boolean"}}}}}},
            "503": {"description": "store unavailable", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {
            "200": {"description": "Prometheus text format", "content": {"text/plain": ANY}}}}},
        "/.well-known/void": {"get": {"summary": "VoID description of the dataset",
                                      "parameters": [_param("format", array=True)],
                                      "responses": {"200": {"description": "VoID",
                                                            "content": _content(*GRAPHS, "text/html")},
                                                    "304": {"description": "not modified"}, **_errors(406)}}},
        "/api/queries": {"get": {"summary": "the named-query library", "responses": {
            "200": {"description": "the library", "content": {"application/json": {"schema": {
                "type": "object", "required": ["queries", "count"],
                "properties": {"queries": {"type": "array", "items": {"type": "object"}},
                               "count": {"type": "integer"}, "formats": {"type": "object"}}}}}}}}},
        "/api/queries/{name}": {"get": {
            "summary": "run a library query; other query parameters bind its parameters",
            "parameters": [_param("name", "path"), _param("format", array=True),
                           _param("asserted", schema={"type": "string", "enum": ["true", "false"]})],
            "responses": {"200": {"description": "results", "content": _content(*SOLUTIONS, *GRAPHS),
                                  "headers": {"X-BMKG-Hint": {
                                      "description": "with asserted=true and no rows: that inferred statements"
                                                     " were left out", "schema": {"type": "string"}}}},
                          "304": {"description": "not modified"},
                          **_errors(400, 404, 406, 503, 504)}}},
        "/id/{kind}/{key}": {"get": {"summary": "a thing: 303 to its page or data document",
                                     "parameters": [_param("kind", "path", schema=KEY), _param("key", "path", schema=KEY),
                                                    _param("format", array=True)],
                                     "responses": DOCUMENT}},
        "/page/{kind}/{key}": {"get": {"summary": "an entity's HTML page",
                                       "parameters": [_param("kind", "path", schema=KEY), _param("key", "path", schema=KEY),
                                                      _param("all")],
                                       "responses": DOCUMENT}},
        "/data/{kind}/{key}": {"get": {"summary": "an entity's statements (key may end .ttl, .jsonld, .nt, .rdf, .trig, .nq)",
                                       "parameters": [_param("kind", "path", schema=KEY), _param("key", "path", schema=KEY),
                                                      _param("format", array=True)],
                                       "responses": DOCUMENT}},
        "/dumps": {"get": {"summary": "the current generation's dump files",
                           "parameters": [_param("format", array=True)],
                           "responses": {"200": {"description": "listing",
                                                 "content": _content("text/html", "application/json")},
                                         **_errors(406)}}},
        "/dumps/{name}": {"get": {"summary": "one dump file, by its exact name in the index",
                                  "parameters": [_param("name", "path")],
                                  "responses": {"200": {"description": "the file", "content": {"*/*": ANY}},
                                                "304": {"description": "not modified"}, **_errors(404)}}},
        "/search": {"get": {"summary": "search entities by label or alias",
                            "parameters": [_param("q"), _param("kind"), _param("format", array=True)],
                            "responses": {"200": {"description": "results",
                                                  "content": _content("text/html", "application/json")},
                                          **_errors(406)}}},
        "/openapi.json": {"get": {"summary": "this description", "responses": {
            "200": {"description": "OpenAPI 3.0", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    }
    return {"openapi": "3.0.3",
            "info": {"title": "bmkg SPARQL endpoint", "version": "1",
                     "description": "SPARQL 1.1 Protocol, linked data, pages and the query library of bmkg."},
            "paths": paths}


@bp.route("/openapi.json", methods=["GET"])
def openapi() -> object:
    response = jsonify(spec())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
