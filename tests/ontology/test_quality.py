"""Quality rules (queries/qc/*.rq): none returns a row on the real ontology, and
each one catches the defect it exists for."""

import re
import shutil

import pytest

from ontology import paths, quality

RULES = {rule.stem: rule for rule in quality.rule_files()}


def test_the_required_rules_exist():
    assert {
        "term-without-label-or-definition",
        "term-used-in-shapes-not-declared",
        "iri-outside-namespace",
        "property-without-domain-or-range",
    } <= set(RULES)


@pytest.mark.parametrize("result", quality.run_rules(), ids=lambda r: r.name)
def test_rule_returns_no_rows_on_the_ontology(result):
    assert result.title, f"{result.name} has no '# title:' header"
    assert result.passed, result.rows


# Each defect is a text edit of a copy of the real files, so the rule is shown to
# fire on the real ontology's shape, not on a toy.
DEFECTS = {
    "term-without-label-or-definition": (
        "ontology",
        '    rdfs:label "parameter count"@en ;\n',
        "",
        "https://w3id.org/bmkg/ontology#parameterCount",
    ),
    "term-used-in-shapes-not-declared": (
        "shapes",
        "sh:path bm:hardwareQuantity ;",
        "sh:path bm:hardwareQuantityy ;",
        "https://w3id.org/bmkg/ontology#hardwareQuantityy",
    ),
    "term-used-in-ontology-not-declared": (
        "ontology",
        "rdfs:subClassOf bm:BiologyModel ;",
        "rdfs:subClassOf bm:BiologyModle ;",
        "https://w3id.org/bmkg/ontology#BiologyModle",
    ),
    "iri-outside-namespace": (
        "ontology",
        "bm:GameModel a owl:Class ;",
        "<https://example.org/GameModel> a owl:Class ;",
        "https://example.org/GameModel",
    ),
    "property-without-domain-or-range": (
        "ontology",
        "    rdfs:domain bm:Hardware ;\n    rdfs:range xsd:double ;\n    rdfs:label \"thermal",
        "    rdfs:label \"thermal",
        "https://w3id.org/bmkg/ontology#tdpWatts",
    ),
}


def test_every_rule_has_a_defect_test():
    assert set(DEFECTS) == set(RULES)


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_rule_catches_its_defect(name, tmp_path):
    which, old, new, culprit = DEFECTS[name]
    ontology_copy = tmp_path / "bmkg.ttl"
    shapes_copy = tmp_path / "shapes.ttl"
    shutil.copy(paths.ONTOLOGY, ontology_copy)
    shutil.copy(paths.SHAPES, shapes_copy)
    target = ontology_copy if which == "ontology" else shapes_copy
    text = target.read_text(encoding="utf-8")
    assert old in text, "the defect no longer applies: update the test"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")

    dataset = quality.quality_dataset(ontology_copy, shapes_copy)
    [result] = quality.run_rules(dataset, [RULES[name]])
    assert not result.passed
    assert any(culprit in row.values() for row in result.rows), result.rows


def test_header_has_the_required_metadata():
    from rdflib import Graph

    graph = Graph().parse(paths.ONTOLOGY)
    answer = graph.query("""
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX vann: <http://purl.org/vocab/vann/>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        ASK {
          <https://w3id.org/bmkg/ontology> a owl:Ontology ;
              owl:versionIRI ?version ; owl:versionInfo ?info ;
              dcterms:title ?title ; dcterms:description ?description ; dcterms:license ?licence ;
              dcterms:created ?created ; dcterms:modified ?modified ;
              vann:preferredNamespacePrefix "bm" .
          FILTER(DATATYPE(?created) = xsd:date && DATATYPE(?modified) = xsd:date)
          FILTER(STRSTARTS(STR(?version), "https://w3id.org/bmkg/ontology/") && CONTAINS(STR(?version), ?info))
        }""")
    assert answer.askAnswer


def test_term_iris_carry_no_version():
    text = paths.ONTOLOGY.read_text(encoding="utf-8")
    assert not re.search(r"https://w3id\.org/bmkg/ontology/[0-9.]+#", text)
