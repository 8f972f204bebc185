"""The Epoch models adapter: both exports read by column name, and told apart by their header."""

import csv
import datetime as dt
import io

import pytest

from ingest.adapters import epoch_models
from ingest.adapters.registry import SOURCES
from ingest.records import Record, Rejection, SourceError

BUILD_DATE = dt.date(2026, 11, 27)
COMMON = [c.header for c in epoch_models.COMMON]


def write_csv(path, header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[row.get(column, "") for column in header] for row in rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def all_models_csv(tmp_path, rows, extra=()):
    """An All AI models export: its header order differs from the notable export's, as Epoch's does."""
    header = ["Model", "Authors", "Abstract", "Training compute lower bound", "Approach"] + COMMON[1:] + [
        "Training compute upper bound", "Foundation model", "Training cloud compute vendor", "Last modified",
        "Benchmark data", "Training data center", "Archived links", "Parameters notes", *extra]
    return write_csv(tmp_path / "all_models.csv", header, rows)


def notable_csv(tmp_path, rows):
    header = COMMON + [c.header for c in epoch_models.NOTABLE_ONLY] + ["Abstract", "Compute cost notes"]
    return write_csv(tmp_path / "notable.csv", header, rows)


def read(path):
    items = list(epoch_models.read(path, BUILD_DATE))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_the_all_models_export_is_detected_and_its_own_columns_read(tmp_path):
    path = all_models_csv(tmp_path, [{
        "Model": "Grok-3", "Organization": "xAI", "Training compute (FLOP)": "4.64e+26",
        "Training compute lower bound": "2.1e+26", "Training compute upper bound": "1.13e+27",
        "Approach": "Self-supervised learning,Reinforcement learning", "Foundation model": "True",
        "Training cloud compute vendor": "Oracle, Microsoft", "Last modified": "2025-02-19 10:02:11+00:00",
        "Authors": "A. Person", "Abstract": "Words by others.", "Training data center": "No paper to reference.",
        "Benchmark data": "Grok-2", "Archived links": "Grok-1", "Parameters notes": "A note.",
    }])
    assert epoch_models.variant(path) == "all-models"
    [record], rejections = read(path)
    assert rejections == []
    assert record.fields == {
        "variant": "all-models", "name": "Grok-3", "organizations": ["xAI"], "training_compute_flop": 4.64e26,
        "training_compute_flop_low": 2.1e26, "training_compute_flop_high": 1.13e27,
        "approaches": ["Self-supervised learning", "Reinforcement learning"], "foundation": True,
        "cloud_vendors": ["Oracle", "Microsoft"], "last_modified": dt.date(2025, 2, 19),
    }


def test_the_notable_export_is_detected_and_read(tmp_path):
    path = notable_csv(tmp_path, [{"Model": "GPT-4", "Frontier model": "True", "Training power draw (W)": "2.2e7",
                                   "Training compute cost (2023 USD)": "40000000", "Abstract": "Not read."}])
    assert epoch_models.variant(path) == "notable-models"
    [record], rejections = read(path)
    assert rejections == []
    assert record.fields == {"variant": "notable-models", "name": "GPT-4", "frontier": True,
                             "training_power_draw_w": 2.2e7, "training_cost_usd_2023": 4e7}


@pytest.mark.parametrize("header", [
    COMMON,  # the shared columns only: neither export
    ["Model", "Organization", "Parameters"],
])
def test_a_header_of_neither_export_is_a_source_error_naming_the_file(tmp_path, header):
    path = write_csv(tmp_path / "mystery.csv", header, [{"Model": "X"}])
    with pytest.raises(SourceError) as caught:
        list(epoch_models.read(path, BUILD_DATE))
    assert "mystery.csv" in str(caught.value) and "neither Epoch model export" in str(caught.value)


def test_a_header_with_columns_of_both_exports_is_a_source_error(tmp_path):
    path = all_models_csv(tmp_path, [{"Model": "X"}], extra=("Frontier model",))
    with pytest.raises(SourceError, match=r"all_models\.csv.*columns of both Epoch model exports.*'Frontier model'"):
        epoch_models.variant(path)


def test_a_variant_column_missing_from_its_variant_is_a_missing_column(tmp_path):
    path = all_models_csv(tmp_path, [{"Model": "X"}])
    text = path.read_text(encoding="utf-8").replace(",Last modified,", ",Last modifed,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=r"missing required column\(s\): 'Last modified' \(found 'Last modifed'"):
        list(epoch_models.read(path, BUILD_DATE))


def test_columns_of_the_other_export_are_not_required(tmp_path):
    # The all-models export has no Frontier model column and the notable one no Approach: both read.
    for path in (all_models_csv(tmp_path, [{"Model": "A"}]), notable_csv(tmp_path, [{"Model": "B"}])):
        records, rejections = read(path)
        assert len(records) == 1 and rejections == []


@pytest.mark.parametrize("row, field, reason", [
    ({"Training compute lower bound": "5e20", "Training compute upper bound": "1e20"},
     "Training compute lower bound", "lower bound above the upper bound"),
    ({"Training compute (FLOP)": "5.64e19", "Training compute lower bound": "5.65e19"},
     "Training compute lower bound", "lower bound above the training compute"),
    ({"Training compute (FLOP)": "5e24", "Training compute upper bound": "1e24"},
     "Training compute upper bound", "upper bound below the training compute"),
])
def test_a_contradictory_compute_bound_drops_only_that_bound(tmp_path, row, field, reason):
    path = all_models_csv(tmp_path, [{"Model": "ConvS2S", **row}])
    [record], [rejection] = read(path)
    assert rejection.field == field and reason in rejection.reason and not rejection.whole_record
    assert str(rejection.location) == "all_models.csv, row 1 (line 2) 'ConvS2S'"
    dropped = {c.header: c.field for c in epoch_models.ALL_ONLY}[field]
    assert dropped not in record.fields and record.get("name") == "ConvS2S"


def test_a_bad_last_modified_rejects_its_record_with_file_row_and_field(tmp_path):
    path = all_models_csv(tmp_path, [{"Model": "A", "Last modified": "last week"}, {"Model": "B"}])
    records, [rejection] = read(path)
    assert [r.get("name") for r in records] == ["B"]
    assert (rejection.location.record, rejection.location.line, rejection.field) == ("row 1", 2, "Last modified")
    assert "expected a timestamp" in rejection.reason


def test_the_epoch_notable_source_reads_the_notable_copy_under_its_own_name():
    source = SOURCES["epoch-notable"]
    items = list(source.read(source.default_path, BUILD_DATE))
    assert {i.source for i in items} == {"epoch-notable"}
    records = [i for i in items if isinstance(i, Record)]
    assert len(records) == 895 and {r.get("variant") for r in records} == {"notable-models"}
    assert source.snapshot(source.default_path) == "2025-02-24"
    main = SOURCES["epoch-models"]
    assert epoch_models.variant(main.default_path) == "all-models"
    assert main.snapshot(main.default_path) == "2025-03-14"
