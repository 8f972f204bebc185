"""A tiny run of the benchmark harness: x1, two queries, 2-second loads at 2 connections, a 3-second attack.

It checks that one command writes the JSON results and the Markdown report with
every section and positive figures; the full run is a benchmark, not a test.
rdflib-endpoint is left out (it lives in a scratch venv and takes long to load).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ["part-overview", "organisations-across-topics"]


@pytest.mark.slow
def test_tiny_run_writes_results_and_report(tmp_path):
    results_dir, report = tmp_path / "results", tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\nHand-written notes stay.\n", encoding="utf-8")
    command = [sys.executable, "-m", "benchmarks", "--sizes", "1", "--http-sizes", "1", "--quick",
               "--queries", ",".join(QUERIES), "--engines", "bmkg,oxigraph,oxigraph-memory", "--connections", "2",
               "--load-duration", "2", "--per-query-duration", "1", "--lookups", "20",
               "--workdir", str(tmp_path / "work"), "--results-dir", str(results_dir), "--report", str(report)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    (path,) = results_dir.glob("*.json")
    results = json.loads(path.read_text(encoding="utf-8"))
    machine = results["machine"]
    assert machine["cores"] > 0 and machine["memory_gib"] > 0 and machine["python"]
    assert len(machine["load_average_start"]) == 3 and len(machine["load_average_end"]) == 3

    build = results["builds"]["1"]["median"]
    assert build["wall_s"] > 0 and build["peak_tree_mb"] > 0 and build["triples"] > 0
    assert {"read", "map", "validate", "reason", "write"} <= set(build["stages_s"])
    assert all(seconds > 0 for seconds in build["stages_s"].values())

    floor = results["inprocess"]["1"]["library"]
    assert set(floor) == set(QUERIES)
    assert all(q["floor"]["median_ms"] > 0 and q["floor"]["p99_ms"] >= q["floor"]["median_ms"] for q in floor.values())

    assert results["peers"]["1"]["oxigraph-memory"]["setup_s"] > 0  # the dump was loaded after the start
    for engine in ("bmkg", "oxigraph", "oxigraph-memory"):
        assert results["peers"]["1"][engine]["ready_s"] > 0
        http = results["http"]["1"][engine]["library"]
        assert set(http) == set(QUERIES) and all(q["median_ms"] > 0 and q["non_200"] == 0 for q in http.values())
        assert results["answers"]["1"][engine]["mismatches"] == []
        if shutil.which("wrk"):
            for mix in ("point", "library"):
                run = results["load"]["1"][engine][mix]["2"]
                assert run["ok_rps"] > 0 and run["latency_ms"]["p99"] > 0 and run["failed"] == 0, run
    if shutil.which("wrk"):
        per_query = results["per_query_load"]["1"]["bmkg"]["queries"]
        assert set(per_query) == set(QUERIES) and all(r["ok_rps"] > 0 for r in per_query.values())
    assert any(t["target"].startswith("x1 full build") for t in results["targets"])
    attacked = results["attack"]
    assert attacked["attackers"]["requests"] > 0 and attacked["cheap"]["requests"] > 0
    assert attacked["checks"]["server_errors"] == 0
    assert sum(t["target"].startswith("x1 under attack") for t in results["targets"]) == 3

    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nHand-written notes stay.")
    for heading in ("## Machine", "## Targets (issues 9, 17, 20 and 21)", "## Build", "### SHACL and reasoning",
                    "## Queries in-process", "## Queries over HTTP", "## Under attack (x1)", "## Load"):
        assert heading in text
    assert "Load average" in text and "| x1 |" in text and "oxigraph" in text
    if shutil.which("wrk"):
        assert "against oxigraph serve in memory" in text
