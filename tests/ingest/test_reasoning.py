"""The six kinds of inference, checked on the graph built from the shipped sources."""

import csv
import datetime as dt
from collections import Counter

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import RDF

from ingest import reasoning
from ingest.adapters.registry import SOURCES, added_rdf
from ingest.pipeline import BuildFailed, Inputs, build
from ontology import BM, mint, validation
from queries.cli import why

INFERRED = "https://w3id.org/bmkg/graph/inferred"


def ask_inferred(sparql, pattern: str) -> bool:
    return bool(sparql(f"SELECT (1 AS ?x) WHERE {{ GRAPH <{INFERRED}> {{ {pattern} }} }} LIMIT 1"))


def test_inferences_live_in_their_own_graph_and_assert_nothing_twice(sparql):
    overlap = sparql(f"""
        SELECT (COUNT(*) AS ?n) WHERE {{
          GRAPH <{INFERRED}> {{ ?s ?p ?o }}
          GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{INFERRED}>)
        }}""")
    assert overlap[0]["n"] == "0"


def test_class_hierarchy(sparql):
    assert not sparql("SELECT ?x WHERE { ?x a bm:GPU FILTER NOT EXISTS { ?x a bm:Hardware } }")
    assert not sparql("SELECT ?x WHERE { ?x a bm:LanguageModel FILTER NOT EXISTS { ?x a bm:Model } }")
    # Sources assert GPU and Hardware; Accelerator comes from the class hierarchy only.
    assert ask_inferred(sparql, "<https://w3id.org/bmkg/id/hardware/nvidia-a100-sxm4-40-gb> a bm:Accelerator")
    # BMList's protein models are typed ProteinModel; that they are biology models is derived.
    assert sparql(f"SELECT ?m WHERE {{ ?m a bm:ProteinModel . GRAPH <{INFERRED}> {{ ?m a bm:BiologyModel }} }}")


def test_inverse_properties_both_ways(sparql):
    gpt3 = "<https://w3id.org/bmkg/id/model/gpt-3-175b-davinci>"
    assert ask_inferred(sparql, f"<https://w3id.org/bmkg/id/org/openai> bm:developed {gpt3}")
    # and from an asserted inverse to its forward direction: hardware's "trained" links
    assert ask_inferred(sparql, "?model bm:trainingHardware ?chip")
    assert not sparql("""SELECT ?m WHERE { ?m bm:developedBy ?o FILTER NOT EXISTS { ?o bm:developed ?m } }""")


def test_transitive_topic_hierarchy(sparql):
    rows = sparql(f"""
        SELECT ?sub WHERE {{
          ?sub a bm:Subtopic .
          GRAPH <{INFERRED}> {{ ?sub bm:broaderTopic <https://w3id.org/bmkg/id/part/models> }}
        }}""")
    assert len(rows) >= 12  # every subtopic of the four Models topics


def test_property_chains_derive_related_topics(sparql, shipped_build):
    switch = "<https://w3id.org/bmkg/id/model/switch>"
    assert ask_inferred(sparql, f"{switch} bm:relatedTopic <https://w3id.org/bmkg/id/topic/parallel-training-system>")
    # through a task: GPT-3 performs machine translation
    assert ask_inferred(sparql, "<https://w3id.org/bmkg/id/model/gpt-3-175b-davinci> bm:relatedTopic "
                                "<https://w3id.org/bmkg/id/topic/machine-translation>")
    assert ask_inferred(sparql, "<https://w3id.org/bmkg/id/topic/parallel-training-system> bm:relatedModel " + switch)
    # every derived topic has a supporting path
    unsupported = sparql(f"""
        SELECT ?m ?t WHERE {{
          GRAPH <{INFERRED}> {{ ?m bm:relatedTopic ?t }}
          FILTER NOT EXISTS {{ ?m bm:usesTechnique|bm:performsTask|bm:trainingDataset ?via . ?via bm:hasTopic ?t }}
        }} LIMIT 5""")
    assert unsupported == []
    assert shipped_build[1].summary["models_with_derived_topic"] >= 60


def test_big_models_are_classified_by_the_ontologys_threshold(sparql):
    threshold = reasoning.big_model_threshold(validation.ontology_graph())
    assert threshold == 10**9
    big = {r["m"] for r in sparql(f"SELECT ?m WHERE {{ GRAPH <{INFERRED}> {{ ?m a bm:BigModel }} }}")}
    # Independent check against Epoch's CSV: every row with at least 1e9 parameters is big.
    with SOURCES["epoch-models"].default_path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Parameters"]]
    # A name the export gives twice (SigLIP at 400M and 6.3B) keeps its first row; the second is rejected.
    names = Counter(r["Model"] for r in rows)
    rows = [r for r in rows if names[r["Model"]] == 1]
    expected = {str(mint("model", r["Model"])) for r in rows if float(r["Parameters"]) >= 1e9}
    small = {str(mint("model", r["Model"])) for r in rows if float(r["Parameters"]) < 1e9}
    assert expected <= big
    assert "https://w3id.org/bmkg/id/model/gpt-3-175b-davinci" in big
    # a small Epoch model that no other source sizes above the threshold stays out
    assert "https://w3id.org/bmkg/id/model/alexnet" in small and "https://w3id.org/bmkg/id/model/alexnet" not in big


def test_explanation_cli_prints_the_supporting_paths(shipped_build):
    root, _result = shipped_build
    result = CliRunner().invoke(why, ["Switch", "parallel-training-system", "--store", str(root)])
    assert result.exit_code == 0, result.output
    assert "--uses technique--> https://w3id.org/bmkg/id/technique/expert-parallelism" in result.output
    assert "--implies topic--> https://w3id.org/bmkg/id/topic/parallel-training-system   [curated]" in result.output
    assert "rule: related topic = uses technique, then implies topic (property chain)" in result.output
    nothing = CliRunner().invoke(why, ["AlexNet", "protein-research", "--store", str(root)])
    assert nothing.exit_code == 1 and "nothing in the graph connects" in nothing.output


@pytest.mark.parametrize("turtle, stages, named", [
    ("<https://w3id.org/bmkg/id/model/gpt-3-175b-davinci> a <https://w3id.org/bmkg/ontology#Dataset> .",
     {"consistency"}, "model/gpt-3-175b-davinci is both Model and Dataset"),
    # The shapes mirror the functional axioms with sh:maxCount 1, so the gate may stop it first.
    ('<https://w3id.org/bmkg/id/publication/arxiv-1706.03762> <https://w3id.org/bmkg/ontology#arxivId> "1706.99999" .',
     {"consistency", "SHACL validation"}, "publication/arxiv-1706.03762"),
], ids=["disjoint-classes", "functional-property"])
def test_a_contradiction_fails_the_build_naming_the_entities(shipped_build, tmp_path, turtle, stages, named):
    root, result = shipped_build
    before = (root / "current").resolve()
    path = tmp_path / "contradiction.ttl"
    path.write_text(turtle + "\n", encoding="utf-8")
    with pytest.raises(BuildFailed) as caught:
        build(root, Inputs.shipped(added=[added_rdf(path)]), dt.date(2026, 11, 27))
    assert caught.value.stage in stages
    assert any(named in problem for problem in caught.value.problems), caught.value.problems[:3]
    assert (root / "current").resolve() == before


def test_functional_conflicts_name_the_entity_and_both_values():
    ontology = validation.ontology_graph()
    store = pyoxigraph.Store()
    chip = pyoxigraph.NamedNode("https://w3id.org/bmkg/id/hardware/x")
    for org in ("a", "b"):
        store.add(pyoxigraph.Quad(chip, pyoxigraph.NamedNode(str(BM.manufacturer)),
                                  pyoxigraph.NamedNode(f"https://w3id.org/bmkg/id/org/{org}"), pyoxigraph.DefaultGraph()))
    [problem] = reasoning.consistency(store, reasoning.Axioms.of(ontology))
    assert problem == ("https://w3id.org/bmkg/id/hardware/x has 2 values of functional property manufacturer: "
                       "https://w3id.org/bmkg/id/org/a, https://w3id.org/bmkg/id/org/b")


def test_disjoint_conflicts_are_found_from_either_class_and_named_as_declared():
    ontology = validation.ontology_graph()
    axioms = reasoning.Axioms.of(ontology)
    first, second = axioms.disjoint[0]
    store = pyoxigraph.Store()
    kind = pyoxigraph.NamedNode(str(RDF.type))
    both = pyoxigraph.NamedNode("https://w3id.org/bmkg/id/model/both")
    for cls in (first, second):
        store.add(pyoxigraph.Quad(both, kind, pyoxigraph.NamedNode(cls), pyoxigraph.DefaultGraph()))
    # more members of the first class, so the lookup starts from the second
    for n in range(3):
        store.add(pyoxigraph.Quad(pyoxigraph.NamedNode(f"https://w3id.org/bmkg/id/model/m{n}"), kind,
                                  pyoxigraph.NamedNode(first), pyoxigraph.DefaultGraph()))
    local = [iri.rsplit("#", 1)[-1] for iri in (first, second)]
    assert reasoning.consistency(store, axioms) == [
        f"https://w3id.org/bmkg/id/model/both is both {local[0]} and {local[1]}, which are disjoint"]


def test_statements_naming_an_entity_only_as_object_blank_nodes_and_chains_agree_with_the_reference():
    """Entities no statement describes, blank nodes, subjects outside bmkg and a chain feeding
    bm:BigModel through a derived type: the store's reasoner derives what the OWL 2 RL reference does."""
    from tests.ingest import reference_reasoner

    node, ns = pyoxigraph.NamedNode, str(BM)
    entity = lambda path: node("https://w3id.org/bmkg/id/" + path)  # noqa: E731
    model, technique, topic = entity("model/m"), entity("technique/t"), entity("topic/x")
    named_only, blank_side, outside_side = entity("org/only"), entity("org/blank"), entity("org/outside")
    narrow, middle, broad = entity("subtopic/a"), entity("subtopic/b"), entity("part/c")
    integer = node("http://www.w3.org/2001/XMLSchema#integer")
    asserted = [
        (model, node(ns + "usesTechnique"), technique),  # the model's only statements: its type is derived
        (technique, node(ns + "impliesTopic"), topic),
        (model, node(ns + "parameterCount"), pyoxigraph.Literal(str(3 * 10**9), datatype=integer)),
        (model, node(ns + "developedBy"), named_only),  # named_only is no statement's subject
        (pyoxigraph.BlankNode("b"), node(ns + "developedBy"), blank_side),
        (node("http://example.org/thing"), node(ns + "developedBy"), outside_side),
        (narrow, node(ns + "broaderTopic"), middle),
        (middle, node(ns + "broaderTopic"), broad),
        (topic, pyoxigraph.NamedNode(str(RDF.type)), node(ns + "Topic")),
    ]
    store = pyoxigraph.Store()
    store.bulk_extend([pyoxigraph.Quad(s, p, o) for s, p, o in asserted])
    reasoning.materialise(store, validation.ontology_graph())
    convert = validation._Converter()
    derived = {tuple(convert(t) for t in (q.subject, q.predicate, q.object))
               for q in store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(reasoning.INFERRED))}
    expected = reference_reasoner.inferred({tuple(convert(t) for t in triple) for triple in asserted},
                                           validation.ontology_graph())
    assert sorted(derived - expected) == [] and sorted(expected - derived) == []
    m, o = convert(model), convert(named_only)
    # what the comparison covers: each path above derived something
    assert {(o, BM.developed, m), (m, RDF.type, BM.BigModel), (m, BM.relatedTopic, convert(topic)),
            (convert(topic), BM.relatedModel, m), (convert(blank_side), RDF.type, BM.Organization),
            (convert(outside_side), BM.developed, convert(node("http://example.org/thing"))),
            (convert(narrow), BM.broaderTopic, convert(broad))} <= derived
    assert not any(s == convert(node("http://example.org/thing")) for s, _, _ in derived)
