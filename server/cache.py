"""An in-process LRU cache of serialised results, bounded in bytes.

Keys include the store generation, so a new generation simply stops hitting
the old entries, which then age out. A generation is read-only, so an entry
is exact for as long as its key can be asked.

``ResultCache.compute`` also single-flights misses: concurrent requests for
a key that is being computed wait for that one computation instead of each
running the query (without it, a burst of identical first requests all miss
and all occupy query workers).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Entry:
    body: bytes
    content_type: str
    headers: dict[str, str]
    gzipped: bytes | None = None  # filled on the first gzip request
    size: int = field(init=False)

    def __post_init__(self):
        self.size = len(self.body) + 200


class _Flight:
    """One computation in progress; waiters block on ``done``."""

    def __init__(self):
        self.done = threading.Event()
        self.entry: Entry | None = None
        self.error: BaseException | None = None
        self.waiters = 0


class ResultCache:
    """
    >>> cache = ResultCache(max_bytes=1000, max_entry_bytes=800)  # each entry counts 200 bytes of overhead
    >>> cache.put("a", Entry(b"x" * 500, "text/plain", {}))
    True
    >>> cache.put("big", Entry(b"x" * 700, "text/plain", {}))  # over the entry limit
    False
    >>> cache.put("b", Entry(b"y" * 500, "text/plain", {}))  # evicts "a"
    True
    >>> cache.get("a") is None, cache.get("b").body[:1]
    (True, b'y')
    """

    def __init__(self, max_bytes: int, max_entry_bytes: int):
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._entries: OrderedDict[object, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._flights: dict[object, _Flight] = {}

    def get(self, key) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key, entry: Entry) -> bool:
        if entry.size > self.max_entry_bytes:
            return False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size
        return True

    def compute(self, key, produce: Callable[[], Entry]) -> tuple[Entry, str]:
        """The entry for ``key``, and how it was found: ``"hit"``, ``"shared"`` or ``"miss"``.

        On a miss ``produce()`` runs in this thread while later callers for the
        same key wait for it and share its entry, or its exception: the key
        fixes the query, the dataset and the generation, so they would get
        the same answer. An entry too large to keep is still shared.

        >>> cache = ResultCache(max_bytes=1000, max_entry_bytes=800)
        >>> cache.compute("k", lambda: Entry(b"x", "text/plain", {}))[1]
        'miss'
        >>> cache.compute("k", lambda: Entry(b"y", "text/plain", {}))
        (Entry(body=b'x', content_type='text/plain', headers={}, gzipped=None, size=201), 'hit')
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry, "hit"
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
            else:
                flight.waiters += 1
        if not leader:
            flight.done.wait()  # bounded: the leader's query is bounded by the query timeout
            if flight.error is not None:
                raise flight.error
            return flight.entry, "shared"
        try:
            flight.entry = produce()
            self.put(key, flight.entry)
            return flight.entry, "miss"
        except BaseException as error:
            flight.error = error
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()

    def waiting(self) -> int:
        """How many callers are waiting for a computation that another one runs."""
        with self._lock:
            return sum(flight.waiters for flight in self._flights.values())

    def __len__(self) -> int:
        return len(self._entries)
