"""Load at a fixed number of connections with wrk (Debian package ``wrk``), bounded in time.

The Lua script holds the request bodies of a mix and sends them round-robin,
each wrk thread from its own offset; its ``done`` hook prints the summary as JSON.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from benchmarks.engines import ACCEPT, Endpoint
from benchmarks.workload import Query

MARK = "WRK_JSON "

_SCRIPT = """
local bodies = {
%(bodies)s
}
local path = %(path)s
local prepared = {}
local counter = 0
local index = 0

function setup(thread)
  thread:set("offset", index * 7919)
  index = index + 1
end

function init(args)
  local headers = { ["Content-Type"] = "application/sparql-query", ["Accept"] = "%(accept)s" }
  for i, body in ipairs(bodies) do
    prepared[i] = wrk.format("POST", path, headers, body)
  end
  counter = offset or 0
end

function request()
  counter = counter + 1
  return prepared[(counter %% #prepared) + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('%(mark)s{"requests": %%d, "duration_us": %%d, "bytes": %%d, ' ..
    '"errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}, ' ..
    '"latency_us": {"min": %%d, "mean": %%.1f, "max": %%d, "p50": %%d, "p90": %%d, "p99": %%d}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def _long_string(text: str) -> str:
    level = 1
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def script(path: str, queries: list[Query]) -> str:
    bodies = ",\n".join(_long_string(q.text) for q in queries)
    return _SCRIPT % {"bodies": bodies, "path": json.dumps(path), "accept": ACCEPT, "mark": MARK}


def available() -> bool:
    return shutil.which("wrk") is not None


def run(endpoint: Endpoint, queries: list[Query], *, connections: int, duration_s: float, scratch: Path,
        mix: str, timeout_s: float = 10) -> dict:
    """Throughput and latency of ``queries`` sent round-robin over ``connections`` for ``duration_s``."""
    scratch.mkdir(parents=True, exist_ok=True)
    lua = scratch / f"{mix}.lua"
    lua.write_text(script(endpoint.path, queries), encoding="utf-8")
    threads = max(1, min(2, connections))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration_s))}s",
               "--timeout", f"{max(1, round(timeout_s))}s", "-s", str(lua), f"http://127.0.0.1:{endpoint.port}"]
    memory_before = endpoint.server.memory_mb()
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + timeout_s + 60)
    line = next((l for l in done.stdout.splitlines() if l.startswith(MARK)), None)
    if done.returncode != 0 or line is None:
        return {"error": f"wrk exited {done.returncode}: {(done.stderr or done.stdout).strip()[-400:]}"}
    raw = json.loads(line[len(MARK):])
    seconds = raw["duration_us"] / 1e6
    errors = raw["errors"]
    failed = errors["status"] + errors["timeout"] + errors["read"] + errors["write"] + errors["connect"]
    latency = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "throughput_rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "ok_rps": round(max(0, raw["requests"] - errors["status"]) / seconds, 1) if seconds else 0.0,
        "errors": errors,
        "failed": failed,
        "latency_ms": {k: round(latency[k] / 1000, 2) for k in ("p50", "p90", "p99", "mean", "max")},
        "server_memory_mb": round(max(memory_before, endpoint.server.memory_mb()), 1),
        "threads": threads,
    }
