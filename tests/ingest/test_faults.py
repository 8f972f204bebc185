"""A build killed at any point leaves the served generation intact, and the next build succeeds."""

import os
import random
import signal
import subprocess
import sys
import time

import pyoxigraph
import pytest

from ontology import store

pytestmark = pytest.mark.slow

BUILD = """
import datetime as dt, sys
from pathlib import Path
from ingest.adapters.registry import SOURCES
from ingest.pipeline import Inputs, build
source = SOURCES["bmlist"]
build(Path(sys.argv[1]), Inputs([source], {"bmlist": source.default_path}), dt.date(2026, 11, 27))
"""


def run_build(root, *, kill_after: float | None = None) -> int | None:
    process = subprocess.Popen([sys.executable, "-c", BUILD, str(root)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is None:
        return process.wait(timeout=120)
    time.sleep(kill_after)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return process.returncode


def helpers() -> set[int]:
    """The processes of multiprocessing's forkserver and resource tracker, and those the forkserver forked."""
    found = set()
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as raw:
                command = raw.read()
        except (OSError, ValueError):
            continue
        if b"multiprocessing.forkserver" in command or b"multiprocessing.resource_tracker" in command:
            found.add(int(entry))
    return found


def served(root) -> tuple[str, int]:
    """The current generation and its triple count, read as a server would read them."""
    generation = store.current(root)
    oxigraph = pyoxigraph.Store.read_only(str(generation.oxigraph))
    count = int(next(iter(oxigraph.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))["n"].value)
    return generation.id, count


def test_sigkill_at_random_points_never_damages_the_served_generation(tmp_path):
    root = tmp_path / "store"
    started = time.perf_counter()
    assert run_build(root) == 0
    duration = time.perf_counter() - started
    good_id, good_count = served(root)
    rng = random.Random(20261127)
    killed = 0
    for _trial in range(10):
        before = helpers()
        code = run_build(root, kill_after=rng.uniform(0.05, duration))
        killed += code == -signal.SIGKILL
        # the build's pool processes end with it rather than wait for tasks forever (ontology/lifeline.py),
        # and then its forkserver and resource tracker
        deadline = time.monotonic() + 10
        while helpers() - before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert helpers() - before == set()
        generation_id, count = served(root)
        # Either the old generation is still served, or the build had finished and
        # published a complete new one; never anything in between.
        assert count == good_count
        if code == -signal.SIGKILL:
            assert generation_id == good_id or store.current(root).summary()
        good_id = generation_id
        assert not list((root / store.GENERATIONS).glob("*.partial")) or code == -signal.SIGKILL
    assert killed >= 8, "most trials must really kill a build in progress"
    assert run_build(root) == 0
    assert served(root)[1] == good_count
    assert not list((root / store.GENERATIONS).glob("*.partial"))
