"""The ontology commands of the bmkg CLI, with their exit codes."""

from click.testing import CliRunner

from ontology import paths
from ontology.cli import main


def test_validate_exit_codes(tmp_path):
    runner = CliRunner()
    valid = paths.EXAMPLES / "valid" / "roadmap-slice.ttl"
    invalid = paths.EXAMPLES / "invalid" / "model-negative-parameters.ttl"
    garbage = tmp_path / "broken.ttl"
    garbage.write_text("<a> <b> .", encoding="utf-8")

    ok = runner.invoke(main, ["validate", str(valid), "--build-date", "2026-11-27"])
    assert ok.exit_code == 0, ok.output
    assert "0 violations" in ok.output

    bad = runner.invoke(main, ["validate", str(invalid)])
    assert bad.exit_code == 1
    assert "MinExclusiveConstraintComponent" in bad.output and "parameterCount" in bad.output

    unusable = runner.invoke(main, ["validate", str(garbage)])
    assert unusable.exit_code == 2
    assert "broken.ttl" in unusable.output


def test_ontology_check_passes_without_reasoner():
    result = CliRunner().invoke(main, ["ontology", "check", "--no-reasoner"])
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert result.output.count(" ok ") + result.output.count("ok  ") >= 5


def _as_dataset(turtle, syntax: str) -> bytes:
    """The statements of a Turtle example spread over two named graphs and the default graph."""
    import pyoxigraph as ox

    triples = list(ox.parse(turtle.read_bytes(), format=ox.RdfFormat.TURTLE))
    graphs = [ox.NamedNode("https://w3id.org/bmkg/graph/a"), ox.NamedNode("https://w3id.org/bmkg/graph/b"),
              ox.DefaultGraph()]
    quads = [ox.Quad(t.subject, t.predicate, t.object, graphs[i % 3]) for i, t in enumerate(triples)]
    return ox.serialize(quads, format=getattr(ox.RdfFormat, syntax))


def test_validate_checks_every_graph_of_n_quads_and_trig_and_reads_gzip(tmp_path):
    import gzip

    runner = CliRunner()
    valid = paths.EXAMPLES / "valid" / "roadmap-slice.ttl"
    invalid = paths.EXAMPLES / "invalid" / "model-negative-parameters.ttl"
    for syntax, extension in (("N_QUADS", "nq"), ("TRIG", "trig")):
        bad = tmp_path / f"bad.{extension}"
        bad.write_bytes(_as_dataset(invalid, syntax))
        good = tmp_path / f"good.{extension}.gz"
        good.write_bytes(gzip.compress(_as_dataset(valid, syntax)))
        failed = runner.invoke(main, ["validate", str(bad)])
        assert failed.exit_code == 1, (extension, failed.output)  # a named graph's statements are validated too
        assert "MinExclusiveConstraintComponent" in failed.output and "parameterCount" in failed.output
        passed = runner.invoke(main, ["validate", str(good), "--build-date", "2026-11-27"])
        assert passed.exit_code == 0, (extension, passed.output)
        assert "0 violations" in passed.output
    zipped_turtle = tmp_path / "bad.ttl.gz"
    zipped_turtle.write_bytes(gzip.compress(invalid.read_bytes()))
    assert runner.invoke(main, ["validate", str(zipped_turtle)]).exit_code == 1


def test_a_parse_failure_names_the_file_the_line_and_the_error(tmp_path):
    runner = CliRunner()
    cases = {
        "broken.nq": ("<http://a> <http://b> <http://c> <http://g> .\n<http://a> <http://b> <c d> <http://g> .\n",
                      "broken.nq:2:", "N-Quads"),
        "broken.trig": ("<http://g> { <http://a> <http://b> <http://c> .\n\n<http://a> <http://b> }\n",
                        "broken.trig:3:", "TriG"),
        "broken.ttl": ('@prefix x: <http://x/> .\nx:a x:b "unterminated .\n', "broken.ttl:2:", "Turtle"),
    }
    for name, (text, where, syntax) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(main, ["validate", str(path)])
        assert result.exit_code == 2, (name, result.output)
        assert where in result.output and f"not valid {syntax}" in result.output, result.output
    garbage = tmp_path / "data.nq.gz"
    garbage.write_bytes(b"not gzip at all")
    result = runner.invoke(main, ["validate", str(garbage)])
    assert result.exit_code == 2 and "data.nq.gz" in result.output and "gzip" in result.output


def test_findings_name_iris_as_in_turtle_not_as_python_reprs():
    invalid = paths.EXAMPLES / "invalid" / "model-hardware-is-organization.ttl"
    result = CliRunner().invoke(main, ["validate", str(invalid)])
    assert result.exit_code == 1
    assert "rdflib.term" not in result.output and "URIRef(" not in result.output
    assert "value <https://w3id.org/bmkg/id/" in result.output


def test_warning_lines_are_readable_in_the_build_report(shipped_build):
    import json

    from rdflib import BNode, Literal, URIRef

    from ontology.validation import Finding

    iri, node = URIRef("https://w3id.org/bmkg/id/org/x"), BNode("b0")
    for value, shown in ((iri, "value <https://w3id.org/bmkg/id/org/x>"), (node, "value _:b0"),
                         (Literal("-5"), "value -5")):
        line = Finding("Warning", URIRef("https://w3id.org/bmkg/id/model/m"), URIRef("https://w3id.org/bmkg/ontology#p"),
                       value, "ClassConstraintComponent", "a message", None).describe()
        assert shown in line and "rdflib" not in line and "(" + "'" not in line, line
    _root, result = shipped_build
    summary = json.loads((result.generation.path / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["warning_lines"]) == min(summary["warnings"], 200)
    for line in summary["warning_lines"]:
        assert line.startswith("Warning: ") and "rdflib.term" not in line and "URIRef(" not in line, line
