"""The queries every engine answers: the library, bound to its defaults, and point lookups.

Each query is sent as the same text to every engine, over the union of the
graphs: the embedded store with its default graph (the distinct union of the
asserted graphs) plus ``inferred`` (``ontology.store.union_graphs``), ``bmkg
serve`` by default, ``oxigraph serve --union-default-graph``, and rdflib's
``Dataset(default_union=True)`` behind rdflib-endpoint. The last two merge graph
by graph, so a statement several graphs hold counts once per graph there.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from ontology import store as layout
from queries import library as lib

UNION = layout.union_graphs()  # the whole build, each statement once

ID_BASE = "https://w3id.org/bmkg/id/"
# Entities of these kinds, in this proportion, are the targets of point lookups.
LOOKUP_KINDS = {"model": 0.6, "hardware": 0.15, "org": 0.1, "dataset": 0.1, "publication": 0.05}


@dataclass(frozen=True)
class Query:
    name: str
    text: str


def library_queries(store: pyoxigraph.Store, names: list[str] | None = None) -> list[Query]:
    """Every library query (or those named), with its parameters bound to their defaults."""
    found = lib.library()
    chosen = names or sorted(found)
    unknown = sorted(set(chosen) - set(found))
    if unknown:
        raise ValueError(f"unknown library queries: {', '.join(unknown)}")
    return [Query(name, lib.with_values(found[name].text, lib.bind(found[name], {}, store))) for name in chosen]


def lookup_targets(store: pyoxigraph.Store, count: int = 500) -> list[str]:
    """A deterministic sample of entity IRIs, spread over kinds and over the whole key range."""
    targets: list[str] = []
    for kind, share in LOOKUP_KINDS.items():
        prefix = f"{ID_BASE}{kind}/"
        rows = store.query(
            f'SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), "{prefix}")) }} ORDER BY ?s',
            default_graph=UNION)
        iris = [row["s"].value for row in rows]
        wanted = max(1, round(count * share))
        step = max(1, len(iris) // wanted)
        targets += iris[::step][:wanted]
    return targets


def lookup_query(iri: str) -> Query:
    return Query(iri, f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); with fewer than 100 samples, p99 is the maximum."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


def summarise(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 3), "p99_ms": round(percentile(ms, 99), 3),
            "mean_ms": round(statistics.fmean(ms), 3)}


def repeat(call, *, min_runs: int, max_runs: int, budget_s: float, warmup: int = 1) -> list[float]:
    """Durations of ``call``: at least ``min_runs``, at most ``max_runs``, stopping once past ``budget_s``."""
    for _ in range(warmup):
        call()
    durations: list[float] = []
    started = time.perf_counter()
    while len(durations) < max_runs and (len(durations) < min_runs or time.perf_counter() - started < budget_s):
        t0 = time.perf_counter()
        call()
        durations.append(time.perf_counter() - t0)
    return durations


def rows_inprocess(store: pyoxigraph.Store, query: Query) -> int:
    return sum(1 for _ in store.query(query.text, default_graph=UNION))


def measure_inprocess(store: pyoxigraph.Store, queries: list[Query], *, min_runs: int, max_runs: int,
                      budget_s: float) -> dict:
    """Per query: the engine's floor (run and read every solution), and the same plus JSON serialisation."""
    results = {}
    for query in queries:
        def solve():
            for _ in store.query(query.text, default_graph=UNION):
                pass

        def solve_json():
            store.query(query.text, default_graph=UNION).serialize(
                format=pyoxigraph.QueryResultsFormat.JSON)

        floor = summarise(repeat(solve, min_runs=min_runs, max_runs=max_runs, budget_s=budget_s))
        with_json = summarise(repeat(solve_json, min_runs=min_runs, max_runs=max_runs, budget_s=budget_s))
        results[query.name] = {"rows": rows_inprocess(store, query), "floor": floor, "with_json": with_json}
    return results


def write_queries(path: Path, queries: list[Query]) -> None:
    path.write_text(json.dumps([q.__dict__ for q in queries], indent=1) + "\n", encoding="utf-8")
