"""Row-capped serialisation in the query worker."""

from __future__ import annotations

import json
import time

import pyoxigraph as ox
import pytest

from server.results import serialize

TRICKY = """SELECT ?x ?y WHERE {
  { VALUES (?x ?y) { ("two\\nlines\\tand \\"quotes\\""@en UNDEF) (<http://a> <<( <http://a> <http://b> <http://c> )>>)
                     ("1.5"^^<http://www.w3.org/2001/XMLSchema#decimal> "x"@ar--rtl) } }
  UNION { ?x <http://example.org/blank> ?y }
}"""


@pytest.fixture(scope="module")
def store():
    db = ox.Store()
    db.extend(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"), ox.Literal(str(i)))
              for i in range(50_000))
    db.add(ox.Quad(ox.BlankNode("b1"), ox.NamedNode("http://example.org/blank"), ox.Literal("a\r\nb")))
    return db


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_uncapped_results_are_exactly_pyoxigraphs_own(store, fmt):
    body, cut, rows = serialize(store.query(TRICKY), fmt, 1000)
    expected = store.query(TRICKY).serialize(format={"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                                                     "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}[fmt])
    assert (body, cut, rows) == (expected, False, 4)


def test_a_capped_select_stops_early_and_says_so(store):
    query = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    started = time.perf_counter()
    body, cut, rows = serialize(store.query(query), "json", 10)
    capped_seconds = time.perf_counter() - started
    bindings = json.loads(body)["results"]["bindings"]
    assert (len(bindings), cut, rows) == (10, True, 10)
    started = time.perf_counter()
    serialize(store.query(query), "json", 0)
    assert capped_seconds < (time.perf_counter() - started) / 3  # it did not serialise all 50,000 rows


def test_a_result_exactly_at_the_cap_is_not_marked_cut(store):
    body, cut, rows = serialize(store.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 5"), "csv", 5)
    assert (cut, rows) == (False, 5) and body.count(b"\r\n") == 6


def test_graph_results_are_capped_in_triples(store):
    body, cut, rows = serialize(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), "ntriples", 7)
    assert (cut, rows) == (True, 7) and len(body.splitlines()) == 7


def test_a_format_that_does_not_fit_the_form_is_refused(store):
    from server.results import UnsupportedFormat

    with pytest.raises(UnsupportedFormat):
        serialize(store.query("ASK {}"), "turtle", 0)
    with pytest.raises(UnsupportedFormat):
        serialize(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), "csv", 0)
