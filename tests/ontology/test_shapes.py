"""The SHACL shapes, tested in both directions on ontology/examples/."""

from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from ontology import paths, validation
from ontology.validation import SH

VALID = sorted((paths.EXAMPLES / "valid").glob("*.ttl"))
INVALID = sorted((paths.EXAMPLES / "invalid").glob("*.ttl"))

PREFIXES = {
    "bm:": "https://w3id.org/bmkg/ontology#",
    "rdfs:": "http://www.w3.org/2000/01/rdf-schema#",
    "skos:": "http://www.w3.org/2004/02/skos/core#",
    "dcterms:": "http://purl.org/dc/terms/",
    "prov:": "http://www.w3.org/ns/prov#",
}


def expectations(path: Path) -> set[tuple[str, str, str | None]]:
    """Read '# expect: Severity Component path' lines from an example's header."""
    expected = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect:"):
            severity, component, prop = line.removeprefix("# expect:").split()
            for prefix, namespace in PREFIXES.items():
                if prop.startswith(prefix):
                    prop = namespace + prop[len(prefix):]
            expected.add((severity, component, None if prop == "-" else prop))
    return expected


def findings(path: Path, shapes: Graph, ontology_graph: Graph):
    report = validation.validate(Graph().parse(path), shapes=shapes, ontology=ontology_graph)
    return report, {
        # a path that is no single property (an alternative or inverse path) is written "-"
        (f.severity, f.component, str(f.path) if isinstance(f.path, URIRef) else None) for f in report.findings
    }


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_example_conforms_without_findings(path, shapes, ontology_graph):
    report, found = findings(path, shapes, ontology_graph)
    assert report.conforms
    assert found == set(), [f.describe() for f in report.findings]


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_example_breaks_exactly_the_named_constraint(path, shapes, ontology_graph):
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect:' line"
    report, found = findings(path, shapes, ontology_graph)
    assert found == expected, [f.describe() for f in report.findings]
    if any(severity == "Violation" for severity, _, _ in expected):
        assert not report.conforms
    else:
        assert report.conforms, "warnings alone must not fail validation"


def test_every_node_shape_has_an_invalid_example(shapes, ontology_graph):
    broken = set()
    for path in INVALID:
        report = validation.validate(Graph().parse(path), shapes=shapes, ontology=ontology_graph)
        for finding in report.findings:
            shape = finding.shape
            # A property shape belongs to the node shape that points to it.
            owners = set(shapes.subjects(SH.property, shape)) or {shape}
            broken |= owners
    node_shapes = set(shapes.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SH.NodeShape))
    assert node_shapes - broken == set()


def test_every_constraint_has_a_message(shapes):
    property_shapes = set(shapes.objects(None, SH.property))
    node_constraints = {s for s in shapes.subjects(SH.targetClass, None) if (s, SH["or"], None) in shapes}
    assert property_shapes and node_constraints
    assert {s for s in property_shapes | node_constraints if shapes.value(s, SH.message) is None} == set()


def test_build_date_is_the_date_maximum(ontology_graph):
    import datetime as dt

    data = Graph().parse(data="""
        @prefix bm: <https://w3id.org/bmkg/ontology#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <https://w3id.org/bmkg/id/model/m> a bm:Model ; <http://www.w3.org/2000/01/rdf-schema#label> "M" ;
            bm:publicationDate "2026-11-28"^^xsd:date .
    """, format="turtle")
    late = validation.validate(data, build_date=dt.date(2026, 11, 27), ontology=ontology_graph)
    on_time = validation.validate(data, build_date=dt.date(2026, 11, 28), ontology=ontology_graph)
    assert [f.component for f in late.violations] == ["MaxInclusiveConstraintComponent"]
    assert on_time.conforms and not on_time.findings


def test_parallel_validation_finds_the_same_results(shapes, ontology_graph):
    data = Graph()
    for path in VALID + INVALID:
        data.parse(path)
    serial = validation.validate(data, shapes=shapes, ontology=ontology_graph, jobs=1)
    parallel = validation.validate(data, shapes=shapes, ontology=ontology_graph, jobs=2)
    key = lambda f: (f.severity, str(f.focus), str(f.path), str(f.value), f.component)
    assert serial.findings and sorted(map(key, parallel.findings)) == sorted(map(key, serial.findings))


def test_in_place_validation_finds_the_same_results_and_restores_the_data(shapes, ontology_graph):
    data = Graph()
    for path in VALID + INVALID:
        data.parse(path)
    before = set(data)
    copied = validation.validate(data, shapes=shapes, ontology=ontology_graph)
    lent = validation.validate(data, shapes=shapes, ontology=ontology_graph, in_place=True)
    key = lambda f: (f.severity, str(f.focus), str(f.path), str(f.value), f.component)
    assert copied.findings and sorted(map(key, lent.findings)) == sorted(map(key, copied.findings))
    assert set(data) == before
