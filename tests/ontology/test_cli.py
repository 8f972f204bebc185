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
