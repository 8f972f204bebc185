"""The build's memory sampler: it finds the peak, and it samples less often when a sample is slow."""

from __future__ import annotations

import sys
import time

from benchmarks import harness, procs

ALLOCATE = [sys.executable, "-c", "import time; block = bytearray(200 * 1024 * 1024); time.sleep(2)"]
SLEEP = [sys.executable, "-c", "import time; time.sleep(3)"]


def test_the_peak_includes_what_the_child_holds():
    measured = procs.run_measured(ALLOCATE, timeout_s=60, interval_s=0.1)
    assert measured.returncode == 0 and measured.killed is None
    assert measured.peak_tree_mb >= 200
    assert max(mb for _, mb in measured.samples) >= 200


def test_a_slow_sample_stretches_the_wait(monkeypatch):
    fast = procs.run_measured(SLEEP, timeout_s=60, interval_s=0.1)
    real = procs.tree_pss_mb

    def slow(pid):  # a sample as slow as one of a tree of several GB
        time.sleep(0.05)
        return real(pid)

    monkeypatch.setattr(procs, "tree_pss_mb", slow)
    paced = procs.run_measured(SLEEP, timeout_s=60, interval_s=0.1)
    # 0.1 s apart when a sample is quick; about SAMPLE_COST_RATIO x 0.05 s = 1 s apart when it is slow
    assert len(fast.samples) >= 6
    assert 1 <= len(paced.samples) <= 5
    gaps = [b[0] - a[0] for a, b in zip(paced.samples, paced.samples[1:])]
    assert all(gap >= 0.9 for gap in gaps)


def test_the_memory_curve_keeps_about_one_sample_a_second():
    samples = [(0.5, 10.0), (1.0, 11.0), (1.5, 12.0), (2.6, 13.0), (2.9, 14.0)]
    assert harness._about_one_a_second(samples) == [(0.5, 10.0), (1.5, 12.0), (2.6, 13.0)]
    assert harness._about_one_a_second([]) == []
