"""The pool of killable query workers."""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager

import pytest

from ontology import store
from server.executor import Admission, Costs, Executor, PoolBusy, QueryTimeout, WorkerFailed


@pytest.fixture
def executor(store_root):
    generation = store.current(store_root)
    pool = Executor(2, generation=lambda: str(generation.oxigraph))
    yield pool
    pool.close()


@contextmanager
def started_pool(store_root, **options):
    """A started pool of one worker on the store's current generation, closed on leaving."""
    generation = store.current(store_root)
    pool = Executor(1, generation=lambda: str(generation.oxigraph), **options)
    try:
        pool.start()
        yield pool
    finally:
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
    with started_pool(store_root) as pool:
        blocker = threading.Thread(target=lambda: pytest.raises(QueryTimeout, pool.run, job(store_root, slow_query), 2))
        blocker.start()
        time.sleep(0.3)
        with pytest.raises(PoolBusy):
            pool.run(job(store_root, "ASK {}"), timeout=0.5)
        blocker.join()


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


# -- lanes, deadlines and shutdown (issue 21) ---------------------------------------------------------


def wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_a_cheap_job_gets_a_kept_worker_while_slow_jobs_hold_the_others(store_root, slow_query):
    outcome = {}
    with started_pool(store_root, reserved=1, reserved_timeout=10) as pool:
        def hold():
            try:
                pool.run(job(store_root, slow_query), timeout=60)
            except WorkerFailed:  # killed by close() below
                outcome["held"] = True

        holder = threading.Thread(target=hold)
        holder.start()
        wait_for(lambda: pool._admission.busy()["general"] == 1)  # the one general worker is taken
        assert pool.run(job(store_root, "ASK {}"), timeout=10, cheap=True)[0] == "ok"
        assert pool._admission.busy() == {"general": 1, "reserved": 0}  # given back
        with pytest.raises(PoolBusy):  # a job not marked cheap, and not seen to run short, waits for the general one
            pool.run(job(store_root, "ASK { ?s ?p ?o }"), timeout=10, deadline=time.monotonic() + 0.2)
        # "ASK {}" just ran in well under SHORT_S: sent again unmarked, it may take the kept worker
        assert pool.run(job(store_root, "ASK {}"), timeout=10, deadline=time.monotonic() + 0.5)[0] == "ok"
    holder.join(10)
    assert outcome == {"held": True}


def test_without_kept_workers_the_cheap_job_waits_like_any_other(store_root, slow_query):
    with started_pool(store_root) as pool:
        holder = threading.Thread(target=lambda: pytest.raises(WorkerFailed, pool.run, job(store_root, slow_query), 60))
        holder.start()
        wait_for(lambda: pool._admission.busy()["general"] == 1)
        with pytest.raises(PoolBusy):
            pool.run(job(store_root, "ASK {}"), timeout=10, deadline=time.monotonic() + 0.2, cheap=True)
    holder.join(10)


def test_a_cheap_job_takes_a_general_worker_first(executor, store_root):
    lanes = []
    real = executor._admission.acquire

    def spy(cheap, deadline, rank=None):
        lanes.append(real(cheap, deadline, rank))
        return lanes[-1]

    executor._admission.acquire = spy
    assert executor.run(job(store_root, "ASK {}"), timeout=10, cheap=True)[0] == "ok"
    assert lanes == ["general"]


@pytest.mark.slow
def test_a_query_on_a_kept_worker_stops_at_the_lane_limit(store_root, slow_query):
    with started_pool(store_root, reserved=1, reserved_timeout=0.5) as pool:
        holder = threading.Thread(target=lambda: pytest.raises(WorkerFailed, pool.run, job(store_root, slow_query), 60))
        holder.start()
        wait_for(lambda: pool._admission.busy()["general"] == 1)
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="kept for cheap queries"):
            pool.run(job(store_root, slow_query), timeout=30, cheap=True)  # looked cheap, was not
        assert time.monotonic() - started < 5
    holder.join(10)


@pytest.mark.slow
def test_the_wait_for_a_worker_counts_against_the_deadline(store_root, slow_query):
    with started_pool(store_root) as pool:
        # The first job holds the only worker for 1 s; the second arrives with 2.5 s to live, waits about 1 s,
        # and gets what is left (about 1.5 s), not a fresh 30 s.
        first = threading.Thread(target=lambda: pytest.raises(QueryTimeout, pool.run, job(store_root, slow_query), 1))
        first.start()
        wait_for(lambda: pool._admission.busy()["general"] == 1)
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="waiting for a free query worker") as caught:
            pool.run(job(store_root, slow_query), timeout=30, deadline=started + 2.5)
        elapsed = time.monotonic() - started
        assert 2.0 < elapsed < 4.0, elapsed
        assert caught.value.waited > 0.3
        first.join()


def test_a_deadline_spent_waiting_is_busy_not_a_killed_worker(executor, store_root):
    executor.start()
    pids = {p.popen.pid for p in executor._live}
    with pytest.raises(PoolBusy):
        executor.run(job(store_root, "ASK {}"), timeout=10, deadline=time.monotonic() - 1)
    assert {p.popen.pid for p in executor._live} == pids


def test_replacing_a_worker_after_shutdown_is_quiet(store_root, caplog):
    generation = store.current(store_root)
    pool = Executor(1, generation=lambda: str(generation.oxigraph))
    pool.start()
    # close() lands between _replenish's check and its launch: the launch must fail quietly.
    launch = pool._launch

    def racing_launch():
        pool.close()
        return launch()

    pool._launch = racing_launch
    with pool._cond:
        pool._count -= 1  # room for one more, as after a discarded worker
    with caplog.at_level("WARNING", logger="server.executor"):
        pool._replenish()  # raised "cannot schedule new futures after shutdown" in its thread
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


def test_a_launch_on_a_spawner_that_was_shut_down_is_a_worker_failure(store_root):
    with started_pool(store_root) as pool:
        pool._spawner.shutdown()  # what close() does, seen from a thread that already passed its checks
        with pytest.raises(WorkerFailed, match="shut down"):
            pool._launch()


def _waiter(lanes: Admission, got: list, name: str, cheap: bool, rank: float):
    def wait():
        got.append((name, lanes.acquire(cheap, time.monotonic() + 5, rank)))
    thread = threading.Thread(target=wait)
    thread.start()
    return thread


def test_a_freed_worker_goes_to_the_waiting_job_of_lowest_rank():
    lanes = Admission(1)
    held = lanes.acquire(False, time.monotonic() + 1)
    got: list = []
    threads = [_waiter(lanes, got, "long", False, 9.0)]
    wait_for(lambda: len(lanes._waiting) == 1)  # the long job asked first
    threads.append(_waiter(lanes, got, "short", False, 1.0))
    wait_for(lambda: len(lanes._waiting) == 2)
    lanes.release(held)
    wait_for(lambda: len(got) == 1)
    assert got == [("short", "general")]
    lanes.release("general")
    wait_for(lambda: len(got) == 2)
    assert got[1] == ("long", "general") and not lanes._waiting
    for thread in threads:
        thread.join()


def test_a_cheap_job_ranked_behind_others_still_takes_a_kept_worker():
    lanes = Admission(1, 1)
    lanes.acquire(False, time.monotonic() + 1)  # the one general worker stays busy
    got: list = []
    slow = _waiter(lanes, got, "slow", False, 1.0)
    wait_for(lambda: len(lanes._waiting) == 1)
    cheap = _waiter(lanes, got, "cheap", True, 5.0)
    cheap.join(2)
    assert got == [("cheap", "reserved")]
    lanes.release("general")
    slow.join(2)
    assert got[1] == ("slow", "general")


def test_costs_rank_short_queries_ahead_and_forget_the_oldest():
    costs = Costs(weight=4, prior=0.25, size=2)
    costs.record("short", 0.01)
    costs.record("long", 2.0)
    assert costs.rank(0.0, "short") < costs.rank(0.0, "never seen") < costs.rank(0.0, "long")
    assert costs.rank(3.0, "short") < costs.rank(0.0, "long") < costs.rank(9.0, "short")  # passes within 8 s only
    costs.record("third", 1.0)  # the book holds two: "short", run least recently, is forgotten
    assert costs.rank(0.0, "short") == 1.0 and costs.rank(0.0, "long") == 8.0


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def _until(condition, seconds: float = 30) -> None:
    """Wait for ``condition()`` (a zygote copies its generation in the background); fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@contextmanager
def copying_pool(generation, size: int = 2, **options):
    pool = Executor(size, generation=generation, copy=lambda location: True, **options)
    try:
        pool.start()
        yield pool
    finally:
        pool.close()


def test_workers_forked_by_a_zygote_read_a_copy_in_memory(store_root):
    location = str(store.current(store_root).oxigraph)
    with copying_pool(lambda: location) as pool:
        _until(lambda: pool.stats()["in_memory"] == 2)
        zygote = pool._zygote.popen.pid
        assert {_parent(p.popen.pid) for p in pool._live} == {zygote}
        reply = pool.run(job(store_root, "SELECT ?l { ?m <http://www.w3.org/2000/01/rdf-schema#label> ?l }"),
                         timeout=10)
        assert reply[0] == "ok" and b"GPT-3" in reply[1]
        # a killed worker's replacement is forked again, not spawned
        victim = pool._idle[-1]
        os.kill(victim.popen.pid, signal.SIGKILL)
        victim.popen.wait()
        assert pool.run(job(store_root, "ASK { ?s ?p ?o }"), timeout=10)[0] == "ok"
        pool.start()  # tops the pool up, as a job would when every worker is busy
        assert pool.stats()["in_memory"] == 2 and {_parent(p.popen.pid) for p in pool._live} == {zygote}
        workers = [p.popen.pid for p in pool._live]
    _until(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in [zygote, *workers]), 5)


def test_a_zygote_that_fails_leaves_the_spawned_workers(store_root, caplog):
    location = str(store.current(store_root).oxigraph)
    with copying_pool(lambda: location, copy_timeout=0.001) as pool:  # no copy is made that fast
        _until(lambda: "copy into memory failed" in caplog.text, 10)
        assert pool.run(job(store_root, "ASK { ?s ?p ?o }"), timeout=10)[0] == "ok"
        assert pool.stats() == {"size": 2, "live": 2, "idle": 2, "in_memory": 0}
        assert {_parent(p.popen.pid) for p in pool._live} == {os.getpid()}


def test_a_new_generation_gets_a_new_zygote(store_root, tiny, publish_generation):
    current = lambda: str(store.current(store_root).oxigraph)  # noqa: E731
    label = "SELECT ?l { ?m <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    with copying_pool(current) as pool:
        _until(lambda: pool.stats()["in_memory"] == 2)
        first = pool._zygote.popen.pid
        publish_generation(store_root, [q for q in tiny.quads() if q.subject.value != tiny.gpt3])
        # workers of the old copy answer from the new generation on disk meanwhile
        reply = pool.run(job(store_root, label), timeout=10)
        assert reply[0] == "ok" and b"GPT-3" not in reply[1] and b"BERT" in reply[1]
        _until(lambda: pool._zygote.ready and pool._zygote.popen.pid != first)
        for _ in range(4):  # each worker of the old copy is replaced once it has finished a job
            assert pool.run(job(store_root, label), timeout=10)[0] == "ok"
        _until(lambda: pool.stats()["in_memory"] == 2 and all(p.zygote is pool._zygote for p in pool._live))
        reply = pool.run(job(store_root, label), timeout=10)
        assert reply[0] == "ok" and b"GPT-3" not in reply[1] and b"BERT" in reply[1]
        _until(lambda: not os.path.exists(f"/proc/{first}"), 5)  # the old zygote went with its last worker


def test_no_zygote_for_a_generation_not_worth_copying(store_root):
    generation = store.current(store_root)
    pool = Executor(1, generation=lambda: str(generation.oxigraph), copy=lambda location: False)
    try:
        pool.start()
        assert pool.run(job(store_root, "ASK {}"), timeout=10)[0] == "ok"
        assert pool._zygote is None and pool.stats()["in_memory"] == 0
    finally:
        pool.close()
