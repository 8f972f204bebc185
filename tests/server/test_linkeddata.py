"""Linked data over a small hand-built store: /id 303s, data views, the ontology, the context,
DCAT/VoID, dumps, and what every HTML page must carry (security headers, inert labels)."""

from __future__ import annotations

import gzip
import hashlib
import json

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from ontology import graph_iri, mint
from ontology.terms import BM
from server.app import create_app

DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # a plain Namespace: rdflib's XSD warns under doctest collection
SOURCE = str(graph_iri("test-source"))
CURATED = str(graph_iri("curated"))
INFERRED = str(graph_iri("inferred"))
ONTOLOGY_GRAPH = str(graph_iri("ontology"))
METADATA = str(graph_iri("metadata"))
WIKIDATA = str(graph_iri("wikidata"))
ALPHA = str(mint("model", "alpha"))
ACME = str(mint("org", "acme"))
ATTENTION = str(mint("technique", "attention"))
LM = str(mint("topic", "language model"))
VISION = str(mint("topic", "vision model"))
PART = str(mint("part", "models"))
DOTTED = str(mint("dataset", "corpus.nt"))  # a key that ends like a file extension
EVIL = 'Alpha <script>alert("x")</script>'
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
DUMP = b"<https://w3id.org/bmkg/id/model/alpha> <http://www.w3.org/2000/01/rdf-schema#label> \"Alpha\" .\n"


def _q(s, p, o, g) -> ox.Quad:
    obj = o if isinstance(o, (ox.Literal, ox.NamedNode)) else ox.NamedNode(str(o))
    return ox.Quad(ox.NamedNode(str(s)), ox.NamedNode(str(p)), obj, ox.NamedNode(g))


def _typed(value: str, datatype) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(str(datatype)))


def linked_quads() -> list[ox.Quad]:
    """A model with a hostile label, its developer and technique, two topics, inferences, the
    ontology terms they use, graph metadata and a Wikidata link."""
    ontology = "https://w3id.org/bmkg/ontology"
    return [
        _q(ALPHA, RDF.type, BM.LanguageModel, SOURCE),
        _q(ALPHA, RDFS.label, ox.Literal(EVIL), SOURCE),
        _q(ALPHA, BM.parameterCount, _typed("7000000000", XSD.integer), SOURCE),
        _q(ALPHA, BM.publicationDate, _typed("2021-03-04", XSD.date), SOURCE),
        _q(ALPHA, BM.developedBy, ACME, SOURCE),
        _q(ALPHA, BM.hasTopic, LM, SOURCE),
        _q(ALPHA, BM.usesTechnique, ATTENTION, SOURCE),
        _q(ACME, RDF.type, BM.Organization, SOURCE),
        _q(ACME, RDFS.label, ox.Literal("Acme & Co"), SOURCE),
        _q(ATTENTION, RDF.type, BM.Technique, CURATED),
        _q(ATTENTION, RDFS.label, ox.Literal("Attention", language="en"), CURATED),
        _q(ATTENTION, BM.impliesTopic, VISION, CURATED),
        _q(LM, RDF.type, BM.Topic, CURATED),
        _q(LM, RDFS.label, ox.Literal("Language Model", language="en"), CURATED),
        _q(LM, SKOS.broader, PART, CURATED),
        _q(LM, BM.roadmapOrder, _typed("5", XSD.integer), CURATED),
        _q(VISION, RDF.type, BM.Topic, CURATED),
        _q(VISION, RDFS.label, ox.Literal("Vision Model", language="en"), CURATED),
        _q(VISION, SKOS.broader, PART, CURATED),
        _q(VISION, BM.roadmapOrder, _typed("6", XSD.integer), CURATED),
        _q(PART, RDF.type, BM.Part, CURATED),
        _q(PART, RDFS.label, ox.Literal("Models", language="en"), CURATED),
        _q(PART, BM.roadmapOrder, _typed("2", XSD.integer), CURATED),
        _q(DOTTED, RDFS.label, ox.Literal("corpus.nt"), CURATED),
        _q(ALPHA, BM.relatedTopic, VISION, INFERRED),
        _q(ALPHA, BM.relatedTopic, LM, INFERRED),
        _q(ALPHA, RDF.type, BM.BigModel, INFERRED),
        _q(ACME, BM.developed, ALPHA, INFERRED),
        _q(ACME, OWL.sameAs, "http://www.wikidata.org/entity/Q4242", WIKIDATA),
        _q(ontology, RDF.type, OWL.Ontology, ONTOLOGY_GRAPH),
        _q(ontology, OWL.versionIRI, ontology + "/9.9.9", ONTOLOGY_GRAPH),
        _q(BM.developedBy, RDFS.label, ox.Literal("developed by", language="en"), ONTOLOGY_GRAPH),
        _q(BM.developed, RDFS.label, ox.Literal("developed", language="en"), ONTOLOGY_GRAPH),
        _q(BM.developed, OWL.inverseOf, BM.developedBy, ONTOLOGY_GRAPH),
        _q(BM.LanguageModel, RDFS.subClassOf, BM.Model, ONTOLOGY_GRAPH),
        _q(BM.Model, RDFS.label, ox.Literal("model", language="en"), ONTOLOGY_GRAPH),
        _q(SOURCE, DCTERMS.title, ox.Literal("Test source", language="en"), METADATA),
        _q(SOURCE, DCTERMS.license, CC_BY, METADATA),
        _q(SOURCE, DCTERMS.bibliographicCitation, ox.Literal("Data: the test source, CC BY 4.0"), METADATA),
        _q(SOURCE, VOID.triples, _typed("999", XSD.integer), METADATA),  # a stale build count: replaced
        _q(CURATED, DCTERMS.title, ox.Literal("Curated", language="en"), METADATA),
        _q(CURATED, DCTERMS.license, CC_BY, METADATA),
        _q("https://w3id.org/bmkg/", RDF.type, DCAT.Dataset, METADATA),
        _q("https://w3id.org/bmkg/", VOID.subset, SOURCE, METADATA),
    ]


@pytest.fixture(scope="module")
def linked(tmp_path_factory, publish_generation):
    root = tmp_path_factory.mktemp("linked") / "store"
    generation = publish_generation(root, linked_quads())
    dumps = generation.path / "dumps"
    dumps.mkdir()
    body = gzip.compress(DUMP, mtime=0)
    (dumps / "bmkg.nq.gz").write_bytes(body)
    (dumps / "index.json").write_text(json.dumps([{
        "file": "bmkg.nq.gz", "graph": "all named graphs", "media_type": "application/n-quads", "encoding": "gzip",
        "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}]))
    (generation.path / "secret.txt").write_text("not for the web")
    (generation.path / "docs").mkdir()
    (generation.path / "docs" / "ontology.html").write_text("<!doctype html><title>pyLODE docs</title><style>p{}</style>")
    return root


@pytest.fixture(scope="module")
def client(linked):
    app = create_app({"TESTING": True, "STORE": str(linked), "TIMEOUT_S": 10})
    yield app.test_client()
    app.extensions["bmkg"].close()


# -- dereferencing ----------------------------------------------------------------------


@pytest.mark.parametrize("accept, location", [
    (BROWSER, "/page/model/alpha"),
    ("text/turtle", "/data/model/alpha.ttl"),
    ("application/ld+json", "/data/model/alpha.jsonld"),
    ("application/n-triples", "/data/model/alpha.nt"),
    ("application/rdf+xml", "/data/model/alpha.rdf"),
    ("application/trig", "/data/model/alpha.trig"),
    ("application/n-quads", "/data/model/alpha.nq"),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", "/data/model/alpha.jsonld"),
    (None, "/page/model/alpha"),
    ("*/*", "/page/model/alpha"),
])
def test_an_entity_iri_answers_303_by_accept(client, accept, location):
    response = client.get("/id/model/alpha", headers={"Accept": accept} if accept else {})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(location)
    assert "Accept" in response.headers["Vary"]
    links = response.headers["Link"]
    for view in ("/page/model/alpha", "/data/model/alpha.ttl", "/data/model/alpha.jsonld", "/data/model/alpha.rdf",
                 "/data/model/alpha.nt"):
        assert f"<{view}>" in links
    assert 'rel="alternate"' in links and 'type="text/turtle"' in links


def test_format_overrides_accept_but_never_causes_a_406(client):
    def where(path: str, accept: str) -> tuple[int, str]:
        response = client.get(path, headers={"Accept": accept})
        return response.status_code, response.headers.get("Location", "")

    assert where("/id/model/alpha?format=ttl", BROWSER)[1].endswith("/data/model/alpha.ttl")
    assert where("/id/model/alpha?format=jsonld", "image/png")[1].endswith("/data/model/alpha.jsonld")
    # a format= that names nothing on offer is ignored: the good Accept decides
    assert where("/id/model/alpha?format=png", "text/turtle")[1].endswith("/data/model/alpha.ttl")
    assert where("/id/model/alpha", "image/png")[0] == 406


def test_an_unknown_iri_gets_a_404_page_with_near_matches(client):
    response = client.get("/id/model/alfa", headers={"Accept": BROWSER})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert b'href="/page/model/alpha"' in response.data
    text = client.get("/id/model/alpha-1", headers={"Accept": "text/turtle"})
    assert text.status_code == 404 and text.mimetype == "text/plain"
    assert ALPHA.encode() in text.data
    assert client.get("/id/robot/alpha").status_code == 404
    # the key exists under another kind: suggested
    assert b"/page/org/acme" in client.get("/id/model/acme", headers={"Accept": BROWSER}).data


def test_a_graph_iri_dereferences_too(client):
    response = client.get("/graph/test-source", headers={"Accept": "text/turtle"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/data/graph/test-source.ttl")
    data = client.get("/data/graph/test-source.ttl")
    graph = Graph().parse(data=data.data, format="turtle")
    assert (URIRef(SOURCE), DCTERMS.license, URIRef(CC_BY)) in graph


# -- data views -------------------------------------------------------------------------


def test_the_turtle_view_groups_statements_by_graph_and_marks_inferences(client):
    response = client.get("/data/model/alpha.ttl")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    text = response.data.decode()
    graph = Graph().parse(data=text, format="turtle")
    alpha = URIRef(ALPHA)
    assert (alpha, RDFS.label, Literal(EVIL)) in graph
    assert (URIRef(ACME), BM.developed, alpha) in graph  # an inverse link, from the inferred graph
    assert (alpha, BM.relatedTopic, URIRef(VISION)) in graph
    source_at = text.index(f"# graph <{SOURCE}>: Test source; licence <{CC_BY}>")
    inferred_at = text.index(f"# INFERRED graph <{INFERRED}>")
    assert source_at < text.index("relatedTopic") and inferred_at < text.index("bm:relatedTopic")
    assert text.index("bm:BigModel") > inferred_at > text.index("bm:developedBy")
    assert str(OWL.Ontology) not in text  # only statements about this entity


def test_every_view_holds_the_same_statements(client):
    expected = set(Graph().parse(data=client.get("/data/model/alpha.ttl").data, format="turtle"))
    assert len(expected) == 11  # 7 asserted, 4 inferred (3 out, 1 inverse); none lost
    for ext, fmt in (("nt", "nt"), ("rdf", "xml")):
        response = client.get(f"/data/model/alpha.{ext}")
        assert set(Graph().parse(data=response.data, format=fmt)) == expected, ext
    for ext, fmt in (("trig", "trig"), ("nq", "nquads"), ("jsonld", "json-ld")):
        dataset = Dataset()
        dataset.parse(data=client.get(f"/data/model/alpha.{ext}").data, format=fmt)
        quads = {(s, p, o, str(g)) for s, p, o, g in dataset.quads()}
        assert {(s, p, o) for s, p, o, _ in quads} == expected, ext
        # real named graphs: each statement in the graph that holds it
        assert (URIRef(ALPHA), RDF.type, BM.BigModel, INFERRED) in quads
        assert (URIRef(ALPHA), BM.developedBy, URIRef(ACME), SOURCE) in quads


def test_data_without_an_extension_is_negotiated(client):
    response = client.get("/data/model/alpha", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200 and response.mimetype == "application/n-triples"
    assert "Accept" in response.headers["Vary"] and response.headers["Content-Location"].endswith("alpha.nt")
    assert client.get("/data/model/alpha", headers={"Accept": "image/png"}).status_code == 406


def test_a_key_with_a_dot_is_not_mistaken_for_an_extension(client):
    assert DOTTED.endswith("/dataset/corpus.nt")
    whole = client.get("/data/dataset/corpus.nt", headers={"Accept": "text/turtle"})
    assert whole.status_code == 200 and whole.mimetype == "text/turtle"
    assert (URIRef(DOTTED), RDFS.label, Literal("corpus.nt")) in Graph().parse(data=whole.data, format="turtle")
    explicit = client.get("/data/dataset/corpus.nt.nt")
    assert explicit.mimetype == "application/n-triples" and DOTTED.encode() in explicit.data
    assert client.get("/id/dataset/corpus.nt", headers={"Accept": "text/turtle"}).headers["Location"].endswith(
        "/data/dataset/corpus.nt.ttl")


def test_data_views_answer_304_to_their_etag(client):
    first = client.get("/data/model/alpha.ttl")
    again = client.get("/data/model/alpha.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/data/model/nothing-here.ttl").status_code == 404


# -- the ontology, the context and the dataset -----------------------------------------------


def test_the_ontology_iri_dereferences_to_its_document(client):
    docs = client.get("/ontology", headers={"Accept": BROWSER})
    assert docs.status_code == 200 and b"pyLODE docs" in docs.data
    assert "'unsafe-inline'" in docs.headers["Content-Security-Policy"]  # pyLODE's own styles
    assert "script-src 'none'" in docs.headers["Content-Security-Policy"]
    for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")):
        response = client.get("/ontology", headers={"Accept": accept})
        assert response.status_code == 200 and "Accept" in response.headers["Vary"]
        graph = Graph().parse(data=response.data, format=fmt)
        assert (URIRef("https://w3id.org/bmkg/ontology"), RDF.type, OWL.Ontology) in graph
        assert (BM.developed, OWL.inverseOf, BM.developedBy) in graph
    assert client.get("/ontology/9.9.9", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"
    term = client.get("/ontology/developedBy")
    assert term.status_code == 303 and term.headers["Location"].endswith("/ontology#developedBy")
    missing = client.get("/ontology/developdBy")
    assert missing.status_code == 404 and b"developedBy" in missing.data


def test_the_json_ld_context_is_published(client):
    response = client.get("/context.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    context = json.loads(response.data)["@context"]
    assert context["bm"] == str(BM)
    assert client.get("/context.jsonld", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_the_dataset_description_gives_licences_dumps_and_the_void_counts(client):
    response = client.get("/dataset", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format="turtle")
    dataset = URIRef("https://w3id.org/bmkg/")
    assert (dataset, RDF.type, DCAT.Dataset) in graph and (dataset, RDF.type, VOID.Dataset) in graph
    assert (URIRef(SOURCE), DCTERMS.license, URIRef(CC_BY)) in graph
    assert graph.value(URIRef(SOURCE), DCTERMS.bibliographicCitation) == Literal("Data: the test source, CC BY 4.0")
    distribution = graph.value(dataset, DCAT.distribution)
    assert str(graph.value(distribution, DCAT.downloadURL)).endswith("/dumps/bmkg.nq.gz")
    checksum = graph.value(distribution, SPDX.checksum)
    body = gzip.compress(DUMP, mtime=0)
    assert str(graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()
    assert graph.value(distribution, DCAT.byteSize).toPython() == len(body)
    # the counts are the ones /.well-known/void reports, not the stale build count in the metadata graph
    void = Graph().parse(data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data, format="turtle")
    void_counts = {str(s): o.toPython() for s, o in void.subject_objects(VOID.triples) if str(s).startswith("https://w3id")}
    ours = {str(s): o.toPython() for s, o in graph.subject_objects(VOID.triples)}
    assert ours[SOURCE] == void_counts[SOURCE] == 9 and 999 not in ours.values()
    assert ours[str(dataset)] == len(linked_quads())
    # the home page IRI is the dataset IRI: RDF clients get the description there
    home = client.get("/", headers={"Accept": "text/turtle"})
    assert (dataset, RDF.type, DCAT.Dataset) in Graph().parse(data=home.data, format="turtle")


def test_dumps_are_listed_and_served_and_nothing_else(client):
    listing = client.get("/dumps", headers={"Accept": "application/json"})
    assert [f["file"] for f in listing.get_json()["files"]] == ["bmkg.nq.gz"]
    response = client.get("/dumps/bmkg.nq.gz")
    assert response.status_code == 200
    assert hashlib.sha256(response.data).hexdigest() == listing.get_json()["files"][0]["sha256"]
    assert gzip.decompress(response.data) == DUMP
    assert "attachment" in response.headers["Content-Disposition"]
    for path in ("/dumps/index.json", "/dumps/../secret.txt", "/dumps/%2e%2e%2fsecret.txt", "/dumps/..%2Fsecret.txt"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert b"not for the web" not in answer.data
    assert b"bmkg.nq.gz" in client.get("/dumps", headers={"Accept": BROWSER}).data


# -- pages ----------------------------------------------------------------------------------


def test_html_pages_carry_security_headers_and_render_labels_inert(client):
    for path in ("/page/model/alpha", "/", "/search?q=alpha", "/query", "/id/model/zzz", "/sparql"):
        response = client.get(path, headers={"Accept": BROWSER})
        assert response.mimetype == "text/html", path
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    for path in ("/page/model/alpha", "/search?q=alpha", "/page/org/acme"):
        body = client.get(path).data.decode()
        assert "<script>alert" not in body, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body, path
    assert "<script>" not in client.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E").data.decode()


def test_an_entity_page_shows_sources_inferences_and_why(client):
    body = client.get("/page/model/alpha").data.decode()
    # values with their source graph
    assert 'href="/page/graph/test-source"' in body and 'title="Test source"' in body
    assert 'class="src inferred"' in body
    # bm:relatedTopic vision-model: because alpha uses Attention (test-source), which implies the topic (curated)
    inferred = body[body.index('id="inferred"'):]
    assert 'href="/page/technique/attention">Attention</a>' in inferred
    assert 'href="/page/graph/curated"' in inferred
    # bm:BigModel: because of the parameter count
    assert "parameter count 7,000,000,000 ≥ 10⁹" in inferred
    org = client.get("/page/org/acme").data.decode()
    assert 'href="https://www.wikidata.org/wiki/Q4242"' in org
    # bm:developed: the inverse of developedBy, stated in test-source
    assert "is its inverse" in org[org.index('id="inferred"'):]
    why = client.get("/why/alpha/vision-model")
    assert why.status_code == 200 and b"/page/technique/attention" in why.data
    assert client.get("/why/alpha/nothing").status_code == 404


def test_search_finds_labels_and_aliases(client):
    found = client.get("/search?q=acme", headers={"Accept": "application/json"}).get_json()["results"]
    assert [r["iri"] for r in found] == [ACME]
    assert client.get("/search?q=attention&kind=model", headers={"Accept": "application/json"}).get_json()["results"] == []
    assert client.get("/search?q=ATTENT", headers={"Accept": "application/json"}).get_json()["results"][0]["iri"] == ATTENTION
