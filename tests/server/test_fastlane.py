"""The fast lane (server/fastlane.py): point lookups answered in the web process, exactly as Flask would."""

from __future__ import annotations

import gzip
import json
from urllib.parse import quote

import pytest
from werkzeug.test import Client

QUERY = "application/sparql-query"


@pytest.mark.parametrize("query, cap, expected", [
    ("select ?p ?o where { <urn:x> ?p ?o } limit 10", 0, True),
    ("BASE <https://w3id.org/bmkg/id/> SELECT * { <model/x> ?p ?o . }", 0, True),
    ('SELECT ?o { <urn:x> <urn:p> "a"^^<urn:t>, 2.5, true ; <urn:q> ?o }', 10, True),
    ("ASK { <urn:x> <urn:p> <urn:o> }", 0, True),
    ("SELECT * { <urn:x> ?p ?o } LIMIT 1.5", 0, False),
    ("SELECT * { <urn:x> ?p -1 }", 0, False),
    ("SELECT * { <urn:x> ?p _:b }", 0, False),
    ("SELECT * { <urn:x> ?p [ ?q ?r ] }", 0, False),
    ("SELECT * { <urn:x> ?p ?o OPTIONAL { ?o ?q ?r } }", 0, False),
    ("SELECT * { GRAPH ?g { <urn:x> ?p ?o } }", 0, False),
    ("SELECT * FROM <urn:g> { <urn:x> ?p ?o }", 0, False),
    ("CONSTRUCT WHERE { <urn:x> ?p ?o }", 0, False),
    ("SELECT (?o AS ?v) { <urn:x> ?p ?o }", 0, False),
    ("SELECT * { <urn:x> ?p ?o } ORDER BY ?o", 0, False),
    ("SELECT * { <urn:x> <urn:p> ?o ; <urn:q> ?r ; <urn:r> ?s ; <urn:s> ?t ; <urn:t> ?u ; <urn:u> ?v ; "
     "<urn:v> ?w ; <urn:w> ?x ; <urn:y> ?z }", 10, False),  # more patterns than LOOKUP_PATTERNS
])
def test_which_queries_are_point_lookups(query, cap, expected):
    from server.lexer import tokens
    from server.policy import point_lookup

    assert point_lookup(tokens(query), cap) is expected


def lookup(iri: str, *, patterns: str = "?p ?o") -> str:
    return f"SELECT * WHERE {{ <{iri}> {patterns} }}"


def comparable(response) -> tuple:
    headers = {name: value for name, value in response.headers.items() if name != "Vary"}
    vary = {v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()}
    return response.status_code, response.get_data(), headers, vary


def both(app, method: str, path: str, **kwargs) -> tuple:
    """The same request through the app (lane first) and straight to Flask; asserts that the lane answered it."""
    lane = app.wsgi_app
    before = lane.answered
    fast = Client(app).open(path, method=method, **kwargs)
    assert lane.answered == before + 1, "the fast lane passed this request on"
    full = Client(lane.fallback).open(path, method=method, **kwargs)
    assert lane.answered == before + 1
    return fast, full


def test_the_lane_answers_point_lookups_exactly_as_the_full_path(make_app, tiny):
    app = make_app(CACHE_BYTES=0)
    requests = [
        ("POST", "/sparql", {"data": lookup(tiny.gpt3), "content_type": QUERY}),
        ("GET", f"/sparql?query={quote(lookup(tiny.gpt3))}", {}),
        ("POST", "/sparql", {"data": lookup(tiny.bert, patterns="a ?type"), "content_type": QUERY,
                             "headers": {"Accept": "application/sparql-results+xml"}}),
        ("POST", "/sparql", {"data": lookup(tiny.openai), "content_type": QUERY, "headers": {"Accept": "text/csv"}}),
        ("POST", "/sparql", {"data": f"ASK {{ <{tiny.gpt3}> a ?c }}", "content_type": QUERY,
                             "headers": {"Accept": "text/tab-separated-values"}}),
        ("POST", "/sparql", {"data": f"SELECT ?o {{ <{tiny.gpt3}> <http://www.w3.org/2000/01/rdf-schema#label> ?o ;"
                                     f" a ?c }} LIMIT 5", "content_type": QUERY}),
        ("POST", "/sparql", {"data": lookup("https://w3id.org/bmkg/id/model/none"), "content_type": QUERY}),
    ]
    for method, path, kwargs in requests:
        fast, full = both(app, method, path, **kwargs)
        assert fast.status_code == 200
        assert comparable(fast) == comparable(full), (method, path, kwargs)
    # the answers are real: GPT-3's label comes back
    fast, _ = both(app, "POST", "/sparql", data=lookup(tiny.gpt3), content_type=QUERY)
    assert "GPT-3" in fast.get_data(as_text=True) and "ETag" in fast.headers


@pytest.mark.parametrize("settings, headers", [
    ({"GZIP_MIN_BYTES": 1}, {"Accept-Encoding": "gzip"}),
    ({"GZIP_MIN_BYTES": 1}, {"Accept-Encoding": "gzip;q=0, br"}),
    ({"CORS_ORIGINS": "https://app.example"}, {"Origin": "https://app.example"}),
    ({"CORS_ORIGINS": "https://app.example"}, {"Origin": "https://other.example"}),
    ({"CORS_ORIGINS": ""}, {"Origin": "https://app.example"}),
    ({"ROW_CAP": 1}, {}),
    ({"BASE_IRI": "https://w3id.org/bmkg/sparql"}, {}),
])
def test_compression_cors_row_cap_and_base_match_the_full_path(make_app, tiny, settings, headers):
    app = make_app(CACHE_BYTES=0, **settings)
    fast, full = both(app, "POST", "/sparql", data=lookup(tiny.gpt3), content_type=QUERY, headers=headers)
    assert comparable(fast) == comparable(full)
    if headers.get("Accept-Encoding") == "gzip":
        assert fast.headers["Content-Encoding"] == "gzip" and b"GPT-3" in gzip.decompress(fast.get_data())
    if settings.get("ROW_CAP") == 1:
        assert fast.headers["X-SPARQL-Truncated"] == "true"


def test_the_lane_shares_the_result_cache_and_counts_in_the_metrics(make_app, tiny):
    app = make_app()
    client = app.test_client()
    for _ in range(3):
        assert client.post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY).status_code == 200
    assert app.wsgi_app.answered == 3
    metrics = app.extensions["bmkg"].metrics
    assert metrics.total(("requests", "query", "2xx")) == 3
    assert metrics.total(("bmkg_cache_misses_total",)) == 1 and metrics.total(("bmkg_cache_hits_total",)) == 2
    assert metrics.total(("bmkg_query_duration_seconds", "count")) == 1
    # the full path finds the entry the lane made
    full = Client(app.wsgi_app.fallback).post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY)
    assert full.status_code == 200 and metrics.total(("bmkg_cache_hits_total",)) == 3


@pytest.mark.parametrize("method, path, kwargs, status", [
    ("POST", "/sparql", {"data": "SELECT * { ?s ?p ?o }", "content_type": QUERY}, 200),  # no constant subject
    ("POST", "/sparql", {"data": "SELECT DISTINCT ?p { <https://w3id.org/bmkg/id/x> ?p ?o }", "content_type": QUERY}, 200),
    ("POST", "/sparql", {"data": "SELECT * { <file:///etc/passwd> ?p ?o }", "content_type": QUERY}, 403),
    ("POST", "/sparql", {"data": "SELECT * { <https://w3id.org/bmkg/id/x> ?p ?o", "content_type": QUERY}, 400),
    ("POST", "/sparql", {"data": "SELECT * { <https://w3id.org/bmkg/id/x> ?p ?o }", "content_type": QUERY,
                         "headers": {"Accept": "image/png"}}, 406),
    ("POST", "/sparql?default-graph-uri=urn%3Ax", {"data": "SELECT * { <https://w3id.org/bmkg/id/x> ?p ?o }",
                                                   "content_type": QUERY}, 200),
    ("POST", "/sparql", {"data": {"query": "SELECT * { <https://w3id.org/bmkg/id/x> ?p ?o }"}}, 200),  # a form
    ("GET", "/sparql?query=SELECT%20*%20%7B%20%3Curn%3Ax%3E%20%3Fp%20%3Fo%20%7D&format=xml", {}, 200),
    ("HEAD", "/sparql?query=SELECT%20*%20%7B%20%3Curn%3Ax%3E%20%3Fp%20%3Fo%20%7D", {}, 200),
    ("GET", "/sparql?query=SELECT%20*%20%7B%20%3Curn%3Ax%3E%20%3Fp%20%3Fo%20%7D",
     {"headers": {"If-None-Match": '"x"'}}, 200),
    ("GET", "/sparql?query=%FF", {}, 400),
    ("POST", "/sparql", {"data": "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                         "content_type": "application/sparql-update"}, 403),
])
def test_everything_else_goes_to_flask(app, method, path, kwargs, status):
    response = app.test_client().open(path, method=method, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert app.wsgi_app.answered == 0


def test_a_failure_in_the_lane_is_answered_by_the_full_path(app, tiny, monkeypatch):
    def broken(generation):
        raise OSError("the store went away")

    monkeypatch.setattr(app.wsgi_app, "_store_for", broken)
    response = app.test_client().post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY)
    assert response.status_code == 200 and b"GPT-3" in response.get_data()
    assert app.wsgi_app.answered == 0


def test_the_lane_follows_a_new_generation(app, tiny, store_root, publish_generation):
    client = app.test_client()
    assert b"GPT-3" in client.post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY).get_data()
    publish_generation(store_root, [q for q in tiny.quads() if q.subject.value != tiny.gpt3])
    after = client.post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY)
    assert after.status_code == 200 and b"GPT-3" not in after.get_data()
    assert app.wsgi_app.answered == 2


def test_lookups_need_no_query_worker(app, tiny):
    from server.executor import PoolBusy

    class Busy:
        def run(self, *args, **kwargs):
            raise PoolBusy("every query worker is taken")

        def close(self, wait=False):
            pass

    runtime = app.extensions["bmkg"]
    real, runtime.executor = runtime.executor, Busy()
    try:
        client = app.test_client()
        assert client.post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY).status_code == 200
        assert client.post("/sparql", data="SELECT * { ?s ?p ?o }", content_type=QUERY).status_code == 503
    finally:
        runtime.executor = real


def _with_summary(generation, triples: int | None):
    """Give a test generation the summary a build writes (only ``triples`` matters to the lane)."""
    generation.summary_path.write_text(json.dumps({} if triples is None else {"triples": triples}), encoding="utf-8")
    return generation


def solutions(response) -> list:
    """A SPARQL JSON answer's solutions, in a fixed order: a copy in memory may list them in another."""
    bindings = json.loads(response.get_data())["results"]["bindings"]
    return sorted(json.dumps(b, sort_keys=True) for b in bindings)


def test_a_small_generation_is_read_from_an_in_memory_copy(make_app, tiny, store_root, publish_generation):
    import pyoxigraph as ox

    from ontology import store

    derived = ox.Quad(ox.NamedNode(tiny.gpt3), ox.NamedNode("https://w3id.org/bmkg/ontology#relatedTopic"),
                      ox.NamedNode("https://w3id.org/bmkg/id/topic/dialogue"), ox.NamedNode(store.INFERRED_GRAPH))
    generation = _with_summary(publish_generation(store_root, [*tiny.quads(), derived]), 20)
    app = make_app(CACHE_BYTES=0, MEMORY_COPY_MAX_TRIPLES=20)
    lane = app.wsgi_app
    lane.prepare()
    on_disk = lane._store[1]
    lane.copying.join(10)
    assert lane.copied == str(generation.oxigraph) and lane._store[1] is not on_disk
    for query in (lookup(tiny.gpt3), lookup(tiny.openai), lookup("https://w3id.org/bmkg/id/model/none")):
        fast, full = both(app, "POST", "/sparql", data=query, content_type=QUERY)
        assert fast.status_code == full.status_code == 200
        assert solutions(fast) == solutions(full)
        assert {k: v for k, v in fast.headers.items() if k != "Content-Length"} == \
               {k: v for k, v in full.headers.items() if k != "Content-Length"}
    fast, _ = both(app, "POST", "/sparql", data=lookup(tiny.gpt3), content_type=QUERY)
    assert "GPT-3" in fast.get_data(as_text=True) and "topic/dialogue" in fast.get_data(as_text=True)  # inferred


@pytest.mark.parametrize("triples, settings", [
    (21, {"MEMORY_COPY_MAX_TRIPLES": 20}),  # too large
    (20, {"MEMORY_COPY_MAX_TRIPLES": 0}),  # turned off
    (None, {}),  # a generation without a summary: its size is unknown
    (20, {"ENABLE_UPDATES": True}),  # writes change the store on disk, which a copy would not see
])
def test_no_copy_of_a_large_unknown_or_writable_generation(make_app, tiny, store_root, token, triples, settings):
    from ontology import store

    _with_summary(store.current(store_root), triples)
    if settings.get("ENABLE_UPDATES"):
        settings = {**settings, "UPDATE_TOKEN": token}
    app = make_app(CACHE_BYTES=0, **settings)
    response = app.test_client().post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY)
    assert response.status_code == 200 and b"GPT-3" in response.get_data()
    assert app.wsgi_app.answered == 1 and app.wsgi_app.copying is None and app.wsgi_app.copied is None


def test_a_new_generation_gets_its_own_copy(make_app, tiny, store_root, publish_generation):
    from ontology import store

    _with_summary(store.current(store_root), 20)
    app = make_app(CACHE_BYTES=0)
    lane, client = app.wsgi_app, app.test_client()
    assert b"GPT-3" in client.post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY).get_data()
    lane.copying.join(10)
    first = lane.copied
    newer = _with_summary(publish_generation(store_root, [q for q in tiny.quads() if q.subject.value != tiny.gpt3]),
                          20)
    after = client.post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY)
    assert after.status_code == 200 and b"GPT-3" not in after.get_data()
    lane.copying.join(10)
    assert first is not None and lane.copied == str(newer.oxigraph) != first
    assert b"GPT-3" not in client.post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY).get_data()
    assert b"OpenAI" in client.post("/sparql", data=lookup(tiny.openai), content_type=QUERY).get_data()


def test_a_failed_copy_leaves_lookups_on_the_store_on_disk(make_app, tiny, store_root, monkeypatch, caplog):
    from ontology import store
    from server import fastlane

    _with_summary(store.current(store_root), 20)
    real = fastlane.ox.Store

    class NoMemory:
        read_only = staticmethod(real.read_only)

        def __init__(self):
            raise MemoryError("no room for a copy")

    monkeypatch.setattr(fastlane.ox, "Store", NoMemory)
    app = make_app(CACHE_BYTES=0)
    client = app.test_client()
    assert b"GPT-3" in client.post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY).get_data()
    app.wsgi_app.copying.join(10)
    assert app.wsgi_app.copied is None
    assert "could not copy" in caplog.text and "no room for a copy" in caplog.text
    assert b"GPT-3" in client.post("/sparql", data=lookup(tiny.gpt3), content_type=QUERY).get_data()
    assert app.wsgi_app.answered == 2
