"""The service description at GET /sparql and VoID at /.well-known/void."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
BMS = Namespace("https://w3id.org/bmkg/service#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def description(client, accept: str | None = None, rdflib_format: str = "turtle") -> Graph:
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200, response.data
    assert "Accept" in response.headers["Vary"]
    return Graph().parse(data=response.data, format=rdflib_format)


def test_the_service_description_names_the_endpoint_formats_and_features(client):
    graph = description(client)
    service = URIRef("http://localhost/sparql")
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in graph
    formats = set(graph.objects(service, SD.resultFormat))
    assert {FORMATS.SPARQL_Results_JSON, FORMATS.SPARQL_Results_XML, FORMATS.SPARQL_Results_CSV,
            FORMATS.SPARQL_Results_TSV, FORMATS.Turtle, FORMATS["N-Triples"], FORMATS["JSON-LD"], FORMATS.RDF_XML} <= formats
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert (service, SD.feature, SD.BasicFederatedQuery) not in graph


def test_the_service_description_lists_the_default_dataset_and_named_graphs(client, tiny):
    graph = description(client)
    dataset = graph.value(URIRef("http://localhost/sparql"), SD.defaultDataset)
    assert graph.value(dataset, SD.defaultGraph) is not None
    named = {graph.value(n, SD.name): graph.value(graph.value(n, SD.graph), VOID.triples)
             for n in graph.objects(dataset, SD.namedGraph)}
    assert named == {URIRef(tiny.models): Literal(7, datatype=XSD.integer),
                     URIRef(tiny.orgs): Literal(4, datatype=XSD.integer)}
    assert graph.value(dataset, VOID.triples) == Literal(11, datatype=XSD.integer)


def test_the_row_cap_and_timeout_are_in_the_service_description(make_app):
    graph = description(make_app(ROW_CAP=250, TIMEOUT_S=7).test_client())
    service = URIRef("http://localhost/sparql")
    assert graph.value(service, BMS.rowCap).toPython() == 250
    assert float(graph.value(service, BMS.queryTimeoutSeconds).toPython()) == 7.0


def test_the_nesting_and_size_limits_are_in_the_service_description_and_void(make_app):
    client = make_app(MAX_QUERY_DEPTH=40, MAX_SUBQUERY_DEPTH=5, MAX_QUERY_TOKENS=900).test_client()
    service = URIRef("http://localhost/sparql")
    void = URIRef("http://localhost/.well-known/void#dataset")
    for graph, node in ((description(client), service),
                        (Graph().parse(data=client.get("/.well-known/void").data, format="turtle"), void)):
        assert graph.value(node, BMS.maxQueryDepth).toPython() == 40
        assert graph.value(node, BMS.maxSubqueryDepth).toPython() == 5
        assert graph.value(node, BMS.maxQueryTokens).toPython() == 900
        comment = " ".join(str(c) for c in graph.objects(node, URIRef("http://www.w3.org/2000/01/rdf-schema#comment")))
        assert "900 tokens" in comment and "40 deep" in comment and "arrive" in comment
    page = client.get("/sparql", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert "900 tokens" in page and "40 deep" in page


def test_update_support_is_described_when_enabled(writable_client):
    graph = description(writable_client)
    assert (URIRef("http://localhost/sparql"), SD.supportedLanguage, SD.SPARQL11Update) in graph


@pytest.mark.parametrize("accept, rdflib_format", [
    ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
    ("application/n-triples", "nt"),
])
def test_the_service_description_is_negotiated(client, accept, rdflib_format):
    graph = description(client, accept, rdflib_format)
    assert (URIRef("http://localhost/sparql"), RDF.type, SD.Service) in graph


def test_a_browser_gets_the_query_page(client):
    response = client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert b'<form method="post"' in response.data and b'name="query"' in response.data
    assert b"Row cap" in response.data and "Accept" in response.headers["Vary"]


def test_the_endpoint_form_runs_into_a_results_table_not_raw_json(client):
    page = client.get("/sparql", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert '<form method="post" action="/query">' in page  # "Run query" shows the table
    assert 'formaction="http://localhost/sparql"' in page  # "Download" asks /sparql for a format
    # what the browser sends when "Run query" is pressed: the form's fields, format included
    response = client.post("/query", data={"query": "SELECT ?s ?o { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o }",
                                           "format": "json"}, headers={"Accept": BROWSER})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert '<table class="results">' in html and "GPT-3" in html and '"bindings"' not in html


@pytest.mark.parametrize("path", ["/.well-known/void", "/dataset"])
def test_browsers_get_a_page_for_void_and_the_dataset_and_rdf_clients_still_get_rdf(client, path):
    response = client.get(path, headers={"Accept": BROWSER})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Content-Security-Policy" in response.headers and "Accept" in response.headers["Vary"]
    assert "<h1>" in html and "triples" in html and 'type="text/turtle"' in html
    assert client.get(path).mimetype == "text/turtle"  # no Accept: the data, as before
    assert client.get(path, headers={"Accept": "*/*"}).mimetype == "text/turtle"
    assert client.get(path, headers={"Accept": "application/ld+json"}).mimetype == "application/ld+json"
    assert client.get(path, headers={"Accept": "image/png"}).status_code == 406


def test_the_void_page_links_its_blank_nodes_and_its_formats(client):
    html = client.get("/.well-known/void", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert 'href="#b-' in html and 'id="b-' in html  # class partitions and named graphs, as sections
    assert "LanguageModel" in html
    turtle = client.get("/.well-known/void?format=turtle", headers={"Accept": BROWSER})
    assert turtle.mimetype == "text/turtle"
    assert client.get("/dataset.html").mimetype == "text/html"


def test_an_unsatisfiable_accept_for_the_description_is_406(client):
    assert client.get("/sparql", headers={"Accept": "image/png"}).status_code == 406


def test_void_gives_statistics_and_points_to_the_endpoint(client, tiny):
    response = client.get("/.well-known/void")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    dataset = URIRef("http://localhost/.well-known/void#dataset")
    assert (dataset, RDF.type, VOID.Dataset) in graph
    assert graph.value(dataset, VOID.sparqlEndpoint) == URIRef("http://localhost/sparql")
    assert graph.value(dataset, VOID.triples).toPython() == 11
    assert graph.value(dataset, VOID.distinctSubjects).toPython() == 4
    assert {URIRef(tiny.models), URIRef(tiny.orgs)} == set(graph.objects(dataset, VOID.subset))
    classes = {graph.value(p, VOID["class"]): graph.value(p, VOID.entities).toPython()
               for p in graph.objects(dataset, VOID.classPartition)}
    assert classes == {URIRef("https://w3id.org/bmkg/ontology#LanguageModel"): 2,
                       URIRef("https://w3id.org/bmkg/ontology#Organization"): 2}


def test_void_answers_304_to_its_etag(client):
    first = client.get("/.well-known/void")
    assert client.get("/.well-known/void", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
