"""Validating the store batch by batch gives the same report as validating the whole graph (issue 20)."""

import datetime as dt

import pyoxigraph
import pytest
from rdflib import BNode, Graph

from ontology import paths, validation

BUILD_DATE = dt.date(2026, 11, 27)


def _key(finding):
    # Blank-node shapes get new labels each time the shapes are parsed; path and message tell them apart.
    shape = "blank" if isinstance(finding.shape, BNode) else str(finding.shape)
    # the store gives blank nodes labels of its own (a conflict's claims are blank nodes)
    focus = "blank" if isinstance(finding.focus, BNode) else str(finding.focus)
    return (focus, finding.severity, str(finding.path), str(finding.value), finding.component,
            finding.message, shape)


def _whole(graph: Graph) -> list:
    return sorted(_key(f) for f in validation.validate(graph, BUILD_DATE).findings)


def _batched(path, jobs=1, batch=validation.BATCH_SUBJECTS) -> list:
    return sorted(_key(f) for f in validation.validate_store(path, BUILD_DATE, jobs=jobs, batch=batch).findings)


def _store_of(graph: Graph, path) -> None:
    store = pyoxigraph.Store(str(path))
    store.load(graph.serialize(format="nt").encode(), pyoxigraph.RdfFormat.N_TRIPLES,
               to_graph=pyoxigraph.DefaultGraph())
    store.flush()
    del store


@pytest.mark.parametrize("example", sorted((paths.EXAMPLES / "invalid").glob("*.ttl")), ids=lambda p: p.stem)
def test_an_invalid_example_gets_the_same_findings_in_batches_of_one_subject(example, tmp_path):
    graph = Graph().parse(example)
    _store_of(graph, tmp_path / "store")
    whole = _whole(graph)
    assert whole, "an invalid example has findings"
    assert _batched(tmp_path / "store", batch=1) == whole


@pytest.mark.slow
def test_the_shipped_build_gets_the_same_findings_in_batches_and_processes(shipped_build, tmp_path):
    _root, result = shipped_build
    source = pyoxigraph.Store.read_only(str(result.generation.oxigraph))
    graph = Graph()
    convert = validation._Converter()
    for quad in source.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph()):
        graph.add((convert(quad.subject), convert(quad.predicate), convert(quad.object)))
    whole = _whole(graph)
    assert len(whole) == result.summary["warnings"] + result.summary["violations"]
    assert _batched(result.generation.oxigraph, jobs=2, batch=500) == whole


def test_progress_hears_the_subjects_validated_batch_by_batch(tmp_path):
    graph = Graph().parse(paths.EXAMPLES / "valid" / "evaluation-slice.ttl")
    _store_of(graph, tmp_path / "store")
    heard: list[int] = []
    validation.validate_store(tmp_path / "store", BUILD_DATE, batch=3, progress=heard.append)
    subjects = len(set(graph.subjects()))
    assert heard == sorted(heard) and heard[-1] == subjects and len(heard) == -(-subjects // 3)


def test_a_subclass_instance_is_a_focus_node_and_a_node_outside_the_batch_is_not(tmp_path):
    # Shapes target bm:Model; a model typed only bm:LanguageModel is still one. The organisation it
    # points to is typed in every batch (for sh:class) but judged in its own batch only.
    graph = Graph().parse(data="""
        @prefix bm: <https://w3id.org/bmkg/ontology#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <https://w3id.org/bmkg/id/model/undated> a bm:LanguageModel ; rdfs:label "Undated" ;
            bm:developedBy <https://w3id.org/bmkg/id/org/nameless> .
        <https://w3id.org/bmkg/id/org/nameless> a bm:Organization .
    """, format="turtle")
    _store_of(graph, tmp_path / "store")
    whole = _whole(graph)
    assert {f[0] for f in whole} == {"https://w3id.org/bmkg/id/model/undated", "https://w3id.org/bmkg/id/org/nameless"}
    assert _batched(tmp_path / "store", batch=1) == whole
