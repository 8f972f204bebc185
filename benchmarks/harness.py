"""One benchmark run: build at every size, queries in-process and over HTTP, load against the peers.

``python -m benchmarks --help`` lists the options; README "Benchmarks" and
BENCHMARKS.md say what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph

from benchmarks import attack, engines, load, machine, procs, report, scale, workload
from ontology import store as stores

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("bmkg", "bmkg-cache", "oxigraph", "oxigraph-memory", "rdflib-endpoint")
# oxigraph-memory loads the whole dump over HTTP into memory at every size: asked for by name only.
DEFAULT_ENGINES = ("bmkg", "bmkg-cache", "oxigraph", "rdflib-endpoint")
MARKER = ".bmkg-bench"
MAX_RESTARTS = 3  # an engine that leaves this many queries unanswered in time is not sent the rest
MIXES = ("point", "library")


def _sizes(text: str) -> list[int]:
    if text.strip().lower() in ("", "none"):
        return []
    try:
        sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 1,10,100, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"expected sizes of 1 or more, got {text!r}")
    return sizes


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=_sizes, default=[1, 10, 100], help="build sizes (default 1,10,100)")
    p.add_argument("--http-sizes", type=_sizes, default=[1, 10],
                   help="sizes served over HTTP and loaded (default 1,10; 'none' for none)")
    p.add_argument("--connections", type=_sizes, default=[16, 64], help="load concurrency (default 16,64)")
    p.add_argument("--load-duration", type=float, default=10.0, help="seconds per load run (default 10)")
    p.add_argument("--attack-duration", type=float, default=20.0,
                   help="seconds of the x1 attack scenario (benchmarks/attack.py; default 20, 0: none)")
    p.add_argument("--per-query-duration", type=float, default=2.0,
                   help="seconds of load per library query at the first concurrency, x1 only (default 2; 0 skips)")
    p.add_argument("--load-timeout", type=float, default=10.0, help="a request slower than this counts as failed")
    p.add_argument("--queries", type=_names, default=None, help="library queries to run (default: all)")
    p.add_argument("--lookups", type=int, default=500, help="entities in the point-lookup mix (default 500)")
    p.add_argument("--engines", type=_names, default=list(DEFAULT_ENGINES),
                   help=f"default {','.join(DEFAULT_ENGINES)}; known: {','.join(ENGINES)}")
    p.add_argument("--build-repeats", type=int, default=3, help="builds at x1 (larger sizes build once); default 3")
    p.add_argument("--query-budget", type=float, default=1.0, help="seconds of timing per query and engine")
    p.add_argument("--min-runs", type=int, default=5)
    p.add_argument("--max-runs", type=int, default=300)
    p.add_argument("--memory-limit-mb", type=float, default=4096,
                   help="kill a build whose process tree passes this (default 4096: the x100 target)")
    p.add_argument("--build-timeout", type=float, default=3600)
    p.add_argument("--sample-interval", type=float, default=0.5,
                   help="least seconds between memory samples of a build (default 0.5); a sample that took "
                        "long stretches the wait (benchmarks.procs.SAMPLE_COST_RATIO)")
    p.add_argument("--builds-only", action="store_true",
                   help="measure the builds only: no in-process queries, no servers, no load")
    p.add_argument("--quick", action="store_true",
                   help="one build per size, 0.2 s per query, 3 s load runs, 1 s per query at load")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/bmkg-bench"), help="scratch folder (default /tmp/bmkg-bench)")
    p.add_argument("--results-dir", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--report", type=Path, default=ROOT / "BENCHMARKS.md")
    p.add_argument("--keep-workdir", action="store_true", help="leave the scratch stores and dumps")
    p.add_argument("--render", type=Path, metavar="JSON", default=None,
                   help="measure nothing: rewrite the report from a results file")
    return p


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    options = parser().parse_args(argv)
    if options.render is not None:
        results = json.loads(options.render.read_text(encoding="utf-8"))
        results["targets"] = report.targets(results)
        report.write(options.report, results, options.render)
        log(f"wrote {options.report} from {options.render}")
        return 0
    if options.quick:
        options.build_repeats = 1
        options.query_budget = min(options.query_budget, 0.2)
        options.min_runs = min(options.min_runs, 3)
        options.load_duration = min(options.load_duration, 3.0)
        options.per_query_duration = min(options.per_query_duration, 1.0)
        options.attack_duration = min(options.attack_duration, 3.0)
    unknown = sorted(set(options.engines) - set(ENGINES))
    if unknown:
        parser().error(f"unknown engines {', '.join(unknown)}; known: {', '.join(ENGINES)}")
    results = run(options, argv if argv is not None else sys.argv[1:])
    path = write(results, options)
    log(f"wrote {path} and {options.report}")
    return 0


def run(options, argv: list[str]) -> dict:
    started = time.perf_counter()
    work = options.workdir
    if work.exists() and any(work.iterdir()):
        if not (work / MARKER).exists():
            raise SystemExit(f"--workdir {work} is not empty and was not made by the harness; give another")
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / MARKER).write_text("scratch folder of python -m benchmarks; removed at the end of a run\n")
    results: dict = {
        "format": 1,
        "command": "python -m benchmarks " + " ".join(argv),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(options).items()},
        "machine": machine.info(),
        "builds": {}, "inprocess": {}, "http": {}, "answers": {}, "load": {}, "per_query_load": {},
        "peers": {}, "notes": [],
    }
    log(f"machine: {results['machine']['cpu_model']}, {results['machine']['cores']} cores, "
        f"load {results['machine']['load_average_start']}")
    try:
        stores_by_size = _builds(options, results, work)
        if not options.builds_only:
            for size, root in stores_by_size.items():
                _inprocess(options, results, size, root)
            for size in options.http_sizes:
                if size in stores_by_size:
                    _served(options, results, size, stores_by_size[size], work)
            if options.attack_duration > 0 and 1 in stores_by_size:
                _attacked(options, results, stores_by_size[1], work)
    finally:
        results["machine"]["load_average_end"] = machine.load_average()
        results["duration_s"] = round(time.perf_counter() - started, 1)
        if "rdflib-endpoint" in options.engines:
            results["machine"]["rdflib_endpoint"] = engines.rdflib_endpoint_version()
        if not options.keep_workdir:
            shutil.rmtree(work, ignore_errors=True)
    results["targets"] = report.targets(results)
    return results


def write(results: dict, options) -> Path:
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    report.write(options.report, results, path)
    return path


# -- builds ---------------------------------------------------------------------------

def _builds(options, results: dict, work: Path) -> dict[int, Path]:
    built: dict[int, Path] = {}
    for size in options.sizes:
        overrides = scale.replicate(size, work / f"inputs-x{size}")
        repeats = options.build_repeats if size == 1 else 1
        runs = []
        for attempt in range(repeats):
            root = work / f"store-x{size}-{attempt}"
            log(f"build x{size} ({attempt + 1}/{repeats})")
            env = dict(os.environ)
            env.pop("BMKG_STORE", None)
            measured = procs.run_measured(
                [sys.executable, "-m", "benchmarks.buildrun", str(root),
                 *(f"{name}={path}" for name, path in sorted(overrides.items()))],
                timeout_s=options.build_timeout, memory_limit_mb=options.memory_limit_mb,
                interval_s=options.sample_interval, env=env, cwd=ROOT)
            stages = _stage_memory(measured)
            run = {"wall_s": round(measured.wall_s, 2), "returncode": measured.returncode,
                   "max_rss_mb": round(measured.max_rss_mb, 1), "peak_tree_mb": round(measured.peak_tree_mb, 1),
                   "killed": measured.killed, "stages": stages,
                   "memory_curve": _about_one_a_second(measured.samples)}
            generation = stores.current(root) if measured.returncode == 0 else None
            if generation is not None:
                summary = generation.summary()
                run["summary"] = {k: summary.get(k) for k in ("duration_s", "timings_s", "triples", "peak_memory_mb",
                                                             "inferred_triples", "rejections", "notes",
                                                             "merged_models", "warnings")}
                run["entities"] = sum(summary.get("entities_per_class", {}).get(c, 0)
                                      for c in ("Model", "Hardware", "Dataset", "Organization", "Publication"))
                if size in built:
                    shutil.rmtree(built[size], ignore_errors=True)
                built[size] = root
            else:
                run["error"] = (measured.killed or measured.stderr.strip()[-1500:])
                shutil.rmtree(root, ignore_errors=True)
            log(f"  x{size}: {run['wall_s']} s, peak {run['peak_tree_mb']} MB"
                + (f", FAILED: {run.get('error', '')[:200]}" if "error" in run else ""))
            runs.append(run)
        results["builds"][str(size)] = {"runs": runs, "median": _median_build(runs)}
        shutil.rmtree(work / f"inputs-x{size}", ignore_errors=True)
    return built


def _about_one_a_second(samples: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The memory samples to keep in the results: the first, then each at least a second after the last kept."""
    kept: list[tuple[float, float]] = []
    for sample in samples:
        if not kept or sample[0] - kept[-1][0] >= 1:
            kept.append(sample)
    return kept


def _stage_memory(measured: procs.Measured) -> list[dict]:
    """Each stage the build reached: when it started, and the peak memory of the tree while it ran."""
    marks = []
    for line in measured.stdout.splitlines():
        if line.startswith("STAGE "):
            _tag, name, seconds = line.split()
            marks.append((name, float(seconds)))
    stages = []
    for i, (name, start) in enumerate(marks):
        if name == "done":
            break
        end = marks[i + 1][1] if i + 1 < len(marks) else measured.wall_s
        inside = [mb for t, mb in measured.samples if start <= t <= end]
        stages.append({"stage": name, "start_s": round(start, 2), "end_s": round(end, 2),
                       "peak_tree_mb": round(max(inside), 1) if inside else None})
    return stages


def _median_build(runs: list[dict]) -> dict | None:
    good = [r for r in runs if "summary" in r]
    if not good:
        return None
    stages = sorted({s for r in good for s in r["summary"]["timings_s"]})
    return {
        "n": len(good),
        "wall_s": round(statistics.median(r["wall_s"] for r in good), 2),
        "pipeline_s": round(statistics.median(r["summary"]["duration_s"] for r in good), 2),
        "stages_s": {s: round(statistics.median(r["summary"]["timings_s"].get(s, 0) for r in good), 2) for s in stages},
        "peak_tree_mb": round(max(r["peak_tree_mb"] for r in good), 1),
        "max_rss_mb": round(max(r["max_rss_mb"] for r in good), 1),
        "triples": good[-1]["summary"]["triples"],
        "inferred_triples": good[-1]["summary"]["inferred_triples"],
        "entities": good[-1]["entities"],
    }


# -- queries --------------------------------------------------------------------------

def _workloads(root: Path, options) -> tuple[list[workload.Query], list[workload.Query]]:
    generation = stores.current(root)
    oxigraph = pyoxigraph.Store.read_only(str(generation.oxigraph))
    library = workload.library_queries(oxigraph, options.queries)
    lookups = [workload.lookup_query(iri) for iri in workload.lookup_targets(oxigraph, options.lookups)]
    del oxigraph
    return library, lookups


def _inprocess(options, results: dict, size: int, root: Path) -> None:
    log(f"in-process queries x{size}")
    generation = stores.current(root)
    oxigraph = pyoxigraph.Store.read_only(str(generation.oxigraph))
    library = workload.library_queries(oxigraph, options.queries)
    lookups = [workload.lookup_query(iri) for iri in workload.lookup_targets(oxigraph, min(options.lookups, 50))]
    measured = workload.measure_inprocess(oxigraph, library, min_runs=options.min_runs,
                                          max_runs=options.max_runs, budget_s=options.query_budget)
    point = workload.measure_inprocess(oxigraph, lookups, min_runs=1, max_runs=options.max_runs,
                                       budget_s=options.query_budget / 10)
    results["inprocess"][str(size)] = {
        "library": measured,
        "point_lookup": {"queries": len(lookups),
                         "median_ms": round(statistics.median(v["floor"]["median_ms"] for v in point.values()), 3),
                         "with_json_median_ms": round(statistics.median(v["with_json"]["median_ms"]
                                                                        for v in point.values()), 3)},
    }
    del oxigraph


def _start(engine: str, root: Path, work: Path, size: int):
    logs = work / "logs"
    if engine in ("bmkg", "bmkg-cache"):
        return engines.start_bmkg(root, logs, cache=engine == "bmkg-cache")
    dump = engines.decompressed_dump(root, work / "dumps")
    if engine == "oxigraph":
        return engines.start_oxigraph(dump, work / "peers", logs)
    if engine == "oxigraph-memory":
        return engines.start_oxigraph_memory(dump, logs)
    return engines.start_rdflib_endpoint(dump, logs)


def _served(options, results: dict, size: int, root: Path, work: Path) -> None:
    """Every engine in turn on the same store: answers checked, then sequential latency, then load.

    rdflib-endpoint runs first: the library queries it cannot answer within the load
    timeout are left out of its mixes, and the other engines also run the mix of the
    queries it answered, so that each ratio compares the same work.
    """
    library, lookups = _workloads(root, options)
    key = str(size)
    for section in ("http", "answers", "load"):
        results[section][key] = {}
    results["peers"].setdefault(key, {})
    expected = results["inprocess"].get(key, {}).get("library", {})
    if not load.available() and "wrk is not installed (Debian package wrk): no load figures" not in results["notes"]:
        results["notes"].append("wrk is not installed (Debian package wrk): no load figures")
    order = [e for e in ("rdflib-endpoint", "oxigraph", "oxigraph-memory", "bmkg", "bmkg-cache")
             if e in options.engines]
    subset: list[str] | None = None
    for engine in order:
        log(f"x{size}: {engine}: starting")
        try:
            endpoint = _start(engine, root, work, size)
        except engines.EngineUnavailable as error:
            log(f"x{size}: {engine} unavailable: {error}")
            results["peers"][key][engine] = {"unavailable": str(error)[:1000]}
            continue
        peer = results["peers"][key][engine] = {
            "ready_s": round(endpoint.ready_s, 3), "setup_s": round(endpoint.setup_s, 2),
            "memory_mb_idle": round(endpoint.server.memory_mb(), 1), "restarts": 0}
        try:
            log(f"x{size}: {engine}: ready in {endpoint.ready_s:.2f} s; checking answers")
            answered = {}
            # A query an engine could not answer in time on smaller data is not sent again.
            hopeless = {name for smaller, by_engine in results["answers"].items() if int(smaller) < size
                        for name in by_engine.get(engine, {}).get("unanswered", [])}
            for query in library + lookups[:20]:
                if query.name in hopeless:
                    answered[query.name] = {"status": None, "error": "no answer in time on smaller data; not sent"}
                    continue
                if peer["restarts"] >= MAX_RESTARTS:
                    answered[query.name] = {"status": None, "error": f"not sent: {MAX_RESTARTS} queries had no answer "
                                                                     "in time already"}
                    continue
                answered[query.name] = engines.answer(endpoint, query, options.load_timeout)
                if answered[query.name].get("status") is None:  # still busy with it: start afresh
                    log(f"x{size}: {engine}: {query.name}: {answered[query.name]['error']}; restarting")
                    endpoint.server.stop()
                    endpoint = _start(engine, root, work, size)
                    peer["restarts"] += 1
            usable = [q for q in library if answered[q.name].get("status") == 200]
            mismatches = [name for name, a in answered.items()
                          if name in expected and a.get("status") == 200 and a.get("rows") != expected[name]["rows"]]
            results["answers"][key][engine] = {
                "answers": answered, "mismatches": mismatches,
                "unanswered": [q.name for q in library if answered[q.name].get("status") != 200]}
            mixes = {"point": lookups, "library": usable}
            if engine == "rdflib-endpoint":
                subset = [q.name for q in usable]
                if len(usable) < len(library):
                    mixes = {"point": lookups, "library-rdflib-subset": usable}
            elif subset is not None and len(subset) < len(library):
                mixes["library-rdflib-subset"] = [q for q in library if q.name in subset]
            log(f"x{size}: {engine}: sequential latency")
            slow = engine == "rdflib-endpoint"
            results["http"][key][engine] = {
                "library": engines.measure_http(endpoint, usable, min_runs=1 if slow else options.min_runs,
                                                max_runs=options.max_runs, budget_s=options.query_budget,
                                                warmup=0 if slow else 1),
                "point_lookup": _point_http(endpoint, lookups[:50], options),
            }
            if load.available():
                endpoint = _load(options, results, size, engine, endpoint, mixes, root, work, peer)
            peer["memory_mb_after"] = round(endpoint.server.memory_mb(), 1)
        finally:
            endpoint.server.stop()


def _attacked(options, results: dict, root: Path, work: Path) -> None:
    """The attack scenario of issue 21 on x1: pathological queries beside cheap lookups (benchmarks/attack.py)."""
    log(f"x1: attack scenario for {options.attack_duration:g} s")
    endpoint = attack.start(root, work / "logs")
    try:
        results["attack"] = attack.run(endpoint, duration_s=options.attack_duration)
    finally:
        endpoint.server.stop()


def _point_http(endpoint, lookups, options) -> dict:
    measured = engines.measure_http(endpoint, lookups, min_runs=1, max_runs=options.max_runs,
                                    budget_s=options.query_budget / 10)
    return {"queries": len(lookups), "median_ms": round(statistics.median(v["median_ms"] for v in measured.values()), 3),
            "non_200": sum(v["non_200"] for v in measured.values())}


def _load(options, results, size, engine, endpoint, mixes, root, work, peer):
    key = str(size)
    out = results["load"][key].setdefault(engine, {})
    for mix, queries in mixes.items():
        if not queries:
            continue
        for connections in options.connections:
            log(f"x{size}: {engine}: load {mix} ({len(queries)} queries) at {connections} connections "
                f"for {options.load_duration:.0f} s")
            run = load.run(endpoint, queries, connections=connections, duration_s=options.load_duration,
                           scratch=work / "lua", mix=f"{engine}-{mix}", timeout_s=options.load_timeout)
            run["queries"] = len(queries)
            out.setdefault(mix, {})[str(connections)] = run
            endpoint = _settle(engine, endpoint, root, work, size, peer)
    if size == 1 and engine in ("bmkg", "bmkg-cache") and options.per_query_duration > 0:
        connections = options.connections[0]
        log(f"x{size}: {engine}: per-query load at {connections} connections")
        per = results["per_query_load"].setdefault(key, {}).setdefault(engine, {"connections": connections,
                                                                                 "queries": {}})
        for query in mixes["library"]:
            per["queries"][query.name] = load.run(
                endpoint, [query], connections=connections, duration_s=options.per_query_duration,
                scratch=work / "lua", mix=f"{engine}-one", timeout_s=options.load_timeout)
            endpoint = _settle(engine, endpoint, root, work, size, peer)
    return endpoint


def _settle(engine, endpoint, root, work, size, peer):
    """The same engine, idle again: requests abandoned by wrk must not slow the next run."""
    if engines.idle(endpoint, timeout_s=30):
        return endpoint
    log(f"x{size}: {engine}: still busy 30 s after the load stopped; restarting")
    endpoint.server.stop()
    peer["restarts"] += 1
    return _start(engine, root, work, size)
