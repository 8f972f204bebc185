"""Fixtures shared by the whole suite."""

import datetime as dt

import pyoxigraph
import pytest
from rdflib import Graph

from ingest.pipeline import Inputs, build
from ontology import store as ontology_store
from ontology import validation

# Tests pin the build day so that date checks are reproducible.
BUILD_DATE = dt.date(2026, 11, 27)


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return validation.shapes_graph(BUILD_DATE)


@pytest.fixture(scope="session")
def ontology_graph() -> Graph:
    return validation.ontology_graph()


@pytest.fixture(scope="session")
def shipped_build(tmp_path_factory):
    """The graph built once per session from the shipped sources: (store root, BuildResult)."""
    root = tmp_path_factory.mktemp("store")
    result = build(root, Inputs.shipped(), BUILD_DATE)
    return root, result


@pytest.fixture(scope="session")
def shipped_store(shipped_build):
    _root, result = shipped_build
    return pyoxigraph.Store.read_only(str(result.generation.oxigraph))


def select(store: pyoxigraph.Store, query: str) -> list[dict[str, object]]:
    """Rows of a SELECT over the whole build (each statement once), as dicts of lexical values."""
    prefixes = """
        PREFIX bm: <https://w3id.org/bmkg/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
    """
    result = store.query(prefixes + query, default_graph=ontology_store.union_graphs())
    names = [v.value for v in result.variables]
    return [{name: (row[name].value if row[name] is not None else None) for name in names} for row in result]


@pytest.fixture(scope="session")
def sparql(shipped_store):
    """Run a SELECT on the shipped build; rows as dicts of lexical values."""
    return lambda query: select(shipped_store, query)
