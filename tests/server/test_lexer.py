"""The lexer that finds SERVICE, LOAD, FROM and WHERE without a full parse."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from server.lexer import add_using, inspect
from server.policy import Refused, check


@pytest.mark.parametrize("query, services", [
    ("SELECT * { SERVICE <http://a/> { ?s ?p ?o } }", ["http://a/"]),
    ("select * { service silent <http://a/> { } }", ["http://a/"]),
    ("PREFIX e: <http://b/> SELECT * { { OPTIONAL { SERVICE e:sparql { } } } }", ["http://b/sparql"]),
    ("BASE <http://c/x/> SELECT * { SERVICE <../sparql> { } }", ["http://c/sparql"]),
    ("SELECT * { SERVICE ?endpoint { } }", [None]),
    ("SELECT * { SERVICE <http\\u003A//d/> { } }", ["http://d/"]),
    ('SELECT * { BIND("SERVICE <http://e/> { }" AS ?x) }', []),
    ("SELECT * { BIND('''\nSERVICE <http://e/> {}\n''' AS ?x) }", []),
    ("SELECT * { ?s <http://f/p#SERVICE> ?o } # SERVICE <http://e/> {}", []),
    ("PREFIX service: <http://g/> SELECT * { ?s service:x ?o }", []),
])
def test_service_targets_are_found_exactly(query, services):
    assert inspect(query).services == services


def test_a_unicode_escaped_file_iri_is_still_refused():
    with pytest.raises(Refused, match="file:"):
        check(inspect("ASK { <\\u0066ile:///etc/passwd> ?p ?o }"), (), update=False)


def test_a_prefix_declaring_file_iris_is_refused():
    with pytest.raises(Refused, match="file:"):
        check(inspect("PREFIX f: <file:///etc/> ASK { f:passwd ?p ?o }"), (), update=False)


def test_the_query_form_and_dataset_are_read_from_the_top_level():
    inspection = inspect("PREFIX x: <http://x/> ASK FROM NAMED <http://g> { { SELECT * { ?s ?p ?o } } }")
    assert inspection.form == "ASK" and inspection.has_dataset
    assert inspect("SELECT * { ?s <http://x/from> ?o }").has_dataset is False


CONFORMANCE_UPDATE = """PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
CLEAR ALL ;
INSERT DATA { GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> { <http://kasei.us/2009/09/sparql/data/data1.rdf> a foaf:Document } } ;
INSERT { GRAPH <http://example.org/out> { ?s a dc:BibliographicResource } }
WHERE { ?s a foaf:Document }"""


def test_using_clauses_go_before_each_where_and_the_result_runs():
    rewritten = add_using(CONFORMANCE_UPDATE, ["http://kasei.us/2009/09/sparql/data/data1.rdf"], ["http://n/"])
    assert rewritten.count("USING <http://kasei.us/2009/09/sparql/data/data1.rdf> USING NAMED <http://n/> WHERE") == 1
    store = ox.Store()
    store.update(rewritten)
    assert store.query("ASK { GRAPH <http://example.org/out> { ?s a ?c } }")


def test_delete_where_is_rewritten_into_a_form_that_takes_using():
    store = ox.Store()
    store.update("INSERT DATA { GRAPH <http://g> { <http://a> <http://b> <http://c> } }")
    store.update(add_using("DELETE WHERE { GRAPH <http://g> { ?s ?p ?o } }", [], ["http://g"]))
    assert len(store) == 0


def test_using_and_with_in_the_update_are_detected():
    assert inspect("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }").has_using
    assert inspect("DELETE { ?s ?p ?o } USING <http://g> WHERE { ?s ?p ?o }").has_using
    assert not inspect("INSERT DATA { <http://a> <http://with> 'USING' }").has_using


def test_a_prefixed_name_cannot_smuggle_another_host_past_the_allowlist():
    allowed = ("allowed.org",)
    check(inspect("PREFIX h: <http://allowed.org/> SELECT * { SERVICE h:sparql { } }"), allowed, update=False)
    with pytest.raises(Refused, match="evil.example"):
        check(inspect("PREFIX h: <http://allowed.org> SELECT * { SERVICE h:\\@evil.example/ { } }"), allowed, update=False)
