"""The in-store reasoner gives exactly what an OWL 2 RL engine gives on the same data (issue 20)."""

import pyoxigraph
import pytest

from ingest import reasoning
from ontology import validation
from tests.ingest import reference_reasoner

pytestmark = pytest.mark.slow


def _triples(store, graph) -> set:
    convert = validation._Converter()
    return {(convert(q.subject), convert(q.predicate), convert(q.object))
            for q in store.quads_for_pattern(None, None, None, graph)}


def test_in_store_reasoning_matches_the_owl_rl_reference_on_the_shipped_sources(shipped_build):
    _root, result = shipped_build
    store = pyoxigraph.Store.read_only(str(result.generation.oxigraph))
    asserted = _triples(store, pyoxigraph.DefaultGraph())
    derived = _triples(store, pyoxigraph.NamedNode(reasoning.INFERRED))
    expected = reference_reasoner.inferred(asserted, validation.ontology_graph())
    missing, extra = sorted(expected - derived), sorted(derived - expected)
    assert (missing[:10], extra[:10]) == ([], [])
    assert len(derived) == result.summary["inferred_triples"] > 10_000
