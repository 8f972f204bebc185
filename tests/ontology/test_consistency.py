"""HermiT, through owlready2, over the ontology and small samples."""

import shutil

import pytest
from rdflib import Graph

from ontology import quality

pytestmark = [
    pytest.mark.java,
    pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs a Java runtime on PATH"),
]

PREFIX = """
@prefix bm: <https://w3id.org/bmkg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/bmkg/id/> .
"""


def sample(turtle: str) -> Graph:
    return Graph().parse(data=PREFIX + turtle, format="turtle")


def test_ontology_is_consistent_with_no_unsatisfiable_class():
    assert quality.classify().unsatisfiable == []


def test_sample_is_classified_through_the_hierarchy_and_the_big_model_definition():
    result = quality.classify(sample("""
        <https://w3id.org/bmkg/id/model/large> a bm:LanguageModel ; bm:parameterCount 175000000000 .
        <https://w3id.org/bmkg/id/model/moe> a bm:Model ; bm:parameterCount 1600000000000 .
        <https://w3id.org/bmkg/id/model/small> a bm:VisionModel ; bm:parameterCount 25000000 .
        <https://w3id.org/bmkg/id/hardware/v100> a bm:GPU .
    """))
    types = result.inferred_types
    bm = "https://w3id.org/bmkg/ontology#"
    assert {bm + "Model", bm + "BigModel"} <= types["https://w3id.org/bmkg/id/model/large"]
    assert bm + "BigModel" in types["https://w3id.org/bmkg/id/model/moe"]
    assert bm + "BigModel" not in types["https://w3id.org/bmkg/id/model/small"]
    assert {bm + "Accelerator", bm + "Hardware"} <= types["https://w3id.org/bmkg/id/hardware/v100"]


@pytest.mark.parametrize("turtle", [
    # disjoint classes
    "<https://w3id.org/bmkg/id/model/x> a bm:Model, bm:Dataset .",
    "<https://w3id.org/bmkg/id/hardware/x> a bm:GPU, bm:TPU .",
    # a functional property with two different organisations, declared distinct
    """<https://w3id.org/bmkg/id/hardware/x> a bm:GPU ;
           bm:manufacturer <https://w3id.org/bmkg/id/org/a>, <https://w3id.org/bmkg/id/org/b> .
       <https://w3id.org/bmkg/id/org/a> a bm:Organization ;
           <http://www.w3.org/2002/07/owl#differentFrom> <https://w3id.org/bmkg/id/org/b> .""",
    # a range that makes an organisation a topic
    """<https://w3id.org/bmkg/id/model/x> bm:hasTopic <https://w3id.org/bmkg/id/org/a> .
       <https://w3id.org/bmkg/id/org/a> a bm:Organization .""",
], ids=["model-and-dataset", "gpu-and-tpu", "two-manufacturers", "topic-is-organization"])
def test_contradictions_are_inconsistent(turtle):
    with pytest.raises(quality.InconsistentOntology):
        quality.classify(sample(turtle))
