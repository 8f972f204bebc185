"""The pool of killable query workers."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from ontology import store
from server.executor import Executor, PoolBusy, QueryTimeout, WorkerFailed


@pytest.fixture
def executor(store_root):
    generation = store.current(store_root)
    pool = Executor(2, generation=lambda: str(generation.oxigraph))
    yield pool
    pool.close()


def job(store_root, query: str, fmt: str = "json") -> dict:
    return {"op": "query", "generation": str(store.current(store_root).oxigraph), "query": query,
            "base": None, "union": store.union_dataset(), "default": None, "named": None, "format": fmt, "cap": 0}


def test_a_job_runs_in_another_process(executor, store_root):
    reply = executor.run(job(store_root, "ASK { ?s ?p ?o }"), timeout=10)
    assert reply[0] == "ok" and reply[1] == b'{"head":{},"boolean":true}'
    assert executor.stats()["live"] == 1  # started on demand


@pytest.mark.slow
def test_a_slow_query_is_killed_and_the_pool_recovers(executor, store_root, slow_query):
    executor.start()
    pids = {p.popen.pid for p in executor._live}
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="limit of 1 s"):
        executor.run(job(store_root, slow_query), timeout=1)
    assert time.monotonic() - started < 3
    killed = pids - {p.popen.pid for p in executor._live}
    assert len(killed) == 1
    assert executor.run(job(store_root, "ASK {}"), timeout=10)[0] == "ok"
    deadline = time.monotonic() + 5
    while executor.stats()["live"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the replacement starts in the background
    assert executor.stats()["live"] == 2


@pytest.mark.slow
def test_other_jobs_run_while_one_is_slow(executor, store_root, slow_query):
    executor.start()
    outcome = {}

    def slow():
        try:
            executor.run(job(store_root, slow_query), timeout=3)
        except QueryTimeout:
            outcome["slow"] = "timeout"

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert executor.run(job(store_root, "ASK {}"), timeout=10)[0] == "ok"
    assert time.monotonic() - started < 1
    thread.join()
    assert outcome == {"slow": "timeout"}


def test_an_idle_worker_that_died_is_replaced_without_failing_the_job(executor, store_root):
    executor.start()
    victim = executor._idle[-1]  # the next job goes to the most recently idle worker
    os.kill(victim.popen.pid, signal.SIGKILL)
    victim.popen.wait()
    assert executor.run(job(store_root, "ASK {}"), timeout=10)[0] == "ok"


@pytest.mark.slow
def test_a_worker_that_dies_during_a_job_is_reported(executor, store_root, slow_query):
    executor.start()
    victim = executor._idle[-1]
    threading.Timer(0.3, os.kill, (victim.popen.pid, signal.SIGKILL)).start()
    with pytest.raises(WorkerFailed, match="died"):
        executor.run(job(store_root, slow_query), timeout=10)
    assert executor.run(job(store_root, "ASK {}"), timeout=10)[0] == "ok"


def test_workers_started_from_a_short_lived_thread_survive_it(executor, store_root):
    # Linux's parent-death signal follows the thread that started a process.
    thread = threading.Thread(target=executor.start)
    thread.start()
    thread.join()
    time.sleep(0.2)
    assert all(p.popen.poll() is None for p in executor._live)
    assert executor.run(job(store_root, "ASK {}"), timeout=10)[0] == "ok"


def test_a_full_pool_answers_busy_instead_of_waiting_forever(store_root, slow_query):
    generation = store.current(store_root)
    pool = Executor(1, generation=lambda: str(generation.oxigraph))
    try:
        pool.start()
        blocker = threading.Thread(target=lambda: pytest.raises(QueryTimeout, pool.run, job(store_root, slow_query), 2))
        blocker.start()
        time.sleep(0.3)
        with pytest.raises(PoolBusy):
            pool.run(job(store_root, "ASK {}"), timeout=0.5)
        blocker.join()
    finally:
        pool.close()


def test_an_unopenable_store_fails_the_start_clearly(tmp_path):
    (tmp_path / "oxigraph").mkdir()
    (tmp_path / "oxigraph" / "CURRENT").write_text("garbage\n")
    pool = Executor(1, generation=lambda: str(tmp_path / "oxigraph"))
    try:
        with pytest.raises(WorkerFailed, match="cannot open the store"):
            pool.start()
    finally:
        pool.close()


def test_close_kills_the_workers(store_root):
    generation = store.current(store_root)
    pool = Executor(2, generation=lambda: str(generation.oxigraph))
    pool.start()
    processes = [p.popen for p in pool._live]
    pool.close()
    assert all(p.poll() is not None for p in processes)
