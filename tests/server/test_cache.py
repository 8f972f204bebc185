"""The result cache: LRU bounds and single-flight computation of misses."""

from __future__ import annotations

import threading
import time

from server.cache import Entry, ResultCache

SELECT_LABELS = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label"


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


def run_together(count: int, call) -> list:
    """Run ``call()`` in ``count`` threads; their results (or exceptions) in thread order."""
    outcomes: list = [None] * count

    def one(index: int) -> None:
        try:
            outcomes[index] = call()
        except Exception as error:  # the outcome under test
            outcomes[index] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return outcomes


def test_concurrent_misses_of_one_key_compute_it_once():
    cache = ResultCache(max_bytes=10_000, max_entry_bytes=10_000)
    runs = []

    def produce() -> Entry:
        runs.append(1)
        wait_until(lambda: cache.waiting() == 7)  # hold the computation until every other caller waits on it
        return Entry(b"answer", "text/plain", {})

    outcomes = run_together(8, lambda: cache.compute("k", produce))
    assert len(runs) == 1
    assert sorted(found for _, found in outcomes) == ["miss"] + ["shared"] * 7
    assert len({id(entry) for entry, _ in outcomes}) == 1
    assert cache.waiting() == 0
    assert cache.compute("k", produce)[1] == "hit" and len(runs) == 1


def test_a_failed_computation_is_shared_and_not_kept():
    cache = ResultCache(max_bytes=10_000, max_entry_bytes=10_000)
    runs = []

    def produce() -> Entry:
        runs.append(1)
        wait_until(lambda: cache.waiting() == 3)
        raise ValueError("the query failed")

    outcomes = run_together(4, lambda: cache.compute("k", produce))
    assert len(runs) == 1
    assert all(isinstance(outcome, ValueError) for outcome in outcomes)
    entry, found = cache.compute("k", lambda: Entry(b"later", "text/plain", {}))
    assert (entry.body, found) == (b"later", "miss")


def test_an_entry_too_large_to_keep_is_still_shared_then_recomputed():
    cache = ResultCache(max_bytes=1000, max_entry_bytes=300)
    runs = []

    def produce() -> Entry:
        runs.append(1)
        if len(runs) == 1:
            wait_until(lambda: cache.waiting() == 2)
        return Entry(b"x" * 500, "text/plain", {})

    outcomes = run_together(3, lambda: cache.compute("big", produce))
    assert len(runs) == 1 and sorted(found for _, found in outcomes) == ["miss", "shared", "shared"]
    assert cache.compute("big", produce)[1] == "miss" and len(runs) == 2  # nothing was kept


def test_different_keys_do_not_wait_for_each_other():
    cache = ResultCache(max_bytes=10_000, max_entry_bytes=10_000)
    release = threading.Event()
    blocked = threading.Thread(target=cache.compute,
                               args=("slow", lambda: (release.wait(10), Entry(b"s", "text/plain", {}))[1]))
    blocked.start()
    try:
        entry, found = cache.compute("fast", lambda: Entry(b"f", "text/plain", {}))
        assert (entry.body, found) == (b"f", "miss")
    finally:
        release.set()
        blocked.join(10)


class CountingExecutor:
    """Stands in for the query workers: counts jobs and holds the first until the others wait."""

    def __init__(self, real, cache: ResultCache, others: int):
        self.real, self.cache, self.others = real, cache, others
        self.jobs = 0
        self.lock = threading.Lock()

    def run(self, job: dict, timeout: float, **kwargs) -> tuple:
        with self.lock:
            self.jobs += 1
        wait_until(lambda: self.cache.waiting() >= self.others)
        return self.real.run(job, timeout, **kwargs)


def test_identical_concurrent_requests_run_the_query_once(app):
    count = 6
    runtime = app.extensions["bmkg"]
    stub = CountingExecutor(runtime.executor, runtime.cache, count - 1)
    runtime.executor = stub
    try:
        responses = run_together(count, lambda: app.test_client().get("/sparql", query_string={"query": SELECT_LABELS}))
    finally:
        runtime.executor = stub.real
    assert stub.jobs == 1
    assert [r.status_code for r in responses] == [200] * count
    assert len({r.data for r in responses}) == 1
    metrics = runtime.metrics
    assert metrics.total(("bmkg_cache_misses_total",)) == 1
    assert metrics.total(("bmkg_cache_shared_total",)) == count - 1


def test_a_failing_query_fails_every_waiting_request_with_one_run(app):
    runtime = app.extensions["bmkg"]
    stub = CountingExecutor(runtime.executor, runtime.cache, 3)
    runtime.executor = stub
    try:
        responses = run_together(4, lambda: app.test_client().get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x <bad"}))
    finally:
        runtime.executor = stub.real
    assert stub.jobs == 1
    assert [r.status_code for r in responses] == [400] * 4


def test_without_a_cache_identical_requests_each_run(make_app):
    app = make_app(CACHE_BYTES=0)
    runtime = app.extensions["bmkg"]
    stub = CountingExecutor(runtime.executor, ResultCache(1, 1), 0)
    runtime.executor = stub
    try:
        responses = run_together(3, lambda: app.test_client().get("/sparql", query_string={"query": SELECT_LABELS}))
    finally:
        runtime.executor = stub.real
    assert stub.jobs == 3 and [r.status_code for r in responses] == [200] * 3
