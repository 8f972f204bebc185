"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/store`` (indirect identification).

Registered only when writes are enabled. ``?default`` names the store's own
default graph (not the union the query endpoint shows); ``?graph=IRI`` a
named graph. GET and HEAD are reads; PUT, POST and DELETE need the bearer
token and each makes a new store generation (``server.writer``). A graph
read through GET is never cut at the row cap: it is the whole graph or an
error.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, g, request

from server import negotiation, responses
from server.protocol import (authorize_write, decode_params, entry_response, job_error, no_content, perform_write,
                             run_job)
from server.cache import Entry
from server.responses import HTTPProblem
from server.runtime import get_runtime

bp = Blueprint("graphstore", __name__)

#: Bodies a PUT or POST may carry: formats of triples only.
TRIPLE_FORMATS = ("text/turtle", "application/turtle", "application/x-turtle", "application/n-triples",
                  "text/plain", "application/rdf+xml", "application/ld+json", "text/n3")


def _target() -> str | None:
    """The graph the request names: None for the default graph."""
    params = decode_params(request.query_string, "URL")
    has_default = "default" in params
    graphs = params.get("graph", [])
    if has_default == bool(graphs) or len(graphs) > 1:
        raise HTTPProblem(400, "name exactly one graph: ?default or ?graph=IRI (percent-encoded)")
    if has_default:
        return None
    iri = graphs[0]
    if ":" not in iri or any(c in iri for c in ' <>"{}|^`\\'):
        raise HTTPProblem(400, f"graph= must be an absolute IRI, not {iri!r}")
    if iri[:5].lower() == "file:":
        raise HTTPProblem(403, "file: IRIs are refused")
    return iri


@bp.route("/store", methods=["GET", "PUT", "POST", "DELETE"])
def store() -> Response:
    g.bmkg_endpoint = "store"
    graph = _target()
    if request.method in ("GET", "HEAD"):
        return _read(graph)
    authorize_write()
    if request.method == "DELETE":
        reply = _write({"kind": "delete", "graph": graph})
        return no_content(reply[1])
    media = request.mimetype
    if media not in TRIPLE_FORMATS:
        raise HTTPProblem(415, f"unsupported Content-Type {media!r} for a graph: use one of {', '.join(TRIPLE_FORMATS)}")
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise HTTPProblem(415, f"graph bodies must be UTF-8, not charset={charset}")
    data = request.get_data(cache=False)
    media = "application/n-triples" if media == "text/plain" else media
    try:
        ox.RdfFormat.from_media_type(media)
    except ValueError:
        raise HTTPProblem(415, f"unsupported Content-Type {media!r}") from None
    kind = "put" if request.method == "PUT" else "post"
    reply = _write({"kind": kind, "graph": graph, "data": data, "format": media, "base": graph or request.base_url})
    response = no_content(reply[1])
    if reply[2][0].get("created"):
        response.status_code = 201
    return response


def _write(action: dict) -> tuple:
    reply = perform_write([action], "the write")
    if reply[0] != "ok":
        if reply[1] == "syntax":
            raise HTTPProblem(400, f"the graph does not parse: {reply[2]}")
        raise job_error(reply)
    return reply


def _read(graph: str | None) -> Response:
    runtime = get_runtime()
    fmt = negotiation.negotiate(request.headers.get("Accept"), negotiation.GRAPH)
    generation = runtime.generation()
    tag = responses.etag(generation, "store", graph, fmt.key)
    if responses.not_modified(request, tag, generation):
        response = responses.validators(Response(status=304), tag, generation)
        responses.add_vary(response, "Accept")
        return response
    if graph is None:
        query, union = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", False
    else:
        exists = run_job(runtime.query_job(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", "json", base=None,
                                        union=False, cap=0, generation=generation))
        if exists[0] != "ok":
            raise job_error(exists)
        if b"true" not in exists[1]:
            raise HTTPProblem(404, f"no graph named <{graph}> (or it is empty)")
        query, union = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", False
    reply = run_job(runtime.query_job(query, fmt.key, base=None, union=union, cap=0, generation=generation))
    if reply[0] != "ok":
        raise job_error(reply)
    response = entry_response(Entry(reply[1], fmt.media_type, {}))
    responses.validators(response, tag, generation)
    responses.add_vary(response, "Accept")
    return response
