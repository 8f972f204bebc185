"""The two open-problem queries of issue 19, checked against answers computed from the source files.

The expected answers are computed here with Python over the curated YAML (``sources`` from
tests/queries/conftest.py reads it with yaml, and the Epoch, BMList, HELM and Benchmarking Hub files
with csv, json and yaml), never by running SPARQL. References resolve as the curated README documents:
by normalised key through the alias table, publications by their arxiv:/doi: identifier; a reference
that no source defines is dropped. A model family's members are BMList's sizes of the entry and the
curated families' members.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from ontology import mint
from queries import library

ID = "https://w3id.org/bmkg/id/"


def run(store, name: str, **params) -> list[dict]:
    """The query's rows, with integer cells as ints and the rest as lexical values."""
    result = library.run(store, library.library()[name], {k: str(v) for k, v in params.items()})
    names = [v.value for v in result.variables]
    rows = []
    for row in result:
        cells = {}
        for n in names:
            term = row[n]
            datatype = getattr(getattr(term, "datatype", None), "value", "")
            cells[n] = None if term is None else int(term.value) if datatype.endswith("#integer") else term.value
        rows.append(cells)
    return rows


def keys(cell: str | None) -> set[str]:
    return {part.strip() for part in (cell or "").split(",") if part.strip()}


def _problems(sources) -> list[dict]:
    return sources.curated["open_problems"]


def _concerned(sources, problem: dict) -> set[str]:
    """The IRIs a problem's `concerns` field names that some source defines."""
    found = set()
    for reference in problem.get("concerns") or []:
        kind, _, name = str(reference).partition(":")
        if sources.known(kind, name):  # an unresolved reference is dropped by the build
            found.add(sources.iri(kind, name))
    return found


def _publication(reference: str) -> str:
    scheme, _, value = reference.partition(":")
    return str(mint("publication", f"{scheme}-{value.strip().lower()}"))


def _touching(sources, org: str) -> dict[str, tuple[int, int, set[str]]]:
    """problem IRI -> (models reached, models concerned by name, routes), by the query's definition."""
    models = [m for m in sources.models.values() if org in m.orgs]
    reached, direct, routes = defaultdict(set), defaultdict(set), defaultdict(set)
    for problem in _problems(sources):
        iri = str(mint("problem", str(problem["key"])))
        concerned = _concerned(sources, problem)
        for model in models:
            for route, linked in (("model", {model.iri}), ("family", model.families),
                                  ("technique", model.techniques), ("benchmark", model.benchmarks),
                                  ("dataset", model.datasets)):
                if concerned & linked:
                    reached[iri].add(model.iri)
                    routes[iri].add(route)
                    if route == "model":
                        direct[iri].add(model.iri)
    return {p: (len(reached[p]), len(direct[p]), routes[p]) for p in reached}


@pytest.mark.parametrize("org", ["openai", "google", "deepmind", "meta-ai", "meta", "anthropic", "deepseek",
                                 "alibaba"])
def test_open_problems_touching_an_organisation(shipped_store, sources, org):
    expected = _touching(sources, str(mint("org", org)))
    rows = run(shipped_store, "open-problems-touching-an-organisation", org=org)
    assert {r["problem"]: (r["models"], r["directModels"], keys(r["through"])) for r in rows} == expected
    if org in ("openai", "google"):
        assert expected, org
    if org in ("meta", "alibaba"):  # their BMList families M2M-100 and M6 are concerned by name
        assert any("family" in routes for _, _, routes in expected.values()), org


def test_an_unknown_organisation_is_rejected_naming_the_parameter(shipped_store):
    with pytest.raises(library.QueryError, match="'org'"):
        run(shipped_store, "open-problems-touching-an-organisation", org="no-such-organisation-anywhere")


def test_open_problems_touching_openai_hand_checked(shipped_store):
    # problems.yaml: the over-refusal problem names GPT-4o, and the alignment problem names InstructGPT 175B,
    # both OpenAI models; the jailbreak problem names GPT-4 and GPT-3.5 Turbo.
    rows = {r["problem"]: r for r in run(shipped_store, "open-problems-touching-an-organisation", org="openai")}
    for key in ("aligning-models-with-human-intent", "jailbreak-robustness-evaluation"):
        row = rows[ID + "problem/" + key]
        assert row["directModels"] >= 1 and "model" in keys(row["through"]), key


def test_open_problems_touching_a_family_hand_checked(shipped_store):
    # problems.yaml: unified-multi-modal-models concerns family:M6, BMList's entry with two sizes,
    # "M6 10B" and "M6 100B", both by Alibaba and Tsinghua; it names no other Alibaba model.
    # interference-in-multilingual-translation concerns family:M2M-100 (BMList: Facebook, 1.2B and 12B).
    alibaba = {r["problem"]: r for r in run(shipped_store, "open-problems-touching-an-organisation", org="alibaba")}
    row = alibaba[ID + "problem/unified-multi-modal-models"]
    assert (row["models"], row["directModels"], keys(row["through"])) == (2, 0, {"family"})
    meta = {r["problem"]: r for r in run(shipped_store, "open-problems-touching-an-organisation", org="meta")}
    row = meta[ID + "problem/interference-in-multilingual-translation"]
    assert row["models"] >= 2 and "family" in keys(row["through"])


def test_open_problems_per_topic_by_newest_citation(shipped_store, sources):
    years = {str(p["id"]): int(p["year"]) for p in sources.curated["publications"] if p.get("id")}
    order = {str(mint("topic", t["key"])): int(t["order"]) for t in sources.curated["topics"]}
    expected = {}
    for problem in _problems(sources):
        cited = set(problem["publications"]) | set(problem.get("addressed_by") or [])
        newest = max(years[c] for c in cited)
        for topic in problem["topics"]:
            expected[(str(mint("topic", topic)), str(mint("problem", str(problem["key"]))))] = (
                newest, len({_publication(c) for c in cited}), problem["status"])
    rows = run(shipped_store, "open-problems-per-topic-by-newest-citation")
    assert {(r["topic"], r["problem"]): (r["newestYear"], r["citations"], r["status"]) for r in rows} == expected
    # Rows come in the roadmap's topic order, and within a topic newest first.
    sort_keys = [(order[r["topic"]], -r["newestYear"]) for r in rows]
    assert sort_keys == sorted(sort_keys)
    per_topic = defaultdict(int)
    for topic, _ in expected:
        per_topic[topic] += 1
    assert len(per_topic) == 16 and min(per_topic.values()) >= 8
