"""Fixtures shared by the whole suite."""

import datetime as dt

import pytest
from rdflib import Graph

from ontology import validation

# Tests pin the build day so that date checks are reproducible.
BUILD_DATE = dt.date(2026, 11, 27)


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return validation.shapes_graph(BUILD_DATE)


@pytest.fixture(scope="session")
def ontology_graph() -> Graph:
    return validation.ontology_graph()
