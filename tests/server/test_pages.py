"""The HTML pages over the store built from the shipped sources, checked against the store itself."""

from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import quote

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS

from queries import library

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
VOID = Namespace("http://rdfs.org/ns/void#")
PREFIXES = """PREFIX bm: <https://w3id.org/bmkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def page(shipped_client, path: str) -> str:
    response = shipped_client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype == "text/html"
    return response.data.decode()


def test_the_home_page_shows_the_parts_topics_statistics_and_sources(shipped_client, sparql):
    body = page(shipped_client, "/")
    topics = sparql("SELECT ?t WHERE { ?t a bm:Topic }")
    parts = sparql("SELECT ?p WHERE { ?p a bm:Part }")
    assert len(topics) == 16 and len(parts) == 4
    for row in topics + parts:
        key = row.get("t") or row.get("p")
        assert f'href="/page/{key.split("/id/")[1]}"' in body, key
    total = sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]  # each statement once
    assert f"<strong>{int(total):,}</strong> statements" in body
    for licence in ("https://creativecommons.org/licenses/by/4.0/", "https://www.apache.org/licenses/LICENSE-2.0"):
        assert licence in body
    assert "Epoch AI" in body and "BMList" in body


def test_a_topic_page_lists_its_entities_and_shows_its_charts(shipped_client, sparql):
    body = page(shipped_client, "/page/topic/vision-model?all=models")
    expected = sparql("""SELECT DISTINCT ?e WHERE { GRAPH ?g { ?e bm:hasTopic <https://w3id.org/bmkg/id/topic/vision-model> }
                         FILTER(?g != <https://w3id.org/bmkg/graph/inferred>) }""")
    by_kind = {}
    for row in expected:
        kind = row["e"].split("/id/")[1].split("/")[0]
        by_kind[kind] = by_kind.get(kind, 0) + 1
    topic = body[body.index('class="topic"'):body.index('class="facts"')]
    for kind, n in by_kind.items():
        assert re.search(rf'id="{kind}">[^<]+<span class="hint">\({n}\)', topic), (kind, n)
    for row in expected:
        assert f'href="/page/{quote(row["e"].split("/id/")[1])}"' in topic
    assert set(by_kind) >= {"model", "problem", "technique", "dataset"}
    charts = re.findall(r'<img src="(/charts/[^"]+\.svg\?topic=vision-model)" alt="([^"]+)"', topic)
    assert len(charts) == 4 and all(len(alt) > 60 for _, alt in charts)
    for src, _ in charts:
        svg = shipped_client.get(src)
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert shipped_client.get(src.replace(".svg", ".csv")).mimetype == "text/csv"
    assert "/charts/accelerators.svg" in page(shipped_client, "/page/topic/computing-system")


def test_an_entity_page_gives_facts_sources_why_and_neighbours(shipped_client, shipped_store):
    body = page(shipped_client, "/page/model/gpt-3-175b-davinci")
    assert "<h1>GPT-3 175B (davinci)</h1>" in body
    # both sources' parameter counts, each with its graph
    assert re.search(r'175,000,000,000</span> <span class="srcs">[^\n]*>epoch-models<[^\n]*>bmlist<', body)
    inferred = body[body.index('id="inferred"'):body.index('class="incoming"')]
    # every path `bmkg why` finds for GPT-3 and the Machine Translation topic is on the page
    why = library.run(shipped_store, library.explanation("related-topic"),
                      {"model": "gpt-3-175b-davinci", "topic": "machine-translation"})
    vias = {row["via"].value for row in why if row["via"] is not None}
    assert vias and all(f'href="/page/{v.split("/id/")[1]}"' in inferred for v in vias)
    # neighbours that link here, by kind
    incoming = body[body.index('class="incoming"'):]
    assert 'href="/page/model/instructgpt-175b"' in incoming
    assert 'href="/page/hardware/nvidia-tesla-v100-dgxs-32-gb"' in incoming


def test_entity_pages_show_the_wikidata_link(shipped_client, sparql):
    linked = sparql("""SELECT ?e ?w WHERE { GRAPH <https://w3id.org/bmkg/graph/wikidata> { ?e <http://www.w3.org/2002/07/owl#sameAs> ?w }
                       FILTER(STRSTARTS(STR(?e), "https://w3id.org/bmkg/id/")) }""")
    assert linked
    for row in linked:
        body = page(shipped_client, "/page/" + quote(row["e"].split("/id/")[1]))
        qid = row["w"].rsplit("/", 1)[1]
        assert f'href="https://www.wikidata.org/wiki/{qid}"' in body, row


def test_search_ranks_labels_and_aliases(shipped_client):
    found = shipped_client.get("/search?q=GPT-3", headers={"Accept": "application/json"}).get_json()["results"]
    assert found[0]["iri"] in ("https://w3id.org/bmkg/id/model/gpt-3-175b-davinci",) or any(
        r["matched"] == "GPT-3" for r in found[:3])
    assert any(r["iri"].endswith("/model/gpt-3-175b-davinci") for r in found[:5])
    body = page(shipped_client, "/search?q=nvidia&kind=org")
    assert 'href="/page/org/nvidia"' in body and "/page/hardware/" not in body


def test_the_query_page_offers_the_library_and_runs_it(shipped_client):
    body = page(shipped_client, "/query")
    for name in library.library():
        assert f'<option value="{name}"' in body
    loaded = page(shipped_client, "/query?name=top-accelerators-per-topic")
    assert "# title: Top training accelerators per topic" in loaded and 'name="param.top"' in loaded
    response = shipped_client.post("/query", data={"name": "top-accelerators-per-topic", "param.top": "2",
                                           "query": library.library()["top-accelerators-per-topic"].text})
    result = response.data.decode()
    expected = shipped_client.get("/api/queries/top-accelerators-per-topic?top=2").get_json()["results"]["bindings"]
    assert response.status_code == 200
    assert re.search(rf'id="row-count">{len(expected)} rows', result)
    assert result.count("<tr>") >= len(expected)
    downloads = result[result.index('class="downloads"'):]
    for fmt in ("json", "xml", "csv", "tsv"):
        assert f'name="format" value="{fmt}"' in downloads
    # the download form reaches the endpoint with the bound query
    bound = re.search(r'name="query" value="([^"]*)"', downloads).group(1)
    assert 'VALUES (?top) { ("2"^^<http://www.w3.org/2001/XMLSchema#integer>) }' in html.unescape(bound)
    broken = shipped_client.post("/query", data={"query": "SELECT * WHERE { ?s ?p }"})
    assert broken.status_code == 400 and "SPARQL syntax error" in broken.data.decode()
    refused = shipped_client.post(
        "/query", data={"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"})
    assert refused.status_code == 403


def test_the_ontology_html_is_the_pylode_documentation(shipped_client):
    body = page(shipped_client, "/ontology")
    # the build's pyLODE output, as built: the ontology's title and an anchor per term
    assert "<title>bmkg ontology: the Big Model knowledge graph</title>" in body
    assert 'id="LanguageModel"' in body and 'id="developedBy"' in body


def test_dumps_match_their_sha256_and_the_dataset_description(shipped_client):
    files = shipped_client.get("/dumps", headers={"Accept": "application/json"}).get_json()["files"]
    names = {f["file"] for f in files}
    assert "bmkg.nq.gz" in names and "inferred.ttl.gz" in names and "wikidata.ttl.gz" in names
    for entry in files:
        body = shipped_client.get(f"/dumps/{entry['file']}").data
        assert len(body) == entry["bytes"] and hashlib.sha256(body).hexdigest() == entry["sha256"], entry["file"]
    graph = Graph().parse(data=shipped_client.get("/dataset.ttl").data, format="turtle")
    sources = ("epoch-models", "epoch-hardware", "bmlist", "curated", "wikidata")
    for name in sources:
        subset = URIRef(f"https://w3id.org/bmkg/graph/{name}")
        assert graph.value(subset, DCTERMS.license) is not None, name
        assert graph.value(subset, DCTERMS.bibliographicCitation) is not None, name
    turtle = shipped_client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data
    void = Graph().parse(data=turtle, format="turtle")
    theirs = {s: o for s, o in void.subject_objects(VOID.triples) if str(s).startswith("https://w3id.org/bmkg/graph/")}
    ours = {s: o for s, o in graph.subject_objects(VOID.triples) if str(s).startswith("https://w3id.org/bmkg/graph/")}
    assert theirs and ours == theirs
