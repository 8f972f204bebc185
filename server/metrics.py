"""Prometheus metrics shared by all web processes of one server.

The server runs several web processes and a scrape reaches only one of them,
so counters live in an anonymous shared memory map created before the fork.
Each web process claims a slot, adds to it, and ``/metrics`` sums the slots.
A process that replaces a dead one takes over its slot, so sums never go down.
"""

from __future__ import annotations

import bisect
import mmap
import multiprocessing
import os
import threading

ENDPOINTS = ("query", "update", "description", "void", "store", "healthz", "metrics", "other")
CLASSES = ("2xx", "3xx", "4xx", "5xx")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
COUNTERS = {
    "bmkg_query_timeouts_total": "Queries stopped by the query timeout.",
    "bmkg_cache_hits_total": "Query responses served from the result cache.",
    "bmkg_cache_misses_total": "Cacheable query responses that had to be computed.",
    "bmkg_cache_shared_total": "Query responses that waited for an identical query already running (single flight).",
    "bmkg_not_modified_total": "Conditional requests answered 304 from the generation's ETag.",
    "bmkg_rows_capped_total": "Query responses cut at the row cap.",
    "bmkg_worker_restarts_total": "Query workers killed or lost and replaced.",
    "bmkg_writes_total": "Successful writes (SPARQL Update or Graph Store), each a new generation.",
}
HISTOGRAMS = {
    "bmkg_http_request_duration_seconds": "Time to answer an HTTP request.",
    "bmkg_query_duration_seconds": "Time a query worker took to run and serialise a query.",
}


def _layout() -> dict[tuple, int]:
    keys: list[tuple] = [("requests", e, c) for e in ENDPOINTS for c in CLASSES]
    keys += [(name,) for name in COUNTERS]
    for name in HISTOGRAMS:
        keys += [(name, "bucket", b) for b in BUCKETS]
        keys += [(name, "sum"), (name, "count")]
    return {key: index for index, key in enumerate(keys)}


class Metrics:
    def __init__(self, slots: int = 1):
        self._index = _layout()
        self._width = len(self._index)
        self.slots = max(1, slots)
        self._map = mmap.mmap(-1, 8 * self._width * self.slots)  # shared with forked children
        self._values = memoryview(self._map).cast("d")
        self._base = 0
        self._lock = threading.Lock()
        # which process holds each slot, and a lock for claiming one; both shared with forked children
        self._owners_map = mmap.mmap(-1, 8 * self.slots)
        self._owners = memoryview(self._owners_map).cast("q")
        self._claiming = multiprocessing.get_context("fork").Lock()

    def bind(self, slot: int) -> None:
        """Make this process write into ``slot``."""
        if not 0 <= slot < self.slots:
            raise ValueError(f"metrics slot {slot} outside 0..{self.slots - 1}")
        self._base = slot * self._width
        self._lock = threading.Lock()

    def claim(self, pid: int) -> int | None:
        """Bind process ``pid`` (this one) to a slot nobody holds, or whose process has ended; None if
        every slot is held (the process then shares slot 0).

        >>> m = Metrics(2)
        >>> m.claim(os.getpid()), m.claim(os.getpid()), m.claim(os.getpid())
        (0, 1, None)
        """
        with self._claiming:
            for slot in range(self.slots):
                owner = self._owners[slot]
                if owner == 0 or not _alive(owner):
                    self._owners[slot] = pid
                    self.bind(slot)
                    return slot
        return None

    def inc(self, name: str, amount: float = 1.0) -> None:
        self._add(self._index[(name,)], amount)

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        if endpoint not in ENDPOINTS:
            endpoint = "other"
        klass = f"{min(max(status // 100, 2), 5)}xx"
        self._add(self._index[("requests", endpoint, klass)], 1)
        self.observe("bmkg_http_request_duration_seconds", seconds)

    def observe(self, name: str, seconds: float) -> None:
        position = bisect.bisect_left(BUCKETS, seconds)
        with self._lock:
            if position < len(BUCKETS):
                self._values[self._base + self._index[(name, "bucket", BUCKETS[position])]] += 1
            self._values[self._base + self._index[(name, "sum")]] += seconds
            self._values[self._base + self._index[(name, "count")]] += 1

    def _add(self, index: int, amount: float) -> None:
        with self._lock:
            self._values[self._base + index] += amount

    def total(self, key: tuple) -> float:
        index = self._index[key]
        return sum(self._values[slot * self._width + index] for slot in range(self.slots))

    def render(self, gauges: list[tuple[str, str, dict[str, str], float]] = ()) -> str:
        """The Prometheus text exposition (format 0.0.4) of all slots."""
        lines = [
            "# HELP bmkg_http_requests_total HTTP requests answered, by endpoint and status class.",
            "# TYPE bmkg_http_requests_total counter",
        ]
        for endpoint in ENDPOINTS:
            for klass in CLASSES:
                value = self.total(("requests", endpoint, klass))
                lines.append(f'bmkg_http_requests_total{{endpoint="{endpoint}",code="{klass}"}} {_num(value)}')
        for name, help_text in COUNTERS.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter", f"{name} {_num(self.total((name,)))}"]
        for name, help_text in HISTOGRAMS.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
            running = 0.0
            for bound in BUCKETS:
                running += self.total((name, "bucket", bound))
                lines.append(f'{name}_bucket{{le="{bound:g}"}} {_num(running)}')
            count = self.total((name, "count"))
            lines.append(f'{name}_bucket{{le="+Inf"}} {_num(count)}')
            lines.append(f"{name}_sum {self.total((name, 'sum')):.6f}")
            lines.append(f"{name}_count {_num(count)}")
        for name, help_text, labels, value in gauges:
            label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            lines.append(f"{name}{{{label_text}}} {_num(value)}" if label_text else f"{name} {_num(value)}")
        return "\n".join(lines) + "\n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
