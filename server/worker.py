"""A query worker: a long-lived process that the server can kill.

pyoxigraph cannot interrupt a running query, so each query runs in one of
these processes and the server kills the process when the query overruns
(point lookups, whose work is bounded, run in the web process: ``server.fastlane``).
The worker opens the current store generation read-only, answers one job at a
time over a pipe, and reopens the store when a job names a newer generation.

Run as ``python -m server.worker READ_FD WRITE_FD PARENT_PID``. It imports
only pyoxigraph and the standard library, so it is ready in about 0.1 s.

Jobs run on a thread with a large stack (``STACK_BYTES``). Oxigraph's parser
and optimiser recurse once per level of nesting and once per element of a
chain (``a || b || ...``, ``BIND`` after ``BIND``, ``UNION`` after ``UNION``),
and on the main thread's 8 MiB stack a few thousand levels overflow it and
kill the process with SIGSEGV. The server's limits (``MAX_QUERY_DEPTH``,
``MAX_QUERY_TOKENS``, see ``server.policy``) keep requests far below what this
stack holds; the stack is address space, and only the pages a query touches
take memory.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from multiprocessing.connection import Connection

import pyoxigraph as ox

from server import results

#: The job thread's stack: 32 times the usual 8 MiB main-thread stack (see the module's docstring).
STACK_BYTES = 256 * 1024 * 1024


class _Worker:
    def __init__(self, prefixes: dict[str, str]):
        self.prefixes = prefixes
        self.path: str | None = None
        self.store: ox.Store | None = None

    def open(self, path: str) -> ox.Store:
        if path != self.path:
            # Drop the old handle first: a generation a build has replaced may
            # be deleted soon after, and nothing should keep reading it.
            self.store = None
            self.store = ox.Store.read_only(path)
            self.path = path
        return self.store

    def query(self, job: dict) -> tuple:
        try:
            store = self.open(job["generation"])
        except Exception as error:  # OSError, or RuntimeError for a damaged database
            return ("error", "store", f"cannot open the store: {error}")
        started = time.perf_counter()
        try:
            result = store.query(job["query"], **_dataset(job))
            body, truncated, rows = results.serialize(result, job["format"], job.get("cap", 0), self.prefixes)
        except SyntaxError as error:
            return ("error", "syntax", str(error))
        except results.UnsupportedFormat as error:
            return ("error", "format", str(error))
        except Exception as error:  # pyoxigraph reports evaluation failures as OSError or ValueError
            return ("error", "evaluation", f"{type(error).__name__}: {error}")
        meta = {"truncated": truncated, "rows": rows, "seconds": time.perf_counter() - started}
        return ("ok", body, meta)

    def write(self, job: dict) -> tuple:
        from server import writer  # imports the ontology package; only writers pay for it

        return writer.apply(job)


def _dataset(job: dict) -> dict:
    """The query's keyword arguments for the job's base IRI and dataset."""
    kwargs = {"base_iri": job.get("base")}
    union, default, named = job.get("union"), job.get("default"), job.get("named")
    if union is not None:
        # the store's default graph (the distinct union of the asserted graphs), with or
        # without ``inferred``: each statement is seen once
        kwargs["default_graph"] = [_graph(g) for g in union]
        if named is not None:
            kwargs["named_graphs"] = [_graph(g) for g in named]
    elif default is not None or named is not None:
        kwargs["default_graph"] = [_graph(g) for g in default or []]
        kwargs["named_graphs"] = [_graph(g) for g in named or []]
    return kwargs


def _graph(iri: str | None):
    """A graph name of a job; None is the store's default graph."""
    return ox.DefaultGraph() if iri is None else ox.NamedNode(iri)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the server process exits."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the worker still exits when the pipe closes
    if os.getppid() != parent:
        os._exit(0)


def main(argv: list[str]) -> int:
    read_fd, write_fd, parent = (int(a) for a in argv[1:4])
    _die_with_parent(parent)
    # The jobs run on a thread with a large stack; the main thread only waits for it.
    outcome = {"status": 1}

    def target() -> None:
        outcome["status"] = serve(read_fd, write_fd)

    try:
        threading.stack_size(STACK_BYTES)
        thread = threading.Thread(target=target, name="bmkg-worker-jobs")
        thread.start()
    except (RuntimeError, ValueError) as error:  # no address space for it (a ulimit -v): the usual stack
        print(f"bmkg worker: no {STACK_BYTES >> 20} MiB stack ({error}); using the main thread's", file=sys.stderr)
        return serve(read_fd, write_fd)
    thread.join()
    return outcome["status"]


def serve(read_fd: int, write_fd: int) -> int:
    """Answer jobs from the pipe until it closes."""
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    try:
        init = inbox.recv()
    except EOFError:
        return 0
    worker = _Worker(init.get("prefixes") or {})
    if init.get("generation"):
        try:
            worker.open(init["generation"])
        except Exception as error:  # OSError, or RuntimeError for a damaged database
            outbox.send(("error", "store", f"cannot open the store: {error}"))
            return 1
    outbox.send(("ready", os.getpid()))
    while True:
        try:
            job = inbox.recv()
        except EOFError:
            return 0
        op = job.get("op")
        if op == "query":
            reply = worker.query(job)
        elif op == "write":
            reply = worker.write(job)
        else:
            reply = ("error", "protocol", f"unknown job {op!r}")
        outbox.send(reply)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
