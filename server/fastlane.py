"""The fast lane: point lookups answered in the web process, in front of Flask.

On the full path a point lookup cost about ten times the engine's own work
(BENCHMARKS.md, issue 21): Flask and Werkzeug, and the round trip to a query
worker. This WSGI middleware answers the requests that are

- a query by ``GET /sparql?query=...`` (no other parameter) or by a direct
  ``POST`` of ``application/sparql-query`` (no URL parameters);
- a point lookup by grammar (``policy.point_lookup``): its work is bounded by
  one subject's statements, so it needs no killable worker and no timeout;
- plain for HTTP: no conditional headers, an ``Accept`` the query's form can meet.

They run on a read-only handle of the current generation held by this
process, with the full path's checks, dataset (the union default graph),
row cap, result cache, headers and metrics; tests compare the two paths.
Every other request, and any request that fails here, goes to Flask
unchanged, which answers it (and its errors) the usual way.

A small generation (``Runtime.worth_copying``) is also copied into an
in-memory store in the background, and lookups read the copy once it is
complete: Oxigraph's in-memory store answers a lookup in about half the time
its on-disk one takes (BENCHMARKS.md, issue 21). The copy holds only the
union the lookups read (the default graph and ``inferred``, which share no
statement) in its default graph, so a lookup reads one graph, not two. Only
a read-only server copies, since a write changes the store on disk in place.
Rows may come in another order than from a query worker; the solutions are
the same.
"""

from __future__ import annotations

import functools
import io
import logging
import threading
import time
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.http import http_date, parse_accept_header
from werkzeug.wsgi import get_current_url

from ontology import store
from server import lexer, negotiation, policy, responses, results
from server.cache import Entry
from server.generations import last_modified
from server.protocol import MEMO_TEXT_CHARS, decode_params
from server.responses import HTTPProblem

log = logging.getLogger(__name__)

QUERY = "application/sparql-query"
#: The dataset of a query without FROM: the store's default graph (every asserted statement once) and ``inferred``.
UNION = [ox.DefaultGraph() if name is None else ox.NamedNode(name) for name in store.union_dataset(True)]
_STATUS = "200 OK"


@dataclass(frozen=True)
class Plan:
    """What the lane needs to answer one query text, worked out once per (text, Accept, base)."""

    fmt: negotiation.Format
    cacheable: bool


class FastLane:
    """Wraps the Flask app's ``wsgi_app`` (``fallback``); see the module's docstring."""

    def __init__(self, runtime, fallback, prefixes: dict[str, str]):
        self.runtime = runtime
        self.fallback = fallback
        self.prefixes = prefixes
        settings = runtime.settings
        self.enabled = not settings.backend
        self._store: tuple[str, ox.Store, list | None] | None = None  # location, store, its union dataset
        self._open_lock = threading.Lock()
        self.copying: threading.Thread | None = None  # the latest copy into memory, for tests
        self.copied: str | None = None  # the location whose in-memory copy lookups read
        self._plan = functools.lru_cache(maxsize=1024)(self._make_plan)
        self._cors = functools.lru_cache(maxsize=64)(
            lambda origin: responses.cors_headers(settings, origin, preflight=False))
        self._fixed = [("X-Content-Type-Options", "nosniff")]  # the full path's security header
        if settings.row_cap:
            self._fixed.append(("X-SPARQL-MaxRows", str(settings.row_cap)))
        self.answered = 0  # requests this lane answered, for tests and curiosity

    def __call__(self, environ, start_response):
        if not self.enabled or environ.get("PATH_INFO") != "/sparql":
            return self.fallback(environ, start_response)
        started = time.perf_counter()
        text = self._query_text(environ)
        if text is None:
            return self.fallback(environ, start_response)
        try:
            answer = self._answer(environ, text)
        except Exception as error:  # nothing is sent yet: the full path answers, errors included
            log.warning("fast lane: %s: %s; the full path answers", type(error).__name__, error)
            answer = None
        if answer is None:
            return self.fallback(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        self.answered += 1
        self.runtime.metrics.request("query", 200, time.perf_counter() - started)
        return [body]

    def _query_text(self, environ) -> str | None:
        """The query of a request this lane may take, or None; a POST body read here is put back."""
        if any(name in environ for name in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")):
            return None
        method, settings = environ.get("REQUEST_METHOD"), self.runtime.settings
        query_string = environ.get("QUERY_STRING", "")
        if method == "GET":
            if (not query_string.startswith("query=") or "&" in query_string
                    or environ.get("CONTENT_LENGTH") not in (None, "", "0")):
                return None
            try:
                text = decode_params(query_string.encode("latin-1"), "URL")["query"][0]
            except HTTPProblem:
                return None
            return text if len(text) <= settings.max_get_query_length else None
        if method != "POST" or query_string or environ.get("CONTENT_TYPE", "").strip().lower() != QUERY:
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        if not 0 < length <= min(settings.max_query_length, settings.max_content_length):
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # for Flask, should the lane pass the request on
        try:
            return body.decode("utf-8") if len(body) == length else None
        except UnicodeDecodeError:
            return None

    def _answer(self, environ, text: str) -> tuple[str, list[tuple[str, str]], bytes] | None:
        runtime, settings = self.runtime, self.runtime.settings
        base = settings.base_iri or _base_url(environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"),
                                              environ.get("SERVER_NAME"), environ.get("SERVER_PORT"),
                                              environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO"))
        if len(text) > MEMO_TEXT_CHARS:  # no lookup is this long, and the plans' memo stays small
            return None
        plan = self._plan(text, environ.get("HTTP_ACCEPT"), base)
        if plan is None:
            return None
        fmt, cap = plan.fmt, settings.row_cap
        generation = runtime.generation()
        # the full path's cache key (server.protocol.run_query), so both share entries
        key = (text, base, True, True, (), (), fmt.key, cap, generation.id)

        def produce() -> Entry:
            began = time.perf_counter()
            engine, union = self._store_for(generation)
            body, truncated = results.serialize_within_cap(
                engine.query(text, base_iri=base, default_graph=union), fmt.key, cap), False
            if body is None:  # perhaps past the row cap: again, cut at the cap
                body, truncated, _rows = results.serialize(
                    engine.query(text, base_iri=base, default_graph=union), fmt.key, cap, self.prefixes)
            runtime.metrics.observe("bmkg_query_duration_seconds", time.perf_counter() - began)
            headers = {}
            if truncated:
                headers["X-SPARQL-Truncated"] = "true"
                runtime.metrics.inc("bmkg_rows_capped_total")
            return Entry(body, fmt.media_type, headers)

        if plan.cacheable and runtime.cache is not None:
            entry, found = runtime.cache.compute(key, produce)
            runtime.metrics.inc({"hit": "bmkg_cache_hits_total", "shared": "bmkg_cache_shared_total",
                                 "miss": "bmkg_cache_misses_total"}[found])
        else:
            entry = produce()
        headers = [("Content-Type", entry.content_type)]
        body, vary = entry.body, "Accept"
        if len(body) >= settings.gzip_min_bytes:
            vary = "Accept, Accept-Encoding"
            if _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING")):
                if entry.gzipped is None:
                    entry.gzipped = responses.compress(entry.body)
                body = entry.gzipped
                headers.append(("Content-Encoding", "gzip"))
        headers += entry.headers.items()
        if plan.cacheable:
            headers += _validators(generation, key)
        cors, vary_origin = self._cors(environ.get("HTTP_ORIGIN"))
        headers += cors
        headers += self._fixed
        headers += [("Vary", vary + ", Origin" if vary_origin else vary), ("Content-Length", str(len(body)))]
        return _STATUS, headers, body

    def _make_plan(self, text: str, accept: str | None, base: str) -> Plan | None:
        settings = self.runtime.settings
        try:
            inspection = lexer.inspect(text, base)
            policy.check_limits(inspection, policy.Limits.from_settings(settings))
            policy.check(inspection, settings.service_allowlist, update=False)
        except (lexer.MalformedIRI, policy.Refused):
            return None
        if inspection.has_dataset or not policy.point_lookup(inspection.tokens, settings.row_cap):
            return None
        try:
            fmt = negotiation.negotiate(accept, negotiation.BY_FORM[inspection.form])
        except negotiation.NotAcceptable:
            return None
        return Plan(fmt, policy.cacheable(inspection))

    def prepare(self) -> None:
        """Open the current generation now, and start copying it, rather than on the first lookup."""
        if not self.enabled:
            return
        try:
            self._store_for(self.runtime.generation())
        except Exception as error:  # no build yet, or a damaged one: the first lookup tries again
            log.info("fast lane: the store is not open yet: %s", error)

    def _store_for(self, generation: store.Generation) -> tuple[ox.Store, list | None]:
        """This process's store for ``generation``, and the dataset of the union in it: its in-memory copy
        once made, else a read-only handle opened on first use (never before a fork)."""
        location = self.runtime.location(generation)
        current = self._store
        if current is None or current[0] != location:
            with self._open_lock:
                current = self._store
                if current is None or current[0] != location:
                    # the old handle or copy is dropped: a replaced generation may be deleted soon after
                    self._store = self.copied = None
                    current = self._store = (location, ox.Store.read_only(location), UNION)
                    if self.runtime.worth_copying(location):
                        self.copying = threading.Thread(target=self._copy, args=current[:2], daemon=True,
                                                        name="bmkg-lookup-copy")
                        self.copying.start()
        return current[1], current[2]

    def _copy(self, location: str, disk: ox.Store) -> None:
        """Copy the union of ``disk`` (``UNION``) into the default graph of an in-memory store: lookups read the
        copy, one graph instead of two, if ``location`` is still current when it is done. A lookup names no
        graph and no dataset (``policy.point_lookup``), so the copy needs no other graph."""
        began = time.perf_counter()
        try:
            # pyoxigraph releases the interpreter lock for both steps, so requests go on meanwhile
            memory = ox.Store()
            memory.bulk_load(b"".join(disk.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) for graph in UNION),
                             format=ox.RdfFormat.N_TRIPLES)
        except Exception as error:  # lookups keep reading the store on disk
            log.warning("fast lane: could not copy %s into memory: %s: %s", location, type(error).__name__, error)
            return
        with self._open_lock:
            if self._store is None or self._store[0] != location:
                return  # a newer generation came meanwhile
            self._store, self.copied = (location, memory, None), location
        log.info("fast lane: lookups read an in-memory copy of %s (%d statements, %.1f s)",
                 location, len(memory), time.perf_counter() - began)


@functools.lru_cache(maxsize=64)
def _base_url(scheme, host, server_name, server_port, script_name, path) -> str:
    """Flask's ``request.base_url`` (the default base IRI), which took a fifth of the lane's own time."""
    environ = {"wsgi.url_scheme": scheme, "SERVER_NAME": server_name, "SERVER_PORT": server_port,
               "SCRIPT_NAME": script_name, "PATH_INFO": path}
    if host is not None:
        environ["HTTP_HOST"] = host
    return get_current_url(environ, strip_querystring=True)


@functools.lru_cache(maxsize=64)
def _accepts_gzip(header: str | None) -> bool:
    return bool(header) and parse_accept_header(header)["gzip"] > 0


@functools.lru_cache(maxsize=1024)
def _validators(generation: store.Generation, key: tuple) -> tuple[tuple[str, str], ...]:
    """The full path's validators (``responses.validators``) for a response of ``generation`` made by ``key``."""
    return (("ETag", responses.etag(generation, *key)), ("Last-Modified", http_date(last_modified(generation))),
            ("Cache-Control", "public, no-cache"))
