"""``bmkg serve``: start-up, readiness and clear failures."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ontology import store


def serve(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BMKG_")}
    environment.update(env or {})
    return subprocess.run([str(Path(sys.executable).parent / "bmkg"), "serve", *args], env=environment,
                          capture_output=True, text=True, timeout=60)


def assert_one_line_failure(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("bmkg serve: ")
    for word in words:
        assert word in lines[0]


def test_the_serve_command_is_registered_under_bmkg():
    result = serve("--help")
    assert result.returncode == 0
    for option in ("--store", "--host", "--port", "--workers", "--timeout-s", "--row-cap", "--enable-updates"):
        assert option in result.stdout


def test_a_missing_store_is_a_one_line_error(tmp_path):
    assert_one_line_failure(serve("--store", str(tmp_path / "nowhere")), "does not exist")


def test_a_store_without_a_generation_is_a_one_line_error(tmp_path):
    assert_one_line_failure(serve("--store", str(tmp_path)), "no published generation")


def test_a_damaged_link_is_a_one_line_error(tmp_path):
    (tmp_path / store.CURRENT).symlink_to("generations/missing")
    assert_one_line_failure(serve("--store", str(tmp_path)), "damaged")


def test_a_corrupt_database_is_a_one_line_error(tmp_path):
    with store.build_lock(tmp_path):
        partial = store.start_generation(tmp_path)
        partial.oxigraph.mkdir()
        (partial.oxigraph / "CURRENT").write_text("not a rocksdb manifest\n")
        store.publish(tmp_path, partial)
    assert_one_line_failure(serve("--store", str(tmp_path)), "cannot be opened")


def test_bad_settings_are_a_one_line_error(store_root):
    assert_one_line_failure(serve("--store", str(store_root), env={"BMKG_ROW_CAP": "many"}), "ROW_CAP")
    assert_one_line_failure(serve("--store", str(store_root), "--enable-updates"), "UPDATE_TOKEN")


def test_a_port_in_use_is_a_one_line_error(store_root):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_one_line_failure(serve("--store", str(store_root), "--port", str(port)), "already in use")


@pytest.mark.slow
def test_the_server_is_ready_within_two_seconds(live_servers, store_root):
    server = live_servers(store_root)
    if server.ready_seconds >= 2.0:  # one more try: a busy 2-core machine can stall a single start
        server.stop()
        server = live_servers(store_root)
    assert server.ready_seconds < 2.0
    assert "read-only" in server.log.read_text()
    status, headers, _ = server.request("POST", "/sparql", b"CLEAR ALL", {"Content-Type": "application/sparql-update"})
    assert status == 403  # read-only by default


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc to find the worker processes")
def test_stopping_the_server_stops_its_query_workers(live_servers, store_root):
    server = live_servers(store_root, "--workers", "1", "--query-workers", "2")
    web = children(server.process.pid)
    workers = [pid for parent in web for pid in children(parent)]
    assert len(web) == 1 and len(workers) == 2 + 1  # and one kept for cheap queries (CHEAP_WORKERS)
    server.stop()
    assert server.process.returncode == 0
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in workers)


def listening_sockets(port: int) -> int:
    """Listening TCP sockets on ``port`` (IPv4), from /proc/net/tcp."""
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs /proc/net/tcp")
def test_each_web_process_listens_and_counts_on_its_own(live_servers, store_root):
    server = live_servers(store_root, "--workers", "2")
    # granian gives each web process its own socket (SO_REUSEPORT), so the kernel spreads connections;
    # the server answers as soon as one process listens, and the other may still be starting
    deadline = time.monotonic() + 15
    while listening_sockets(server.port) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert listening_sockets(server.port) == 2
    before = answered_queries(server)
    for _ in range(40):  # a new connection each: both processes answer some
        status, _, body = server.request("GET", "/sparql?query=ASK%7B%7D")
        assert status == 200 and b"true" in body
    # the counters live in memory both processes share, so either one's /metrics sums them all
    assert answered_queries(server) == before + 40


def answered_queries(server) -> int:
    status, _, body = server.request("GET", "/metrics")
    assert status == 200
    prefix = 'bmkg_http_requests_total{endpoint="query",code="2xx"} '
    return int(next(line for line in body.decode().splitlines() if line.startswith(prefix))[len(prefix):])
