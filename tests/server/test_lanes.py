"""One deadline per request, and the lane of query workers kept for cheap queries (issue 21)."""

from __future__ import annotations

import threading
import time

import pytest

from server import policy
from server.lexer import inspect

LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/bmkg/id/model/gpt-3> ?p ?o } LIMIT 50"
#: Cheap by the heuristic but no point lookup (no constant subject): the fast lane passes it to the query workers.
CHEAP = "SELECT ?m WHERE { ?m <https://w3id.org/bmkg/ontology#developedBy> <https://w3id.org/bmkg/id/org/openai> }"


class Recorder:
    """Stands in for the executor: records how each job was asked for, then runs it."""

    def __init__(self, real):
        self.real = real
        self.calls: list[dict] = []

    def run(self, job, timeout, **kwargs):
        self.calls.append({"timeout": timeout, "at": time.monotonic(), **kwargs})
        return self.real.run(job, timeout, **kwargs)

    def close(self, wait=False):
        self.real.close(wait)


@pytest.mark.parametrize("query, cheap", [
    (LOOKUP, True),
    (CHEAP, True),
    ("ASK { <urn:a> <urn:b> ?o }", True),
    ("SELECT (NOW() AS ?t) WHERE {}", True),
    ("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s", False),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }", False),
    ("SELECT * WHERE { ?a <urn:p>+ ?b }", False),
    ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", False),
    ("SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }", False),
    ('SELECT * WHERE { ?s ?p ?o FILTER REGEX(?o, "(a+)+$") }', False),
    ("SELECT * WHERE { SERVICE <http://x.example/> { ?s ?p ?o } }", False),
])
def test_which_queries_look_cheap(query, cheap):
    assert policy.cheap(inspect(query)) is cheap


def test_each_request_passes_its_lane_and_its_arrival_deadline(make_app):
    app = make_app(TIMEOUT_S=7)
    runtime = app.extensions["bmkg"]
    recorder = Recorder(runtime.executor)
    runtime.executor = recorder
    client = app.test_client()
    before = time.monotonic()
    assert client.get("/sparql", query_string={"query": CHEAP}).status_code == 200
    assert client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}).status_code == 200
    assert client.post("/query", data={"query": LOOKUP}).status_code == 200
    after = time.monotonic()
    calls = [c for c in recorder.calls if c.get("deadline")]  # the page's own label lookups run as well
    assert [c["cheap"] for c in calls] == [True, False, True]
    for call in calls:
        # the deadline is the request's arrival plus TIMEOUT_S, fixed before any waiting
        assert before + 7 <= call["deadline"] <= call["at"] + 7 <= after + 7


def test_a_cheap_query_answers_while_a_slow_one_holds_the_general_worker(make_app, slow_query):
    app = make_app(QUERY_WORKERS=1, CHEAP_WORKERS=1, TIMEOUT_S=4)
    runtime = app.extensions["bmkg"]
    runtime.executor.start()
    outcome = {}

    def slow():
        outcome["slow"] = app.test_client().get("/sparql", query_string={"query": slow_query}).status_code

    holder = threading.Thread(target=slow)
    holder.start()
    try:
        deadline = time.monotonic() + 3
        while runtime.executor._admission.busy()["general"] < 1:  # the only general worker is taken
            assert time.monotonic() < deadline
            time.sleep(0.01)
        response = app.test_client().get("/sparql", query_string={"query": CHEAP})
        assert response.status_code == 200
        assert runtime.executor._admission.busy()["general"] == 1  # still held while the lookup ran
    finally:
        holder.join(20)
    assert outcome == {"slow": 504}


def test_the_lane_is_in_the_health_report(make_app):
    app = make_app(QUERY_WORKERS=2, CHEAP_WORKERS=1)
    stats = app.extensions["bmkg"].executor.stats()
    assert stats["size"] == 3 and stats["reserved"] == 1
