"""Bad input: a clear, named error, and the previous generation untouched.

Structural problems reject the source and fail the build; record-level problems
reject the record, report it, and keep the rest.
"""

import csv
import hashlib
import io
import json

import pytest
from click.testing import CliRunner

from ingest.adapters.registry import SOURCES, added_rdf
from ingest.cli import build as build_command
from ingest.pipeline import BuildFailed, Inputs, build
from ontology import store

BUILD_DATE = __import__("datetime").date(2026, 11, 27)


def small_epoch_csv(tmp_path, rows=6, edit=None, header_edit=None):
    """The first rows of the shipped Epoch CSV, optionally edited."""
    with SOURCES["epoch-models"].default_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        body = [next(reader) for _ in range(rows)]
    if header_edit:
        header = header_edit(header)
    if edit:
        edit(header, body)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    path = tmp_path / "models.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def inputs_with(**paths):
    sources = [SOURCES[name.replace("_", "-")] for name in paths]
    return Inputs(sources, {name.replace("_", "-"): path for name, path in paths.items()})


def fingerprint(generation):
    digest = hashlib.sha256()
    for path in sorted(generation.path.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def good_store(tmp_path):
    """A store with one good generation, built from a small Epoch file."""
    root = tmp_path / "store"
    good = tmp_path / "good"
    good.mkdir()
    result = build(root, inputs_with(epoch_models=small_epoch_csv(good)), BUILD_DATE)
    return root, result.generation, fingerprint(result.generation)


def assert_untouched(root, generation, digest):
    assert store.current(root) == generation
    assert fingerprint(generation) == digest


def failing_build(root, inputs) -> BuildFailed:
    with pytest.raises(BuildFailed) as caught:
        build(root, inputs, BUILD_DATE)
    return caught.value


# -- structural problems: the source is rejected and the build fails ---------------

def test_missing_column(good_store, tmp_path):
    root, generation, digest = good_store
    path = small_epoch_csv(tmp_path, edit=lambda h, b: [r.pop(h.index("Parameters")) for r in b] and h.remove("Parameters"))
    failure = failing_build(root, inputs_with(epoch_models=path))
    assert "models.csv, line 1: missing required column(s): 'Parameters'" in failure.problems[0]
    assert_untouched(root, generation, digest)


def test_renamed_column_is_named_with_its_likely_new_name(good_store, tmp_path):
    root, generation, digest = good_store
    path = small_epoch_csv(tmp_path, header_edit=lambda h: ["Parameter count" if c == "Parameters" else c for c in h])
    failure = failing_build(root, inputs_with(epoch_models=path))
    assert "'Parameters' (found 'Parameter count': renamed?)" in failure.problems[0]
    assert_untouched(root, generation, digest)


def test_empty_file(good_store, tmp_path):
    root, generation, digest = good_store
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    failure = failing_build(root, inputs_with(epoch_models=path))
    assert "empty.csv: the file is empty" in failure.problems[0]
    assert_untouched(root, generation, digest)


def test_bytes_that_are_not_utf8(good_store, tmp_path):
    root, generation, digest = good_store
    path = small_epoch_csv(tmp_path)
    data = path.read_bytes()
    cut = data.index(b"\n", data.index(b"\n") + 1) + 1  # start of the second data row
    path.write_bytes(data[:cut] + b"Caf\xe9 model" + data[cut:])
    failure = failing_build(root, inputs_with(epoch_models=path))
    assert "models.csv, line 3: not UTF-8: byte 0xe9" in failure.problems[0]
    assert_untouched(root, generation, digest)


def test_truncated_quoted_cell(good_store, tmp_path):
    root, generation, digest = good_store
    path = small_epoch_csv(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + '\nBroken model,"Language,Vision\n', encoding="utf-8")
    failure = failing_build(root, inputs_with(epoch_models=path))
    assert "models.csv, line" in failure.problems[0] and "unclosed quote" in failure.problems[0]
    assert_untouched(root, generation, digest)


def test_json_syntax_error(good_store, tmp_path):
    root, generation, digest = good_store
    path = tmp_path / "all_models.json"
    path.write_text('[{"last_updated": "2023/06/01"},\n {"name": "X",, }]', encoding="utf-8")
    failure = failing_build(root, inputs_with(bmlist=path))
    assert "all_models.json, line 2: JSON syntax error" in failure.problems[0]
    assert_untouched(root, generation, digest)


def test_yaml_syntax_error(good_store, tmp_path):
    root, generation, digest = good_store
    folder = tmp_path / "curated"
    folder.mkdir()
    (folder / "broken.yaml").write_text("techniques:\n  - key: lora\n    label: [unclosed\n", encoding="utf-8")
    failure = failing_build(root, inputs_with(curated=folder))
    assert "broken.yaml, line" in failure.problems[0] and "YAML syntax error" in failure.problems[0]
    assert_untouched(root, generation, digest)


def test_turtle_syntax_error_in_an_added_file(good_store, tmp_path):
    root, generation, digest = good_store
    path = tmp_path / "extra.ttl"
    path.write_text("<https://w3id.org/bmkg/id/model/x> a <https://w3id.org/bmkg/ontology#Model> ;\n", encoding="utf-8")
    source = added_rdf(path)
    failure = failing_build(root, Inputs([source], {source.name: path}))
    assert "extra.ttl" in failure.problems[0] and "turtle syntax error" in failure.problems[0]
    assert_untouched(root, generation, digest)


def test_shacl_violation_names_source_row_field_value_and_message(good_store, tmp_path):
    root, generation, digest = good_store
    path = small_epoch_csv(tmp_path, edit=lambda h, b: b[1].__setitem__(h.index("Model accessibility"), "Sort of open"))
    failure = failing_build(root, inputs_with(epoch_models=path))
    assert failure.stage == "SHACL validation"
    [problem] = failure.problems
    assert "models.csv, row 2 (line 3)" in problem
    assert "modelAccessibility" in problem and "Sort of open" in problem
    assert "takes one of Epoch's six accessibility values" in problem
    assert_untouched(root, generation, digest)


def test_a_failure_while_the_gate_validates_stops_it_and_discards_the_build(good_store, tmp_path, monkeypatch):
    """Reasoning runs beside the SHACL gate: when it fails, the gate stops and nothing of the build stays."""
    import threading

    from ingest import reasoning

    root, generation, digest = good_store

    def broken(*_args, **_kwargs):
        raise RuntimeError("reasoning broke")

    monkeypatch.setattr(reasoning, "materialise", broken)
    with pytest.raises(RuntimeError, match="reasoning broke"):
        build(root, inputs_with(epoch_models=small_epoch_csv(tmp_path)), BUILD_DATE)
    assert not [t for t in threading.enumerate() if t.name == "shacl-gate"]
    assert sorted(p.name for p in (root / "generations").iterdir()) == [generation.id]
    assert_untouched(root, generation, digest)


# -- record-level problems: the record is rejected, the rest kept ------------------

@pytest.mark.parametrize("value, reason", [
    ("lots", "expected a number"),
    ("-175", "expected a number above 0"),
    ("1.2e", "expected a number such as"),
])
def test_bad_number_rejects_only_its_record(good_store, tmp_path, value, reason):
    root, generation, digest = good_store
    path = small_epoch_csv(tmp_path, edit=lambda h, b: b[2].__setitem__(h.index("Parameters"), value))
    result = build(root, inputs_with(epoch_models=path), BUILD_DATE)
    [rejection] = [r for r in result.rejections if r.whole_record]
    assert rejection.location.record == "row 3" and rejection.field == "Parameters"
    assert rejection.value == value and reason in rejection.reason
    assert result.summary["rejected_records"] == 1
    assert result.summary["entities_per_class"]["Model"] >= 5
    assert fingerprint(generation) == digest  # the previous generation is kept as it was


def test_duplicate_rows_keep_the_first(good_store, tmp_path):
    root, _generation, _digest = good_store
    path = small_epoch_csv(tmp_path, edit=lambda h, b: b.append(list(b[0])))
    result = build(root, inputs_with(epoch_models=path), BUILD_DATE)
    [rejection] = result.rejections
    assert rejection.location.record == "row 7" and "duplicate of row 1" in rejection.reason
    rejections = json.loads((result.generation.path / "rejections.json").read_text())
    assert rejections[0]["record"] == "row 7" and rejections[0]["field"] == "Model"


def test_cli_exit_codes_and_message(good_store, tmp_path):
    root, generation, digest = good_store
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(build_command, ["--store", str(root), "--source", f"epoch-models={path}", "--quiet"])
    assert result.exit_code == 1
    assert "the current generation is unchanged" in result.output and "empty.csv" in result.output
    assert_untouched(root, generation, digest)
    unknown = runner.invoke(build_command, ["--store", str(root), "--source", "nonsense=x"])
    assert unknown.exit_code == 2 and "expected NAME=PATH" in unknown.output
