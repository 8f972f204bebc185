"""Metrics slots (server/metrics.py): one per web process, shared across the fork, reused after a death."""

from __future__ import annotations

import os

import pytest

from server.metrics import Metrics


@pytest.mark.skipif(not hasattr(os, "fork"), reason="web processes are forked")
def test_a_process_that_replaces_a_dead_one_takes_its_slot_and_keeps_its_counts():
    metrics = Metrics(2)
    child = os.fork()
    if child == 0:  # a web process: claims the first slot, counts, dies
        metrics.claim(os.getpid())
        metrics.inc("bmkg_writes_total", 3)
        os._exit(0)
    os.waitpid(child, 0)
    assert metrics.total(("bmkg_writes_total",)) == 3  # written by the child into memory shared with us
    assert metrics.claim(os.getpid()) == 0  # the dead child's slot
    metrics.inc("bmkg_writes_total")
    assert metrics.total(("bmkg_writes_total",)) == 4  # added to what the child left: sums never go down
    assert metrics.claim(os.getpid()) == 1  # slot 0 is held by a live process (this one)
