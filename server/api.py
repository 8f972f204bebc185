"""``/api/queries``: the named-query library over HTTP.

``GET /api/queries`` lists the library with its metadata. ``GET
/api/queries/{name}?param=value`` binds the parameters as typed RDF terms in a
VALUES block (``queries.library``), never by splicing text, and runs the query
through the SPARQL protocol's own path, so it answers in every format
``/sparql`` does, negotiated the same way (``format=`` or ``Accept``), with the
same row cap, caching and validators. ``asserted=true`` leaves ``inferred`` out
of the default graph (each asserted statement still once), as ``bmkg query
--asserted-only`` does, to show what the reasoner adds.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, g, jsonify, request, url_for

from ontology import ID_BASE, IRIError, mint
from queries import library
from server import entities, protocol
from server.responses import HTTPProblem

bp = Blueprint("api", __name__)

#: Request parameters that steer the answer rather than bind the query.
RESERVED = ("format", "output", "asserted")


def queries() -> dict[str, library.NamedQuery]:
    try:
        return library.library()
    except library.QueryError as error:
        raise HTTPProblem(500, f"the query library cannot be read: {error}") from None


def describe(query: library.NamedQuery) -> dict:
    meta = query.metadata()
    meta["url"] = url_for("api.run", name=query.name, _external=True)
    meta["page"] = url_for("pages.query_page", name=query.name, _external=True)
    if query.uses_inference:
        meta["asserted_url"] = url_for("api.run", name=query.name, asserted="true", _external=True)
    return meta


@bp.route("/api/queries", methods=["GET"])
def listing() -> Response:
    g.bmkg_endpoint = "api"
    library_queries = queries()
    response = jsonify({
        "queries": [describe(q) for q in library_queries.values()],
        "count": len(library_queries),
        "formats": {"SELECT, ASK": [f.media_type.split(";")[0] for f in protocol.negotiation.SOLUTIONS],
                    "CONSTRUCT, DESCRIBE": [f.media_type.split(";")[0] for f in protocol.negotiation.GRAPH]},
    })
    return response


@bp.route("/api/queries/<name>", methods=["GET"])
def run(name: str) -> Response:
    g.bmkg_endpoint = "api"
    found = queries().get(name)
    if found is None:
        known = ", ".join(queries())
        raise HTTPProblem(404, f"no library query {name!r}; known: {known}")
    params = protocol.decode_params(request.query_string, "URL")
    for key, values in params.items():
        if len(values) > 1 and key != "format":
            raise HTTPProblem(400, f"give the {key} parameter once, not {len(values)} times")
    asserted = _flag(params.get("asserted", ["false"])[0])
    values = {k: v[0] for k, v in params.items() if k not in RESERVED}
    text = bound_text(found, values)
    operation = protocol.Operation("query", text, formats=params.get("format", []) + params.get("output", []))
    # GRAPH patterns still see every graph, as in `bmkg query --asserted-only`
    operation.asserted = asserted
    response = protocol.run_query(operation)
    response.headers["X-BMKG-Query"] = name
    response.headers["X-BMKG-Dataset"] = "asserted" if asserted else "all"
    response.headers["Link"] = f'<{url_for("api.listing")}>; rel="collection"'
    return response


def _flag(raw: str) -> bool:
    text = raw.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise HTTPProblem(400, f"asserted must be true or false, not {raw!r}")


def bound_text(query: library.NamedQuery, values: dict[str, str]) -> str:
    """The query text with its parameters bound as typed terms; 400 for bad or missing values."""
    try:
        return library.with_values(query.text, bind(query, values))
    except library.QueryError as error:
        raise HTTPProblem(400, str(error)) from None


def bind(query: library.NamedQuery, values: dict[str, str]) -> dict:
    """Like ``library.bind``, but entity names are looked up through the server's workers."""
    known = {p.name: p for p in query.parameters}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise library.QueryError(f"{query.name}: unknown parameter(s) {', '.join(unknown)}; "
                                 f"known: {', '.join(known) or 'none'}")
    bound = {}
    for parameter in query.parameters:
        raw = values.get(parameter.name, parameter.default)
        if raw is None or (raw == "" and parameter.default is None):
            raise library.QueryError(f"{query.name}: parameter {parameter.name!r} ({parameter.type}) is required")
        if raw == "" and parameter.default is not None:
            raw = parameter.default
        if parameter.type in library.ENTITY_TYPES:
            bound[parameter.name] = entity(parameter, raw)
        else:
            bound[parameter.name] = library.term(parameter, raw)
    return bound


def entity(parameter: library.Parameter, raw: str) -> ox.NamedNode:
    """An entity by IRI, by key, or by a label or alias that names exactly one of its kind."""
    kind, name = parameter.type, parameter.name
    if raw.startswith(ID_BASE):
        try:
            return ox.NamedNode(raw)
        except ValueError:
            raise library.QueryError(f"parameter {name!r} ({kind}): not a valid IRI: got {raw!r}") from None
    try:
        node = ox.NamedNode(str(mint(kind, raw)))
    except IRIError:
        node = None
    if node is not None and entities.exists(node.value):
        return node
    wanted = raw.casefold().strip()
    matches = [e for e in entities.index().by_kind.get(kind, [])
               if any(n.casefold() == wanted for n in e.labels + e.aliases)]
    if len(matches) == 1:
        return ox.NamedNode(matches[0].iri)
    if len(matches) > 1:
        names = ", ".join(sorted(e.iri for e in matches)[:3])
        raise library.QueryError(f"parameter {name!r} ({kind}): the name matches several {kind} entities "
                                 f"({names}, ...); give an IRI or key")
    raise library.QueryError(f"parameter {name!r} ({kind}): no {kind} has this IRI, key, label or alias: got {raw!r}")
