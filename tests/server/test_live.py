"""Real clients and real failure modes against a live ``bmkg serve``.

One server for the module: two web processes, a 1 s query timeout, updates
enabled with the test token.
"""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import quote

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

pytestmark = pytest.mark.slow

LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
SELECT = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label"


@pytest.fixture(scope="module")
def live_root(tmp_path_factory, publish_generation, tiny):
    root = tmp_path_factory.mktemp("live") / "store"
    publish_generation(root, tiny.quads())
    return root


@pytest.fixture(scope="module")
def server(live_servers, live_root):
    return live_servers(live_root, "--enable-updates", "--timeout-s", "1", "--workers", "2", "--row-cap", "1000")


def wrapper(server, query: str, fmt: str, method: str = GET) -> SPARQLWrapper:
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


# -- SPARQLWrapper, every return format ---------------------------------------------------------


@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_select_in_json_and_xml(server, method):
    as_json = wrapper(server, SELECT, JSON, method).query().convert()
    assert [b["label"]["value"] for b in as_json["results"]["bindings"]] == ["BERT", "GPT-3", "Google", "OpenAI"]
    as_xml = wrapper(server, SELECT, XML, method).query().convert()  # a minidom Document
    literals = [n.firstChild.data for n in as_xml.getElementsByTagName("literal")]
    assert literals == ["BERT", "GPT-3", "Google", "OpenAI"]


@pytest.mark.parametrize("fmt, separator", [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_select_in_csv_and_tsv(server, fmt, separator):
    text = wrapper(server, SELECT, fmt).query().convert().decode("utf-8")
    lines = text.strip().splitlines()
    assert lines[0].replace("?", "").split(separator) == ["s", "label"]
    assert len(lines) == 5 and "OpenAI" in lines[-1]


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(server, fmt, tiny):
    result = wrapper(server, f"ASK {{ <{tiny.gpt3}> ?p ?o }}", fmt).query().convert()
    if fmt == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, XML, JSONLD])
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_sparqlwrapper_graph_results(server, fmt, form, tiny):
    query = (f"CONSTRUCT {{ <{tiny.gpt3}> ?p ?o }} WHERE {{ <{tiny.gpt3}> ?p ?o }}" if form == "CONSTRUCT"
             else f"DESCRIBE <{tiny.gpt3}>")
    graph = wrapper(server, query, fmt).query().convert()
    if fmt in (TURTLE, N3):  # SPARQLWrapper hands these back as bytes
        graph = Graph().parse(data=graph, format="turtle")
    assert isinstance(graph, Graph) and len(graph) == 4
    assert graph.value(URIRef(tiny.gpt3), LABEL) == Literal("GPT-3", lang="en")


def test_sparqlwrapper_update_with_the_token(server, token):
    client = SPARQLWrapper(server.endpoint)
    client.setMethod(POST)
    client.addCustomHttpHeader("Authorization", f"Bearer {token}")
    client.setQuery("INSERT DATA { GRAPH <http://example.org/wrapper> { <http://example.org/w> <http://example.org/p> 1 } }")
    assert client.query().response.status == 204
    ask = wrapper(server, "ASK { GRAPH <http://example.org/wrapper> { ?s ?p 1 } }", JSON).query().convert()
    assert ask["boolean"] is True


# -- rdflib's SPARQLStore --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore_queries_the_endpoint(server, tiny, method):
    graph = Graph(store=SPARQLStore(server.endpoint, method=method))
    labels = sorted(str(row.label) for row in graph.query(SELECT))
    assert labels == ["BERT", "GPT-3", "Google", "OpenAI"]
    assert graph.value(URIRef(tiny.gpt3), LABEL) == Literal("GPT-3", lang="en")
    assert set(graph.objects(URIRef(tiny.bert), URIRef("https://w3id.org/bmkg/ontology#developedBy"))) == {URIRef(tiny.google)}
    assert graph.query(f"ASK {{ <{tiny.openai}> ?p ?o }}").askAnswer is True


# -- limits and failure modes -------------------------------------------------------------------------


def test_a_slow_query_times_out_while_the_server_keeps_answering(server, slow_query):
    outcome = {}

    def slow():
        started = time.monotonic()
        outcome["slow"] = server.request("POST", "/sparql", slow_query.encode(),
                                         {"Content-Type": "application/sparql-query"})
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    health = server.request("GET", "/healthz")
    cheap = server.request("GET", "/sparql?query=" + quote("ASK { ?s ?p ?o }"))
    assert health[0] == 200 and cheap[0] == 200 and json.loads(cheap[2])["boolean"] is True
    assert time.monotonic() - started < 1.0  # answered while the slow query was still running
    thread.join()
    status, headers, body = outcome["slow"]
    assert status == 504 and b"limit of 1 s" in body
    assert headers["content-type"].startswith("text/plain")
    assert outcome["seconds"] < 4
    metrics = server.request("GET", "/metrics")[2].decode()
    assert "bmkg_query_timeouts_total 1" in metrics


def test_a_new_generation_is_picked_up_without_restart_or_failed_requests(server, live_root, publish_generation, tiny):
    extra = tiny.quads() + [publish_quad("https://w3id.org/bmkg/id/model/new-model", tiny.models)]
    statuses: list[int] = []
    failures: list[bytes] = []
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            status, _, body = server.request("GET", "/sparql?query=" + quote(SELECT))
            statuses.append(status)
            if status != 200:
                failures.append(body)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    generation = publish_generation(live_root, extra)
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join()
    assert statuses and set(statuses) == {200}, failures[:3]
    status, headers, body = server.request("GET", "/sparql?query=" + quote(SELECT))
    assert "New model" in body.decode() and generation.id in headers["etag"]
    assert json.loads(server.request("GET", "/healthz")[2])["generation"] == generation.id


def publish_quad(subject: str, graph: str):
    import pyoxigraph as ox

    return ox.Quad(ox.NamedNode(subject), ox.NamedNode(str(LABEL)), ox.Literal("New model"), ox.NamedNode(graph))


def test_gzip_and_conditional_requests_over_http(server):
    path = "/sparql?query=" + quote(SELECT)
    status, headers, body = server.request("GET", path, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and "accept" in headers["vary"].lower()
    again = server.request("GET", path, headers={"If-None-Match": headers["etag"]})
    assert again[0] == 304 and again[2] == b""
