"""Linked-data dereferencing: ``/id/...`` (and ``/graph/...``), ``/data/...``, the ontology,
the JSON-LD context and the DCAT/VoID description of the dataset.

``/id/{kind}/{key}`` stands for ``https://w3id.org/bmkg/id/{kind}/{key}``, a thing
rather than a document, so it answers 303 See Other, by ``Accept``, to the page
(``/page/...``, HTML) or to a data document (``/data/....ttl``, ``.jsonld``, ``.nt``,
``.rdf``, ``.trig``, ``.nq``). ``format=`` naming a view wins; one naming none is
ignored, so it never turns a good ``Accept`` into a 406.

A data document holds every statement about the resource from every named graph,
as subject and as object (inverse links). TriG, N-Quads and JSON-LD carry the
graphs as real named graphs. Turtle, N-Triples and RDF/XML cannot name graphs,
so they list each graph's statements after a comment that names the graph, its
title and licence, and says "inferred" for the reasoner's graph: a parser reads
the plain union, a person sees where each statement comes from, and nothing
that is not in the store is added to the data.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, abort, g, redirect, request, url_for

from ontology import GRAPH_BASE, paths
from server import entities, negotiation, responses, web
from server.entities import DCTERMS, INFERRED, METADATA_GRAPH, ONTOLOGY_GRAPH, RDF, RDFS, XSD, ref, select, value
from server.negotiation import HTML, JSON_LD, N_QUADS, N_TRIPLES, RDF_XML, TRIG, TURTLE, Format
from server.results import RDF_FORMATS
from server.runtime import PREFIXES, get_runtime

bp = Blueprint("linkeddata", __name__)

#: What a resource can be viewed as, the page first: a client that takes anything gets the page.
VIEWS = (HTML, TURTLE, JSON_LD, N_TRIPLES, RDF_XML, TRIG, N_QUADS)
DATA_VIEWS = VIEWS[1:]
ONTOLOGY_VIEWS = (HTML, TURTLE, JSON_LD, RDF_XML, N_TRIPLES)
EXTENSIONS = {"ttl": TURTLE, "jsonld": JSON_LD, "nt": N_TRIPLES, "rdf": RDF_XML, "trig": TRIG, "nq": N_QUADS}
EXTENSION_OF = {fmt.key: ext for ext, fmt in EXTENSIONS.items()} | {"html": "html"}

DCAT = "http://www.w3.org/ns/dcat#"
VOID = "http://rdfs.org/ns/void#"
SPDX = "http://spdx.org/rdf/terms#"
FOAF = "http://xmlns.com/foaf/0.1/"
IANA = "https://www.iana.org/assignments/media-types/"
DATASET_IRI = "https://w3id.org/bmkg/"
SERVICE_IRI = "https://w3id.org/bmkg/sparql"
DATA_PREFIXES = {**PREFIXES, "owl": "http://www.w3.org/2002/07/owl#", "org": "http://www.w3.org/ns/org#",
                 "wd": "http://www.wikidata.org/entity/", "dcat": DCAT, "void": VOID, "spdx": SPDX}


# -- choosing a view ------------------------------------------------------------------


def choose(offered: tuple[Format, ...]) -> Format:
    """``format=`` if it names a view on offer, else the ``Accept`` header (406 only from that)."""
    return (negotiation.by_name(request.args.getlist("format"), offered)
            or negotiation.negotiate(request.headers.get("Accept"), offered))


def view_url(kind: str, key: str, fmt: Format, external: bool = False) -> str:
    if fmt.key == "html":
        return url_for("pages.entity", kind=kind, key=key, _external=external)
    return url_for("linkeddata.data", kind=kind, key=f"{key}.{EXTENSION_OF[fmt.key]}", _external=external)


def alternates(kind: str, key: str, skip: str | None = None) -> str:
    """A ``Link`` header value naming every view of a resource."""
    links = [f'<{view_url(kind, key, fmt)}>; rel="alternate"; type="{fmt.media_type.split(";")[0]}"'
             for fmt in VIEWS if fmt.key != skip]
    return ", ".join(links)


# -- dereferencing --------------------------------------------------------------------


@bp.route("/id/<kind>/<path:key>", methods=["GET"])
def dereference(kind: str, key: str) -> Response:
    g.bmkg_endpoint = "linkeddata"
    return see_other(kind, key)


@bp.route("/graph/<path:key>", methods=["GET"])
def dereference_graph(key: str) -> Response:
    g.bmkg_endpoint = "linkeddata"
    return see_other("graph", key)


def see_other(kind: str, key: str) -> Response:
    fmt = choose(VIEWS)
    iri = entities.resource_iri(kind, key)
    if iri is None or not entities.exists(iri):
        return not_found(kind, key, iri)
    response = redirect(view_url(kind, key, fmt), code=303)
    response.headers["Link"] = alternates(kind, key)
    responses.add_vary(response, "Accept")
    return response


def not_found(kind: str, key: str, iri: str | None) -> Response:
    """404 that suggests near matches: a page for browsers, plain text for other clients."""
    suggestions = entities.index().suggest(kind, key)
    plain = negotiation.Format("text", "text/plain; charset=utf-8")
    try:
        fmt = negotiation.negotiate(request.headers.get("Accept"), (HTML, plain))
    except negotiation.NotAcceptable:  # an RDF client: tell it in plain words, never a 406 for a 404
        fmt = plain
    if fmt.key == "html":
        response = web.page("not_found.html", status=404, kind=kind, key=key, iri=iri, suggestions=suggestions)
    else:
        lines = [f"404 Not Found: no statement in bmkg mentions {iri or request.path}."]
        if suggestions:
            lines.append("Did you mean:")
            lines += [f"  {e.iri}  ({e.label})" for e in suggestions]
        response = responses.text(404, "\n".join(lines))
    responses.add_vary(response, "Accept")
    return response


@bp.route("/data/<kind>/<path:key>", methods=["GET"])
def data(kind: str, key: str) -> Response:
    g.bmkg_endpoint = "linkeddata"
    whole, fmt = key, None
    for ext, candidate in EXTENSIONS.items():
        if key.endswith("." + ext) and len(key) > len(ext) + 1:
            fmt, key = candidate, key[: -len(ext) - 1]
            break
    negotiated = fmt is None
    if negotiated:
        fmt = choose(DATA_VIEWS)
    iri = entities.resource_iri(kind, key)
    if iri is None:
        return not_found(kind, key, iri)
    generation = get_runtime().generation()
    tag = responses.etag(generation, "data", iri, fmt.key, request.host_url)
    if responses.not_modified(request, tag, generation):
        response = Response(status=304)
    else:
        statements = entities.describe(iri)
        if not statements and not negotiated:
            # Keys may hold dots: "x.nt" could be a whole key, asked for without an extension.
            iri = entities.resource_iri(kind, whole)
            statements = entities.describe(iri) if iri else []
            if statements:
                key, fmt, negotiated = whole, choose(DATA_VIEWS), True
                tag = responses.etag(generation, "data", iri, fmt.key, request.host_url)
        if not statements:
            return not_found(kind, key, entities.resource_iri(kind, key))
        body = serialize(iri, statements, fmt, {f.key: view_url(kind, key, f, external=True) for f in VIEWS})
        response = Response(body, content_type=fmt.media_type)
    response.headers["Link"] = alternates(kind, key, skip=fmt.key)
    if negotiated:
        responses.add_vary(response, "Accept")
        response.headers["Content-Location"] = view_url(kind, key, fmt)
    return responses.validators(response, tag, generation)


# -- serialising a description ------------------------------------------------------------


def _prefix_block(prefixes: dict[str, str]) -> str:
    return "".join(f"@prefix {name}: <{namespace}> .\n" for name, namespace in prefixes.items())


def _without_prefixes(text: str) -> str:
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith(("@prefix ", "PREFIX ")):
        start += 1
    return "".join(lines[start:])


def _comment(text: str) -> str:
    return " ".join(text.split())


def _groups(statements: list[entities.Statement]) -> list[tuple[str, list[entities.Statement]]]:
    groups: dict[str, list[entities.Statement]] = {}
    for statement in statements:
        groups.setdefault(statement.graph, []).append(statement)
    return sorted(groups.items(), key=lambda item: entities.graph_rank(item[0]))


def serialize(iri: str, statements: list[entities.Statement], fmt: Format, urls: dict[str, str]) -> bytes:
    """A data document for one resource, its statements grouped by the graph that holds them."""
    generation = get_runtime().generation().id
    groups = _groups(statements)
    if fmt.key == "jsonld":
        # JSON-LD has no comments, but real named graphs: each statement sits in the graph that holds it.
        return ox.serialize([s.quad for s in statements], format=ox.RdfFormat.JSON_LD)
    named = fmt.key in ("trig", "nquads")
    header = [
        f"Statements about <{iri}> in bmkg (store generation {generation}):",
        "every named graph that mentions it, as subject or as object (inverse links).",
    ]
    if named:
        header.append("Each statement sits in the named graph that holds it; the graph "
                      f"<{INFERRED}> holds what the reasoner derived.")
    else:
        header += [
            "This format cannot name graphs, so each graph's statements follow a comment that names the graph",
            "(a statement several graphs make appears under each); INFERRED marks what the reasoner derived.",
            f"With real named graphs: <{urls['trig']}>, <{urls['nquads']}>, <{urls['jsonld']}>.",
        ]
    if fmt.key == "rdfxml":
        return _rdfxml(header, groups)
    out = ["".join(f"# {_comment(line)}\n" for line in header)]
    if fmt.key in ("turtle", "trig"):
        out.append(_prefix_block(DATA_PREFIXES))
    rdf_format = RDF_FORMATS[fmt.key]
    for graph, members in groups:
        info = entities.graph_info(graph)
        mark = "INFERRED " if info.inferred else ""
        out.append(f"\n# {mark}graph <{graph}>: {_comment(info.describe())}\n")
        items = [s.quad for s in members] if named else [s.triple for s in members]
        text = ox.serialize(items, format=rdf_format, prefixes=DATA_PREFIXES if fmt.key in ("turtle", "trig") else None)
        out.append(_without_prefixes(text.decode("utf-8")))
    return "".join(out).encode("utf-8")


def _xml_comment(text: str) -> str:
    return "<!-- " + _comment(text).replace("--", "- -") + " -->"


def _rdfxml(header: list[str], groups) -> bytes:
    """RDF/XML sections, one per graph, inside one ``rdf:RDF`` element, with XML comments naming the graphs."""
    opening, parts = None, []
    for graph, members in groups:
        text = ox.serialize([s.triple for s in members], format=ox.RdfFormat.RDF_XML, prefixes=DATA_PREFIXES).decode()
        start = text.index("<rdf:RDF")
        head_end = text.index(">", start) + 1
        opening = opening or text[:head_end]
        info = entities.graph_info(graph)
        mark = "INFERRED " if info.inferred else ""
        parts.append(f"\n\t{_xml_comment(f'{mark}graph <{graph}>: {info.describe()}')}")
        parts.append(text[head_end:text.rindex("</rdf:RDF>")].rstrip())
    if opening is None:
        opening = ox.serialize([], format=ox.RdfFormat.RDF_XML, prefixes=DATA_PREFIXES).decode().split("</rdf:RDF>")[0].rstrip()
    xml_decl, _, root = opening.partition("\n")
    comments = "\n".join(_xml_comment(line) for line in header)
    return f"{xml_decl}\n{comments}\n{root}{''.join(parts)}\n</rdf:RDF>\n".encode("utf-8")


# -- the ontology -----------------------------------------------------------------------


@bp.route("/ontology", methods=["GET"])
def ontology() -> Response:
    g.bmkg_endpoint = "linkeddata"
    return ontology_view(choose(ONTOLOGY_VIEWS), negotiated=True)


@bp.route("/ontology.<ext>", methods=["GET"])
def ontology_file(ext: str) -> Response:
    g.bmkg_endpoint = "linkeddata"
    fmt = HTML if ext == "html" else EXTENSIONS.get(ext)
    if fmt not in ONTOLOGY_VIEWS:
        abort(404, f"the ontology is offered as {', '.join(ontology_extensions())}")
    return ontology_view(fmt, negotiated=False)


@bp.route("/ontology/<path:rest>", methods=["GET"])
def ontology_path(rest: str) -> Response:
    """The version IRI is the ontology document too; ``/ontology/Term`` points at the term's entry."""
    g.bmkg_endpoint = "linkeddata"
    vocabulary = entities.vocabulary()
    if vocabulary.version_iri and vocabulary.version_iri == f"{entities.ONTOLOGY_IRI}/{rest}":
        return ontology_view(choose(ONTOLOGY_VIEWS), negotiated=True)
    term = entities.BM_NS + rest
    if term in vocabulary.terms:
        return redirect(url_for("linkeddata.ontology") + "#" + rest, code=303)
    names = sorted(t[len(entities.BM_NS):] for t in vocabulary.terms)
    close = difflib.get_close_matches(rest, names, n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return responses.text(404, f"404 Not Found: the bmkg ontology has no term {rest!r}{hint}")


def ontology_extensions() -> list[str]:
    return [EXTENSION_OF[f.key] for f in ONTOLOGY_VIEWS]


def _ontology_links() -> str:
    return ", ".join(f'<{url_for("linkeddata.ontology_file", ext=EXTENSION_OF[f.key])}>; rel="alternate"; '
                     f'type="{f.media_type.split(";")[0]}"' for f in ONTOLOGY_VIEWS)


def ontology_view(fmt: Format, negotiated: bool) -> Response:
    runtime = get_runtime()
    generation = runtime.generation()
    tag = responses.etag(generation, "ontology", fmt.key)
    headers = {"Link": _ontology_links()}
    if negotiated:
        headers["Content-Location"] = url_for("linkeddata.ontology_file", ext=EXTENSION_OF[fmt.key])
    if responses.not_modified(request, tag, generation):
        response = Response(status=304)
    elif fmt.key == "html":
        docs = Path(generation.path) / "docs" / "ontology.html"
        if not docs.is_file():
            return responses.text(404, "this store generation has no HTML ontology documentation; "
                                       f"the ontology is at {url_for('linkeddata.ontology_file', ext='ttl')}")
        response = Response(docs.read_bytes(), content_type=HTML.media_type)
        response.headers["Content-Security-Policy"] = web.CSP_ONTOLOGY_DOCS
    else:
        body = entities.memo().get(("ontology", fmt.key), lambda: _ontology_body(fmt))
        response = Response(body, content_type=fmt.media_type)
    for name, text in headers.items():
        response.headers[name] = text
    if negotiated:
        responses.add_vary(response, "Accept")
    return responses.validators(response, tag, generation)


def _ontology_body(fmt: Format) -> bytes:
    rows = select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {ref(ONTOLOGY_GRAPH)} {{ ?s ?p ?o }} }}")
    triples = [ox.Triple(entities.term(r["s"]), entities.term(r["p"]), entities.term(r["o"])) for r in rows]
    prefixes = DATA_PREFIXES if fmt.key in ("turtle", "rdfxml") else None
    return ox.serialize(triples, format=RDF_FORMATS[fmt.key], prefixes=prefixes)


# -- the JSON-LD context ------------------------------------------------------------------


@bp.route("/context.jsonld", methods=["GET"])
def context() -> Response:
    g.bmkg_endpoint = "linkeddata"
    body = Path(paths.JSONLD_CONTEXT).read_bytes()
    response = Response(body, content_type="application/ld+json")
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response.make_conditional(request)


# -- the dataset: DCAT and VoID -----------------------------------------------------------


#: The dataset description's views: data first (the default for ``*/*``), then a page for browsers.
DATASET_VIEWS = DATA_VIEWS + (HTML,)


@bp.route("/dataset", methods=["GET"])
def dataset() -> Response:
    g.bmkg_endpoint = "linkeddata"
    return dataset_view(choose(DATASET_VIEWS), negotiated=True)


@bp.route("/dataset.<ext>", methods=["GET"])
def dataset_file(ext: str) -> Response:
    g.bmkg_endpoint = "linkeddata"
    fmt = HTML if ext == "html" else EXTENSIONS.get(ext)
    if fmt is None:
        abort(404, f"the dataset description is offered as {', '.join(EXTENSIONS)} and html")
    return dataset_view(fmt, negotiated=False)


def dataset_links() -> str:
    views = [f'<{url_for("linkeddata.dataset_file", ext=EXTENSION_OF[f.key])}>; rel="alternate"; '
             f'type="{f.media_type.split(";")[0]}"' for f in DATA_VIEWS]
    views.append(f'<{url_for("pages.home")}>; rel="alternate"; type="text/html"')
    views.append(f'<{url_for("description.void")}>; rel="describedby"')
    return ", ".join(views)


def dataset_view(fmt: Format, negotiated: bool) -> Response:
    runtime = get_runtime()
    generation = runtime.generation()
    tag = responses.etag(generation, "dataset", fmt.key, request.host_url)
    if responses.not_modified(request, tag, generation):
        response = Response(status=304)
    else:
        quads = dataset_quads()
        if fmt.key == "html":
            alternates = [(f.media_type.split(";")[0], url_for("linkeddata.dataset_file", ext=EXTENSION_OF[f.key]))
                          for f in DATA_VIEWS]
            response = web.description_page(
                "The bmkg dataset (DCAT and VoID)",
                "What the dataset is, where it comes from and under which licences, how many statements each named"
                " graph holds, the SPARQL endpoint that serves it and the dumps to download.",
                [q.triple for q in quads], DATASET_IRI, alternates)
        elif fmt.key in ("trig", "nquads", "jsonld"):
            response = Response(ox.serialize(quads, format=RDF_FORMATS[fmt.key],
                                             prefixes=DATA_PREFIXES if fmt.key == "trig" else None),
                                content_type=fmt.media_type)
        else:
            response = Response(ox.serialize([q.triple for q in quads], format=RDF_FORMATS[fmt.key],
                                             prefixes=DATA_PREFIXES if fmt.key in ("turtle", "rdfxml") else None),
                                content_type=fmt.media_type)
    response.headers["Link"] = dataset_links()
    if negotiated:
        responses.add_vary(response, "Accept")
    return responses.validators(response, tag, generation)


def dump_index(generation) -> list[dict]:
    """The generation's ``dumps/index.json``, or nothing when the build wrote none."""
    try:
        entries = json.loads((Path(generation.path) / "dumps" / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("file"), str)]


def dataset_quads() -> list[ox.Quad]:
    """The DCAT and VoID description: the metadata graph, with live counts and the dumps as distributions.

    The build's ``void:triples`` are replaced by the counts the endpoint's
    ``/.well-known/void`` reports for the same generation, so the two agree.
    """
    runtime = get_runtime()
    generation = runtime.generation()
    stats = runtime.stats(generation)
    rows = select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {ref(METADATA_GRAPH)} {{ ?s ?p ?o }} }}")
    default = ox.DefaultGraph()
    quads = [ox.Quad(entities.term(r["s"]), entities.term(r["p"]), entities.term(r["o"]), default) for r in rows
             if not (stats is not None and value(r, "p") == VOID + "triples")]
    n = ox.NamedNode
    dataset_node = n(DATASET_IRI)

    def add(s, p: str, o) -> None:
        quads.append(ox.Quad(s, n(p), o, default))

    def integer(number: int, datatype: str = "integer") -> ox.Literal:
        return ox.Literal(str(number), datatype=n(XSD + datatype))

    add(dataset_node, RDF + "type", n(DCAT + "Dataset"))
    add(dataset_node, RDF + "type", n(VOID + "Dataset"))
    add(dataset_node, DCAT + "landingPage", n(url_for("pages.home", _external=True)))
    add(dataset_node, RDFS + "seeAlso", n(url_for("description.void", _external=True)))
    add(dataset_node, VOID + "rootResource", n(entities.ID_BASE + "scheme/roadmap"))
    add(dataset_node, VOID + "uriLookupEndpoint", ox.Literal(url_for("pages.search", _external=True) + "?q="))
    if stats is not None:
        if stats.triples is not None:
            add(dataset_node, VOID + "triples", integer(stats.triples))
        if stats.subjects is not None:
            add(dataset_node, VOID + "distinctSubjects", integer(stats.subjects))
        if stats.properties is not None:
            add(dataset_node, VOID + "properties", integer(stats.properties))
        for graph, count in sorted(stats.graphs.items()):
            if graph.startswith(GRAPH_BASE):
                add(dataset_node, VOID + "subset", n(graph))
                add(n(graph), VOID + "triples", integer(count))
    service = n(SERVICE_IRI)
    add(service, RDF + "type", n(DCAT + "DataService"))
    add(service, DCAT + "endpointURL", n(url_for("protocol.sparql", _external=True)))
    add(service, DCAT + "endpointDescription", n(url_for("protocol.sparql", _external=True)))
    add(service, DCAT + "servesDataset", dataset_node)
    for entry in dump_index(generation):
        name = entry["file"]
        download = n(url_for("dumps.dump_file", name=name, _external=True))
        distribution = n(DATASET_IRI + "dumps/" + name)
        graph = entry.get("graph", "")
        owner = n(graph) if graph.startswith(GRAPH_BASE) else dataset_node
        add(owner, DCAT + "distribution", distribution)
        add(owner, VOID + "dataDump", download)
        add(distribution, RDF + "type", n(DCAT + "Distribution"))
        add(distribution, DCAT + "downloadURL", download)
        add(distribution, DCAT + "accessURL", n(url_for("dumps.listing", _external=True)))
        add(distribution, DCTERMS + "title", ox.Literal(f"{name}: {graph}", language="en"))
        if entry.get("media_type"):
            add(distribution, DCAT + "mediaType", n(IANA + entry["media_type"]))
        if entry.get("encoding") == "gzip":
            add(distribution, DCAT + "compressFormat", n(IANA + "application/gzip"))
        if isinstance(entry.get("bytes"), int):
            add(distribution, DCAT + "byteSize", integer(entry["bytes"], "nonNegativeInteger"))
        if isinstance(entry.get("sha256"), str):
            checksum = ox.BlankNode()
            add(distribution, SPDX + "checksum", checksum)
            add(checksum, RDF + "type", n(SPDX + "Checksum"))
            add(checksum, SPDX + "algorithm", n(SPDX + "checksumAlgorithm_sha256"))
            add(checksum, SPDX + "checksumValue", ox.Literal(entry["sha256"], datatype=n(XSD + "hexBinary")))
        licence = entities.graph_info(graph).license if owner != dataset_node else None
        if licence:  # a one-graph dump carries its graph's licence; the whole dump, each graph's own
            add(distribution, DCTERMS + "license", n(licence))
    return quads
