"""A pool of killable query workers (see ``server.worker``).

Each web process owns a small pool. A request checks out an idle worker,
sends it one job and waits for the reply up to the timeout. On a timeout the
worker is killed, the request gets ``QueryTimeout``, and a fresh worker is
started in the background; other requests keep their own workers meanwhile.
Workers are plain subprocesses with two pipes, not ``multiprocessing``
children, so nothing is forked from a threaded web process and a worker
starts without importing Flask or rdflib.

For a generation the caller wants read from memory (``copy``), the pool also
starts a zygote (``server.worker``): a process that copies the generation into
memory once and forks workers sharing the copy. Until the zygote is ready, and
if it fails, workers are spawned as above; once it is ready, idle spawned
workers are replaced by forked ones. A zygote is replaced with the generation,
and lives on until the last worker it forked is gone.

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
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from server.worker import receive_exactly, receive_message, send_message

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


class _Forked:
    """A worker a zygote forked, with the part of ``subprocess.Popen`` the pool uses.

    It is the zygote's child, not this process's, so it is watched and killed through a pidfd,
    which cannot reach another process that later gets the same pid.
    """

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # gone already
            self._fd, self.returncode = None, -signal.SIGKILL

    def poll(self) -> int | None:
        if self.returncode is None and self._fd is not None and select.select([self._fd], [], [], 0)[0]:
            self.returncode = -signal.SIGKILL  # the exit status is the zygote's to read; the worker is gone
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self._fd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait(self) -> int:
        if self._fd is not None:
            select.select([self._fd], [], [])
            os.close(self._fd)
            self._fd = None
            self.returncode = -signal.SIGKILL if self.returncode is None else self.returncode
        return self.returncode


class _Zygote:
    """The pool's handle on a zygote process (``server.worker.zygote``) for the generation at ``location``."""

    def __init__(self, location: str):
        self.location = location
        self.popen: subprocess.Popen | None = None
        self.channel: socket.socket | None = None
        self.ready = False
        self.children = 0  # live workers it forked
        self.retired = False  # replaced: closed once its last worker is gone
        self._lock = threading.Lock()
        self._closed = False

    def fork(self) -> tuple[_Forked, Connection, Connection]:
        """A new worker: its process handle, and the pipe ends to read its replies and send it jobs."""
        job_read, job_write = os.pipe()
        reply_read, reply_write = os.pipe()
        try:
            with self._lock:
                if self._closed or self.channel is None:
                    raise OSError("the zygote is closed")
                socket.send_fds(self.channel, [b"F"], [job_read, reply_write])
                (pid,) = struct.unpack("!q", receive_exactly(self.channel, 8))
                if pid > 0:
                    self.children += 1
        except (OSError, EOFError) as error:
            for fd in (job_write, reply_read):
                os.close(fd)
            raise WorkerFailed(f"the zygote could not fork a query worker: {error}") from error
        finally:
            os.close(job_read)
            os.close(reply_write)
        if pid <= 0:
            for fd in (job_write, reply_read):
                os.close(fd)
            raise WorkerFailed("the zygote could not fork a query worker")
        return _Forked(pid), Connection(reply_read, writable=False), Connection(job_write, readable=False)

    def child_gone(self) -> None:
        with self._lock:
            self.children -= 1
            last = self.retired and self.children <= 0
        if last:
            self.close()

    def retire(self) -> None:
        with self._lock:
            self.retired = True
            last = self.children <= 0
        if last:
            self.close()

    def close(self) -> None:
        """Stop the zygote; the workers it forked die with it (PR_SET_PDEATHSIG)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.ready = False
        if self.channel is not None:
            self.channel.close()
        if self.popen is not None:
            self.popen.kill()
            self.popen.wait()


@dataclass(eq=False)  # identity semantics: processes go in sets
class _Process:
    popen: subprocess.Popen | _Forked
    inbox: Connection
    outbox: Connection
    zygote: _Zygote | None = None  # the zygote that forked it, whose in-memory copy it reads
    location: str | None = None  # the generation it opened first
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
        if self.zygote is not None:
            self.zygote.child_gone()


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
        copy: Callable[[str], bool] | None = None,
        copy_timeout: float = 300.0,
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
        self._copy = copy  # whether a generation (the path of its database) should be read from memory
        self._copy_timeout = copy_timeout  # the longest a zygote may take to copy its generation
        self._copy_wanted: dict[str, bool] = {}
        self._zygote: _Zygote | None = None

    # -- public -----------------------------------------------------------------

    def start(self, wait: int | None = None) -> None:
        """Start the whole pool now rather than on first use.

        Returns once ``wait`` workers (default: all) are ready; the others
        finish starting in the background.
        """
        self._reset_after_fork()
        self._follow(self._generation())
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
            self._follow(job.get("generation"))
        except (EOFError, OSError) as error:
            self._discard(process)
            raise WorkerFailed(f"the query worker died ({error or 'no reply'})") from error
        except BaseException:
            if process in self._live:
                self._discard(process)
            raise
        self._checkin(process, job.get("generation"))
        return reply

    def stats(self) -> dict:
        with self._cond:
            stats = {"size": self.size, "live": len(self._live), "idle": len(self._idle),
                     "in_memory": sum(1 for process in self._live if process.zygote is not None)}
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
            zygote, self._zygote = (self._zygote if os.getpid() == self._pid else None), None
        for process in processes:
            process.kill()
        if zygote is not None:
            zygote.close()
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
            self._zygote = None  # the parent's, which this process must not use

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

    def _checkin(self, process: _Process, location: str | None = None) -> None:
        """Make ``process`` idle again. If the generation of its last job (``location``; else the one it
        opened) has a ready zygote whose copy it does not read, a worker forked by the zygote takes its place."""
        zygote = self._zygote
        if zygote is not None and zygote.ready and process.zygote is not zygote \
                and zygote.location == (location or process.location):
            self._retire([process])
            return
        with self._cond:
            if self._closed or process not in self._live:
                closed = True
            else:
                closed = False
                self._idle.append(process)
                self._cond.notify()
        if closed:
            process.kill()

    def _retire(self, processes: list[_Process]) -> None:
        """Replace ``processes`` (live, not running a job) with new workers; not a restart."""
        with self._cond:
            for process in processes:
                if process in self._idle:
                    self._idle.remove(process)
                self._live.discard(process)
                self._count -= 1
            self._cond.notify_all()
            closed = self._closed
        for process in processes:
            process.kill()
            if not closed:
                threading.Thread(target=self._replenish, name="bmkg-worker-replace", daemon=True).start()

    def _follow(self, location: str | None) -> None:
        """Start a zygote for the generation at ``location`` if it should be read from memory and has none."""
        zygote = self._zygote
        if self._copy is None or location is None or (zygote is not None and zygote.location == location):
            return
        wanted = self._copy_wanted.get(location)
        if wanted is None:
            if len(self._copy_wanted) > 16:
                self._copy_wanted.clear()
            try:
                wanted = bool(self._copy(location))
            except Exception as error:  # a summary that cannot be read: the store on disk
                log.warning("cannot tell whether to copy %s into memory: %s", location, error)
                wanted = False
            self._copy_wanted[location] = wanted
        with self._cond:
            old = self._zygote
            if self._closed or (old is not None and old.location == location) or (old is None and not wanted):
                return
            self._zygote = new = _Zygote(location) if wanted else None
        if old is not None:
            old.retire()
        if new is not None:
            threading.Thread(target=self._start_zygote, args=(new,), name="bmkg-zygote-start", daemon=True).start()

    def _start_zygote(self, zygote: _Zygote) -> None:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_SOURCE_ROOT, env.get("PYTHONPATH")) if p)
        command = [sys.executable, "-m", "server.worker", "zygote", str(theirs.fileno()), str(os.getpid())]
        began = time.monotonic()
        try:
            try:
                zygote.popen = self._spawn_thread().submit(
                    subprocess.Popen, command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env
                ).result()
            finally:
                theirs.close()
            zygote.channel = ours
            send_message(ours, {"prefixes": self._prefixes, "generation": zygote.location})
            ours.settimeout(self._copy_timeout)
            reply = receive_message(ours)
            ours.settimeout(None)
            if "ready" not in reply:
                raise WorkerFailed(reply.get("error", "no answer"))
        except (OSError, EOFError, RuntimeError, ValueError, WorkerFailed) as error:
            log.warning("query workers read %s on disk: its copy into memory failed: %s", zygote.location, error)
            ours.close()
            zygote.close()
            return
        with self._cond:
            current = self._zygote is zygote and not self._closed
            if current:
                zygote.ready = True
                stale = [process for process in self._idle if process.zygote is not zygote]
        if not current:
            zygote.close()
            return
        log.info("query workers read an in-memory copy of %s (%d statements, %.1f s)",
                 zygote.location, reply.get("statements", 0), time.monotonic() - began)
        self._retire(stale)

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

    def _launch(self) -> tuple[subprocess.Popen | _Forked, Connection, Connection, _Zygote | None, str | None]:
        """A new worker, not yet ready: its process, reply and job pipes, the zygote that forked it, and the
        generation it opens."""
        location = self._generation()
        self._follow(location)  # so that a zygote of an older generation is not the one waited for
        zygote = self._zygote
        if zygote is not None and zygote.ready and zygote.location == location:
            try:
                launched = zygote.fork()
            except WorkerFailed as error:  # spawned workers from now on, not a retry each time
                log.warning("query workers read %s on disk: %s", location, error)
                zygote.close()
            else:
                forked, inbox, outbox = launched
                outbox.send({"prefixes": self._prefixes, "generation": location})  # a pipe: cannot block here
                return forked, inbox, outbox, zygote, location
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
        outbox.send({"prefixes": self._prefixes, "generation": location})
        return popen, inbox, outbox, None, location

    def _handshake(self, launched: tuple) -> _Process:
        """``launched``: what ``_launch`` returns."""
        process = _Process(*launched)
        try:
            ready = process.inbox.poll(self._startup_timeout)
            reply = process.inbox.recv() if ready else ("error", "start", "no answer")
        except (EOFError, OSError) as error:
            reply = ("error", "start", f"exited with {process.popen.poll()} ({error or 'no reply'})")
        if reply[0] != "ready":
            process.kill()
            raise WorkerFailed(f"a query worker could not start: {reply[-1]}")
        with self._cond:
            self._live.add(process)
        return process
