"""The SPARQL 1.1 Protocol at /sparql, through Flask's test client over the tiny store."""

from __future__ import annotations

import csv
import gzip
import io
from urllib.parse import quote

import pytest
from rdflib import Graph, URIRef

SELECT_LABELS = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label"
FORM = "application/x-www-form-urlencoded"


def labels(response) -> list[str]:
    return [b["label"]["value"] for b in response.get_json(force=True)["results"]["bindings"]]


# -- the three ways to send a query ------------------------------------------------------


def test_get_post_form_and_post_direct_give_the_same_answer(client):
    by_get = client.get("/sparql", query_string={"query": SELECT_LABELS})
    by_form = client.post("/sparql", data={"query": SELECT_LABELS})
    by_body = client.post("/sparql", data=SELECT_LABELS, content_type="application/sparql-query")
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200
        assert response.mimetype == "application/sparql-results+json"
        assert labels(response) == ["BERT", "GPT-3", "Google", "OpenAI"]


def test_the_http_query_method_is_accepted_with_a_direct_body(client):
    response = client.open("/sparql", method="QUERY", data="ASK { ?s ?p ?o }", content_type="application/sparql-query")
    assert response.status_code == 200 and response.get_json(force=True)["boolean"] is True


def test_unknown_extra_parameters_are_tolerated(client):
    response = client.get("/sparql", query_string={"query": "ASK {}", "clientRequestId": "abc-123"})
    assert response.status_code == 200


# -- the dataset ---------------------------------------------------------------------------


def test_the_default_graph_is_the_union_of_the_named_graphs(client, tiny):
    query = f"ASK {{ <{tiny.gpt3}> ?p ?o . <{tiny.openai}> ?q ?r }}"
    assert client.get("/sparql", query_string={"query": query}).get_json(force=True)["boolean"] is True


def test_default_graph_uri_restricts_the_default_graph(client, tiny):
    query = "SELECT ?s WHERE { ?s a ?type }"
    response = client.get(f"/sparql?query={quote(query)}&default-graph-uri={quote(tiny.orgs)}")
    subjects = {b["s"]["value"] for b in response.get_json(force=True)["results"]["bindings"]}
    assert subjects == {tiny.openai, tiny.google}


def test_named_graph_uri_limits_graph_patterns_and_leaves_the_default_graph_empty(client, tiny):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = client.get(f"/sparql?query={quote(query)}&named-graph-uri={quote(tiny.models)}")
    assert [b["g"]["value"] for b in response.get_json(force=True)["results"]["bindings"]] == [tiny.models]
    empty = client.get(f"/sparql?query={quote('ASK { ?s ?p ?o }')}&named-graph-uri={quote(tiny.models)}")
    assert empty.get_json(force=True)["boolean"] is False


def test_a_query_with_from_gets_its_own_dataset_not_the_union(client, tiny):
    query = f"ASK FROM <{tiny.orgs}> {{ <{tiny.gpt3}> ?p ?o }}"
    assert client.get("/sparql", query_string={"query": query}).get_json(force=True)["boolean"] is False


def test_protocol_dataset_overrides_from_in_the_query(client, tiny):
    query = f"ASK FROM <{tiny.orgs}> {{ <{tiny.gpt3}> ?p ?o }}"
    response = client.get(f"/sparql?query={quote(query)}&default-graph-uri={quote(tiny.models)}")
    assert response.get_json(force=True)["boolean"] is True


def test_relative_iris_resolve_against_the_endpoint(client):
    response = client.get("/sparql", query_string={"query": "SELECT (STR(<thing>) AS ?iri) {}"})
    assert response.get_json(force=True)["results"]["bindings"][0]["iri"]["value"] == "http://localhost/thing"


# -- result formats -----------------------------------------------------------------------


@pytest.mark.parametrize("accept, media", [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
])
def test_select_results_are_negotiated(client, accept, media):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": SELECT_LABELS}, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == media
    assert "Accept" in response.headers["Vary"]
    assert b"GPT-3" in response.data


def test_csv_results_are_real_csv(client):
    response = client.get("/sparql", query_string={"query": SELECT_LABELS}, headers={"Accept": "text/csv"})
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8"))))
    assert rows[0] == ["s", "label"] and [r[1] for r in rows[1:]] == ["BERT", "GPT-3", "Google", "OpenAI"]


@pytest.mark.parametrize("accept, media, rdflib_format", [
    (None, "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/trig", "application/trig", "trig"),
    ("application/n-quads", "application/n-quads", "nquads"),
])
def test_graph_results_are_negotiated_and_parse(client, tiny, accept, media, rdflib_format):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": f"DESCRIBE <{tiny.gpt3}>"}, headers=headers)
    assert response.status_code == 200 and response.mimetype == media
    graph = Graph().parse(data=response.data, format=rdflib_format)
    assert (URIRef(tiny.gpt3), None, None) in graph and len(graph) == 4


def test_format_parameter_overrides_accept_but_never_causes_a_406(client):
    chosen = client.get("/sparql", query_string={"query": SELECT_LABELS, "format": "csv"},
                        headers={"Accept": "application/sparql-results+json"})
    assert chosen.mimetype == "text/csv"
    ignored = client.get("/sparql", query_string={"query": SELECT_LABELS, "format": "turtle"},
                         headers={"Accept": "application/sparql-results+xml"})
    assert ignored.status_code == 200 and ignored.mimetype == "application/sparql-results+xml"


def test_an_unsatisfiable_accept_is_406_but_a_missing_or_wildcard_one_never_is(client):
    refused = client.get("/sparql", query_string={"query": SELECT_LABELS}, headers={"Accept": "text/turtle"})
    assert refused.status_code == 406 and "Accept" in refused.headers["Vary"]
    assert b"application/sparql-results+json" in refused.data
    for headers in ({}, {"Accept": "*/*"}, {"Accept": ""}, {"Accept": "text/*"}):
        assert client.get("/sparql", query_string={"query": "ASK {}"}, headers=headers).status_code == 200


# -- errors ------------------------------------------------------------------------------------


def test_a_syntax_error_is_400_with_the_parser_message(client):
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert response.data.startswith(b"SPARQL syntax error: error at 1:")


def test_a_duplicate_query_parameter_is_400(client):
    response = client.get("/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D")
    assert response.status_code == 400 and b"exactly once" in response.data
    form = client.post("/sparql", data="query=ASK%20%7B%7D&query=ASK%20%7B%7D", content_type=FORM)
    assert form.status_code == 400


def test_a_wrong_method_is_405_with_allow(client):
    response = client.put("/sparql?query=ASK%20%7B%7D")
    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("content_type, body, status", [
    ("text/plain", "ASK {}", 415),
    (None, "query=ASK%20%7B%7D", 415),
    ("application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16"), 415),
    ("application/sparql-query", b"ASK { FILTER(\"\xff\") }", 400),
    (FORM, "query=%FF", 400),
])
def test_bad_bodies_are_rejected(client, content_type, body, status):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/sparql", data=body, headers=headers)
    assert response.status_code == status, response.data


def test_a_form_post_with_the_query_only_in_the_url_is_400(client):
    response = client.post("/sparql?query=ASK%20%7B%7D", data="", content_type=FORM)
    assert response.status_code == 400


def test_a_long_get_query_is_told_to_use_post(make_app):
    client = make_app(MAX_GET_QUERY_LENGTH=50).test_client()
    query = "SELECT * WHERE { ?s ?p ?o } " + "#" * 60
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 414 and b"POST" in response.data
    assert client.post("/sparql", data={"query": query}).status_code == 200


def test_queries_over_the_length_limit_and_bodies_over_the_size_limit_are_413(make_app):
    short = make_app(MAX_QUERY_LENGTH=100).test_client()
    too_long = short.post("/sparql", data={"query": "ASK {} " + "#" * 200})
    assert too_long.status_code == 413 and b"at most 100" in too_long.data
    small = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    huge = small.post("/sparql", data="ASK {} " + "#" * 2000, content_type="application/sparql-query")
    assert huge.status_code == 413 and b"1000 bytes" in huge.data


# -- safety ---------------------------------------------------------------------------------------


def test_service_is_refused_by_default(client):
    response = client.get("/sparql", query_string={
        "query": "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"})
    assert response.status_code == 403 and b"allowlist" in response.data


def test_service_with_a_variable_or_in_a_subquery_is_refused(client):
    for query in ("SELECT * WHERE { VALUES ?e { <http://127.0.0.1/> } SERVICE ?e { ?s ?p ?o } }",
                  "SELECT * WHERE { { SELECT * WHERE { SERVICE SILENT <http://10.0.0.1/sparql> { ?s ?p ?o } } } }"):
        assert client.get("/sparql", query_string={"query": query}).status_code == 403


def test_service_words_in_strings_and_comments_are_not_service_calls(client):
    query = 'SELECT ?x WHERE { BIND("SERVICE <http://evil/> {}" AS ?x) } # SERVICE <http://evil/>'
    assert client.get("/sparql", query_string={"query": query}).status_code == 200


def test_an_allowlisted_service_host_is_not_refused(make_app):
    client = make_app(SERVICE_ALLOWLIST=["127.0.0.1"]).test_client()
    # Nothing listens on port 1: the call fails, but it was attempted, not refused.
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"})
    assert response.status_code == 500 and b"allowlist" not in response.data


def test_file_iris_are_refused(client):
    response = client.get("/sparql", query_string={"query": "ASK { <file:///etc/passwd> ?p ?o }"})
    assert response.status_code == 403 and b"file:" in response.data


def test_updates_are_refused_when_read_only(client):
    response = client.post("/sparql", data="INSERT DATA { <http://a> <http://b> <http://c> }",
                           content_type="application/sparql-update")
    assert response.status_code == 403 and b"read-only" in response.data


def test_an_update_by_get_is_rejected(client):
    assert client.get("/sparql", query_string={"update": "CLEAR ALL"}).status_code == 400


def test_updates_need_the_bearer_token(writable_client, token):
    update = "INSERT DATA { GRAPH <http://example.org/g> { <http://a> <http://b> <http://c> } }"
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}, {"Authorization": f"Basic {token}"}):
        response = writable_client.post("/sparql", data=update, content_type="application/sparql-update", headers=headers)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_update_makes_a_new_generation_that_queries_see(writable_app, token):
    client = writable_app.test_client()
    runtime = writable_app.extensions["bmkg"]
    before = runtime.generation().id
    response = client.post("/sparql", data={"update": "INSERT DATA { GRAPH <http://example.org/g> { <http://a> <http://b> 'new' } }"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204
    after = runtime.generation().id
    assert after != before and response.headers["X-BMKG-Generation"] == after
    ask = client.get("/sparql", query_string={"query": "ASK { <http://a> <http://b> 'new' }"})
    assert ask.get_json(force=True)["boolean"] is True


def test_load_is_refused_even_with_the_token(writable_client, token):
    response = writable_client.post("/sparql", data="LOAD <http://example.org/data.ttl>",
                                    content_type="application/sparql-update",
                                    headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and b"LOAD" in response.data


def test_a_failed_update_changes_nothing(writable_app, token):
    client = writable_app.test_client()
    before = writable_app.extensions["bmkg"].generation().id
    response = client.post("/sparql", data="INSERT DATA { <http://a> <http://b> }", content_type="application/sparql-update",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and b"syntax" in response.data
    assert writable_app.extensions["bmkg"].generation().id == before


def test_using_graph_uri_applies_to_the_where_clause(writable_client, token, tiny):
    update = "INSERT { GRAPH <http://example.org/copy> { ?s a <http://example.org/Seen> } } WHERE { ?s a ?type }"
    response = writable_client.post(f"/sparql?using-graph-uri={quote(tiny.orgs)}", data=update,
                                    content_type="application/sparql-update", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204
    seen = writable_client.get("/sparql", query_string={
        "query": "SELECT ?s WHERE { GRAPH <http://example.org/copy> { ?s a <http://example.org/Seen> } }"})
    assert {b["s"]["value"] for b in seen.get_json(force=True)["results"]["bindings"]} == {tiny.openai, tiny.google}


# -- limits, caching, compression, CORS ------------------------------------------------------------------


def test_the_row_cap_is_announced_and_marks_cut_results(make_app):
    client = make_app(ROW_CAP=3).test_client()
    cut = client.get("/sparql", query_string={"query": SELECT_LABELS})
    assert cut.headers["X-SPARQL-MaxRows"] == "3" and cut.headers["X-SPARQL-Truncated"] == "true"
    assert len(labels(cut)) == 3
    whole = client.get("/sparql", query_string={"query": SELECT_LABELS + " LIMIT 3"})
    assert whole.headers["X-SPARQL-MaxRows"] == "3" and "X-SPARQL-Truncated" not in whole.headers
    triples = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                         headers={"Accept": "application/n-triples"})
    assert len(triples.data.decode().strip().splitlines()) == 3 and triples.headers["X-SPARQL-Truncated"] == "true"


def test_etag_and_last_modified_come_from_the_generation_and_give_304(app, client):
    first = client.get("/sparql", query_string={"query": SELECT_LABELS})
    generation = app.extensions["bmkg"].generation().id
    assert first.headers["ETag"].startswith(f'W/"{generation}-') and first.headers["Last-Modified"]
    again = client.get("/sparql", query_string={"query": SELECT_LABELS}, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other_format = client.get("/sparql", query_string={"query": SELECT_LABELS},
                              headers={"If-None-Match": first.headers["ETag"], "Accept": "text/csv"})
    assert other_format.status_code == 200


def test_a_repeated_query_is_served_from_the_cache(app, client):
    metrics = app.extensions["bmkg"].metrics
    client.get("/sparql", query_string={"query": SELECT_LABELS})
    hits = metrics.total(("bmkg_cache_hits_total",))
    second = client.get("/sparql", query_string={"query": SELECT_LABELS})
    assert second.status_code == 200 and labels(second)[0] == "BERT"
    assert metrics.total(("bmkg_cache_hits_total",)) == hits + 1


def test_nondeterministic_queries_are_not_cached(app, client):
    metrics = app.extensions["bmkg"].metrics
    for _ in range(2):
        response = client.get("/sparql", query_string={"query": "SELECT (RAND() AS ?r) {}"})
        assert "ETag" not in response.headers
    assert metrics.total(("bmkg_cache_hits_total",)) == 0


def test_large_responses_are_gzipped_when_asked(make_app):
    client = make_app(GZIP_MIN_BYTES=10).test_client()
    plain = client.get("/sparql", query_string={"query": SELECT_LABELS})
    zipped = client.get("/sparql", query_string={"query": SELECT_LABELS}, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data


def test_cors_is_on_for_reads_and_never_with_credentials(client):
    response = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options("/sparql", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "authorization" not in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_cors_can_be_limited_or_turned_off(make_app):
    limited = make_app(CORS_ORIGINS=["https://ok.example"]).test_client()
    allowed = limited.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://ok.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ok.example" and "Origin" in allowed.headers["Vary"]
    other = limited.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    off = make_app(CORS_ORIGINS="").test_client()
    assert "Access-Control-Allow-Origin" not in off.get("/sparql", query_string={"query": "ASK {}"}).headers


def test_with_writes_enabled_a_browser_app_may_send_the_token_and_read_the_answer(writable_client, token):
    origin = {"Origin": "https://app.example"}
    for path in ("/sparql", "/store?graph=urn:g"):
        preflight = writable_client.options(path, headers={**origin, "Access-Control-Request-Method": "PUT",
                                                           "Access-Control-Request-Headers": "authorization"})
        assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"], path
        assert {"POST", "PUT", "DELETE"} <= set(preflight.headers["Access-Control-Allow-Methods"].split(", "))
        assert "Access-Control-Allow-Credentials" not in preflight.headers
    response = writable_client.post("/sparql", data="CLEAR SILENT GRAPH <http://example.org/none>",
                                    content_type="application/sparql-update",
                                    headers={"Authorization": f"Bearer {token}", **origin})
    assert response.status_code == 204 and response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-BMKG-Generation" in response.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("kind, status", [("read-only", 403), ("no token", 401), ("syntax", 400), ("refused", 403)])
def test_every_error_response_carries_the_cors_headers(client, writable_client, token, kind, status):
    origin = {"Origin": "https://app.example"}
    if kind == "read-only":
        response = client.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update", headers=origin)
    elif kind == "no token":
        response = writable_client.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update",
                                        headers=origin)
    elif kind == "syntax":
        response = client.get("/sparql", query_string={"query": "SELECT WHERE {"}, headers=origin)
    else:
        response = client.get("/sparql", query_string={"query": "ASK { SERVICE <http://x.example/> {} }"},
                              headers=origin)
    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_server_error_carries_the_cors_headers(make_app, monkeypatch):
    from server import protocol

    app = make_app(TESTING=False)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(operation):
        raise RuntimeError("boom")

    monkeypatch.setattr(protocol, "run_query", broken)
    response = app.test_client().get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://a.example"})
    assert response.status_code == 500 and response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_read_only_server_does_not_allow_the_authorization_header(client):
    preflight = client.options("/sparql", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert "authorization" not in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "PUT" not in preflight.headers["Access-Control-Allow-Methods"]


def test_the_sparql_1_2_version_parameter(client):
    assert client.get("/sparql?query=ASK%20%7B%7D&version=1.2").status_code == 200
    assert client.post("/sparql", data="ASK {}", content_type="application/sparql-query; version=1.2").status_code == 200
    assert client.get("/sparql?query=ASK%20%7B%7D&version=1.1&version=1.2").status_code == 400
    assert client.get("/sparql?query=ASK%20%7B%7D&version=9").status_code == 400


def test_a_get_with_a_body_is_rejected(client):
    response = client.get("/sparql?query=ASK%20%7B%7D", data="ASK {}", content_type="application/sparql-query")
    assert response.status_code == 400


def test_dataset_parameters_may_sit_in_a_form_body(client, tiny):
    response = client.post("/sparql", data={"query": f"ASK {{ <{tiny.gpt3}> ?p ?o }}", "default-graph-uri": tiny.orgs})
    assert response.get_json(force=True)["boolean"] is False
