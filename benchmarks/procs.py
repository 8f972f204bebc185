"""Child processes: run one with its memory sampled, start and stop servers, wait for ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
#: Reading a process's PSS costs kernel time that grows with its memory: 65 to 130 ms for the x1000 build's
#: 3.7 GB tree, so sampling every 0.5 s took about 0.4 of a core from it. The sampler waits at least this many
#: times as long as its last sample took, which keeps it near 5 % of a core however large the tree grows.
SAMPLE_COST_RATIO = 20


def _children(pid: int) -> list[int]:
    """Children of every thread of ``pid`` (bmkg serve starts its query workers from a thread)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(_children(current))
    return found


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared (forked, copy-on-write) pages count once across the tree."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except OSError:
        return 0


def tree_pss_mb(pid: int) -> float:
    return sum(_pss_kb(p) for p in tree(pid)) / 1024


@dataclass
class Measured:
    returncode: int | None
    wall_s: float
    max_rss_mb: float  # the largest single process of the tree (getrusage)
    peak_tree_mb: float  # the largest sampled sum of PSS over the process tree
    stdout: str = ""
    stderr: str = ""
    killed: str | None = None
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds, tree MB), one per sample


def run_measured(command: list[str], *, timeout_s: float, memory_limit_mb: float | None = None,
                 interval_s: float = 0.5, env: dict | None = None, cwd: Path | None = None) -> Measured:
    """Run ``command`` to completion, sampling the memory of its process tree every ``interval_s``, or less
    often when a sample is slow (``SAMPLE_COST_RATIO``).

    The process is killed (and the result says why) past ``timeout_s`` or when the
    tree's memory passes ``memory_limit_mb``. The wall time ends when the process
    does, not at the next sample: a thread waits for it.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, cwd=cwd, start_new_session=True)
    out: dict[str, str] = {}
    readers = [threading.Thread(target=lambda n=n, s=s: out.__setitem__(n, s.read()), daemon=True)
               for n, s in (("stdout", process.stdout), ("stderr", process.stderr))]
    for reader in readers:
        reader.start()
    ended: dict = {}
    finished = threading.Event()

    def reap() -> None:
        _pid, status, usage = os.wait4(process.pid, 0)
        ended.update(wall=time.perf_counter() - started, status=status, usage=usage)
        finished.set()

    threading.Thread(target=reap, daemon=True).start()
    peak, killed, samples, wait = 0.0, None, [], interval_s
    while not finished.wait(wait):
        began = time.perf_counter()
        now = began - started
        current = tree_pss_mb(process.pid)
        wait = max(interval_s, SAMPLE_COST_RATIO * (time.perf_counter() - began))
        if finished.is_set():
            break  # the tree was gone, or half gone, while it was read
        peak = max(peak, current)
        samples.append((round(now, 2), round(current, 1)))
        if memory_limit_mb is not None and current > memory_limit_mb and killed is None:
            killed = f"memory: the process tree passed {memory_limit_mb:.0f} MB ({current:.0f} MB) after {now:.0f} s"
            os.killpg(process.pid, signal.SIGKILL)
        elif now > timeout_s and killed is None:
            killed = f"time: still running after {timeout_s:.0f} s"
            os.killpg(process.pid, signal.SIGKILL)
    process.returncode = os.waitstatus_to_exitcode(ended["status"])
    for reader in readers:
        reader.join(timeout=5)
    usage = ended["usage"]
    return Measured(process.returncode, ended["wall"], usage.ru_maxrss / 1024, max(peak, usage.ru_maxrss / 1024),
                    out.get("stdout", ""), out.get("stderr", ""), killed, samples)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A server process started in its own session, stopped with everything it forked."""

    def __init__(self, name: str, command: list[str], port: int, log: Path, env: dict | None = None,
                 cwd: Path | None = None):
        self.name, self.command, self.port, self.log_path = name, command, port, log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log, "wb")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                        start_new_session=True)

    def alive(self) -> bool:
        return self.process.poll() is None

    def memory_mb(self) -> float:
        return tree_pss_mb(self.process.pid) if self.alive() else 0.0

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
            except ProcessLookupError:
                pass
        self._log.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()
