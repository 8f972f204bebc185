"""Which store generation the server answers from, and when it changes.

A build (or a server write) publishes a generation by replacing the symlink
``STORE/current``. The watcher reads that link with one ``readlink`` call,
at most once per ``interval`` seconds (0: on every request), and only
validates the target when the link text changes. Jobs carry the generation
they were resolved against, so a query that started on the old generation
finishes there while new requests move to the new one.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import threading
import time
from pathlib import Path

from ontology import store

log = logging.getLogger(__name__)


class GenerationWatcher:
    def __init__(self, root: Path, interval: float = 0.0):
        self.root = Path(root)
        self._link_path = str(self.root / store.CURRENT)  # read on every request: no Path arithmetic then
        self.interval = interval
        self._lock = threading.Lock()
        self._link: str | None = None
        self._checked = time.monotonic()
        self._current = self._load()
        if self._current is None:
            raise store.StoreError(f"{self.root} has no published generation (run `bmkg build` first)")

    def _load(self) -> store.Generation | None:
        try:
            self._link = os.readlink(self._link_path)
        except OSError:
            self._link = None
        self._checked = time.monotonic()
        return store.current(self.root)

    def current(self, force: bool = False) -> store.Generation:
        """The newest complete generation; the last good one if the link breaks."""
        now = time.monotonic()
        if self.interval and not force and now - self._checked < self.interval:
            return self._current
        try:
            link = os.readlink(self._link_path)
        except OSError:
            link = None
        if link == self._link:
            self._checked = now
            return self._current
        with self._lock:
            try:
                found = self._load()
            except store.StoreError as error:
                log.warning("keeping generation %s: %s", self._current.id, error)
                return self._current
            if found is not None and found != self._current:
                log.info("store generation %s -> %s", self._current.id, found.id)
                self._current = found
        return self._current

    def refresh(self) -> store.Generation:
        """Look at the link now, whatever the interval (after a write)."""
        return self.current(force=True)


def last_modified(generation: store.Generation) -> dt.datetime:
    """When a generation was built: from its id, else from its directory's mtime.

    >>> last_modified(store.Generation(Path("/s/generations/20261127T101500123456Z")))
    datetime.datetime(2026, 11, 27, 10, 15, tzinfo=datetime.timezone.utc)
    """
    when = _from_id(generation.id)
    if when is None:
        try:
            when = dt.datetime.fromtimestamp(generation.path.stat().st_mtime, dt.timezone.utc)
        except OSError:
            when = dt.datetime.now(dt.timezone.utc)
    # HTTP dates have whole seconds; comparisons with If-Modified-Since need the same.
    return when.replace(microsecond=0, tzinfo=dt.timezone.utc)


@functools.lru_cache(maxsize=16)
def _from_id(generation_id: str) -> dt.datetime | None:
    # strptime costs about as much as the rest of a cache hit; ids repeat on every request.
    try:
        return dt.datetime.strptime(generation_id, "%Y%m%dT%H%M%S%fZ")
    except ValueError:
        return None
