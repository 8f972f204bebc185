"""The evaluation-result queries, checked against Epoch's Benchmarking Hub files read independently.

Epoch's own runs (``benchmarks_runs.csv``) name a model version; ``model_versions.csv`` gives each
version's model and release day. Both are read here with csv alone, and the version's reasoning
setting (``_high``, ``_16K``, ``_thinking``) is cut off by a regex written for this test. What the
other sources say of a model (its developers, access levels and parameter counts) comes from the
independent reading in tests/queries/conftest.py (``sources``).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from ontology import normalise_key
from tests.queries.test_library import run

HUB = Path(__file__).resolve().parents[2] / "ingest" / "data" / "epoch" / "benchmarks"
HELM = Path(__file__).resolve().parents[2] / "ingest" / "data" / "helm" / "model_metadata.yaml"
SETTING = re.compile(r"_(minimal|low|medium|high|xhigh|\d+[kK]|thinking)$")
TASKS = {"GPQA diamond": "gpqa-diamond", "MATH level 5": "math-level-5", "OTIS Mock AIME 2024-2025":
         "otis-mock-aime-2024-2025", "FrontierMath-2025-02-28-Private": "frontiermath-2025-02-28-private",
         "SWE-Bench verified": "swe-bench-verified"}


def rows(name: str) -> list[dict]:
    with (HUB / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


class Hub:
    def __init__(self):
        self.model_of: dict[str, str] = {}
        self.released: dict[str, dt.date] = {}
        for row in rows("model_versions.csv"):
            version = SETTING.sub("", row["id"].strip())
            self.model_of.setdefault(version, row["Model"].strip() or row["Display name"].strip() or version)
            if row["Version release date"].strip():
                day = dt.date.fromisoformat(row["Version release date"].strip())
                self.released[version] = min(day, self.released.get(version, day))
        self.runs = defaultdict(list)  # task -> (version, score)
        for row in rows("benchmarks_runs.csv"):
            if row["Status"].strip() == "Success" and row["Best score (across scorers)"].strip():
                self.runs[row["task"].strip()].append((SETTING.sub("", row["model"].strip()),
                                                       float(row["Best score (across scorers)"])))


@pytest.fixture(scope="module")
def hub() -> Hub:
    return Hub()


@pytest.mark.parametrize("task", sorted(TASKS))
def test_best_score_by_year_matches_epochs_runs(shipped_store, hub, task):
    expected = defaultdict(float)
    for version, score in hub.runs[task]:
        expected[hub.released[version].year] = max(expected[hub.released[version].year], score)
    found = {r["year"]: r for r in run(shipped_store, "best-score-per-benchmark-by-year")
             if r["benchmark"].endswith("/benchmark/" + TASKS[task])}
    assert sorted(found) == sorted(expected)
    for year, best in expected.items():
        assert math.isclose(found[year]["bestScore"], best), (task, year)
        # the models named reach that score in that year
        leaders = {normalise_key(hub.model_of[v]) for v, s in hub.runs[task]
                   if math.isclose(s, best) and hub.released[v].year == year}
        named = {normalise_key(n) for n in found[year]["bestModels"].split("; ")}
        assert leaders & named, (task, year, leaders, named)


def test_best_score_by_year_covers_every_benchmark_with_dated_results(shipped_store):
    found = run(shipped_store, "best-score-per-benchmark-by-year")
    assert len({r["benchmark"] for r in found}) >= 40
    assert all(r["bestModels"] and r["modelsScored"] >= 1 for r in found)


def helm_organisations() -> dict[str, set[str]]:
    """HELM's creator organisation(s) per model id (the part of its name after the slash)."""
    found = defaultdict(set)
    for entry in yaml.safe_load(HELM.read_text(encoding="utf-8"))["models"]:
        creator = entry.get("creator_organization_name") or ""
        found[entry["name"].split("/", 1)[-1]] |= {o.strip() for o in creator.split("/") if o.strip()}
    return found


def test_organisations_top_gpqa_score_by_year(shipped_store, hub, sources):
    """A run's organisations: Epoch's developers of the version's model, else HELM's creator of the version."""
    epoch_orgs = {}
    with (Path(__file__).resolve().parents[2] / "ingest" / "data" / "epoch" / "all_ai_models_2025-03-14.csv").open(
            encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["Model"].strip():
                continue  # three rows of the export have no name (the build rejects them)
            epoch_orgs.setdefault(sources.iri("model", row["Model"]), {
                sources.iri("org", o.strip()) for o in row["Organization"].split(",") if o.strip()})
    helm = helm_organisations()
    expected = defaultdict(float)
    for version, score in hub.runs["GPQA diamond"]:
        orgs = epoch_orgs.get(sources.iri("model", hub.model_of[version])) or {
            sources.iri("org", o) for o in helm.get(version, ())}
        for org in orgs:
            key = (org, hub.released[version].year)
            expected[key] = max(expected[key], score)
    found = {(r["org"], r["year"]): r["topScore"] for r in run(shipped_store, "organisations-top-score-by-year")}
    for org in ("openai", "anthropic", "deepseek", "xai", "mistral-ai", "meta-ai"):
        iri = f"https://w3id.org/bmkg/id/org/{org}"
        mine = {k: v for k, v in expected.items() if k[0] == iri}
        assert mine, org
        assert {k: found.get(k) for k in mine} == pytest.approx(mine), org
    # Every organisation: the developers every source states (``sources``: Epoch, BMList, the curated
    # records, and HELM's creator for a model neither Epoch nor BMList attributes, matched as documented).
    stated = defaultdict(float)
    for version, score in hub.runs["GPQA diamond"]:
        for org in sources.models[sources.iri("model", hub.model_of[version])].orgs:
            key = (org, hub.released[version].year)
            stated[key] = max(stated[key], score)
    assert found == pytest.approx(dict(stated))


def test_open_versus_closed_on_gpqa_matches_the_runs(shipped_store, hub, sources):
    """Each side from Epoch's runs and the access levels the sources give (``sources``: Epoch's
    Model accessibility through the curated epoch-access table, HELM's access)."""
    sides = {"open": defaultdict(float), "closed": defaultdict(float)}
    for version, score in hub.runs["GPQA diamond"]:
        model = sources.models[sources.iri("model", hub.model_of[version])]
        side = ("open" if model.access == {"open"} else
                "closed" if model.access and "open" not in model.access else None)
        if side:
            sides[side][model.iri] = max(sides[side][model.iri], score)
    [row] = [r for r in run(shipped_store, "open-versus-closed-on-shared-benchmarks", min_models=3)
             if r["benchmark"].endswith("/benchmark/gpqa-diamond")]
    assert (row["openModels"], row["closedModels"]) == (len(sides["open"]), len(sides["closed"]))
    assert math.isclose(row["bestOpen"], max(sides["open"].values()))
    assert math.isclose(row["bestClosed"], max(sides["closed"].values()))


def test_open_versus_closed_sides_are_disjoint_and_bounded(shipped_store):
    found = run(shipped_store, "open-versus-closed-on-shared-benchmarks", min_models=3)
    gpqa = [r for r in found if r["benchmark"].endswith("/gpqa-diamond")]
    assert len(gpqa) == 1 and len(found) >= 20
    for row in found:
        assert row["openModels"] >= 3 and row["closedModels"] >= 3
        assert math.isclose(row["gap"], row["bestClosed"] - row["bestOpen"], abs_tol=1e-9)
        assert not set(row["bestOpenModels"].split("; ")) & set(row["bestClosedModels"].split("; "))
    # Epoch's all-models export and HELM agree that these are open-weight models and these are not.
    [row] = gpqa
    assert {"DeepSeek-R1", "Kimi K2 Thinking"} & set(row["bestOpenModels"].split("; "))
    assert row["bestClosed"] > row["bestOpen"] > 0.5


def test_score_against_compute_pairs_epochs_compute_with_the_best_score(shipped_store, sources, hub):
    found = run(shipped_store, "score-versus-training-compute", benchmark="gpqa-diamond")
    assert len(found) >= 10
    computes = {}
    with (Path(__file__).resolve().parents[2] / "ingest" / "data" / "epoch" / "all_ai_models_2025-03-14.csv").open(
            encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Training compute (FLOP)"]:
                computes.setdefault(sources.iri("model", row["Model"]), float(row["Training compute (FLOP)"]))
    best = defaultdict(float)
    for version, score in hub.runs["GPQA diamond"]:
        iri = sources.iri("model", hub.model_of[version])
        best[iri] = max(best[iri], score)
    checked = 0
    for row in found:
        if row["model"] in computes and row["model"] in best:
            assert math.isclose(row["bestScore"], best[row["model"]]), row["modelLabel"]
            assert row["trainingComputeFlop"] <= computes[row["model"]] <= row["trainingComputeFlopHigh"]
            checked += 1
    assert checked >= 10


def test_scored_models_without_a_parameter_count(shipped_store, sparql, hub, sources):
    found = run(shipped_store, "scored-models-without-parameter-count", min_benchmarks=1)
    # Every model of Epoch's runs is listed exactly when no source gives it a count.
    listed = {r["model"] for r in found}
    for task, results in hub.runs.items():
        for version, _score in results:
            model = sources.models[sources.iri("model", hub.model_of[version])]
            assert (model.iri in listed) == (model.size is None), (task, version)
    assert len(found) >= 50
    names = {r["modelLabel"] for r in found}
    # Epoch, HELM and BMList give no size for these closed models; Llama 3.1-405B has one.
    assert {"GPT-4o", "Claude 3.5 Sonnet"} <= names and "Llama 3.1-405B" not in names
    for row in found[:20]:
        counts = sparql(f"SELECT ?n WHERE {{ <{row['model']}> bm:parameterCount ?n }}")
        assert counts == [] and row["benchmarks"] >= 1 and row["results"] >= row["benchmarks"]
