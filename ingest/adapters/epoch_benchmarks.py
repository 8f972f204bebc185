"""Epoch AI's Benchmarking Hub: model versions, Epoch's own runs and the external results it collected.

The source is a folder (the download, or the facts-only copy in ``ingest/data/epoch/benchmarks/``):
``model_versions.csv``, ``benchmarks_runs.csv`` and ``external_benchmark_*.csv``, each read by
column name (a leading byte-order mark is allowed). Free-text columns (every Notes column) are
never read. Every record has a ``kind``: "version" or "result".

**kind "version"** (``model_versions.csv``, one record per row):

| field | column | value |
|---|---|---|
| ``version`` | id | the version id without a reasoning setting (``o3-2025-04-16`` from ``o3-2025-04-16_high``) |
| ``version_id`` | id | the id as written; unique in the file |
| ``reasoning_effort``, ``thinking_budget``, ``thinking`` | id | the setting split off the id (see below) |
| ``model`` | Model | Epoch's model name, the join key to the models exports (absent in 102 rows) |
| ``release_date`` | Version release date | date |
| ``hf_developer`` | Hugging Face developer id | text |
| ``link`` | Link | URL; a cell that is no URL drops only this field |
| ``display_name``, ``unique_display_name`` | Display name, Unique display name | text |

Several rows can share a ``version`` (one per setting: ``o3-2025-04-16_low``, ``_medium``,
``_high``); they name the same model.

**kind "result"**: one record per score cell of a row (an empty cell yields none).

| field | value |
|---|---|
| ``row_id`` | the source's id for the row: the runs' id; an external file's id, ID or UUID column (OSWorld has none: its Agent name, unique in the file) |
| ``file`` | the file name |
| ``benchmark`` | the runs' task as written; for external files the name fixed in ``FILES`` per score column |
| ``metric`` | accuracy, exact match, pass rate, time horizon, Elo, mean score, ... (``FILES``; the runs: ``RUN_METRICS``) |
| ``value`` | float; a percentage (a ``%`` cell, a column whose name says percent, or a column ``FILES`` marks as 0-100) becomes a fraction |
| ``unit`` | "fraction" (0 to 1), "minutes", "points" (scores without a fixed top) or "elo" |
| ``reported`` | the cell as written |
| ``stderr``, ``ci_low``, ``ci_high`` | the score's standard error and confidence interval, normalised like the score |
| ``shots`` | int, from "25-shot", "5", "0"; "few" (no count) drops the field, reported |
| ``model_version`` | the Model version (runs: model) as written, without a reasoning setting |
| ``reasoning_effort`` | "minimal", "low", "medium", "high" or "xhigh", split off the version id |
| ``thinking_budget`` | a thinking-token budget split off the version id, in upper case ("16K" from ``_16k``) |
| ``thinking`` | True when the id ends in ``_thinking`` (a thinking mode) |
| ``model_name`` | the row's model name (Name; LiveBench's id; TheAgentCompany's Model), when present |
| ``agent``, ``scaffold``, ``tools`` | the agent, scaffold or tool setting the model ran in, when the file has one |
| ``source_title``, ``source_url`` | Source and Source link: where Epoch took the result from (runs: Epoch AI and the run's log) |
| ``date`` | the run's started_at day, or the Date added / Date column (day-first: 24/1/2025) |
| ``status`` | runs only: "Success" (a run with another status is rejected, not a result) |
| ``scorer``, ``task_version`` | runs only: the scorer whose mean is the best score, Inspect's task version |
| extra fields | per file in ``FILES``: ``cost_usd``, ``votes``, ``win_rate``, ``average_steps``, ``average_score``, ``edit_format``, ``correct_edit_format``, ``context_tokens``, ``frames``, ``duration_seconds``, ``benchmark_version``, ``submitter``, ``environment_model``, ``trajectories_url`` |

A version id's reasoning setting is its last ``_`` part when it is an effort word, a token
budget (a number and K) or ``thinking``; other suffixes (``phi-1_5``, ``q8_0``) are part of the id.

A score cell that does not parse, a fraction above 1 written without ``%``, or a percentage
above 100 rejects that result (file, row, line and column named); the rest of the file is kept.
A bad standard error, interval, shots, date, link or extra value drops that field, reported.
A row without any model (no Model version and no name) or without its id is rejected.

Counts on the shipped copy (build day 2026-11-27; 37 external files): 574 versions; 4,401
results (541 runs, 3,860 external) under 81 benchmark names; 37 rows rejected because they name
no model (OSWorld 28, Aider 5, Terminal-Bench 2, Fiction.LiveBench 1, WeirdML 1: 46 score cells);
no score cell failed to parse; 52 shots fields dropped ("few").
Results per external file: aider_polyglot 63, anli 16, arc_agi 56, arc_ai2 223, balrog 189, bbh 89,
boolq 206, cadeval 15, csqa2 10, cybench 28, deepresearch 13, factorio_learning_environment 15,
fictionlivebench 575, geobench 106, gsm8k 234, gso_bench 16, hellaswag 135, lambada 80,
lech_mazur_writing 46, livebench 448, mcbench 34, metr 30, mmlu 246, openbookqa 73, os_world 16,
osuniverse 48, piqa 140, scienceqa 104, simple_bench 46, superglue 10, terminal_bench 59,
the_agent_company 32, triviaqa 115, videomme 92, vpct 32, weirdml 76, winogrande 144.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest import values
from ingest.adapters.tabular import read_rows
from ingest.records import FieldError, Location, Record, Rejection, SourceError

SOURCE = "epoch-benchmarks"
VERSIONS_FILE = "model_versions.csv"
RUNS_FILE = "benchmarks_runs.csv"
EXTERNAL_GLOB = "external_benchmark_*.csv"

UNITS = ("fraction", "minutes", "points", "elo")
EFFORTS = ("minimal", "low", "medium", "high", "xhigh")
_SETTING = re.compile(r"_(?:(?P<effort>" + "|".join(EFFORTS) + r")|(?P<budget>\d+[kK])|(?P<thinking>thinking))$")
_PERCENT_NAME = re.compile(r"percent|%", re.IGNORECASE)
_SHOTS = re.compile(r"^(\d+)(?:[- ]?shots?)?$", re.IGNORECASE)


def split_version(text: str) -> dict[str, Any]:
    """A version id and the reasoning setting written at its end.

    >>> split_version("gpt-5.1_medium")
    {'model_version': 'gpt-5.1', 'reasoning_effort': 'medium'}
    >>> split_version("claude-3-7-sonnet-20250219_16K")
    {'model_version': 'claude-3-7-sonnet-20250219', 'thinking_budget': '16K'}
    >>> split_version("DeepSeek-V3.1_thinking")
    {'model_version': 'DeepSeek-V3.1', 'thinking': True}
    >>> split_version("phi-1_5")
    {'model_version': 'phi-1_5'}
    """
    match = _SETTING.search(text)
    if not match or match.start() == 0:
        return {"model_version": text}
    parts: dict[str, Any] = {"model_version": text[:match.start()]}
    if match.group("effort"):
        parts["reasoning_effort"] = match.group("effort")
    elif match.group("budget"):
        parts["thinking_budget"] = match.group("budget").upper()
    else:
        parts["thinking"] = True
    return parts


def parse_score(text: str, unit: str, percent: bool = False) -> float:
    """A score cell normalised for its unit: percentages become fractions.

    >>> parse_score("77.0%", "fraction"), parse_score("0.850", "fraction"), parse_score("88.000", "fraction", True)
    (0.77, 0.85, 0.88)
    >>> parse_score("18.21683000", "minutes"), parse_score("1312", "elo")
    (18.21683, 1312.0)
    >>> parse_score("88.0", "fraction")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected a fraction from 0 to 1 or a percentage with %, got '88.0'
    >>> parse_score("12%", "minutes")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected a number of minutes, got a percentage '12%'
    """
    cell = text.strip()
    marked = cell.endswith("%")
    number = values.parse_number(cell[:-1] if marked else cell, allow_zero=True)
    if unit != "fraction":
        if marked:
            raise FieldError(f"expected a number of {unit}, got a percentage {cell!r}")
        return number
    if marked or percent:
        if number > 100:
            raise FieldError(f"expected a percentage from 0 to 100, got {cell!r}")
        return round(number / 100, 12)
    if number > 1:
        raise FieldError(f"expected a fraction from 0 to 1 or a percentage with %, got {cell!r}")
    return number


def parse_shots(text: str) -> int:
    """
    >>> parse_shots("25-shot"), parse_shots("5"), parse_shots("0\\n")
    (25, 5, 0)
    >>> parse_shots("few")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected a number of shots such as 5 or 25-shot, got 'few'
    """
    match = _SHOTS.match(text.strip())
    if not match:
        raise FieldError(f"expected a number of shots such as 5 or 25-shot, got {text.strip()!r}")
    return int(match.group(1))


def parse_usd(text: str) -> float:
    """
    >>> parse_usd("$0.1300"), parse_usd("573.79")
    (0.13, 573.79)
    """
    return values.parse_number(text.strip().removeprefix("$").replace(",", ""), allow_zero=True)


def _fraction(text: str) -> float:
    return parse_score(text, "fraction")


def _percent(text: str) -> float:
    return parse_score(text, "fraction", percent=True)


def _count(text: str) -> int:
    return values.parse_count(text, allow_zero=True)


def _non_negative(text: str) -> float:
    return values.parse_number(text, allow_zero=True)


def _flag(_text: str) -> bool:
    return True


# -- the tables: which columns of each file are scores, and what else is read --------------

@dataclass(frozen=True)
class Score:
    """A score column: the benchmark and metric it measures, and the columns qualifying it."""

    column: str
    benchmark: str
    metric: str
    unit: str = "fraction"
    percent: bool = False  # a 0-100 scale although neither the cells nor the name say so
    stderr: str | None = None
    ci_low: str | None = None
    ci_high: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # fixed fields of this score (context_tokens)

    def is_percent(self) -> bool:
        return self.percent or _PERCENT_NAME.search(self.column) is not None


@dataclass(frozen=True)
class Extra:
    """A column read into a field of every result of the row."""

    column: str
    field: str
    parse: Callable[[str], Any] = values.clean_text


@dataclass(frozen=True)
class ResultFile:
    scores: tuple[Score, ...]
    id_column: str = "id"
    name_column: str | None = None
    version_column: str | None = "Model version"
    shots_column: str | None = None
    date_column: str | None = None
    source_link: str = "Source link"
    extras: tuple[Extra, ...] = ()

    def columns(self) -> list[str]:
        named = [self.id_column, self.name_column, self.version_column, self.shots_column, self.date_column,
                 "Source", self.source_link]
        for score in self.scores:
            named += [score.column, score.stderr, score.ci_low, score.ci_high]
        return [c for c in named + [e.column for e in self.extras] if c]


def _scores(benchmark: str, metric: str, *columns: str, **kw) -> tuple[Score, ...]:
    return tuple(Score(column, benchmark, metric, **kw) for column in columns)


_SHOTS_NAME = dict(name_column="Name", shots_column="Shots")
_BALROG = ("BabyAI", "Crafter", "TextWorld", "BabaIsAI", "MiniHack", "NetHack")
_BALROG_COLUMN = {"BabaIsAI": "BabalsAI"}  # the file's spelling of BabaIsAI
_FICTION = ("0", "400", "1k", "2k", "4k", "8k", "16k", "32k", "60k", "120k", "192k")
_GEO_SETS = {"ACW": "ACW", "AVW": "AVW", "Rural": "Rural", "Urban": "Urban", "Photos": "Photos"}
_LIVEBENCH = {"Global average": "LiveBench", "Reasoning average": "LiveBench Reasoning",
              "Coding average": "LiveBench Coding", "Mathematics average": "LiveBench Mathematics",
              "Data analysis average": "LiveBench Data Analysis", "Language average": "LiveBench Language",
              "IF Average": "LiveBench Instruction Following"}


def _tokens(label: str) -> int:
    return int(label[:-1]) * 1000 if label.endswith("k") else int(label)


# One entry per external file. Scores are the main score and the sub-benchmarks that are
# benchmarks in their own right (ARC Challenge/Easy, BALROG's games, OSUniverse's levels,
# Fiction.LiveBench's context lengths, LiveBench's categories, Video-MME with and without
# subtitles). Columns that qualify a score (standard errors, intervals, cost, votes, steps)
# become its fields. Left out: partitions of one test set (Video-MME by video length),
# pipeline stages and diagnostics (CadEval's render and geometry checks, GeoBench's medians,
# distances and refusals, Cybench's first-solve times, code length, total counts).
FILES: dict[str, ResultFile] = {
    "external_benchmark_aider_polyglot.csv": ResultFile(
        _scores("Aider Polyglot", "pass rate", "Percent correct"),
        extras=(Extra("Percent using correct edit format", "correct_edit_format", _percent),
                Extra("Edit format", "edit_format"), Extra("Cost", "cost_usd", parse_usd))),
    "external_benchmark_anli.csv": ResultFile(
        _scores("ANLI", "accuracy", "Score") + tuple(Score(r, f"ANLI {r}", "accuracy") for r in ("R1", "R2", "R3")),
        **_SHOTS_NAME),
    "external_benchmark_arc_agi.csv": ResultFile(_scores("ARC-AGI", "accuracy", "Score"), name_column="Name"),
    "external_benchmark_arc_ai2.csv": ResultFile(
        _scores("ARC-Challenge", "accuracy", "Challenge score") + _scores("ARC-Easy", "accuracy", "Easy score"),
        **_SHOTS_NAME),
    "external_benchmark_balrog.csv": ResultFile(
        (Score("Average progress", "BALROG", "progress", stderr="Average Standard error"),)
        + tuple(Score(f"{_BALROG_COLUMN.get(game, game)} progress", f"BALROG {game}", "progress",
                      stderr=f"{_BALROG_COLUMN.get(game, game)} Standard error") for game in _BALROG),
        date_column="Date added", extras=(Extra("Trajectories", "trajectories_url", values.parse_url),)),
    "external_benchmark_bbh.csv": ResultFile(_scores("BIG-Bench Hard", "accuracy", "Average"), **_SHOTS_NAME),
    "external_benchmark_boolq.csv": ResultFile(_scores("BoolQ", "accuracy", "Score"), **_SHOTS_NAME),
    "external_benchmark_cadeval.csv": ResultFile(_scores("CadEval", "pass rate", "Overall pass (%)"),
                                                 name_column="Name"),
    "external_benchmark_csqa2.csv": ResultFile(_scores("CommonsenseQA 2.0", "accuracy", "Score"), **_SHOTS_NAME),
    "external_benchmark_cybench.csv": ResultFile(
        _scores("Cybench", "solve rate", "Unguided % Solved")
        + _scores("Cybench subtask-guided", "solve rate", "Subtask-Guided % Solved")
        + _scores("Cybench subtasks", "solve rate", "Subtasks % Solved")),
    # Its Agent column is a checkbox ("checked"), not an agent's name: not read.
    "external_benchmark_deepresearch.csv": ResultFile(_scores("Deep Research Bench", "mean score", "Average score")),
    "external_benchmark_factorio_learning_environment.csv": ResultFile(
        _scores("Factorio Learning Environment", "production score", "Production score", unit="points")
        + _scores("Factorio Learning Environment lab tasks", "success rate", "Lab Success %"),
        date_column="Date added", source_link="Source link (site from table)",
        extras=(Extra("Tools", "tools"), Extra("Cost", "cost_usd", parse_usd))),
    "external_benchmark_fictionlivebench.csv": ResultFile(tuple(
        Score(f"{label} token score", f"Fiction.LiveBench {label} tokens", "accuracy",
              fields={"context_tokens": _tokens(label)}) for label in _FICTION)),
    "external_benchmark_geobench.csv": ResultFile(
        tuple(Score(f"{key} Country %", f"GeoBench {name}", "country accuracy") for key, name in _GEO_SETS.items())
        + tuple(Score(f"{key} Avg Score", f"GeoBench {name}", "mean score", unit="points")
                for key, name in _GEO_SETS.items()),
        extras=(Extra("Tools", "tools"),)),
    "external_benchmark_gsm8k.csv": ResultFile(_scores("GSM8K", "exact match", "EM"), **_SHOTS_NAME),
    "external_benchmark_gso_bench.csv": ResultFile(
        _scores("GSO", "opt@1", "Score OPT@1") + _scores("GSO", "opt@10", "Score OPT@10"),
        extras=(Extra("Scaffold", "scaffold"),)),
    "external_benchmark_hellaswag.csv": ResultFile(_scores("HellaSwag", "accuracy", "Overall accuracy"), **_SHOTS_NAME),
    "external_benchmark_lambada.csv": ResultFile(_scores("LAMBADA", "accuracy", "Score"), **_SHOTS_NAME),
    "external_benchmark_lech_mazur_writing.csv": ResultFile(
        _scores("Lech Mazur Creative Writing", "mean score", "Mean score", unit="points"), id_column="ID"),
    # LiveBench's scores are percentages written without a sign; its id column is LiveBench's model name.
    "external_benchmark_livebench.csv": ResultFile(
        tuple(Score(column, name, "mean score", percent=True) for column, name in _LIVEBENCH.items()),
        id_column="UUID", name_column="id", extras=(Extra("LiveBench Version", "benchmark_version"),)),
    "external_benchmark_mcbench.csv": ResultFile(
        _scores("MC-Bench", "Elo", "ELO", unit="elo"), id_column="UUID", name_column="Name",
        extras=(Extra("Win rate", "win_rate", _fraction), Extra("Votes", "votes", _count))),
    "external_benchmark_metr.csv": ResultFile(
        (Score("Time horizon", "METR time horizon", "time horizon", unit="minutes", ci_low="CI_low",
               ci_high="CI_high"),),
        extras=(Extra("average_score", "average_score", _fraction),)),
    "external_benchmark_mmlu.csv": ResultFile(_scores("MMLU", "exact match", "EM"), **_SHOTS_NAME),
    "external_benchmark_openbookqa.csv": ResultFile(_scores("OpenBookQA", "accuracy", "Accuracy"), **_SHOTS_NAME),
    # OSWorld's scores are percentages written without a sign (38.100); it has no id column.
    "external_benchmark_os_world.csv": ResultFile(
        _scores("OSWorld", "success rate", "Score", percent=True), id_column="Agent", date_column="Date added",
        extras=(Extra("Agent", "agent"), Extra("Trajectories", "trajectories_url", values.parse_url))),
    "external_benchmark_osuniverse.csv": ResultFile(
        _scores("OSUniverse", "weighted score", "Weighted Score")
        + tuple(Score(level, f"OSUniverse {level}", "success rate") for level in ("Paper", "Wood", "Bronze",
                                                                                  "Silver", "Gold")),
        name_column="Name", extras=(Extra("Agent", "agent"), Extra("Cost", "cost_usd", parse_usd),
                                    Extra("Duration (seconds)", "duration_seconds", _non_negative))),
    "external_benchmark_piqa.csv": ResultFile(_scores("PIQA", "accuracy", "Score"), **_SHOTS_NAME),
    "external_benchmark_scienceqa.csv": ResultFile(_scores("ScienceQA", "accuracy", "Score"), **_SHOTS_NAME),
    "external_benchmark_simple_bench.csv": ResultFile(
        _scores("SimpleBench", "accuracy (avg@5)", "Score (AVG@5)"), source_link="Source link (site from table)"),
    "external_benchmark_superglue.csv": ResultFile(_scores("SuperGLUE", "mean score", "Score"), name_column="Name"),
    "external_benchmark_terminal_bench.csv": ResultFile(
        (Score("Accuracy mean", "Terminal-Bench", "accuracy", stderr="Accuracy SE"),),
        extras=(Extra("Agent", "agent"),)),
    "external_benchmark_the_agent_company.csv": ResultFile(
        _scores("TheAgentCompany", "resolved rate", "% Resolved")
        + _scores("TheAgentCompany", "partial completion score", "% Score"),
        id_column="UUID", name_column="Model", date_column="Date", source_link="Source link (site from table)",
        extras=(Extra("Average steps", "average_steps", _non_negative), Extra("Average costs", "cost_usd", parse_usd),
                Extra("Organization", "submitter"), Extra("Environment model", "environment_model"))),
    "external_benchmark_triviaqa.csv": ResultFile(_scores("TriviaQA", "exact match", "EM"), **_SHOTS_NAME),
    "external_benchmark_videomme.csv": ResultFile(
        _scores("Video-MME (no subtitles)", "accuracy", "Overall (no subtitles)")
        + _scores("Video-MME (with subtitles)", "accuracy", "Overall (with subtitles)"),
        name_column="Name", extras=(Extra("Frames", "frames", _count),)),
    "external_benchmark_vpct.csv": ResultFile(_scores("VPCT", "accuracy", "Correct")),
    "external_benchmark_weirdml.csv": ResultFile(
        _scores("WeirdML", "accuracy", "Accuracy"), extras=(Extra("Cost per run", "cost_usd", parse_usd),)),
    "external_benchmark_winogrande.csv": ResultFile(_scores("WinoGrande", "accuracy", "Accuracy"), **_SHOTS_NAME),
}

# The metric of each of Epoch's own tasks; a task not listed gets "mean score".
RUN_METRICS = {"GPQA diamond": "accuracy", "MATH level 5": "accuracy", "OTIS Mock AIME 2024-2025": "accuracy",
               "SWE-Bench verified": "pass rate"}
RUN_METRIC_PREFIXES = {"FrontierMath": "accuracy"}
RUN_COLUMNS = ["id", "task", "model", "Best score (across scorers)", "Scores", "started_at", "Status",
               "task version", "log viewer", "logs"]
VERSION_COLUMNS = ["id", "Model", "Version release date", "Hugging Face developer id", "Link"]
VERSION_OPTIONAL = ["Display name", "Unique display name"]
_MEDALS = re.compile("[\U0001F947\U0001F948\U0001F949]")  # the rank medals some leaderboards put in names


# -- reading -------------------------------------------------------------------------------

def files(folder: Path) -> tuple[Path, Path, list[Path]]:
    if not folder.is_dir():
        raise SourceError(folder, "expected the Benchmarking Hub folder (model_versions.csv, benchmarks_runs.csv, "
                          "external_benchmark_*.csv)")
    for name in (VERSIONS_FILE, RUNS_FILE):
        if not (folder / name).is_file():
            raise SourceError(folder / name, "missing: the Benchmarking Hub folder must hold this file")
    return folder / VERSIONS_FILE, folder / RUNS_FILE, sorted(folder.glob(EXTERNAL_GLOB))


def read(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    versions, runs, external = files(path)
    yield from read_versions(versions, build_date)
    yield from read_runs(runs, build_date)
    for file in external:
        spec = FILES.get(file.name)
        if spec is None:
            yield Rejection(SOURCE, Location(file, "whole file"), None, None,
                            "no score-column table for this file in epoch_benchmarks.FILES: its results are not read")
            continue
        yield from read_results(file, spec, build_date)


class _Row:
    """One CSV row being read: its cells, where it is, and the problems found so far."""

    def __init__(self, path: Path, number: int, line: int, cells: dict[str, str], name: str | None):
        self.cells = cells
        self.location = Location(path, f"row {number}", line, name)
        self.problems: list[Rejection] = []

    def cell(self, column: str | None) -> str:
        return self.cells.get(column, "").strip() if column else ""

    def text(self, column: str | None) -> str:
        return values.clean_text(self.cells.get(column, "")) if column else ""

    def parsed(self, column: str | None, parse: Callable[[str], Any], into: dict, name: str) -> None:
        """Parse an optional cell into ``into[name]``; a bad value is dropped and reported."""
        cell = self.cell(column)
        if not cell:
            return
        try:
            into[name] = parse(cell)
        except FieldError as error:
            self.problems.append(Rejection(SOURCE, self.location, column, cell, str(error), whole_record=False))

    def rejected(self, column: str | None, value: Any, reason: str) -> Rejection:
        return Rejection(SOURCE, self.location, column, value, reason)


def read_versions(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    header, rows = read_rows(path, VERSION_COLUMNS)
    seen: dict[str, int] = {}
    for number, (line, cells) in enumerate(rows, start=1):
        version_id = values.clean_text(cells["id"])
        row = _Row(path, number, line, cells, version_id or None)
        problem = _row_problem(row, version_id, seen, "id")
        if problem:
            yield problem
            continue
        seen[version_id] = number
        fields: dict[str, Any] = {"kind": "version", "version_id": version_id}
        parts = split_version(version_id)
        fields["version"] = parts.pop("model_version")
        fields.update(parts)
        for column, name in (("Model", "model"), ("Hugging Face developer id", "hf_developer"),
                             ("Display name", "display_name"), ("Unique display name", "unique_display_name")):
            if row.text(column):
                fields[name] = row.text(column)
        row.parsed("Version release date", lambda t: values.parse_date(t, latest=build_date), fields, "release_date")
        row.parsed("Link", values.parse_url, fields, "link")
        yield from row.problems
        yield Record(SOURCE, row.location, fields)


def _run_metric(task: str) -> str:
    if task in RUN_METRICS:
        return RUN_METRICS[task]
    prefix = next((p for p in RUN_METRIC_PREFIXES if task.startswith(p)), None)
    return RUN_METRIC_PREFIXES[prefix] if prefix else "mean score"


_SCORER = re.compile(r"^\s*([^:,]+):\s*([0-9.eE+-]+)\s*±\s*([0-9.eE+-]+)\s*$")


def _scorers(text: str) -> list[tuple[str, float, float]]:
    """'choice:0.85±0.02,model_graded:0.84±0.05' as (scorer, mean, stderr) triples."""
    found = []
    for part in text.split(","):
        match = _SCORER.match(part)
        if not match:
            raise FieldError(f"expected scorer:mean±stderr entries, got {part.strip()!r}")
        found.append((match.group(1).strip(), values.parse_number(match.group(2), allow_zero=True),
                      values.parse_number(match.group(3), allow_zero=True)))
    return found


def read_runs(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    header, rows = read_rows(path, RUN_COLUMNS)
    seen: dict[str, int] = {}
    for number, (line, cells) in enumerate(rows, start=1):
        run_id = values.clean_text(cells["id"])
        row = _Row(path, number, line, cells, run_id or None)
        problem = _row_problem(row, run_id, seen, "id") or (
            None if row.text("model") else row.rejected("model", cells["model"], "expected the model version run"))
        if not problem and not row.text("task"):
            problem = row.rejected("task", cells["task"], "expected the benchmark task run")
        status = row.text("Status")
        if not problem and status != "Success":
            problem = row.rejected("Status", status, "the run did not succeed (Status is not Success): not a result")
        if problem:
            yield problem
            continue
        task = row.text("task")
        fields: dict[str, Any] = {"kind": "result", "row_id": run_id, "file": path.name, "benchmark": task,
                                  "metric": _run_metric(task), "unit": "fraction", "status": status,
                                  "source_title": "Epoch AI Benchmarking Hub", **split_version(row.text("model"))}
        column = "Best score (across scorers)"
        reported = row.cell(column)
        if not reported:
            yield row.rejected(column, reported, "expected the run's score")
            continue
        try:
            fields["value"] = parse_score(reported, "fraction")
        except FieldError as error:
            yield row.rejected(column, reported, str(error))
            continue
        fields["reported"] = reported
        row.parsed("Scores", _scorers, fields, "scorers")
        scorers = fields.pop("scorers", [])
        if scorers:  # the scorer whose mean is the best score gives its standard error
            name, _mean, stderr = min(scorers, key=lambda s: abs(s[1] - fields["value"]))
            fields["scorer"], fields["stderr"] = name, stderr
        row.parsed("started_at", lambda t: values.parse_day_first_date(t, latest=build_date), fields, "date")
        row.parsed("log viewer", values.parse_url, fields, "source_url")
        if "source_url" not in fields:
            row.parsed("logs", values.parse_url, fields, "source_url")
        if row.text("task version"):
            fields["task_version"] = row.text("task version")
        seen[run_id] = number
        yield from row.problems
        yield Record(SOURCE, row.location, fields)


def _row_problem(row: _Row, row_id: str, seen: dict[str, int], column: str) -> Rejection | None:
    if not row_id:
        return row.rejected(column, row.cells.get(column), "expected the row's id")
    if row_id in seen:
        return row.rejected(column, row_id, f"duplicate of row {seen[row_id]}: same id")
    return None


def read_results(path: Path, spec: ResultFile, build_date: dt.date) -> Iterator[Record | Rejection]:
    header, rows = read_rows(path, spec.columns())
    seen: dict[str, int] = {}
    for number, (line, cells) in enumerate(rows, start=1):
        row_id = values.clean_text(cells[spec.id_column])
        row = _Row(path, number, line, cells, row_id or None)
        problem = _row_problem(row, row_id, seen, spec.id_column)
        if problem:
            yield problem
            continue
        seen[row_id] = number
        shared: dict[str, Any] = {"kind": "result", "row_id": row_id, "file": path.name}
        version = row.text(spec.version_column)
        if version:
            shared.update(split_version(version))
        name = _MEDALS.sub("", row.text(spec.name_column)).strip()
        if name:
            shared["model_name"] = name
        scores = [s for s in spec.scores if row.cell(s.column)]
        if scores and not version and not name:
            yield row.rejected(spec.version_column or spec.name_column, "",
                               "no model: the row names neither a model version nor a model")
            continue
        if row.text("Source"):
            shared["source_title"] = row.text("Source")
        row.parsed(spec.source_link, values.parse_url, shared, "source_url")
        row.parsed(spec.shots_column, parse_shots, shared, "shots")
        row.parsed(spec.date_column, lambda t: values.parse_day_first_date(t, latest=build_date), shared, "date")
        for extra in spec.extras:
            row.parsed(extra.column, extra.parse, shared, extra.field)
        results = []
        for score in scores:
            result = _result(row, score, shared)
            if result is not None:
                results.append(result)
        yield from row.problems
        yield from results


def _result(row: _Row, score: Score, shared: dict[str, Any]) -> Record | None:
    reported = row.cell(score.column)
    try:
        value = parse_score(reported, score.unit, score.is_percent())
    except FieldError as error:
        row.problems.append(row.rejected(score.column, reported, str(error)))
        return None
    fields = {**shared, "benchmark": score.benchmark, "metric": score.metric, "value": value, "unit": score.unit,
              "reported": reported, **score.fields}
    for column, name in ((score.stderr, "stderr"), (score.ci_low, "ci_low"), (score.ci_high, "ci_high")):
        row.parsed(column, lambda t: parse_score(t, score.unit, score.is_percent()), fields, name)
    return Record(SOURCE, row.location, fields)
