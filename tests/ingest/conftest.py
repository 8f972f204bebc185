"""A store built once from the shipped sources, shared by the ingest tests."""

import datetime as dt
import shutil
from pathlib import Path

import pyoxigraph
import pytest

from ingest.adapters.registry import SOURCES
from ingest.pipeline import Inputs, build

BUILD_DATE = dt.date(2026, 11, 27)


@pytest.fixture(scope="session")
def shipped_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    result = build(root, Inputs.shipped(), BUILD_DATE)
    return root, result


@pytest.fixture(scope="session")
def shipped_store(shipped_build):
    _root, result = shipped_build
    return pyoxigraph.Store.read_only(str(result.generation.oxigraph))


def select(store: pyoxigraph.Store, query: str) -> list[dict[str, object]]:
    """Rows of a SELECT as dicts of Python values (str for IRIs and literals' lexical forms)."""
    prefixes = """
        PREFIX bm: <https://w3id.org/bmkg/ontology#>
        PREFIX id: <https://w3id.org/bmkg/id/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
    """
    result = store.query(prefixes + query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{name: (row[name].value if row[name] is not None else None) for name in names} for row in result]


def only(*names: str) -> Inputs:
    """Inputs with just the named sources, for fast failure tests."""
    sources = [SOURCES[name] for name in names]
    return Inputs(sources, {s.name: s.default_path for s in sources})


def copy_source(name: str, directory: Path) -> Path:
    source = SOURCES[name].default_path
    target = directory / source.name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy(source, target)
    return target


@pytest.fixture(scope="session")
def sparql(shipped_store):
    """Run a SELECT on the shipped build; rows as dicts of lexical values."""
    return lambda query: select(shipped_store, query)
