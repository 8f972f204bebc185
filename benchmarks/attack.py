"""An attack scenario for ``bmkg serve`` (issue 21): pathological queries from a few attackers, lookups from others.

For the harness to call; nothing here runs by itself. ``start`` starts ``bmkg serve`` with a short
timeout (the scenario is about what happens at it); ``run`` sends, for ``duration_s`` seconds,
pathological queries from ``attackers`` connections and cheap lookups from ``clients`` connections,
and returns per kind the status counts and latencies, plus the server's worker restarts.

What to read in the result (``run``'s docstring): attackers' answers should all come within
the timeout (one deadline per request, the wait included), no cheap lookup should get a 503
(the lane of kept workers), and nothing should be a 500 or restart a worker other than by a
timeout (``restarts`` at most ``timeouts``).
"""

from __future__ import annotations

import http.client
import os
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks import procs
from benchmarks.engines import VENV_BIN, ROOT, Endpoint, wait_ready

#: Each runs far past a short timeout on the shipped build (as in tests/server/test_reliability.py),
#: or is refused before any engine sees it (the last three).
PATHOLOGICAL = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "SELECT ?s ?p ?o ?o2 WHERE { ?s ?p ?o . ?s2 ?p2 ?o2 } ORDER BY DESC(STR(?o)) STR(?o2)",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:x:none>|^!<urn:x:none>)*/(!<urn:x:none>|^!<urn:x:none>)* ?b }",
    'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?t ?q ?v FILTER REGEX(CONCAT(STR(?o), STR(?v), "b"), "(a+)+$") }',
    "SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000,
    "SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
    "SELECT * WHERE { SERVICE <http://[::1:18499/s> { ?s ?p ?o } }",
]
#: Lookups of the kind a page makes; ``policy.cheap`` takes them for cheap.
CHEAP = [
    "SELECT ?p ?o WHERE { <https://w3id.org/bmkg/id/model/gpt-3> ?p ?o } LIMIT 100",
    "SELECT ?l WHERE { <https://w3id.org/bmkg/id/org/openai> <http://www.w3.org/2000/01/rdf-schema#label> ?l }",
    "ASK { <https://w3id.org/bmkg/id/model/bert> ?p ?o }",
    "SELECT (NOW() AS ?t) WHERE {}",  # never cached: always runs in a worker
]


def start(store_root: Path, logs: Path, *, timeout_s: float = 2.0, workers: int = 2, cache: bool = False,
          ready_timeout_s: float = 60) -> Endpoint:
    """``bmkg serve`` with a short query timeout (and by default no result cache, so every request runs)."""
    port = procs.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BMKG_")}
    env["BMKG_TIMEOUT_S"] = str(timeout_s)
    if not cache:
        env["BMKG_CACHE_BYTES"] = "0"
    name = f"bmkg-attack-{timeout_s:g}s"
    server = procs.Server(name, [str(VENV_BIN / "bmkg"), "serve", "--store", str(store_root), "--host", "127.0.0.1",
                                 "--port", str(port), "--workers", str(workers)], port,
                          logs / f"{name}-{port}.log", env=env, cwd=ROOT)
    return Endpoint(name, server, "/sparql", wait_ready(server, "/sparql", ready_timeout_s))


def run(endpoint: Endpoint, *, attackers: int = 4, clients: int = 4, duration_s: float = 20.0,
        timeout_s: float = 2.0) -> dict:
    """Attack ``endpoint`` for ``duration_s`` and report what each side saw.

    Returns ``{"attackers": {...}, "cheap": {...}, "restarts": n, "timeouts": n, "checks": {...}}``, each
    side with ``requests``, ``statuses`` (status: count) and latency ``p50_s``, ``p99_s``, ``max_s``.
    ``checks`` holds the figures issue 21 sets: the slowest attacker answer over the timeout
    (``attacker_max_over_timeout_s``, should be near 0), the share of cheap lookups refused with 503
    (``cheap_503_share``, should be 0), and the 500s (``server_errors``, should be 0).
    """
    stop = time.monotonic() + duration_s
    seen: dict[str, list[tuple[int, float]]] = {"attackers": [], "cheap": []}
    lock = threading.Lock()

    def loop(kind: str, queries: list[str], offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=timeout_s + 30)
        mine, index = [], offset
        try:
            while time.monotonic() < stop:
                query = queries[index % len(queries)]
                index += 1
                started = time.perf_counter()
                try:
                    connection.request("POST", endpoint.path, body=urlencode({"query": query}).encode(),
                                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                                "Accept": "application/sparql-results+json"})
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    status = 0  # the connection failed
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=timeout_s + 30)
                mine.append((status, time.perf_counter() - started))
        finally:
            connection.close()
            with lock:
                seen[kind].extend(mine)

    threads = [threading.Thread(target=loop, args=("attackers", PATHOLOGICAL, i)) for i in range(attackers)]
    threads += [threading.Thread(target=loop, args=("cheap", CHEAP, i)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    metrics = _metrics(endpoint)
    result = {kind: _summary(samples) for kind, samples in seen.items()}
    result["restarts"] = metrics.get("bmkg_worker_restarts_total", 0)
    result["timeouts"] = metrics.get("bmkg_query_timeouts_total", 0)
    attacker_max = result["attackers"]["max_s"] or 0.0
    cheap_total = result["cheap"]["requests"] or 1
    result["checks"] = {
        "attacker_max_over_timeout_s": round(max(0.0, attacker_max - timeout_s), 3),
        "cheap_503_share": round(result["cheap"]["statuses"].get(503, 0) / cheap_total, 4),
        "server_errors": sum(s["statuses"].get(500, 0) for s in (result["attackers"], result["cheap"])),
    }
    result["settings"] = {"attackers": attackers, "clients": clients, "duration_s": duration_s, "timeout_s": timeout_s}
    return result


def _summary(samples: list[tuple[int, float]]) -> dict:
    statuses: dict[int, int] = {}
    for status, _ in samples:
        statuses[status] = statuses.get(status, 0) + 1
    seconds = sorted(s for _, s in samples)

    def percentile(p: float) -> float | None:
        if not seconds:
            return None
        return round(seconds[min(len(seconds) - 1, max(0, round(p / 100 * len(seconds)) - 1))], 4)

    return {"requests": len(samples), "statuses": dict(sorted(statuses.items())),
            "p50_s": round(statistics.median(seconds), 4) if seconds else None, "p99_s": percentile(99),
            "max_s": round(seconds[-1], 4) if seconds else None}


def _metrics(endpoint: Endpoint) -> dict[str, float]:
    """Totals of the server's Prometheus counters (summed over labels and web processes)."""
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    try:
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return {}
    finally:
        connection.close()
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        try:
            totals[name] = totals.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
        except ValueError:
            continue
    return totals
