"""``bmkg serve``: run the endpoint under granian.

granian (an HTTP server written in Rust) runs ``--workers`` web processes of
``--threads`` request threads each, all forked from one app built before the
fork, so a bad store or setting fails once, here, with a one-line message and
exit status 2. Each web process starts its pool of ``--query-workers``
killable query workers before it takes requests.
"""

from __future__ import annotations

import errno
import functools
import logging
import multiprocessing.util
import os
import socket
import sys
import threading
from pathlib import Path

import click

log = logging.getLogger(__name__)

EXIT_UNUSABLE = 2


def _fail(message: str) -> None:
    click.echo(f"bmkg serve: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


def find_generation(root: Path):
    """The current generation of the store at ``root``, or a clear one-line error and exit 2."""
    from ontology import store

    if not root.exists():
        _fail(f"store directory {root} does not exist (build one with `bmkg build`, or pass --store)")
    if not root.is_dir():
        _fail(f"store path {root} is not a directory")
    try:
        generation = store.current(root)
    except store.StoreError as error:
        _fail(f"store {root} is damaged: {error}")
    if generation is None:
        _fail(f"store {root} has no published generation yet (run `bmkg build` first)")
    return generation


class StoreProbe:
    """Opens the generation in a worker process, in the background, while the server loads.

    Never in this process: RocksDB state in the server's main process would be
    inherited by every forked web process.
    """

    def __init__(self, generation):
        from server.executor import Executor

        self.generation = generation
        self._executor = Executor(1, generation=lambda: str(generation.oxigraph))
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="bmkg-store-probe")
        self._thread.start()

    def _run(self) -> None:
        try:
            self._executor.start()
        except Exception as error:  # reported by result()
            self._error = error
        finally:
            self._executor.close(wait=True)

    def result(self) -> None:
        """Wait for the probe; exit 2 with one line if the store cannot be opened."""
        self._thread.join()
        if self._error is not None:
            _fail(f"store {self.generation.oxigraph} cannot be opened: {' '.join(str(self._error).split())}")


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
            _fail(f"address {host}:{port} {reason}")


@click.command("serve")
@click.option("--store", "store_path", type=click.Path(path_type=Path), default=None,
              help="Store root (default: $BMKG_STORE, else ./store).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Web processes.")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(1, 256),
              help="Request threads per web process (most wait for query workers, in their queue).")
@click.option("--query-workers", type=click.IntRange(1, 64), default=None,
              help="Killable query processes per web process [default: 2, or $BMKG_QUERY_WORKERS].")
@click.option("--timeout-s", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Per-query timeout in seconds [default: 30, or $BMKG_TIMEOUT_S].")
@click.option("--row-cap", type=click.IntRange(min=0), default=None,
              help="Rows or triples per response, 0 for none [default: 10000, or $BMKG_ROW_CAP].")
@click.option("--enable-updates", is_flag=True, default=None,
              help="Allow SPARQL Update and Graph Store writes; needs $BMKG_UPDATE_TOKEN.")
@click.option("--service-allow", "service_allow", multiple=True, metavar="HOST",
              help="A host that SERVICE may call (repeatable; none by default).")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Allowed CORS origin for reads (repeatable; default '*'). Use --no-cors to turn CORS off.")
@click.option("--no-cors", is_flag=True, default=False, help="Send no CORS headers.")
@click.option("--access-log/--no-access-log", default=False, show_default=True, help="Log each request to stderr.")
@click.option("--backend", metavar="URL", default=None,
              help="Answer from this external SPARQL 1.1 query endpoint instead of the store [$BMKG_BACKEND].")
@click.option("--backend-update", metavar="URL", default=None,
              help="The backend's SPARQL Update endpoint, for --enable-updates [$BMKG_BACKEND_UPDATE].")
def serve(store_path, host, port, workers, threads, query_workers, timeout_s, row_cap, enable_updates,
          service_allow, cors_origins, no_cors, access_log, backend, backend_update) -> None:
    """Serve the store's current generation over the SPARQL 1.1 Protocol.

    Settings not given as options come from BMKG_* environment variables
    (see server/README.md). The token for writes is only read from
    BMKG_UPDATE_TOKEN, so that it never shows in a process list; the
    backend's credentials only from BMKG_BACKEND_USER, BMKG_BACKEND_PASSWORD
    or BMKG_BACKEND_TOKEN.
    """
    from ontology import store

    root = store.root_from_env(store_path)
    backend = backend or os.environ.get("BMKG_BACKEND") or None
    if backend:
        generation, probe = None, None  # no local store: the backend is checked once the app is built
    else:
        generation = find_generation(root)
        probe = StoreProbe(generation)  # runs while the imports below load
    _check_port(host, port)

    import granian  # noqa: F401  (loaded now, in parallel with the probe)

    from server import config
    from server.app import create_app

    overrides = {"STORE": str(root), "METRICS_SLOTS": workers + 1}
    for key, value in (("QUERY_WORKERS", query_workers), ("TIMEOUT_S", timeout_s), ("ROW_CAP", row_cap),
                       ("ENABLE_UPDATES", enable_updates)):
        if value is not None:
            overrides[key] = value
    if service_allow:
        overrides["SERVICE_ALLOWLIST"] = list(service_allow)
    if backend:
        overrides["BACKEND"] = backend
    if backend_update:
        overrides["BACKEND_UPDATE"] = backend_update
    if no_cors:
        overrides["CORS_ORIGINS"] = ""
    elif cors_origins:
        overrides["CORS_ORIGINS"] = list(cors_origins)
    try:
        app = create_app(overrides=overrides)
    except (config.ConfigError, store.StoreError) as error:
        if probe:
            probe.result()
        _fail(str(error))
    if probe:
        probe.result()
    runtime = app.extensions["bmkg"]
    settings = runtime.settings
    if settings.backend:
        from server.backend import Backend, probe as probe_backend, redact

        problem = probe_backend(Backend.from_settings(settings), min(settings.timeout_s, 10.0))
        if problem:
            _fail(f"backend {problem}")
        source = f"backend {redact(settings.backend)}"
    else:
        source = f"store {root}  generation {generation.id}"
    display = f"[{host}]" if ":" in host else host
    banner = (f"bmkg serve: http://{display}:{port}/sparql  {source}"
              f"  {'read-write (bearer token)' if settings.enable_updates else 'read-only'}")
    _run(app, runtime, host, port, workers, threads, access_log, banner)


def _granian(app, runtime, host: str, port: int, workers: int, threads: int, access_log: bool, banner: str):
    """A granian server for ``app``, which its web processes inherit by fork, built here once."""
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    level = logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()
    server = Granian(
        "bmkg",  # a name only: the app is handed over by target_loader, not imported by name
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        # Requests beyond these threads wait in granian's queue, in arrival order; the threads mostly wait
        # in the query workers' queue, which is ranked (server.executor.Costs), so it should hold the waiting.
        blocking_threads=threads,
        respawn_failed_workers=True,
        workers_kill_timeout=10,
        log_level=LogLevels(level) if level in ("debug", "info", "warning", "error", "critical") else LogLevels.warning,
        log_access=access_log,
    )
    server.on_startup(lambda: click.echo(banner, err=True))
    return server, functools.partial(_web_process_app, app, runtime)


def _web_process_app(app, runtime):
    """Run in each web process after the fork: its metrics slot, its query workers, then the app."""
    slot = runtime.metrics.claim(os.getpid())
    if slot is None:
        log.warning("no free metrics slot for web process %s; sharing slot 0", os.getpid())
    try:
        runtime.executor.start(wait=1)  # serve as soon as one worker is up; the rest follow
    except Exception as error:  # the pool starts lazily on the first query instead
        log.error("query workers did not start: %s", error)
    app.wsgi_app.prepare()  # the fast lane's store, and its copy into memory, before the first lookup
    # multiprocessing runs these finalizers when the web process ends (atexit handlers it skips)
    multiprocessing.util.Finalize(runtime, runtime.close, exitpriority=10)
    return app.wsgi_app  # Flask's own __call__ only forwards to it


def _run(app, runtime, host, port, workers, threads, access_log, banner) -> None:
    server, load = _granian(app, runtime, host, port, workers, threads, access_log, banner)
    server.serve(target_loader=load, wrap_loader=False)
