"""Self-description: the SPARQL Service Description and VoID.

The service description answers a GET of ``/sparql`` with no query; the
VoID description lives at ``/.well-known/void`` (RFC 5785, VoID section 7).
Both are negotiated RDF, and a browser asking for HTML at ``/sparql`` gets
the query page. Limits that users must know about (row cap, timeout, query
length) are stated in both, in the ``BMS`` vocabulary below and in words.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, g, render_template, request, url_for

from ontology import GRAPH_BASE, ID_BASE
from ontology.terms import BM
from server import negotiation, responses, web
from server.generations import last_modified
from server.results import RDF_FORMATS
from server.runtime import PREFIXES, get_runtime

bp = Blueprint("description", __name__)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
#: Terms for the server's limits, which SD and VoID have no words for.
BMS = "https://w3id.org/bmkg/service#"

DESCRIPTION_PREFIXES = {**PREFIXES, "sd": SD, "void": VOID, "bms": BMS}


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_iri(XSD + "integer"))


class _Graph:
    def __init__(self):
        self.triples: list[ox.Triple] = []

    def add(self, s, p: str, o) -> None:
        self.triples.append(ox.Triple(s, _iri(p), o))


def _limits(graph: _Graph, subject) -> None:
    settings = get_runtime().settings
    graph.add(subject, BMS + "rowCap", _int(settings.row_cap))
    graph.add(subject, BMS + "queryTimeoutSeconds", ox.Literal(f"{settings.timeout_s:g}", datatype=_iri(XSD + "decimal")))
    graph.add(subject, BMS + "maxQueryLength", _int(settings.max_query_length))
    graph.add(subject, BMS + "maxGetQueryLength", _int(settings.max_get_query_length))
    graph.add(subject, BMS + "maxQueryDepth", _int(settings.max_query_depth))
    graph.add(subject, BMS + "maxSubqueryDepth", _int(settings.max_subquery_depth))
    graph.add(subject, BMS + "maxQueryTokens", _int(settings.max_query_tokens))
    cap = f"at most {settings.row_cap} rows or triples per response" if settings.row_cap else "no row cap"
    graph.add(subject, RDFS + "comment", ox.Literal(
        f"Limits: {cap} (header X-SPARQL-MaxRows; X-SPARQL-Truncated: true when cut); queries stop"
        f" {settings.timeout_s:g} s after they arrive, time waiting for a worker included, with 504; queries"
        f" longer than {settings.max_get_query_length} characters must be sent by POST; a query or update may be"
        f" at most {settings.max_query_length} characters and {settings.max_query_tokens} tokens long, nest"
        f" brackets at most {settings.max_query_depth} deep and subqueries at most {settings.max_subquery_depth}"
        f" deep (400 past these).", language="en"))


def _dataset(graph: _Graph, node, void_iri: str | None) -> None:
    runtime = get_runtime()
    generation = runtime.generation()
    stats = runtime.stats(generation)
    graph.add(node, RDF + "type", _iri(SD + "Dataset"))
    graph.add(node, RDF + "type", _iri(VOID + "Dataset"))
    graph.add(node, DCTERMS + "title", ox.Literal("bmkg: the Big Model knowledge graph", language="en"))
    graph.add(node, DCTERMS + "modified", ox.Literal(
        last_modified(generation).isoformat().replace("+00:00", "Z"), datatype=_iri(XSD + "dateTime")))
    graph.add(node, VOID + "uriSpace", ox.Literal(ID_BASE))
    graph.add(node, VOID + "vocabulary", _iri(str(BM)))
    graph.add(node, VOID + "sparqlEndpoint", _iri(url_for("protocol.sparql", _external=True)))
    if void_iri:
        graph.add(node, RDFS + "seeAlso", _iri(void_iri))
    default = ox.BlankNode()
    graph.add(node, SD + "defaultGraph", default)
    graph.add(default, RDF + "type", _iri(SD + "Graph"))
    graph.add(default, RDFS + "comment", ox.Literal(
        "The default graph is the union of all named graphs, unless the request gives a dataset.", language="en"))
    if stats is None:
        return
    if stats.triples is not None:
        graph.add(default, VOID + "triples", _int(stats.triples))
        graph.add(node, VOID + "triples", _int(stats.triples))
    if stats.subjects is not None:
        graph.add(node, VOID + "distinctSubjects", _int(stats.subjects))
    if stats.properties is not None:
        graph.add(node, VOID + "properties", _int(stats.properties))
    graph.add(node, VOID + "classes", _int(len(stats.classes)))
    for name, count in sorted(stats.graphs.items()):
        named = ox.BlankNode()
        inner = ox.BlankNode()
        graph.add(node, SD + "namedGraph", named)
        graph.add(named, RDF + "type", _iri(SD + "NamedGraph"))
        graph.add(named, SD + "name", _iri(name))
        graph.add(named, SD + "graph", inner)
        graph.add(inner, RDF + "type", _iri(SD + "Graph"))
        graph.add(inner, VOID + "triples", _int(count))
        if name.startswith(GRAPH_BASE):
            subset = _iri(name)
            graph.add(node, VOID + "subset", subset)
            graph.add(subset, RDF + "type", _iri(VOID + "Dataset"))
            graph.add(subset, VOID + "triples", _int(count))
    for cls, count in sorted(stats.classes.items()):
        partition = ox.BlankNode()
        graph.add(node, VOID + "classPartition", partition)
        graph.add(partition, VOID + "class", _iri(cls))
        graph.add(partition, VOID + "entities", _int(count))


def _negotiated(graph: _Graph, offered, tag_parts: tuple, fmt: negotiation.Format | None = None,
                page: tuple[str, str] | None = None) -> Response:
    """``graph`` in the negotiated format; ``page`` (title, intro) when ``HTML`` is on offer for browsers."""
    runtime = get_runtime()
    fmt = fmt or negotiation.negotiate(request.headers.get("Accept"), offered)
    generation = runtime.generation()
    s = runtime.settings
    shaping = (s.row_cap, s.timeout_s, s.enable_updates, s.service_allowlist, s.max_query_length, s.max_get_query_length,
               s.max_query_depth, s.max_subquery_depth, s.max_query_tokens)
    tag = responses.etag(generation, request.base_url, fmt.key, shaping, *tag_parts)
    if responses.not_modified(request, tag, generation):
        response = Response(status=304)
    elif fmt.key == "html" and page is not None:
        alternates = [(f.media_type.split(";")[0], f"{request.base_url}?format={f.names[0]}")
                      for f in offered if f.key != "html"]
        response = web.description_page(page[0], page[1], graph.triples, None, alternates)
    else:
        body = ox.serialize(graph.triples, format=RDF_FORMATS[fmt.key],
                            prefixes=DESCRIPTION_PREFIXES if fmt.key in ("turtle", "trig", "n3", "rdfxml") else None)
        response = Response(body, content_type=fmt.media_type)
    responses.validators(response, tag, generation)
    responses.add_vary(response, "Accept")
    return response


def service_description() -> Response:
    """The Service Description of this endpoint, or the query page for browsers."""
    runtime = get_runtime()
    settings = runtime.settings
    fmt = negotiation.negotiate(request.headers.get("Accept"), negotiation.DESCRIPTION)
    if fmt.key == "html":
        stats = runtime.stats(runtime.generation())
        page = render_template("query.html", settings=settings, stats=stats, endpoint=request.base_url,
                               generation=runtime.generation().id)
        response = Response(page, content_type=fmt.media_type)
        responses.add_vary(response, "Accept")
        return response
    endpoint = _iri(request.base_url)
    graph = _Graph()
    graph.add(endpoint, RDF + "type", _iri(SD + "Service"))
    graph.add(endpoint, SD + "endpoint", endpoint)
    graph.add(endpoint, SD + "supportedLanguage", _iri(SD + "SPARQL11Query"))
    if settings.enable_updates:
        graph.add(endpoint, SD + "supportedLanguage", _iri(SD + "SPARQL11Update"))
    for result in dict.fromkeys(negotiation.SOLUTIONS + negotiation.GRAPH):
        if result.iri:
            graph.add(endpoint, SD + "resultFormat", _iri(result.iri))
    graph.add(endpoint, SD + "feature", _iri(SD + "UnionDefaultGraph"))
    if settings.service_allowlist:
        graph.add(endpoint, SD + "feature", _iri(SD + "BasicFederatedQuery"))
    graph.add(endpoint, SD + "defaultEntailmentRegime", _iri("http://www.w3.org/ns/entailment/Simple"))
    _limits(graph, endpoint)
    dataset = ox.BlankNode()
    graph.add(endpoint, SD + "defaultDataset", dataset)
    _dataset(graph, dataset, url_for("description.void", _external=True))
    offered = tuple(f for f in negotiation.DESCRIPTION if f.key != "html")
    return _negotiated(graph, offered, ("sd",))


#: VoID's views: RDF first (the default for ``*/*``), then a page for browsers.
VOID_VIEWS = negotiation.GRAPH + (negotiation.HTML,)


@bp.route("/.well-known/void", methods=["GET"])
def void() -> Response:
    g.bmkg_endpoint = "void"
    node = _iri(request.base_url + "#dataset")
    graph = _Graph()
    _dataset(graph, node, None)
    _limits(graph, node)
    fmt = negotiation.by_name(request.args.getlist("format"), VOID_VIEWS)  # a format= that names none is ignored
    return _negotiated(graph, VOID_VIEWS, ("void",), fmt,
                       page=("VoID description of bmkg",
                             "The dataset's statistics as the endpoint counts them for the current generation:"
                             " statements, distinct subjects and properties, one subset per named graph and one"
                             " partition per class, with the endpoint's limits."))
