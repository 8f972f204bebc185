"""An in-process LRU cache of serialised results, bounded in bytes.

Keys include the store generation, so a new generation simply stops hitting
the old entries, which then age out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
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

    def __len__(self) -> int:
        return len(self._entries)
