"""The SPARQL servers compared: ``bmkg serve``, ``oxigraph serve`` (on disk, and in memory) and
rdflib-endpoint, on 127.0.0.1.

Every engine gets the same queries as a direct POST (``application/sparql-query``)
asking for SPARQL JSON results, over the union of the same named graphs.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import procs
from benchmarks.workload import Query

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RDFLIB_ENDPOINT_VENV = Path("/tmp/bmkg-rdflib-endpoint-venv")
RDFLIB_ENDPOINT_PACKAGES = ["rdflib-endpoint==0.6.3", "uvicorn"]
ACCEPT = "application/sparql-results+json"


class EngineUnavailable(RuntimeError):
    """An engine cannot be run here; the run goes on without it and says why."""


@dataclass
class Endpoint:
    engine: str
    server: procs.Server
    path: str
    ready_s: float  # from process start to the first answered query
    setup_s: float = 0.0  # preparation before the start (loading a peer's store)

    @property
    def port(self) -> int:
        return self.server.port


def post(connection: http.client.HTTPConnection, path: str, query: str) -> tuple[int, bytes]:
    connection.request("POST", path, body=query.encode("utf-8"),
                       headers={"Content-Type": "application/sparql-query", "Accept": ACCEPT})
    response = connection.getresponse()
    return response.status, response.read()


def wait_ready(server: procs.Server, path: str, timeout_s: float) -> float:
    """Seconds from the server's start until it answers a query with 200; stops the server if it never does."""
    try:
        return _wait_ready(server, path, timeout_s)
    except BaseException:
        server.stop()
        raise


def _wait_ready(server: procs.Server, path: str, timeout_s: float) -> float:
    deadline = server.started + timeout_s
    while time.perf_counter() < deadline:
        if not server.alive():
            raise EngineUnavailable(f"{server.name} exited with {server.process.returncode}: {server.log_tail()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            status, _body = post(connection, path, "ASK { }")
            connection.close()
            if status == 200:
                return time.perf_counter() - server.started
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.02)
    raise EngineUnavailable(f"{server.name} did not answer within {timeout_s:.0f} s: {server.log_tail()}")


def start_bmkg(store_root: Path, logs: Path, *, cache: bool, timeout_s: float = 60) -> Endpoint:
    port = procs.free_port()
    env = dict(os.environ)
    env.pop("BMKG_STORE", None)
    if not cache:
        env["BMKG_CACHE_BYTES"] = "0"
    name = "bmkg-cache" if cache else "bmkg"
    server = procs.Server(name, [str(VENV_BIN / "bmkg"), "serve", "--store", str(store_root), "--host", "127.0.0.1",
                                 "--port", str(port)], port, logs / f"{name}-{port}.log", env=env, cwd=ROOT)
    ready = wait_ready(server, "/sparql", timeout_s)
    return Endpoint(name, server, "/sparql", ready)


def decompressed_dump(store_root: Path, scratch: Path) -> Path:
    """The build's N-Quads dump of every graph, decompressed once per generation."""
    from ontology import store

    generation = store.current(store_root)
    target = scratch / f"{generation.id}.nq"
    if not target.exists():
        scratch.mkdir(parents=True, exist_ok=True)
        with gzip.open(generation.path / "dumps" / "bmkg.nq.gz", "rb") as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)
    return target


def start_oxigraph(dump: Path, scratch: Path, logs: Path, timeout_s: float = 60) -> Endpoint:
    binary = VENV_BIN / "oxigraph"
    if not binary.exists():
        raise EngineUnavailable(f"no oxigraph server at {binary} (PyPI package oxigraph)")
    location = scratch / f"oxigraph-{dump.stem}"
    t0 = time.perf_counter()
    if not location.exists():
        scratch.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([str(binary), "load", "--location", str(location), "--file", str(dump)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(location, ignore_errors=True)
            raise EngineUnavailable(f"oxigraph load failed: {done.stderr.strip()[-500:]}")
    setup = time.perf_counter() - t0
    port = procs.free_port()
    server = procs.Server("oxigraph", [str(binary), "serve-read-only", "--location", str(location),
                                       "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                          port, logs / f"oxigraph-{port}.log")
    ready = wait_ready(server, "/query", timeout_s)
    return Endpoint("oxigraph", server, "/query", ready, setup)


def start_oxigraph_memory(dump: Path, logs: Path, timeout_s: float = 60) -> Endpoint:
    """``oxigraph serve`` with an in-memory store, loaded with ``dump`` over its Graph Store endpoint after
    the start (its ``load`` command writes to disk only). bmkg reads small generations from memory, so this is
    the like-for-like peer; ``setup_s`` is the load."""
    binary = VENV_BIN / "oxigraph"
    if not binary.exists():
        raise EngineUnavailable(f"no oxigraph server at {binary} (PyPI package oxigraph)")
    port = procs.free_port()
    server = procs.Server("oxigraph-memory", [str(binary), "serve", "--bind", f"127.0.0.1:{port}",
                                              "--union-default-graph"], port, logs / f"oxigraph-memory-{port}.log")
    ready = wait_ready(server, "/query", timeout_s)
    t0 = time.perf_counter()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        with open(dump, "rb") as body:
            connection.request("POST", "/store", body=body, headers={
                "Content-Type": "application/n-quads", "Content-Length": str(dump.stat().st_size)})
            response = connection.getresponse()
            detail = response.read()[:500]
        connection.close()
        if response.status not in (200, 201, 204):
            raise EngineUnavailable(f"oxigraph serve (in memory) refused the dump: {response.status} {detail!r}")
    except BaseException:
        server.stop()
        raise
    return Endpoint("oxigraph-memory", server, "/query", ready, time.perf_counter() - t0)


def rdflib_endpoint_command(venv: Path = RDFLIB_ENDPOINT_VENV) -> Path:
    """rdflib-endpoint in a scratch virtual environment (not a project dependency), created on first use."""
    command = venv / "bin" / "rdflib-endpoint"
    if command.exists():
        return command
    base = getattr(sys, "_base_executable", None) or shutil.which("python3")
    done = subprocess.run([base, "-m", "venv", str(venv)], capture_output=True, text=True)
    if done.returncode == 0:
        done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                               *RDFLIB_ENDPOINT_PACKAGES], capture_output=True, text=True)
    if done.returncode != 0 or not command.exists():
        raise EngineUnavailable(f"cannot install rdflib-endpoint in {venv}: {done.stderr.strip()[-500:]}")
    return command


def rdflib_endpoint_version(venv: Path = RDFLIB_ENDPOINT_VENV) -> dict:
    python = venv / "bin" / "python"
    if not python.exists():
        return {}
    done = subprocess.run([str(python), "-c", "import importlib.metadata as m, json; print(json.dumps("
                           "{p: m.version(p) for p in ('rdflib-endpoint', 'rdflib', 'uvicorn', 'fastapi')}))"],
                          capture_output=True, text=True)
    return json.loads(done.stdout) if done.returncode == 0 else {}


def start_rdflib_endpoint(dump: Path, logs: Path, timeout_s: float = 900) -> Endpoint:
    command = rdflib_endpoint_command()
    port = procs.free_port()
    server = procs.Server("rdflib-endpoint", [str(command), "serve", "--host", "127.0.0.1", "--port", str(port),
                                              str(dump)], port, logs / f"rdflib-endpoint-{port}.log")
    ready = wait_ready(server, "/", timeout_s)
    # rdflib-endpoint parses the dump at start: that is its load time, reported as setup.
    return Endpoint("rdflib-endpoint", server, "/", ready, ready)


def answer(endpoint: Endpoint, query: Query, timeout_s: float) -> dict:
    """One query's status and row count (to check that the engines agree), on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=timeout_s)
    t0 = time.perf_counter()
    try:
        status, body = post(connection, endpoint.path, query.text)
    except (OSError, http.client.HTTPException) as error:
        return {"status": None, "error": f"no answer within {timeout_s:.0f} s" if isinstance(error, TimeoutError)
                else (str(error) or type(error).__name__), "seconds": round(time.perf_counter() - t0, 3)}
    finally:
        connection.close()
    entry = {"status": status, "seconds": round(time.perf_counter() - t0, 3)}
    if status == 200:
        try:
            entry["rows"] = len(json.loads(body)["results"]["bindings"])
        except (ValueError, KeyError, TypeError) as error:
            entry["error"] = f"unreadable results: {error}"
    else:
        entry["error"] = body[:300].decode("utf-8", "replace")
    return entry


def idle(endpoint: Endpoint, timeout_s: float) -> bool:
    """Wait until the server answers a trivial query at once again (it may still work on abandoned requests)."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        found = answer(endpoint, Query("ask", "ASK { }"), timeout_s=2)
        if found.get("status") == 200:
            return True
    return False


def measure_http(endpoint: Endpoint, queries: list[Query], *, min_runs: int, max_runs: int,
                 budget_s: float, warmup: int = 1) -> dict:
    """Sequential latency of each query over one keep-alive connection."""
    from benchmarks.workload import repeat, summarise

    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=120)
    results = {}
    for query in queries:
        statuses: list[int] = []

        def call():
            status, _body = post(connection, endpoint.path, query.text)
            statuses.append(status)

        durations = repeat(call, min_runs=min_runs, max_runs=max_runs, budget_s=budget_s, warmup=warmup)
        bad = [s for s in statuses if s != 200]
        results[query.name] = {**summarise(durations), "non_200": len(bad)}
    connection.close()
    return results
