"""The Benchmarking Hub adapter: versions, Epoch's runs and external results, each score normalised."""

import datetime as dt
import re

import pytest

from ingest.adapters import epoch_benchmarks as hub
from ingest.adapters.registry import SOURCES
from ingest.records import Record, Rejection, SourceError

BUILD_DATE = dt.date(2026, 11, 27)
BOM = "\ufeff"

VERSIONS = BOM + """id,Model,Version release date,Hugging Face developer id,Link,Notes,benchmarks/runs,Display name,Unique display name
gpt-5.1_medium,GPT-5.1,2025-11-13,,https://platform.openai.com/docs/models,Notes by others,abc,,GPT-5.1 (medium)
claude-3-7-sonnet-20250219_16K,Claude 3.7 Sonnet,2025-02-24,,,,,,
Qwen2.5-72B-Instruct,Qwen2.5-72B,2024-09-19,Qwen,not a link,,,,
"""
RUNS = BOM + """id,task,model,Best score (across scorers),Scores,log viewer,logs,job,started_at,Status,Manual evaluation,task version
run1,GPQA diamond,gpt-5.1_medium,0.850,choice:0.85±0.02,https://logs.example.org/run1,,,17 November 2025 4:28pm,Success,,1.0.1
run2,MATH level 5,o3-2025-04-16_high,0.847,"model_extracted_exact_match:0.84±0.05,model_graded:0.85±0.04",,https://logs.example.org/run2,,1 July 2025 1:05pm,Success,,1.0.0
run3,GPQA diamond,o1-2024-12-17_low,0.5,choice:0.5±0.1,,,,,Error,,1.0.0
run4,FrontierMath-2025-02-28-Private,o3-2025-04-16_low,high,choice:0.1±0.02,,,,,Success,,1.1.0
"""


def folder(tmp_path, **files):
    """A Benchmarking Hub folder with the given external files, plus small versions and runs files."""
    root = tmp_path / "benchmarks"
    root.mkdir()
    (root / hub.VERSIONS_FILE).write_text(VERSIONS, encoding="utf-8")
    (root / hub.RUNS_FILE).write_text(RUNS, encoding="utf-8")
    for name, text in files.items():
        (root / f"external_benchmark_{name}.csv").write_text(BOM + text, encoding="utf-8")
    return root


def read(root):
    items = list(hub.read(root, BUILD_DATE))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def results(records, file=None):
    return [r.fields for r in records if r.get("kind") == "result" and (file is None or r.get("file") == file)]


def test_versions_with_their_reasoning_setting_split_off(tmp_path):
    records, rejections = read(folder(tmp_path))
    versions = [r.fields for r in records if r.get("kind") == "version"]
    assert versions == [
        {"kind": "version", "version_id": "gpt-5.1_medium", "version": "gpt-5.1", "reasoning_effort": "medium",
         "model": "GPT-5.1", "unique_display_name": "GPT-5.1 (medium)", "release_date": dt.date(2025, 11, 13),
         "link": "https://platform.openai.com/docs/models"},
        {"kind": "version", "version_id": "claude-3-7-sonnet-20250219_16K", "version": "claude-3-7-sonnet-20250219",
         "thinking_budget": "16K", "model": "Claude 3.7 Sonnet", "release_date": dt.date(2025, 2, 24)},
        {"kind": "version", "version_id": "Qwen2.5-72B-Instruct", "version": "Qwen2.5-72B-Instruct",
         "model": "Qwen2.5-72B", "hf_developer": "Qwen", "release_date": dt.date(2024, 9, 19)},
    ]
    [bad_link] = [r for r in rejections if r.location.file.name == hub.VERSIONS_FILE]
    assert (bad_link.location.record, bad_link.location.line, bad_link.field) == ("row 3", 4, "Link")
    assert not bad_link.whole_record


def test_runs_are_results_with_effort_stderr_date_and_log(tmp_path):
    records, rejections = read(folder(tmp_path))
    run1, run2 = results(records, hub.RUNS_FILE)
    assert run1 == {
        "kind": "result", "row_id": "run1", "file": hub.RUNS_FILE, "benchmark": "GPQA diamond", "metric": "accuracy",
        "unit": "fraction", "status": "Success", "source_title": "Epoch AI Benchmarking Hub",
        "model_version": "gpt-5.1", "reasoning_effort": "medium", "value": 0.85, "reported": "0.850",
        "scorer": "choice", "stderr": 0.02, "date": dt.date(2025, 11, 17),
        "source_url": "https://logs.example.org/run1", "task_version": "1.0.1"}
    # Of two scorers, the one whose mean is the best score gives the standard error.
    assert (run2["scorer"], run2["stderr"], run2["source_url"]) == ("model_graded", 0.04, "https://logs.example.org/run2")
    assert (run2["model_version"], run2["reasoning_effort"]) == ("o3-2025-04-16", "high")
    failed, unparsed = [r for r in rejections if r.location.file.name == hub.RUNS_FILE]
    assert (failed.location.record, failed.field, failed.value) == ("row 3", "Status", "Error")
    assert "not a result" in failed.reason and failed.whole_record
    assert (unparsed.location.record, unparsed.location.line, unparsed.field) == ("row 4", 5, "Best score (across scorers)")


@pytest.mark.parametrize("name, text, expected", [
    ("mmlu", "id,Name,EM,Model version,Shots,Source,Source link,Notes\nr1,Nova Lite,77.0%,amazon.nova-lite-v1:0,5,"
             "HELM,https://crfm.stanford.edu/helm,\n",
     {"benchmark": "MMLU", "metric": "exact match", "value": 0.77, "unit": "fraction", "reported": "77.0%",
      "shots": 5, "model_name": "Nova Lite"}),
    # Aider's column says percent: 88.000 is 88 %.
    ("aider_polyglot", "id,Model version,Percent correct,Percent using correct edit format,Edit format,Cost,Source,"
                       "Source link,Notes\nr1,gpt-5-2025-08-07_high,88.000,91.600,diff,$0.1300,Aider,https://aider.chat,\n",
     {"benchmark": "Aider Polyglot", "value": 0.88, "unit": "fraction", "reported": "88.000",
      "correct_edit_format": 0.916, "cost_usd": 0.13, "reasoning_effort": "high"}),
    ("metr", "id,Model version,CI_high,CI_low,Time horizon,Source,Source link,average_score,Notes\n"
             "r1,claude-3-5-sonnet-20240620,34.47,9.49,18.21683,METR,https://metr.org,0.4768,\n",
     {"benchmark": "METR time horizon", "metric": "time horizon", "value": 18.21683, "unit": "minutes",
      "ci_low": 9.49, "ci_high": 34.47, "average_score": 0.4768}),
    ("mcbench", "Name,UUID,Model version,ELO,Win rate,Votes,Notes,Source,Source link\n"
                "Claude 3.7 Sonnet,u1,,1312,84.2%,1585,,MCBench,https://mcbench.ai\n",
     {"benchmark": "MC-Bench", "metric": "Elo", "value": 1312.0, "unit": "elo", "row_id": "u1",
      "win_rate": 0.842, "votes": 1585, "model_name": "Claude 3.7 Sonnet"}),
    ("terminal_bench", "id,Agent,Model version,Accuracy mean,Accuracy SE,Notes,Source,Source link\n"
                       "r1,Apex2,claude-sonnet-4-5-20250929,64.5%,0.6%,,Terminal-Bench,https://www.tbench.ai\n",
     {"benchmark": "Terminal-Bench", "value": 0.645, "stderr": 0.006, "agent": "Apex2"}),
    # LiveBench writes percentages without a sign, and its id column is its model name.
    ("livebench", "id,UUID,Model version,Global average,Reasoning average,Coding average,Mathematics average,"
                  "Data analysis average,Language average,IF Average,LiveBench Version,Source,Source link,Notes\n"
                  "qwq-32b,u9,,82.35,,,,,,,LiveBench-2024-11-25,LiveBench,https://livebench.ai,\n",
     {"benchmark": "LiveBench", "value": 0.8235, "row_id": "u9", "model_name": "qwq-32b",
      "benchmark_version": "LiveBench-2024-11-25"}),
])
def test_each_score_format_is_parsed_and_normalised(tmp_path, name, text, expected):
    records, rejections = read(folder(tmp_path, **{name: text}))
    [result] = results(records, f"external_benchmark_{name}.csv")
    assert {k: result.get(k) for k in expected} == expected
    assert [r for r in rejections if r.location.file.name.startswith("external")] == []


def test_sub_benchmarks_each_give_a_result_and_empty_cells_none(tmp_path):
    text = ("id,Name,Challenge score,Easy score,Model version,Shots,Source,Source link,Notes\n"
            "r1,Yi 6b,50.3%,77.1%,Yi-6B,25-shot,Yi,http://arxiv.org/abs/2403.04652,\n"
            "r2,Yi 9b,55.6%,,Yi-9B,few,Yi,http://arxiv.org/abs/2403.04652,\n"
            "r3,Yi 34b,,,Yi-34B,,Yi,http://arxiv.org/abs/2403.04652,\n")
    records, rejections = read(folder(tmp_path, arc_ai2=text))
    found = [(r["row_id"], r["benchmark"], r["value"], r.get("shots")) for r in results(records, "external_benchmark_arc_ai2.csv")]
    assert found == [("r1", "ARC-Challenge", 0.503, 25), ("r1", "ARC-Easy", 0.771, 25), ("r2", "ARC-Challenge", 0.556, None)]
    [few] = [r for r in rejections if r.location.file.name == "external_benchmark_arc_ai2.csv"]
    assert (few.location.record, few.field, few.value, few.whole_record) == ("row 2", "Shots", "few", False)


@pytest.mark.parametrize("cell, reason", [
    ("n/a", "expected a number"),
    ("88.0", "expected a fraction from 0 to 1 or a percentage with %"),
    ("120%", "expected a percentage from 0 to 100"),
])
def test_a_bad_score_cell_rejects_that_result_and_the_rest_of_the_file_is_kept(tmp_path, cell, reason):
    text = ("id,Model version,Correct,Notes,Source,Source link\n"
            "r1,gpt-5-2025-08-07_high,66.0%,,VPCT,https://cbrower.dev/vpct\n"
            f"r2,o3-2025-04-16_medium,{cell},,VPCT,https://cbrower.dev/vpct\n"
            "r3,o4-mini-2025-04-16_medium,39.0%,,VPCT,https://cbrower.dev/vpct\n")
    records, rejections = read(folder(tmp_path, vpct=text))
    assert [r["row_id"] for r in results(records, "external_benchmark_vpct.csv")] == ["r1", "r3"]
    [rejection] = [r for r in rejections if r.location.file.name == "external_benchmark_vpct.csv"]
    assert (rejection.location.record, rejection.location.line, rejection.field, rejection.value) == (
        "row 2", 3, "Correct", cell)
    assert reason in rejection.reason and rejection.whole_record
    assert str(rejection).startswith("external_benchmark_vpct.csv, row 2 (line 3) 'r2', field 'Correct'")


def test_a_score_in_minutes_or_elo_written_as_a_percentage_is_rejected(tmp_path):
    text = "id,Model version,CI_high,CI_low,Time horizon,Source,Source link,average_score,Notes\nr1,x,1,1,18%,M,,,\n"
    records, rejections = read(folder(tmp_path, metr=text))
    [rejection] = [r for r in rejections if r.field == "Time horizon"]
    assert "expected a number of minutes, got a percentage" in rejection.reason


def test_day_first_dates_and_percent_scores_without_a_sign(tmp_path):
    text = ("Agent,Model version,Score,Source,Source link,Notes (details),Date added,Trajectories\n"
            "OpenAI CUA (200 steps),CUA,38.100,OS World,https://os-world.github.io/,A note,24/1/2025,\n"
            "Agent S2,,34.500,OS World,https://os-world.github.io/,,13/3/2025,\n")
    records, rejections = read(folder(tmp_path, os_world=text))
    [result] = results(records, "external_benchmark_os_world.csv")
    assert (result["row_id"], result["agent"], result["value"], result["date"]) == (
        "OpenAI CUA (200 steps)", "OpenAI CUA (200 steps)", 0.381, dt.date(2025, 1, 24))
    [no_model] = [r for r in rejections if r.location.file.name == "external_benchmark_os_world.csv"]
    assert no_model.location.record == "row 2" and "neither a model version nor a model" in no_model.reason


def test_a_result_file_without_a_table_is_reported_not_read(tmp_path):
    records, rejections = read(folder(tmp_path, brand_new="id,Model version,Score\nr1,x,50%\n"))
    assert results(records, "external_benchmark_brand_new.csv") == []
    [unread] = [r for r in rejections if r.location.file.name == "external_benchmark_brand_new.csv"]
    assert unread.location.record == "whole file" and "no score-column table" in unread.reason


def test_a_known_file_missing_a_score_column_is_a_source_error(tmp_path):
    root = folder(tmp_path, vpct="id,Model version,Right,Notes,Source,Source link\nr1,x,50%,,V,\n")
    with pytest.raises(SourceError, match=r"external_benchmark_vpct\.csv, line 1: missing required column\(s\): 'Correct'"):
        read(root)


def test_a_folder_without_the_versions_file_is_a_source_error(tmp_path):
    root = folder(tmp_path)
    (root / hub.VERSIONS_FILE).unlink()
    with pytest.raises(SourceError, match="model_versions.csv: missing"):
        read(root)


@pytest.fixture
def shipped_hub():
    return SOURCES["epoch-benchmarks"].default_path


def test_every_external_file_of_the_copy_has_a_table(shipped_hub):
    # 37 files: the data README and the issue say 36.
    names = {path.name for path in shipped_hub.glob(hub.EXTERNAL_GLOB)}
    assert len(names) == 37 and names == set(hub.FILES)


def test_the_shipped_copy_gives_the_counts_the_docstring_states(shipped_hub):
    records, rejections = read(shipped_hub)
    kinds = [r.get("kind") for r in records]
    assert kinds.count("version") == 574
    assert len(results(records, hub.RUNS_FILE)) == 541
    assert len(results(records)) - 541 == 3860
    assert sum(r.whole_record for r in rejections) == 37
    assert sum(not r.whole_record for r in rejections) == 52
    assert len({r["benchmark"] for r in results(records)}) == 81
    stated = " ".join(hub.__doc__.split("Results per external file:")[1].split())
    per_file = {f"external_benchmark_{name}.csv": int(count)
                for name, count in re.findall(r"(\w+) (\d+)[,.]", stated)}
    assert len(per_file) == 37
    assert per_file == {name: len(results(records, name)) for name in hub.FILES}
