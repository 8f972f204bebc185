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

A small read-only generation is read faster from memory than from disk (about
twice as fast, BENCHMARKS.md, issue 21), but a worker that copied it would pay
the copy again each time a timeout kills it. So a *zygote* makes the copy once:
run as ``python -m server.worker zygote SOCKET_FD PARENT_PID``, it copies the
generation into an in-memory store, then forks a worker for each request on
the socket. The forked workers start in milliseconds with the copy's pages
shared with the zygote (until queries touch them: the pages are copied on
write), and answer jobs as above. The zygote opened RocksDB to make the copy,
and a fork carries none of RocksDB's background threads; a forked worker
given a job of a newer generation opens it from disk all the same (tested in
tests/server/test_executor.py) until a worker of a new zygote replaces it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
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

    def copy(self, path: str) -> None:
        """Read ``path`` from an in-memory copy of every graph from now on."""
        memory = ox.Store()
        memory.bulk_load(ox.Store.read_only(path).dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        self.store, self.path = memory, path

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
    if argv[1:2] == ["zygote"]:
        sock_fd, parent = int(argv[2]), int(argv[3])
        _die_with_parent(parent)
        return zygote(socket.socket(fileno=sock_fd))
    read_fd, write_fd, parent = (int(a) for a in argv[1:4])
    _die_with_parent(parent)
    return _on_large_stack(lambda: serve(read_fd, write_fd))


def _on_large_stack(run: Callable[[], int]) -> int:
    """``run()`` on a thread with a large stack; the calling thread only waits for it."""
    outcome = {"status": 1}

    def target() -> None:
        outcome["status"] = run()

    try:
        threading.stack_size(STACK_BYTES)
        thread = threading.Thread(target=target, name="bmkg-worker-jobs")
        thread.start()
    except (RuntimeError, ValueError) as error:  # no address space for it (a ulimit -v): the usual stack
        print(f"bmkg worker: no {STACK_BYTES >> 20} MiB stack ({error}); using the main thread's", file=sys.stderr)
        return run()
    thread.join()
    return outcome["status"]


def zygote(channel: socket.socket) -> int:
    """Copy a generation into memory, then fork a worker sharing the copy for each request.

    The socket carries, from the executor: the init message (``send_message``), then for each worker
    one byte with the worker's two pipe ends (job read, reply write) attached; to the executor: a
    message saying ready (or why not), then each forked worker's pid (8 bytes).
    """
    try:
        init = receive_message(channel)
    except (EOFError, OSError):
        return 0
    worker = _Worker(init.get("prefixes") or {})
    try:
        worker.copy(init["generation"])
    except Exception as error:  # OSError, RuntimeError for a damaged database, MemoryError
        send_message(channel, {"error": f"cannot copy the store into memory: {type(error).__name__}: {error}"})
        return 1
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers; the executor watches them by pidfd
    send_message(channel, {"ready": os.getpid(), "statements": len(worker.store)})
    me = os.getpid()
    while True:
        try:
            request, fds, _flags, _address = socket.recv_fds(channel, 1, 2)
        except OSError:
            return 0
        if not request:  # the executor closed its end
            return 0
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            channel.sendall(struct.pack("!q", -1))
            continue
        pid = os.fork()
        if pid == 0:  # the worker: the job loop of a spawned one, on the copy
            status = 1
            try:
                channel.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _die_with_parent(me)
                status = _on_large_stack(lambda: serve(fds[0], fds[1], worker))
            finally:
                os._exit(status)
        for fd in fds:
            os.close(fd)
        channel.sendall(struct.pack("!q", pid))


def send_message(channel: socket.socket, message: dict) -> None:
    data = json.dumps(message).encode("utf-8")
    channel.sendall(struct.pack("!I", len(data)) + data)


def receive_message(channel: socket.socket) -> dict:
    (size,) = struct.unpack("!I", receive_exactly(channel, 4))
    return json.loads(receive_exactly(channel, size))


def receive_exactly(channel: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = channel.recv(size - len(data))
        if not chunk:
            raise EOFError("the other end closed the socket")
        data += chunk
    return data


def serve(read_fd: int, write_fd: int, worker: _Worker | None = None) -> int:
    """Answer jobs from the pipe until it closes; ``worker`` is one a zygote prepared."""
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    try:
        init = inbox.recv()
    except EOFError:
        return 0
    worker = worker or _Worker(init.get("prefixes") or {})
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
