"""The Graph Store Protocol at /store (only when writes are enabled)."""

from __future__ import annotations

from urllib.parse import quote

from rdflib import Graph, URIRef

G = "http://example.org/graph/one"
TTL = b"@prefix ex: <http://example.org/> . ex:a ex:p ex:b . ex:a ex:p ex:c ."
MORE = b"<http://example.org/a> <http://example.org/p> <http://example.org/d> ."
TURTLE = "text/turtle"


def url(graph: str = G) -> str:
    return f"/store?graph={quote(graph, safe='')}"


def test_the_graph_store_is_absent_when_writes_are_disabled(client):
    assert client.get(url()).status_code == 404


def test_put_creates_then_replaces_a_graph(writable_client, token):
    auth = {"Authorization": f"Bearer {token}"}
    created = writable_client.put(url(), data=TTL, content_type=TURTLE, headers=auth)
    assert created.status_code == 201
    replaced = writable_client.put(url(), data=MORE, content_type="application/n-triples", headers=auth)
    assert replaced.status_code == 204
    graph = Graph().parse(data=writable_client.get(url()).data, format="turtle")
    assert set(graph.objects()) == {URIRef("http://example.org/d")}


def test_post_merges_and_get_negotiates(writable_client, token):
    auth = {"Authorization": f"Bearer {token}"}
    assert writable_client.post(url(), data=TTL, content_type=TURTLE, headers=auth).status_code == 201
    assert writable_client.post(url(), data=MORE, content_type="application/n-triples", headers=auth).status_code == 204
    response = writable_client.get(url(), headers={"Accept": "application/n-triples"})
    assert response.mimetype == "application/n-triples" and "Accept" in response.headers["Vary"]
    assert len(Graph().parse(data=response.data, format="nt")) == 3


def test_delete_removes_a_graph_and_a_missing_one_is_404(writable_client, token):
    auth = {"Authorization": f"Bearer {token}"}
    writable_client.put(url(), data=TTL, content_type=TURTLE, headers=auth)
    assert writable_client.delete(url(), headers=auth).status_code == 204
    assert writable_client.get(url()).status_code == 404
    assert writable_client.delete(url(), headers=auth).status_code == 404


def test_the_default_graph_is_the_union_of_the_asserted_graphs_and_keeps_its_own_writes(writable_client, token):
    auth = {"Authorization": f"Bearer {token}"}
    sources = len(Graph().parse(data=writable_client.get("/store?default").data, format="turtle"))
    assert sources == 11  # the tiny store's two named graphs, each statement once
    assert writable_client.put("/store?default", data=TTL, content_type=TURTLE, headers=auth).status_code == 204
    # the two new statements are kept (in the graph "local"); the sources' statements stay
    assert len(Graph().parse(data=writable_client.get("/store?default").data, format="turtle")) == sources + 2
    local = writable_client.get(url("https://w3id.org/bmkg/graph/local"))
    assert len(Graph().parse(data=local.data, format="turtle")) == 2
    assert writable_client.put("/store?default", data=MORE, content_type=TURTLE, headers=auth).status_code == 204
    # a PUT replaces what was written to the default graph, not what the sources state
    assert len(Graph().parse(data=writable_client.get("/store?default").data, format="turtle")) == sources + 1


def test_writes_need_the_token_and_a_known_content_type(writable_client, token):
    assert writable_client.put(url(), data=TTL, content_type=TURTLE).status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    assert writable_client.put(url(), data=TTL, content_type="application/pdf", headers=auth).status_code == 415
    bad = writable_client.put(url(), data=b"this is not turtle", content_type=TURTLE, headers=auth)
    assert bad.status_code == 400


def test_the_graph_must_be_named_exactly_once(writable_client):
    assert writable_client.get("/store").status_code == 400
    assert writable_client.get(f"/store?default&graph={quote(G)}").status_code == 400
    assert writable_client.get("/store?graph=not%20an%20iri").status_code == 400


def test_a_write_is_seen_by_sparql(writable_client, token):
    writable_client.put(url(), data=TTL, content_type=TURTLE, headers={"Authorization": f"Bearer {token}"})
    ask = writable_client.get("/sparql", query_string={"query": f"ASK {{ GRAPH <{G}> {{ ?s ?p ?o }} }}"})
    assert ask.get_json(force=True)["boolean"] is True
