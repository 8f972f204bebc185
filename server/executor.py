"""A pool of killable query workers (see ``server.worker``).

Each web process owns a small pool. A request checks out an idle worker,
sends it one job and waits for the reply up to the timeout. On a timeout the
worker is killed, the request gets ``QueryTimeout``, and a fresh worker is
started in the background; other requests keep their own workers meanwhile.
Workers are plain subprocesses with two pipes, not ``multiprocessing``
children, so nothing is forked from a threaded web process and a worker
starts without importing Flask or rdflib.
"""

from __future__ import annotations

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
    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"the query ran longer than the server's limit of {seconds:g} s and was stopped")


class PoolBusy(ExecutorError):
    pass


class WorkerFailed(ExecutorError):
    pass


@dataclass(eq=False)  # identity semantics: processes go in sets
class _Process:
    popen: subprocess.Popen
    inbox: Connection
    outbox: Connection
    started: float = field(default_factory=time.monotonic)

    def kill(self) -> None:
        try:
            self.popen.kill()
        except ProcessLookupError:
            pass
        self.popen.wait()
        self.inbox.close()
        self.outbox.close()


class Executor:
    """Runs jobs in up to ``size`` worker processes of this web process."""

    def __init__(
        self,
        size: int,
        generation: Callable[[], str | None],
        prefixes: dict[str, str] | None = None,
        on_event: Callable[[str], None] | None = None,
        startup_timeout: float = 20.0,
    ):
        self.size = size
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

    def run(self, job: dict, timeout: float) -> tuple:
        """Send ``job`` to a worker and return its reply.

        Waits up to ``timeout`` for a free worker (``PoolBusy``), then up to
        ``timeout`` for the reply (``QueryTimeout``, and the worker is killed).
        """
        deadline = time.monotonic() + timeout
        for _ in range(3):
            process = self._checkout(deadline)
            try:
                process.outbox.send(job)
                break
            except OSError:  # died while idle; the job never reached it, so another worker may run it
                self._discard(process)
        else:
            raise WorkerFailed("no query worker could take the job")
        try:
            if not process.inbox.poll(timeout):
                self._discard(process)
                self._on_event("timeout")
                raise QueryTimeout(timeout)
            reply = process.inbox.recv()
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
            return {"size": self.size, "live": len(self._live), "idle": len(self._idle)}

    def close(self, wait: bool = False) -> None:
        """Kill the workers; ``wait`` also waits for the spawning thread to end."""
        with self._cond:
            self._closed = True
            processes = list(self._live) if os.getpid() == self._pid else []
            self._live.clear()
            self._idle.clear()
            self._count = 0
            self._cond.notify_all()
        for process in processes:
            process.kill()
        if self._spawner is not None and os.getpid() == self._pid:
            self._spawner.shutdown(wait=wait)

    # -- internals ----------------------------------------------------------------

    def _reset_after_fork(self) -> None:
        # A forked web process inherits the parent's bookkeeping but not its
        # workers: start from an empty pool.
        if os.getpid() != self._pid:
            self._pid = os.getpid()
            self._idle, self._live, self._count = [], set(), 0
            self._cond = threading.Condition()
            self._spawner = None

    def _spawn_thread(self) -> ThreadPoolExecutor:
        # Workers ask Linux to kill them when their parent goes (PR_SET_PDEATHSIG),
        # and Linux means the parent *thread*. So every worker is started from
        # this one thread, which lives as long as the process, and never from a
        # request thread or a short-lived helper.
        with self._cond:
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
            log.warning("could not replace a query worker: %s", error)
            with self._cond:
                self._count -= 1
                self._cond.notify()

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
        except OSError as error:
            for fd in (job_read, job_write, reply_read, reply_write):
                os.close(fd)
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
