"""The streaming build's pieces keep results: the store writer's union default graph, entity
digests taken while writing, and reasoning inside the store."""

import json

import pyoxigraph
from rdflib.compare import to_canonical_graph

from ingest import reasoning
from ingest.nodes import Literal, NamedNode
from ingest.writer import StoreWriter
from ontology import BM, ID_BASE, validation

DEFAULT = pyoxigraph.DefaultGraph()
A, B = NamedNode("https://w3id.org/bmkg/graph/a"), NamedNode("https://w3id.org/bmkg/graph/b")
INFERRED = NamedNode(reasoning.INFERRED)
MODEL, ORG = NamedNode(ID_BASE + "model/m"), NamedNode(ID_BASE + "org/o")
TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def bm(name: str) -> NamedNode:
    return NamedNode(str(BM[name]))


def count(store, graph) -> int:
    return len(list(store.quads_for_pattern(None, None, None, graph)))


def test_a_triple_two_sources_state_is_in_each_named_graph_and_once_in_the_default_graph():
    store = pyoxigraph.Store()
    writer = StoreWriter(store, batch=3)  # small batches: the flushes in between must not matter
    for graph in (A, B):
        writer.add(graph, MODEL, TYPE, bm("Model"))
    writer.add(A, MODEL, LABEL, Literal("M"))
    writer.add(INFERRED, MODEL, TYPE, bm("BigModel"), asserted=False)
    writer.flush()
    assert (count(store, A), count(store, B), count(store, INFERRED)) == (2, 1, 1)
    assert {(q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, DEFAULT)} == {
        (TYPE, bm("Model")), (LABEL, Literal("M"))}
    rows = list(store.query("SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT *) AS ?d) WHERE { ?s ?p ?o }",
                            default_graph=[DEFAULT, INFERRED]))
    assert (rows[0]["n"].value, rows[0]["d"].value) == ("3", "3")


def digests(statements) -> dict[str, str]:
    writer = StoreWriter(pyoxigraph.Store())
    for graph, subject, predicate, obj in statements:
        writer.add(graph, subject, predicate, obj)
    return writer.digests.hexdigests()


def test_entity_digests_ignore_order_and_change_with_a_value_or_a_graph():
    other = NamedNode("http://example.org/not-ours")
    statements = [(A, MODEL, LABEL, Literal("M", language="en")), (B, MODEL, bm("parameterCount"), Literal("10")),
                  (A, other, LABEL, Literal("not an entity of ours"))]
    first = digests(statements)
    assert list(first) == [MODEL.value]
    assert first == digests(list(reversed(statements)))
    changed_value = statements[:1] + [(B, MODEL, bm("parameterCount"), Literal("11"))]
    moved = statements[:1] + [(A, MODEL, bm("parameterCount"), Literal("10"))]
    assert digests(changed_value) != first and digests(moved) != first


def digest_writer(subjects) -> StoreWriter:
    writer = StoreWriter(pyoxigraph.Store())
    for subject, value in subjects:
        writer.add(A, NamedNode(ID_BASE + subject), LABEL, Literal(value))
    return writer


def test_entity_digests_are_written_a_line_each_and_compared_with_a_previous_build_in_order(tmp_path):
    before = digest_writer([("org/a", "A"), ("org/b", "B"), ("org/c", "C"), ("org/e", "E")]).digests
    before.write_json(tmp_path / "entities.json")
    assert json.loads((tmp_path / "entities.json").read_text()) == before.hexdigests()
    assert len((tmp_path / "entities.json").read_text().splitlines()) == 4 + 2
    now = digest_writer([("org/b", "B"), ("org/c", "C changed"), ("org/d", "D"), ("org/f", "F")]).digests
    iri = (ID_BASE + "org/{}").format
    expected = {"added": 2, "removed": 2, "changed": 1,
                "examples": {"added": [iri("d"), iri("f")], "removed": [iri("a"), iri("e")], "changed": [iri("c")]}}
    assert now.changes(tmp_path / "entities.json") == expected
    assert now.changes(tmp_path / "entities.json", examples=1)["examples"]["added"] == [iri("d")]
    # a previous build's file as json.dumps wrote it (one line), and one with no entity
    (tmp_path / "compact.json").write_text(json.dumps(before.hexdigests()))
    assert now.changes(tmp_path / "compact.json") == expected
    digest_writer([]).digests.write_json(tmp_path / "empty.json")
    assert json.loads((tmp_path / "empty.json").read_text()) == {}
    assert now.changes(tmp_path / "empty.json") == {
        "added": 4, "removed": 0, "changed": 0,
        "examples": {"added": [iri("b"), iri("c"), iri("d"), iri("f")], "removed": [], "changed": []}}
    (tmp_path / "cut.json").write_text((tmp_path / "entities.json").read_text()[:-3])
    assert now.changes(tmp_path / "cut.json") is None and now.changes(tmp_path / "missing.json") is None


def test_reasoning_in_the_store_derives_types_inverses_and_the_big_model_class_once():
    ontology = to_canonical_graph(validation.ontology_graph())
    store = pyoxigraph.Store()
    writer = StoreWriter(store)
    integer = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    writer.add(A, MODEL, TYPE, bm("LanguageModel"))
    writer.add(A, MODEL, bm("developedBy"), ORG)
    writer.add(A, MODEL, bm("parameterCount"), Literal(str(2 * 10**9), datatype=integer))
    writer.add(A, ORG, TYPE, bm("Organization"))
    writer.flush()
    heard: list[int] = []
    inference = reasoning.materialise(store, ontology, progress=heard.append)
    derived = {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, INFERRED)}
    assert heard == sorted(heard) and heard[-1] == len(derived)  # progress counts every derived statement
    assert {(MODEL, TYPE, bm("Model")), (MODEL, TYPE, bm("BigModel")), (ORG, bm("developed"), MODEL)} <= derived
    asserted = {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, DEFAULT)}
    assert not derived & asserted
    assert inference.triples == len(derived) and inference.conflicts == []
    # a second run finds nothing new: the rules reached their fixpoint
    assert reasoning.materialise(store, ontology).triples == len(derived)
