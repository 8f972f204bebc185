"""The shipped copies of the new sources: made by ``bmkg snapshot`` from the downloads, facts only,
and every row of them read as a record or reported as a rejection, counted against the downloads."""

import csv
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ingest import snapshot, values
from ingest.adapters import epoch_benchmarks as hub
from ingest.adapters.registry import SOURCES
from ingest.cli import snapshot as snapshot_command
from ingest.records import Record, Rejection

BUILD_DATE = dt.date(2026, 11, 27)
DOWNLOADS = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def downloads() -> Path:
    if not (DOWNLOADS / "epoch" / "benchmarks").is_dir():
        pytest.skip(f"the downloads are not at {DOWNLOADS}")
    return DOWNLOADS


def read(name):
    source = SOURCES[name]
    items = list(source.read(source.default_path, BUILD_DATE))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def by_row(items, file_name):
    found = defaultdict(list)
    for item in items:
        if item.location.file.name == file_name:
            found[item.location.record].append(item)
    return found


@pytest.mark.parametrize("name, download, rows, counts", [
    ("epoch-models", "epoch/all_ai_models_2025-03-14.csv", 2228, (2222, 6, 3)),
    ("epoch-notable", "epoch/notable_ai_models_2025-02-24.csv", 895, (895, 0, 2)),
])
def test_every_model_row_is_a_record_or_a_rejected_record(downloads, name, download, rows, counts):
    raw = csv_rows(downloads / download)
    assert len(raw) == rows
    records, rejections = read(name)
    # the counts epoch_models' docstring states: records, rows rejected, fields dropped
    assert (len(records), sum(r.whole_record for r in rejections), sum(not r.whole_record for r in rejections)) == counts
    kept = {r.location.record for r in records}
    dropped = {r.location.record for r in rejections if r.whole_record}
    assert kept.isdisjoint(dropped)
    assert kept | dropped == {f"row {n}" for n in range(1, rows + 1)}
    assert [r.get("name") for r in records] == [
        values.clean_text(row["Model"]) for n, row in enumerate(raw, 1) if f"row {n}" in kept]


def test_every_score_cell_of_the_hub_is_a_result_or_a_rejection(downloads):
    records, rejections = read("epoch-benchmarks")
    raw_folder = downloads / "epoch" / "benchmarks"
    counted = 0
    for file_name, spec in hub.FILES.items():
        results, rejected = by_row(records, file_name), by_row(rejections, file_name)
        for number, row in enumerate(csv_rows(raw_folder / file_name), start=1):
            key = f"row {number}"
            cells = {(s.benchmark, s.metric) for s in spec.scores if row[s.column].strip()}
            counted += len(cells)
            got = {(r.get("benchmark"), r.get("metric")) for r in results[key]}
            if any(r.whole_record and r.field not in {s.column for s in spec.scores} for r in rejected[key]):
                assert not got, (file_name, key)  # the whole row was rejected
                continue
            cell_rejections = {(s.benchmark, s.metric) for s in spec.scores
                               for r in rejected[key] if r.field == s.column and r.whole_record}
            assert got | cell_rejections == cells and not got & cell_rejections, (file_name, key)
    results = sum(1 for r in records if r.get("kind") == "result" and r.get("file") != hub.RUNS_FILE)
    bad_cells = sum(1 for r in rejections if r.whole_record and r.location.file.name in hub.FILES
                    and r.field in {s.column for s in hub.FILES[r.location.file.name].scores})
    assert counted == results + bad_cells + _cells_in_rejected_rows(rejections, raw_folder)
    assert (counted, results) == (3906, 3860)  # 46 score cells sit in the 37 rows without a model


def _cells_in_rejected_rows(rejections, raw_folder) -> int:
    """The score cells of rows rejected as a whole (no model, no id)."""
    cells = 0
    for rejection in rejections:
        spec = hub.FILES.get(rejection.location.file.name)
        if spec is None or not rejection.whole_record or rejection.field in {s.column for s in spec.scores}:
            continue
        row = csv_rows(raw_folder / rejection.location.file.name)[int(rejection.location.record.split()[1]) - 1]
        cells += sum(1 for s in spec.scores if row[s.column].strip())
    return cells


@pytest.mark.parametrize("file_name", [hub.VERSIONS_FILE, hub.RUNS_FILE])
def test_every_version_and_run_row_is_a_record_or_a_rejection(downloads, file_name):
    records, rejections = read("epoch-benchmarks")
    rows = len(csv_rows(downloads / "epoch" / "benchmarks" / file_name))
    kept = {r.location.record for r in records if r.location.file.name == file_name}
    dropped = {r.location.record for r in rejections if r.location.file.name == file_name and r.whole_record}
    assert kept | dropped == {f"row {n}" for n in range(1, rows + 1)} and kept.isdisjoint(dropped)


def test_every_helm_model_and_deployment_is_read_or_rejected(downloads):
    records, rejections = read("helm")
    models = yaml.safe_load((downloads / "helm" / "model_metadata.yaml").read_text(encoding="utf-8"))["models"]
    deployments = yaml.safe_load((downloads / "helm" / "model_deployments.yaml").read_text(encoding="utf-8"))[
        "model_deployments"]
    assert (len(models), len(deployments)) == (623, 609)
    kept = {r.location.record for r in records}
    dropped = {r.location.record for r in rejections if r.whole_record and r.location.file.name == "model_metadata.yaml"}
    assert kept | dropped == {f"models[{i}]" for i in range(623)} and kept.isdisjoint(dropped)
    assert [r.get("helm_id") for r in records] == [models[int(r.location.record[7:-1])]["name"] for r in records]
    attached = [d["name"] for r in records for d in r.get("deployments")]
    refused = [r for r in rejections if r.whole_record and r.location.file.name == "model_deployments.yaml"]
    assert len(attached) + len(refused) == 609
    assert sorted(attached + [r.location.name for r in refused]) == sorted(d["name"] for d in deployments)
    assert (len(records), len(attached)) == (621, 590)  # the counts helm's docstring states
    assert sum(not r.whole_record for r in rejections) == 5


def test_the_copies_hold_no_free_text():
    for path in SOURCES["epoch-benchmarks"].default_path.glob("*.csv"):
        header = next(csv.reader(path.open(encoding="utf-8")))
        assert not [c for c in header if snapshot.is_free_text(c)], path.name
    for name in ("epoch-models", "epoch-notable"):
        header = next(csv.reader(SOURCES[name].default_path.open(encoding="utf-8")))
        assert not [c for c in header if snapshot.is_free_text(c)], name
    text = "".join(p.read_text(encoding="utf-8") for p in SOURCES["helm"].default_path.glob("*.yaml"))
    assert "description:" not in text and "client_spec" not in text


def test_the_copies_are_what_bmkg_snapshot_makes_from_the_downloads(downloads, tmp_path):
    runner = CliRunner()
    shipped = SOURCES["epoch-models"].default_path
    made = tmp_path / shipped.name
    result = runner.invoke(snapshot_command, ["epoch", str(downloads / "epoch" / shipped.name), str(made)])
    assert result.exit_code == 0, result.output
    assert "2228 rows; dropped 13 free-text columns" in result.output
    assert made.read_bytes() == shipped.read_bytes()
    for command, name, download, date, upstream in (
            ("epoch-benchmarks", "epoch-benchmarks", "epoch/benchmarks", "2025-12-03",
             "Epoch AI, AI Benchmarking Hub (benchmark-stitching)"),
            ("helm", "helm", "helm", "2026-04-30", "crfm-helm 0.5.16")):
        target = tmp_path / command
        result = runner.invoke(snapshot_command, [command, str(downloads / download), str(target),
                                                  "--snapshot-date", date, "--upstream", upstream])
        assert result.exit_code == 0, result.output
        shipped = SOURCES[name].default_path
        copies = sorted(p.name for p in target.iterdir())
        assert copies == sorted(p.name for p in shipped.iterdir() if p.name != "README.md")
        for file in copies:
            assert (target / file).read_bytes() == (shipped / file).read_bytes(), file
        assert SOURCES[name].snapshot(shipped) == date
        assert json.loads((shipped / snapshot.MANIFEST).read_text())["upstream"] == upstream


def test_a_raw_download_folder_has_no_stated_snapshot_day(downloads):
    assert SOURCES["epoch-benchmarks"].snapshot(downloads / "epoch" / "benchmarks") is None
