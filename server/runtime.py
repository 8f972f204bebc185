"""The per-app state every blueprint uses: settings, store, workers, cache, metrics.

``get_runtime()`` is this app's counterpart of flaskr's ``get_db()``.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from ontology import store
from ontology.terms import BM

from server import lexer, policy
from server.cache import ResultCache
from server.config import Settings
from server.executor import Executor
from server.generations import GenerationWatcher
from server.metrics import Metrics

log = logging.getLogger(__name__)

#: Prefixes used when writing Turtle, TriG, N3 and RDF/XML.
PREFIXES = {
    "bm": str(BM),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}


@dataclass
class Stats:
    """Counts for the service description and VoID, computed once per generation."""

    triples: int | None
    graphs: dict[str, int]
    subjects: int | None
    properties: int | None
    classes: dict[str, int]


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.root = settings.store or store.root_from_env()
        self.metrics = Metrics(settings.metrics_slots)
        self.cache = ResultCache(settings.cache_bytes, settings.cache_entry_max_bytes) if settings.cache_bytes else None
        if settings.backend:
            # A remote SPARQL store instead of the embedded one: same interfaces (server/backend.py).
            from server.backend import Backend, BackendWatcher, RemoteExecutor

            backend = Backend.from_settings(settings)
            self.watcher = BackendWatcher(backend, settings.backend_check_s, settings.backend_version)
            self.executor = RemoteExecutor(backend, self.watcher, settings.query_workers, prefixes=PREFIXES,
                                           on_event=self._worker_event, reserved=settings.cheap_workers,
                                           reserved_timeout=settings.cheap_timeout_s)
        else:
            self.watcher = GenerationWatcher(self.root, settings.generation_check_s)
            self.executor = Executor(
                settings.query_workers,
                generation=lambda: str(self.generation().oxigraph),
                prefixes=PREFIXES,
                on_event=self._worker_event,
                reserved=settings.cheap_workers,
                reserved_timeout=settings.cheap_timeout_s,
                queue_weight=settings.queue_weight,
                copy=self.worth_copying,
            )
        self._stats: dict[str, Stats] = {}
        self._locations: dict[object, str] = {}
        self._stats_lock = threading.Lock()
        self._write_lock = threading.Lock()

    def _worker_event(self, name: str) -> None:
        if name == "restart":
            self.metrics.inc("bmkg_worker_restarts_total")

    def generation(self) -> store.Generation:
        return self.watcher.current()

    def query_job(self, text: str, fmt: str, *, base: str | None, union: bool = True, inferred: bool = True,
                  default: list[str] | None = None, named: list[str] | None = None,
                  cap: int | None = None, generation: store.Generation | None = None) -> dict:
        """A query job; ``union`` makes the default graph the whole build (without ``inferred`` when
        ``inferred`` is false), each statement once, unless ``default`` or ``named`` give a dataset."""
        return {
            "op": "query",
            "generation": self.location(generation or self.generation()),
            "query": text,
            "base": base,
            "union": store.union_dataset(inferred) if union else None,
            "default": default,
            "named": named,
            "format": fmt,
            "cap": self.settings.row_cap if cap is None else cap,
        }

    def worth_copying(self, location: str) -> bool:
        """Whether the generation at ``location`` (its database) should be read from an in-memory copy:
        on a read-only server, when its summary says it has at most ``MEMORY_COPY_MAX_TRIPLES`` statements."""
        limit = self.settings.memory_copy_max_triples
        if not limit or self.settings.enable_updates or self.settings.backend:
            return False
        triples = store.Generation(Path(location).parent).summary().get("triples")
        return isinstance(triples, int) and triples <= limit

    def location(self, generation) -> str:
        """The path of ``generation``'s database."""
        # Path arithmetic on every request is measurable on point lookups; a generation never moves.
        location = self._locations.get(generation)
        if location is None:
            if len(self._locations) > 16:
                self._locations.clear()
            location = self._locations[generation] = str(generation.oxigraph)
        return location

    def select(self, text: str, *, cap: int = 0) -> list[dict]:
        """Run a SELECT for the server's own pages and APIs; rows are SPARQL JSON bindings.

        Raises the executor's errors (QueryTimeout, PoolBusy, WorkerFailed), or
        ValueError with the engine's message when the query fails. Each query
        has ``TIMEOUT_S`` for its wait and its run together; one that looks
        cheap (``policy.cheap``) may use the workers kept for cheap queries.
        """
        cheap = policy.cheap(lexer.inspect(text))
        reply = self.executor.run(self.query_job(text, "json", base=None, cap=cap), self.settings.timeout_s,
                                  cheap=cheap)
        if reply[0] != "ok":
            raise ValueError(str(reply[-1]))
        return json.loads(reply[1])["results"]["bindings"]

    def write(self, actions: list[dict]) -> tuple:
        """Run a write in a worker; on success the new generation is current here at once."""
        job = {"op": "write", "root": str(self.root), "actions": actions,
               "lock_wait_s": self.settings.write_lock_wait_s}
        with self._write_lock:  # one write per web process at a time; the build lock orders processes
            reply = self.executor.run(job, self.settings.timeout_s + self.settings.write_lock_wait_s)
        if reply[0] == "ok":
            self.watcher.refresh()
            self.metrics.inc("bmkg_writes_total")
        return reply

    def stats(self, generation: store.Generation) -> Stats | None:
        """Dataset counts for a generation, from a few aggregate queries; None if they fail."""
        with self._stats_lock:
            if generation.id in self._stats:
                return self._stats[generation.id]
        queries = {
            "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            "totals": "SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?s) (COUNT(DISTINCT ?p) AS ?p) WHERE { ?s ?p ?o }",
            "classes": "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c",
        }
        rows = {}
        for name, text in queries.items():
            try:
                reply = self.executor.run(self.query_job(text, "json", base=None, cap=0, generation=generation),
                                          self.settings.timeout_s)
            except Exception as error:  # stats are a courtesy: never fail the page for them
                log.warning("could not compute dataset statistics: %s", error)
                return None
            if reply[0] != "ok":
                log.warning("could not compute dataset statistics: %s", reply[-1])
                return None
            rows[name] = json.loads(reply[1])["results"]["bindings"]
        totals = rows["totals"][0] if rows["totals"] else {}
        stats = Stats(
            triples=int(totals["t"]["value"]) if "t" in totals else None,
            graphs={r["g"]["value"]: int(r["n"]["value"]) for r in rows["graphs"] if r["g"]["type"] == "uri"},
            subjects=int(totals["s"]["value"]) if "s" in totals else None,
            properties=int(totals["p"]["value"]) if "p" in totals else None,
            classes={r["c"]["value"]: int(r["n"]["value"]) for r in rows["classes"] if r["c"]["type"] == "uri"},
        )
        with self._stats_lock:
            self._stats = {generation.id: stats}  # only the current generation's are worth keeping
        return stats

    def close(self) -> None:
        self.executor.close()


def init_app(app: Flask, settings: Settings) -> Runtime:
    runtime = Runtime(settings)
    app.extensions["bmkg"] = runtime
    return runtime


def get_runtime() -> Runtime:
    return current_app.extensions["bmkg"]
