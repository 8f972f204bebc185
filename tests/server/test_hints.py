"""Hints for people: an asserted-only answer with no rows says that inferred statements were left out (issue 21)."""

from __future__ import annotations

NAME = "largest-model-per-topic"  # no rows over the tiny store, which has no topics


def test_an_empty_asserted_answer_from_the_api_says_inference_was_left_out(client):
    asserted = client.get(f"/api/queries/{NAME}?asserted=true")
    assert asserted.status_code == 200 and asserted.get_json(force=True)["results"]["bindings"] == []
    hint = asserted.headers["X-BMKG-Hint"]
    assert "inferred statements were left out" in hint and "asserted=true" in hint
    assert "X-BMKG-Hint" in asserted.headers["Access-Control-Expose-Headers"]
    assert "X-BMKG-Hint" not in client.get(f"/api/queries/{NAME}").headers  # all statements: nothing to hint


def test_plain_sparql_answers_carry_no_hint(client):
    for query in ("SELECT * { ?s ?p ?o } LIMIT 1", "SELECT * { ?s <urn:none> ?o }"):
        assert "X-BMKG-Hint" not in client.get("/sparql", query_string={"query": query}).headers


def test_the_query_page_says_it_too(client):
    query = "SELECT ?m WHERE { ?m <https://w3id.org/bmkg/ontology#relatedTopic> ?t }"
    asserted = client.post("/query", data={"query": query, "asserted": "true"}).get_data(as_text=True)
    assert 'id="asserted-hint"' in asserted and "inferred statements were left out" in asserted
    everything = client.post("/query", data={"query": query}).get_data(as_text=True)
    assert 'id="asserted-hint"' not in everything
    found = client.post("/query", data={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", "asserted": "true"})
    assert 'id="asserted-hint"' not in found.get_data(as_text=True)
    ask = client.post("/query", data={"query": query.replace("SELECT ?m WHERE", "ASK"), "asserted": "true"})
    assert 'id="asserted-hint"' in ask.get_data(as_text=True)
