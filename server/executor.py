"""A pool of killable query workers (see ``server.worker``).

Each web process owns a small pool. A request checks out an idle worker,
sends it one job and waits for the reply up to the timeout. On a timeout the
worker is killed, the request gets ``QueryTimeout``, and a fresh worker is
started in the background; other requests keep their own workers meanwhile.
Workers are plain subprocesses with two pipes, not ``multiprocessing``
children, so nothing is forked from a threaded web process and a worker
starts without importing Flask or rdflib.

Jobs are admitted by lane (``Admission``): at most ``size`` jobs run in the
general lane at once, and ``reserved`` more workers are kept for jobs the
caller marks cheap (or that recently ran under ``SHORT_S``), so a cheap query
still finds a worker while slow ones hold the general workers. Waiting jobs
get a freed worker in order of rank: arrival, later by what the same query
recently cost (``Costs``). A job has one deadline, from the request's arrival:
the time it waits for a worker counts against it.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

log = logging.getLogger(__name__)

_SOURCE_ROOT = str(Path(__file__).resolve().parent.parent)


class ExecutorError(Exception):
    """A job could not be run to completion."""


class QueryTimeout(ExecutorError):
    """The job overran its deadline and was stopped.

    >>> str(QueryTimeout(30, waited=25.04))
    "the query ran longer than the server's limit of 30 s (25.0 s of it waiting for a free query worker) and was stopped"
    >>> str(QueryTimeout(30, lane_limit=5))
    'the query ran longer than the 5 s allowed on the query worker kept for cheap queries (the other workers were busy) and was stopped; retry later'
    """

    def __init__(self, seconds: float, waited: float = 0.0, lane_limit: float | None = None):
        self.seconds = seconds
        self.waited = waited
        self.lane_limit = lane_limit
        if lane_limit is not None:
            message = (f"the query ran longer than the {lane_limit:g} s allowed on the query worker kept for cheap"
                       f" queries (the other workers were busy) and was stopped; retry later")
        elif waited >= 0.05:
            message = (f"the query ran longer than the server's limit of {seconds:g} s ({waited:.1f} s of it waiting"
                       f" for a free query worker) and was stopped")
        else:
            message = f"the query ran longer than the server's limit of {seconds:g} s and was stopped"
        super().__init__(message)


class PoolBusy(ExecutorError):
    pass


GENERAL, RESERVED = "general", "reserved"

#: A query whose recent runs took less than this may also use the workers kept for cheap queries.
SHORT_S = 0.05


class Admission:
    """Two lanes of work: ``general`` slots for every job, ``reserved`` ones only for cheap jobs.

    A cheap job takes a general slot when one is free and a reserved one
    otherwise, so the reserved slots stay free for the moment the general ones
    are all held (by slow queries, say).

    >>> lanes = Admission(1, 1)
    >>> lanes.acquire(False, time.monotonic() + 1), lanes.acquire(True, time.monotonic() + 1)
    ('general', 'reserved')
    >>> lanes.acquire(False, time.monotonic())
    Traceback (most recent call last):
    ...
    server.executor.PoolBusy: all 1 query workers stayed busy
    """

    def __init__(self, general: int, reserved: int = 0, what: str = "query workers"):
        self.general = general
        self.reserved = reserved
        self._what = what
        self._busy = {GENERAL: 0, RESERVED: 0}
        self._cond = threading.Condition()
        self._waiting: list[tuple[float, int, bool]] = []  # (rank, ticket, cheap), sorted
        self._tickets = itertools.count()

    def acquire(self, cheap: bool, deadline: float, rank: float | None = None) -> str:
        """A lane for a job, waiting until ``deadline`` (``PoolBusy`` past it).

        Waiting jobs take a freed lane in the order of ``rank`` (default: when they
        asked), the lowest first among those that may use it.
        """
        with self._cond:
            entry = (time.monotonic() if rank is None else rank, next(self._tickets), cheap)
            bisect.insort(self._waiting, entry)
            try:
                while True:
                    first = self._waiting[0] is entry
                    first_cheap = cheap and (first or next(w for w in self._waiting if w[2]) is entry)
                    if first and self._busy[GENERAL] < self.general:
                        lane = GENERAL
                    elif first_cheap and self._busy[GENERAL] >= self.general and self._busy[RESERVED] < self.reserved:
                        lane = RESERVED
                    else:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise PoolBusy(f"all {self.general} {self._what} stayed busy")
                        self._cond.wait(remaining)
                        continue
                    self._busy[lane] += 1
                    return lane
            finally:
                self._waiting.remove(entry)
                self._cond.notify_all()  # the next in rank may now be first

    def release(self, lane: str) -> None:
        with self._cond:
            self._busy[lane] -= 1
            self._cond.notify_all()  # waiters differ in which lanes they may take

    def busy(self) -> dict[str, int]:
        with self._cond:
            return dict(self._busy)


class Costs:
    """What recent queries took to run, to rank the queue for query workers: a job's rank is when
    its request arrived plus ``weight`` times its expected run time, at most ``longest`` (a third of
    the timeout, by the executor). Short queries pass long ones, as they do on an engine that runs
    every request at once, but a long one is passed only by jobs that arrive within that delay
    after it, so none waits without bound.

    >>> costs = Costs(weight=4, prior=0.5)
    >>> costs.rank(10.0, "new query"), costs.rank(10.0, None), costs.rank(10.0, "new query", longest=1.0)
    (12.0, 10.0, 11.0)
    >>> costs.record("q", 1.0); costs.record("q", 0.0); costs.rank(10.0, "q")
    12.0
    """

    def __init__(self, weight: float = 16.0, prior: float = 0.25, size: int = 4096):
        self.weight = weight
        self.prior = prior  # a query not seen yet: neither first nor last
        self.size = size
        self._seconds: dict = {}
        self._lock = threading.Lock()

    def rank(self, arrived: float, key, longest: float | None = None) -> float:
        if key is None:
            return arrived
        with self._lock:
            seconds = self._seconds.get(key, self.prior)
        delay = self.weight * seconds
        return arrived + (delay if longest is None else min(delay, longest))

    def short(self, key, limit: float) -> bool:
        """Whether the query's recent runs took under ``limit`` seconds."""
        with self._lock:
            seconds = self._seconds.get(key)
        return seconds is not None and seconds < limit

    def record(self, key, seconds: float) -> None:
        if key is None:
            return
        with self._lock:
            before = self._seconds.pop(key, None)
            if before is None and len(self._seconds) >= self.size:
                del self._seconds[next(iter(self._seconds))]  # the least recently run
            self._seconds[key] = seconds if before is None else (before + seconds) / 2


def _cost_key(job: dict):
    """Jobs that cost the same to run: one query over one dataset, in any result format."""
    if job.get("op") != "query":
        return None
    union, default, named = job.get("union"), job.get("default"), job.get("named")
    return (job.get("query"), job.get("base"), tuple(union) if isinstance(union, list) else union,
            tuple(default or ()), tuple(named or ()))


class WorkerFailed(ExecutorError):
    pass


@dataclass(eq=False)  # identity semantics: processes go in sets
class _Process:
    popen: subprocess.Popen
    inbox: Connection
    outbox: Connection
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _killed: bool = False

    def kill(self) -> None:
        """Kill the process and close its pipes, once: close() and the thread running a job may both try."""
        with self._lock:
            if self._killed:
                return
            self._killed = True
            try:
                self.popen.kill()
            except ProcessLookupError:
                pass
            self.popen.wait()
            self.inbox.close()  # twice would close whatever file got the descriptor in between
            self.outbox.close()


class Executor:
    """Runs jobs in ``size`` worker processes of this web process, plus ``reserved`` kept for cheap jobs."""

    def __init__(
        self,
        size: int,
        generation: Callable[[], str | None],
        prefixes: dict[str, str] | None = None,
        on_event: Callable[[str], None] | None = None,
        startup_timeout: float = 20.0,
        reserved: int = 0,
        reserved_timeout: float | None = None,
        queue_weight: float = 16.0,
    ):
        self.general = size
        self.reserved = reserved
        self.reserved_timeout = reserved_timeout
        self.size = size + reserved  # worker processes
        self._admission = Admission(size, reserved)
        self.costs = Costs(weight=queue_weight)
        self._generation = generation
        self._prefixes = prefixes or {}
        self._on_event = on_event or (lambda name: None)
        self._startup_timeout = startup_timeout
        self._cond = threading.Condition()
        self._idle: list[_Process] = []
        self._live: set[_Process] = set()
        self._count = 0  # live workers plus those being started
        self._pid = os.getpid()
        self._closed = False
        self._spawner: ThreadPoolExecutor | None = None

    # -- public -----------------------------------------------------------------

    def start(self, wait: int | None = None) -> None:
        """Start the whole pool now rather than on first use.

        Returns once ``wait`` workers (default: all) are ready; the others
        finish starting in the background.
        """
        self._reset_after_fork()
        with self._cond:
            missing = self.size - self._count
            self._count += missing
        launched = []
        try:
            for _ in range(missing):
                launched.append(self._launch())
        except WorkerFailed:
            self._forget(missing - len(launched))
            for launch in launched:
                self._finish_start(launch, quiet=True)
            raise
        now = launched if wait is None else launched[:wait]
        for launch in launched[len(now):]:
            threading.Thread(target=self._finish_start, args=(launch,), name="bmkg-worker-start", daemon=True).start()
        errors = [error for error in (self._finish_start(launch, quiet=True) for launch in now) if error is not None]
        if errors:
            raise errors[0]

    def _finish_start(self, launch, quiet: bool = False) -> WorkerFailed | None:
        try:
            self._checkin(self._handshake(launch))
        except WorkerFailed as error:
            self._forget(1)
            if not quiet:  # nobody else will hear of it
                log.warning("%s", error)
            return error
        return None

    def _forget(self, count: int) -> None:
        with self._cond:
            self._count -= count
            self._cond.notify_all()

    def run(self, job: dict, timeout: float, *, deadline: float | None = None, cheap: bool = False) -> tuple:
        """Send ``job`` to a worker and return its reply.

        ``deadline`` (``time.monotonic()``; default: ``timeout`` from now) bounds the
        wait for a free worker and the run together: past it while waiting,
        ``PoolBusy``; while running, ``QueryTimeout`` and the worker is killed.
        A ``cheap`` job may also take a reserved worker, for at most
        ``reserved_timeout`` seconds.
        """
        self._reset_after_fork()
        arrived = time.monotonic()
        deadline = arrived + timeout if deadline is None else deadline
        key = _cost_key(job)
        cheap = cheap or (self.reserved_timeout is not None and self.costs.short(key, SHORT_S))
        lane = self._admission.acquire(cheap, deadline, self.costs.rank(deadline - timeout, key, longest=timeout / 3))
        try:
            return self._run(job, timeout, deadline, lane, arrived, key)
        finally:
            self._admission.release(lane)

    def _run(self, job: dict, timeout: float, deadline: float, lane: str, arrived: float, key=None) -> tuple:
        lane_limit = None
        if lane == RESERVED and self.reserved_timeout is not None:
            if time.monotonic() + self.reserved_timeout < deadline:
                lane_limit = self.reserved_timeout
                deadline = time.monotonic() + self.reserved_timeout
        for _ in range(3):
            process = self._checkout(deadline)
            if time.monotonic() >= deadline:  # the wait used all the time: the job never ran, so no worker dies
                self._checkin(process)
                raise PoolBusy(f"no query worker was free within the server's limit of {timeout:g} s")
            try:
                process.outbox.send(job)
                break
            except OSError:  # died while idle; the job never reached it, so another worker may run it
                self._discard(process)
        else:
            raise WorkerFailed("no query worker could take the job")
        sent = time.monotonic()
        try:
            if not process.inbox.poll(max(0.0, deadline - sent)):
                self._discard(process)
                self._on_event("timeout")
                self.costs.record(key, time.monotonic() - sent)
                raise QueryTimeout(timeout, waited=sent - arrived, lane_limit=lane_limit)
            reply = process.inbox.recv()
            self.costs.record(key, time.monotonic() - sent)
        except (EOFError, OSError) as error:
            self._discard(process)
            raise WorkerFailed(f"the query worker died ({error or 'no reply'})") from error
        except BaseException:
            if process in self._live:
                self._discard(process)
            raise
        self._checkin(process)
        return reply

    def stats(self) -> dict:
        with self._cond:
            stats = {"size": self.size, "live": len(self._live), "idle": len(self._idle)}
        if self.reserved:
            stats["reserved"] = self.reserved
        return stats

    def close(self, wait: bool = False) -> None:
        """Kill the workers; ``wait`` also waits for the spawning thread to end."""
        with self._cond:
            self._closed = True
            processes = list(self._live) if os.getpid() == self._pid else []
            self._live.clear()
            self._idle.clear()
            self._count = 0
            self._cond.notify_all()
            spawner = self._spawner if os.getpid() == self._pid else None
        for process in processes:
            process.kill()
        if spawner is not None:
            spawner.shutdown(wait=wait)

    # -- internals ----------------------------------------------------------------

    def _reset_after_fork(self) -> None:
        # A forked web process inherits the parent's bookkeeping but not its
        # workers: start from an empty pool.
        if os.getpid() != self._pid:
            self._pid = os.getpid()
            self._idle, self._live, self._count = [], set(), 0
            self._cond = threading.Condition()
            self._spawner = None
            self._admission = Admission(self.general, self.reserved)

    def _spawn_thread(self) -> ThreadPoolExecutor:
        # Workers ask Linux to kill them when their parent goes (PR_SET_PDEATHSIG),
        # and Linux means the parent *thread*. So every worker is started from
        # this one thread, which lives as long as the process, and never from a
        # request thread or a short-lived helper.
        with self._cond:
            if self._closed:
                raise WorkerFailed("the query executor is shut down")
            if self._spawner is None:
                self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bmkg-spawner")
            return self._spawner

    def _checkout(self, deadline: float) -> _Process:
        self._reset_after_fork()
        with self._cond:
            while True:
                if self._closed:
                    raise WorkerFailed("the query executor is shut down")
                if self._idle:
                    process = self._idle.pop()
                    if process.popen.poll() is None:
                        return process
                    process.kill()  # died while idle: reap it, forget it and look again
                    self._live.discard(process)
                    self._count -= 1
                    self._on_event("restart")
                    continue
                if self._count < self.size:
                    self._count += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolBusy(f"all {self.size} query workers stayed busy")
                self._cond.wait(remaining)
        try:
            return self._handshake(self._launch())
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _checkin(self, process: _Process) -> None:
        with self._cond:
            if self._closed or process not in self._live:
                closed = True
            else:
                closed = False
                self._idle.append(process)
                self._cond.notify()
        if closed:
            process.kill()

    def _discard(self, process: _Process) -> None:
        process.kill()
        with self._cond:
            self._live.discard(process)
            self._count -= 1
            self._cond.notify()
            closed = self._closed
        self._on_event("restart")
        if not closed:
            threading.Thread(target=self._replenish, name="bmkg-worker-replace", daemon=True).start()

    def _replenish(self) -> None:
        with self._cond:
            if self._closed or self._count >= self.size:
                return
            self._count += 1
        try:
            self._checkin(self._handshake(self._launch()))
        except WorkerFailed as error:
            with self._cond:
                closed = self._closed
                if not closed:
                    self._count -= 1
                    self._cond.notify()
            if not closed:  # after close() there is nothing to replace, and nothing to say
                log.warning("could not replace a query worker: %s", error)

    def _launch(self) -> tuple[subprocess.Popen, Connection, Connection]:
        job_read, job_write = os.pipe()
        reply_read, reply_write = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_SOURCE_ROOT, env.get("PYTHONPATH")) if p)
        command = [sys.executable, "-m", "server.worker", str(job_read), str(reply_write), str(os.getpid())]
        try:
            popen = self._spawn_thread().submit(
                subprocess.Popen, command, pass_fds=(job_read, reply_write), stdin=subprocess.DEVNULL, env=env
            ).result()
        except (OSError, RuntimeError, WorkerFailed) as error:
            # RuntimeError: the spawning thread was shut down by close() meanwhile
            # ("cannot schedule new futures after shutdown").
            for fd in (job_read, job_write, reply_read, reply_write):
                os.close(fd)
            if isinstance(error, WorkerFailed):
                raise
            if isinstance(error, RuntimeError):
                raise WorkerFailed("the query executor is shut down") from error
            raise WorkerFailed(f"cannot start a query worker: {error}") from error
        os.close(job_read)
        os.close(reply_write)
        outbox = Connection(job_write, readable=False)
        inbox = Connection(reply_read, writable=False)
        outbox.send({"prefixes": self._prefixes, "generation": self._generation()})
        return popen, inbox, outbox

    def _handshake(self, launched: tuple[subprocess.Popen, Connection, Connection]) -> _Process:
        popen, inbox, outbox = launched
        process = _Process(popen, inbox, outbox)
        try:
            ready = inbox.poll(self._startup_timeout)
            reply = inbox.recv() if ready else ("error", "start", "no answer")
        except (EOFError, OSError) as error:
            reply = ("error", "start", f"exited with {popen.poll()} ({error or 'no reply'})")
        if reply[0] != "ready":
            process.kill()
            raise WorkerFailed(f"a query worker could not start: {reply[-1]}")
        with self._cond:
            self._live.add(process)
        return process
