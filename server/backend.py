"""A remote SPARQL 1.1 store as the server's engine: ``bmkg serve --backend URL``.

``RemoteExecutor`` stands in for ``server.executor.Executor``: ``run(job,
timeout)`` takes the same job dicts and answers with the same tuples, so the
protocol, the pages, the named-query API and the charts run unchanged above
the Runtime. Queries go to the backend through SPARQLWrapper; everything the
endpoint decides (negotiation, the row cap, SERVICE/LOAD/``file:`` refusals,
caching, status codes) still happens here, before and after the call.

- **Results.** The backend is asked for SPARQL JSON (SELECT, ASK) or
  N-Triples (CONSTRUCT, DESCRIBE); the answer is read back with pyoxigraph
  and written in the negotiated format by ``server.results``, with the row
  cap, exactly as the embedded store's answers are. Blank node labels that
  are not valid SPARQL labels (Virtuoso's ``nodeID://b10001``) are renamed
  consistently within one response. Literals keep the backend's lexical form
  (Virtuoso writes ``5e+26`` where Oxigraph writes ``5e26``, and doubles
  with only 6 significant digits).
- **Default graph.** The embedded store's default graph is the union of
  bmkg's named graphs, each statement once (``ontology.store``). Backends differ (Oxigraph server: an empty default
  graph unless started with ``--union-default-graph``; Virtuoso: the union of
  every graph, its system graphs included), so a query without a dataset of
  its own is sent with every bmkg graph as a ``default-graph-uri`` and as a
  ``named-graph-uri``. The graphs are those the ``metadata`` graph lists
  (``<https://w3id.org/bmkg/> void:subset``, as ``bmkg publish`` leaves
  them) plus the metadata graph; ``BACKEND_GRAPHS`` fixes the list instead.
  The backend's engine merges them as it does any dataset: Oxigraph server
  repeats a statement once per graph that holds it, so a count over a
  backend can exceed the embedded store's (the same statement stated by
  two sources). With a protocol dataset, the query's own FROM clauses are taken out first
  (``without_dataset``): Virtuoso adds the protocol's graphs to them instead
  of replacing them.
- **Timeouts.** The socket waits at most the remaining time, and the body is
  read in chunks with the deadline checked between them; past it the request
  is ``QueryTimeout`` (504), as with the embedded store. A backend's own
  timeout answers, such as Virtuoso's partial "anytime" results
  (``X-SQL-State: S1TAT``), are timeouts too, never a 200 with a cut body.
  The backend may keep computing after bmkg gave up: set its own limit near
  ``TIMEOUT_S``.
- **Concurrency.** At most ``QUERY_WORKERS`` requests per web process are at
  the backend at once, plus ``CHEAP_WORKERS`` more for queries that look cheap
  (the same lanes as the worker pool); a request whose deadline passes while it
  waits for a slot gets ``PoolBusy`` (503), as with the worker pool.
- **Generations.** There is no local generation. ``BackendWatcher`` gives a
  token in its place (see its docstring) that keys the cache and the ETags.
- **Writes** (``ENABLE_UPDATES``): updates go to ``BACKEND_UPDATE`` as they
  came; Graph Store writes become SPARQL Update (``DROP SILENT GRAPH``, then
  ``INSERT DATA`` batches).
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import logging
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from SPARQLWrapper import BASIC, DIGEST, POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from ontology import GRAPH_BASE, store
from server import lexer, results
from server.executor import RESERVED, Admission, QueryTimeout

log = logging.getLogger(__name__)

METADATA_GRAPH = GRAPH_BASE + "metadata"
DATASET = "https://w3id.org/bmkg/"
VOID_SUBSET = "http://rdfs.org/ns/void#subset"
AGENT = "bmkg-serve/0.1 (+https://w3id.org/bmkg/)"
ACCEPT = {
    "SELECT": "application/sparql-results+json",
    "ASK": "application/sparql-results+json",
    "CONSTRUCT": "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8",
    "DESCRIBE": "application/n-triples, text/plain;q=0.9, text/turtle;q=0.8",
}
#: Messages by which backends say that they stopped a query for its time.
_TIMED_OUT = re.compile(r"timeout|timed out|S1T00|SR171|anytime", re.IGNORECASE)
_CHUNK = 1 << 16
#: Triples per SPARQL Update request when a Graph Store write is sent on (Virtuoso's
#: SPARQL compiler runs out of parser stack at about 5000 triples in one request).
WRITE_BATCH = 1000


def redact(url: str) -> str:
    """A URL fit for logs and pages: no user information, no query string.

    >>> redact("https://admin:pw@example.org/sparql?key=1")
    'https://example.org/sparql?…'
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))


@dataclass(frozen=True)
class Backend:
    """Where the backend is and how to sign in; ``repr`` hides the secrets."""

    query_url: str
    update_url: str | None = None
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    auth: str = "basic"
    graphs: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings) -> Backend:
        return cls(settings.backend, settings.backend_update, settings.backend_user, settings.backend_password,
                   settings.backend_token, settings.backend_auth, settings.backend_graphs)

    def wrapper(self, url: str, timeout: float) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(url, updateEndpoint=url, agent=AGENT)
        wrapper.setMethod(POST)
        wrapper.setOnlyConneg(True)  # no format=/output= parameters: some engines reject them
        wrapper.timeout = max(timeout, 0.001)  # the attribute: setTimeout() would drop fractions of seconds
        if self.token:
            wrapper.addCustomHttpHeader("Authorization", f"Bearer {self.token}")
        elif self.user:
            wrapper.setHTTPAuth(DIGEST if self.auth == "digest" else BASIC)
            wrapper.setCredentials(self.user, self.password or "")
        return wrapper


# -- the generation token ----------------------------------------------------------------------


class _Reachability:
    """Stands where a generation's ``oxigraph`` directory would be.

    ``/healthz`` asks ``generation.oxigraph.is_dir()``; for a backend the
    answer is whether its last contact succeeded.
    """

    def __init__(self, url: str):
        self.url = url
        self.ok = True

    def is_dir(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return redact(self.url)


@dataclass(frozen=True, eq=False)
class RemoteGeneration:
    """What ``Runtime.generation()`` returns with a backend: a token with a generation's shape.

    There are no local files (``path`` names no directory), so ``/dumps`` and
    the HTML ontology documentation are absent with a backend.
    """

    id: str
    location: _Reachability

    @property
    def oxigraph(self) -> _Reachability:
        return self.location

    @property
    def path(self) -> Path:
        return Path("/nonexistent/bmkg-backend") / self.id

    def summary(self) -> dict:
        return {}

    def __eq__(self, other) -> bool:
        return isinstance(other, RemoteGeneration) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


class BackendWatcher:
    """The token that stands for a store generation with a backend.

    It keys the result cache, the ETags and the pages' per-generation memos,
    so it must be the same in every web process, and change when the data
    does. Two ways, by ``BACKEND_VERSION``:

    - ``build`` (the default): a digest of the backend URL and of the
      ``metadata`` graph's statements. A build's metadata records each
      source's checksum and each graph's triple count, and builds are
      reproducible, so the digest changes exactly when ``bmkg publish``
      sends a different build. Every ``check_s`` seconds a background thread
      reads the metadata graph again (a few hundred triples, whatever the
      size of the store). ``Last-Modified`` is then the time of the response,
      since the backend does not say when its data changed; ETags carry the
      validation.
    - ``clock``: the start of the current ``check_s``-second window of
      wall-clock time, which every process computes alike without asking
      anyone. Cached answers live at most ``check_s`` seconds, so changes by
      any writer are seen within that time, at the price of recomputing
      per-generation memos at every window. Used whenever this server writes
      to the backend (``ENABLE_UPDATES``), and for backends that other tools
      write to. ``check_s`` 0: one token for the server's life.

    A write through this server starts a new token at once in the process
    that made it; the others follow at their next window. Each check also
    refreshes the reachability that ``/healthz`` reports.
    """

    def __init__(self, backend: Backend, check_s: float, mode: str = "build", probe_timeout: float = 5.0):
        self.backend = backend
        self.check_s = check_s
        self.mode = mode
        self.probe_timeout = probe_timeout
        self.location = _Reachability(backend.query_url)
        self._started = time.time()
        self._written = 0.0
        self._lock = threading.Lock()
        self._current: RemoteGeneration | None = None
        self._key: object = None
        self._checked = 0.0  # time.monotonic() of the last check
        self._checking = False

    def current(self, force: bool = False) -> RemoteGeneration:
        if self.mode == "clock":
            return self._clock()
        now = time.monotonic()
        if self._current is None or force:
            self._check()
        elif self.check_s and now - self._checked >= self.check_s and not self._checking:
            with self._lock:
                start = not self._checking
                self._checking = True
            if start:  # the current token serves meanwhile: no request waits for the check
                threading.Thread(target=self._check, name="bmkg-backend-check", daemon=True).start()
        return self._current

    def refresh(self) -> RemoteGeneration:
        return self.current(force=True)

    def wrote(self) -> RemoteGeneration:
        """A write went through this process: a new token now."""
        with self._lock:
            self._written = max(time.time(), self._written + 1e-6)
            self._key = None
        return self.current(force=True)

    # -- build: the metadata graph's digest ---------------------------------------------------

    def _check(self) -> None:
        try:
            fingerprint = self._fingerprint()
        finally:
            with self._lock:
                self._checking = False
                self._checked = time.monotonic()
        key = (fingerprint, self._written)
        with self._lock:
            if self._current is not None and key == self._key:
                return
            if fingerprint is None and self._current is not None:
                return  # unreachable: keep the last token; requests will report the failure
            digest = hashlib.blake2b(repr((self.backend.query_url, key)).encode(), digest_size=8).hexdigest()
            self._key, self._current = key, RemoteGeneration(f"backend-{digest}", self.location)

    def _fingerprint(self) -> str | None:
        """A digest of the metadata graph's statements, or None if the backend cannot be asked."""
        wrapper = self.backend.wrapper(self.backend.query_url, self.probe_timeout)
        wrapper.setQuery(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{METADATA_GRAPH}> {{ ?s ?p ?o }} }}")
        wrapper.queryType = "SELECT"
        wrapper.addCustomHttpHeader("Accept", ACCEPT["SELECT"])
        try:
            with wrapper.query().response as response:
                document = json.loads(response.read())
            rows = sorted(json.dumps([row.get(name) for name in ("s", "p", "o")], sort_keys=True)
                          for row in document["results"]["bindings"])
        except Exception as error:  # SPARQLWrapper, urllib and json raise many kinds
            self.location.ok = False
            log.warning("backend %s: %s", redact(self.backend.query_url), describe(error)[1])
            return None
        self.location.ok = True
        return hashlib.blake2b("\n".join(rows).encode(), digest_size=16).hexdigest()

    # -- clock: windows of wall-clock time ---------------------------------------------------

    def _clock(self) -> RemoteGeneration:
        now = time.time()
        window = (now // self.check_s) * self.check_s if self.check_s else self._started
        start = max(window, self._written)
        with self._lock:
            if self._current is not None and self._key == start:
                return self._current
            probe_now = self.check_s > 0 and not self._checking
            self._checking = self._checking or probe_now
            stamp = dt.datetime.fromtimestamp(start, dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            self._key, self._current = start, RemoteGeneration(stamp, self.location)
        if probe_now:
            threading.Thread(target=self._probe, name="bmkg-backend-probe", daemon=True).start()
        return self._current

    def _probe(self) -> None:
        try:
            self.location.ok = probe(self.backend, self.probe_timeout) is None
        finally:
            with self._lock:
                self._checking = False


def probe(backend: Backend, timeout: float) -> str | None:
    """None when the backend answers ``ASK {}``, else why not (without secrets)."""
    wrapper = backend.wrapper(backend.query_url, timeout)
    wrapper.setQuery("ASK {}")
    wrapper.queryType = "ASK"
    wrapper.addCustomHttpHeader("Accept", ACCEPT["ASK"])
    try:
        with wrapper.query().response as response:
            document = json.loads(response.read())
    except Exception as error:  # SPARQLWrapper and urllib raise many kinds
        status, message = describe(error)
        return f"{redact(backend.query_url)} {message}"
    if document.get("boolean") is not True:
        return f"{redact(backend.query_url)} did not answer ASK {{}} with true"
    return None


# -- errors ------------------------------------------------------------------------------------------


def describe(error: Exception) -> tuple[int | None, str]:
    """(HTTP status or None, the backend's message) for a failed request; never the request itself."""
    if isinstance(error, SPARQLWrapperException):
        status = getattr(error.__context__, "code", None)
        return status, _wrapped_body(error) or f"HTTP {status}"
    if isinstance(error, urllib.error.HTTPError):
        try:
            body = error.read().decode("utf-8", "replace")
        except Exception:  # the body is a courtesy
            body = ""
        return error.code, body.strip() or f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        if isinstance(error.reason, (socket.timeout, TimeoutError)):
            return None, "timeout"
        return None, f"cannot be reached ({error.reason})"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return None, "timeout"
    if isinstance(error, OSError):
        return None, f"cannot be reached ({error.strerror or error})"
    return 0, f"{type(error).__name__}: {error}"


def _wrapped_body(error: SPARQLWrapperException) -> str:
    """The response body that SPARQLWrapper put into its exception's message, as text."""
    _, found, body = str(error).partition("\n\nResponse:\n")
    if not found:
        return ""
    try:
        value = ast.literal_eval(body)
    except (ValueError, SyntaxError):
        return body.strip()
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).strip()


def _short(message: str, limit: int = 2000) -> str:
    """The backend's message, without the query it may echo at length."""
    message = message.split("\n\nSPARQL query:", 1)[0].strip()  # Virtuoso repeats the whole query
    return message if len(message) <= limit else message[:limit] + " …"


# -- the executor -----------------------------------------------------------------------------------------


class RemoteExecutor:
    """Runs query and write jobs on the backend; the interface of ``server.executor.Executor``."""

    def __init__(self, backend: Backend, watcher: BackendWatcher, size: int, prefixes: dict[str, str] | None = None,
                 on_event=None, reserved: int = 0, reserved_timeout: float | None = None):
        self.backend = backend
        self.watcher = watcher
        self.size = size
        self.reserved = reserved
        self.reserved_timeout = reserved_timeout
        self._prefixes = prefixes or {}
        self._on_event = on_event or (lambda name: None)
        # The same lanes as the worker pool: ``size`` connections for any job, ``reserved`` more for cheap ones.
        self._admission = Admission(size, reserved, "backend connections")
        self._busy = 0
        self._count_lock = threading.Lock()
        self._graphs: tuple[str, tuple[str, ...]] | None = None  # (token, graphs)
        self._graphs_lock = threading.Lock()

    # -- the Executor interface ----------------------------------------------------------------

    def start(self, wait: int | None = None) -> None:
        """Nothing to start: requests open their own connections."""

    def close(self, wait: bool = False) -> None:
        """Nothing to stop."""

    def stats(self) -> dict:
        with self._count_lock:
            busy = self._busy
        size = self.size + self.reserved
        return {"size": size, "live": size, "idle": size - busy,
                "backend": redact(self.backend.query_url), "reachable": self.watcher.location.ok}

    def run(self, job: dict, timeout: float, *, deadline: float | None = None, cheap: bool = False) -> tuple:
        """Run a job at the backend; ``deadline`` bounds the wait for a connection and the request together."""
        deadline = time.monotonic() + timeout if deadline is None else deadline
        lane = self._admission.acquire(cheap, deadline)
        if lane == RESERVED and self.reserved_timeout is not None:
            deadline = min(deadline, time.monotonic() + self.reserved_timeout)
        with self._count_lock:
            self._busy += 1
        try:
            if job.get("op") == "query":
                return self._query(job, deadline, timeout)
            if job.get("op") == "write":
                return self._write(job, deadline, timeout)
            return ("error", "protocol", f"unknown job {job.get('op')!r}")
        finally:
            with self._count_lock:
                self._busy -= 1
            self._admission.release(lane)

    # -- queries --------------------------------------------------------------------------------

    def union_graphs(self, deadline: float, timeout: float) -> tuple[str, ...]:
        """bmkg's named graphs on the backend, read once per token."""
        if self.backend.graphs:
            return self.backend.graphs
        token = self.watcher.current().id
        with self._graphs_lock:
            if self._graphs is not None and self._graphs[0] == token:
                return self._graphs[1]
        listed = self._select_column(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH <{METADATA_GRAPH}> {{ <{DATASET}> <{VOID_SUBSET}> ?g }} }}",
            deadline, timeout)
        if not listed:  # no metadata graph: whatever graphs in bmkg's namespace the backend holds
            listed = self._select_column(
                f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{GRAPH_BASE}")) }}',
                deadline, timeout)
        # Never an empty list: no dataset parameter would mean the backend's own default graph.
        graphs = tuple(sorted(set(listed) | {METADATA_GRAPH}))
        with self._graphs_lock:
            self._graphs = (token, graphs)
        return graphs

    def _select_column(self, text: str, deadline: float, timeout: float) -> list[str]:
        reply = self._request(text, "SELECT", (), (), deadline, timeout)
        if reply[0] != "ok":
            raise _Failed(reply)
        document = json.loads(reply[1])
        return [row[name]["value"] for row in document["results"]["bindings"]
                for name in document["head"]["vars"] if name in row and row[name]["type"] == "uri"]

    def _query(self, job: dict, deadline: float, timeout: float) -> tuple:
        started = time.perf_counter()
        text = job["query"]
        try:
            inspection = lexer.inspect(text)
        except lexer.MalformedIRI as error:  # the protocol checks first; pages' own queries never get here
            return ("error", "syntax", str(error))
        form = inspection.form or "SELECT"
        default, named = job.get("default"), job.get("named")
        try:
            if default is None and named is None and job.get("union"):
                default = named = self.union_graphs(deadline, timeout)
                if store.INFERRED_GRAPH not in job["union"]:  # the asserted graphs only
                    default = tuple(g for g in default if g != store.INFERRED_GRAPH)
            elif (default is not None or named is not None) and inspection.has_dataset:
                text = without_dataset(text, inspection.tokens)
            text = with_base(text, job.get("base"), inspection.tokens if text is job["query"] else None)
            reply = self._request(text, form, default or (), named or (), deadline, timeout)
        except _Failed as failure:
            return failure.reply
        if reply[0] != "ok":
            return reply
        _, body, headers = reply
        try:
            result, remote_cap = _read_result(form, body, headers)
            payload, truncated, rows = results.serialize(result, job["format"], job.get("cap", 0), self._prefixes)
        except results.UnsupportedFormat as error:
            return ("error", "format", str(error))
        except (SyntaxError, ValueError, KeyError, TypeError) as error:
            return ("error", "backend", f"the backend's answer could not be read: {error}")
        if remote_cap and rows >= remote_cap:
            truncated = True  # the backend cut the result at its own limit (Virtuoso's ResultSetMaxRows)
        return ("ok", payload, {"truncated": truncated, "rows": rows, "seconds": time.perf_counter() - started})

    def _request(self, text: str, form: str, default, named, deadline: float, timeout: float) -> tuple:
        """Send one query; ("ok", body, headers) or an error reply. Raises QueryTimeout."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timeout(timeout)
        wrapper = self.backend.wrapper(self.backend.query_url, remaining)
        wrapper.setQuery(text)
        wrapper.queryType = form  # the lexer's reading, not SPARQLWrapper's regular expression
        for graph in default:
            wrapper.addDefaultGraph(graph)
        for graph in named:
            wrapper.addNamedGraph(graph)
        wrapper.addCustomHttpHeader("Accept", ACCEPT[form])
        try:
            response = wrapper.query().response
            try:
                headers = {k.lower(): v for k, v in response.getheaders()}
                chunks = []
                while chunk := response.read(_CHUNK):
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise self._timeout(timeout)
            finally:
                response.close()
        except QueryTimeout:
            raise
        except Exception as error:  # SPARQLWrapper and urllib raise many kinds
            return self._failure(error, timeout)
        self.watcher.location.ok = True
        if headers.get("x-sql-state", "").upper() == "S1TAT":  # Virtuoso's partial "anytime" answer
            raise self._timeout(timeout)
        return ("ok", b"".join(chunks), headers)

    def _timeout(self, timeout: float) -> QueryTimeout:
        self._on_event("timeout")
        return QueryTimeout(timeout)

    def _failure(self, error: Exception, timeout: float) -> tuple:
        status, message = describe(error)
        if status is None and message == "timeout":
            raise self._timeout(timeout)
        if status is None:
            self.watcher.location.ok = False
            log.warning("backend %s", message)
            return ("error", "store", f"the backend store {redact(self.backend.query_url)} {message}")
        self.watcher.location.ok = True
        if status == 504 or (status >= 500 and _TIMED_OUT.search(message)):
            raise self._timeout(timeout)
        if status in (401, 403, 407):
            log.error("the backend refused bmkg's credentials (HTTP %s)", status)
            return ("error", "backend", f"the backend store refused the request (HTTP {status}); "
                                        "check the server's backend credentials")
        if status == 404:
            return ("error", "backend", f"the backend store has no endpoint at {redact(self.backend.query_url)}"
                                        " (HTTP 404)")
        if 400 <= status < 500:
            return ("error", "rejected", _short(message))
        if status in (502, 503):
            return ("error", "store", f"the backend store is unavailable (HTTP {status}): {_short(message, 300)}")
        return ("error", "evaluation", f"the backend store failed (HTTP {status}): {_short(message)}")

    # -- writes --------------------------------------------------------------------------------

    def _write(self, job: dict, deadline: float, timeout: float) -> tuple:
        if not self.backend.update_url:
            return ("error", "backend", "writes need BACKEND_UPDATE, the backend's SPARQL Update endpoint")
        info = []
        try:
            for action in job["actions"]:
                info.append(self._write_action(action, deadline, timeout))
        except _Failed as failure:
            return failure.reply
        except SyntaxError as error:
            return ("error", "syntax", str(error))
        return ("ok", self.watcher.wrote().id, info)

    def _write_action(self, action: dict, deadline: float, timeout: float) -> dict:
        kind = action["kind"]
        if kind == "update":
            text = with_base(action["text"], action.get("base"))
            self._update(text, deadline, timeout)
            return {}
        graph = action.get("graph")
        existed = graph is None or self._ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", deadline, timeout)
        target = "DEFAULT" if graph is None else f"GRAPH <{graph}>"
        if kind == "delete":
            if not existed:
                raise _Failed(("error", "not-found", f"no graph named <{graph}>"))
            self._update(f"{'CLEAR' if graph is None else 'DROP'} SILENT {target}", deadline, timeout)
            return {"existed": existed}
        if kind not in ("put", "post"):
            raise ValueError(f"unknown write action {kind!r}")
        triples = [getattr(q, "triple", q) for q in ox.parse(
            action["data"], format=ox.RdfFormat.from_media_type(action["format"]), base_iri=action.get("base"))]
        if kind == "put":
            self._update(f"{'CLEAR' if graph is None else 'DROP'} SILENT {target}", deadline, timeout)
        for text in insert_updates(graph, triples):
            self._update(text, deadline, timeout)
        return {"created": not existed}

    def _ask(self, text: str, deadline: float, timeout: float) -> bool:
        reply = self._request(text, "ASK", (), (), deadline, timeout)
        if reply[0] != "ok":
            raise _Failed(reply)
        return json.loads(reply[1]).get("boolean") is True

    def _update(self, text: str, deadline: float, timeout: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timeout(timeout)
        wrapper = self.backend.wrapper(self.backend.update_url, remaining)
        wrapper.setRequestMethod(POSTDIRECTLY)
        wrapper.setQuery(text)
        wrapper.queryType = "INSERT"  # any update form: it routes the request to the update endpoint
        try:
            with wrapper.query().response as response:
                response.read()
        except Exception as error:  # SPARQLWrapper and urllib raise many kinds
            raise _Failed(self._failure(error, timeout)) from None


def with_base(text: str, base: str | None, tokens: list | None = None) -> str:
    """The text with ``BASE <base>`` in front when it has relative IRIs, so the backend resolves
    them as the embedded store would; otherwise unchanged, so error positions stay the backend's.

    >>> with_base("SELECT * { <a> ?p ?o }", "http://h/sparql")
    'BASE <http://h/sparql> SELECT * { <a> ?p ?o }'
    >>> with_base("SELECT * { <http://x/a> ?p ?o }", "http://h/sparql")
    'SELECT * { <http://x/a> ?p ?o }'
    """
    if not base:
        return text
    tokens = lexer.tokens(text) if tokens is None else tokens
    if any(t.kind == "iri" and not _ABSOLUTE.match(lexer.iri_value(t)) for t in tokens):
        return f"BASE <{base}> {text}"  # on the first line: line numbers in messages stay right
    return text


_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def without_dataset(text: str, tokens: list | None = None) -> str:
    """The query without its FROM and FROM NAMED clauses.

    The protocol's ``default-graph-uri``/``named-graph-uri`` replace the
    query's dataset (SPARQL 1.1 Protocol 2.1.4), but Virtuoso adds them to it,
    so the clauses are taken out before the query is forwarded with the
    protocol's dataset.

    >>> without_dataset("SELECT * FROM <g1> FROM NAMED ex:g2 WHERE { ?s ?p '<FROM <x>>' }")
    "SELECT *   WHERE { ?s ?p '<FROM <x>>' }"
    """
    tokens = lexer.tokens(text) if tokens is None else tokens
    cuts, depth = [], 0
    for index, token in enumerate(tokens):
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif depth == 0 and token.keyword() == "FROM":
            target = index + 2 if index + 1 < len(tokens) and tokens[index + 1].keyword() == "NAMED" else index + 1
            if target < len(tokens) and tokens[target].kind in ("iri", "pname"):
                cuts.append((token.start, tokens[target].end))
    for start, end in reversed(cuts):
        text = text[:start] + text[end:]
    return text


class _Failed(Exception):
    """Carries an error reply out of a helper."""

    def __init__(self, reply: tuple):
        self.reply = reply
        super().__init__(reply[-1])


def insert_updates(graph: str | None, triples: list) -> list[str]:
    """SPARQL Updates adding ``triples`` to ``graph`` (None: the default graph), in batches.

    Triples with blank nodes go together in one ``INSERT {} WHERE {}`` (blank
    nodes are fresh in each request, and Virtuoso refuses them in INSERT DATA).

    >>> t = ox.Triple(ox.NamedNode("http://s"), ox.NamedNode("http://p"), ox.Literal("o"))
    >>> insert_updates("http://g", [t])
    ['INSERT DATA { GRAPH <http://g> {\\n<http://s> <http://p> "o" .\\n} }']
    >>> insert_updates(None, [ox.Triple(ox.BlankNode("b"), ox.NamedNode("http://p"), ox.Literal("o"))])
    ['INSERT {\\n_:b <http://p> "o" .\\n} WHERE {}']
    """
    ground = [t for t in triples if not (isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode))]
    blank = [t for t in triples if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)]

    def block(part) -> str:
        body = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in part)
        return f"{{\n{body}}}" if graph is None else f"{{ GRAPH <{graph}> {{\n{body}}} }}"

    texts = [f"INSERT DATA {block(ground[i:i + WRITE_BATCH])}" for i in range(0, len(ground), WRITE_BATCH)]
    if blank:
        texts.append(f"INSERT {block(blank)} WHERE {{}}")
    return texts


# -- reading the backend's answers ---------------------------------------------------------------------


def _read_result(form: str, body: bytes, headers: dict[str, str]):
    """The backend's answer as a pyoxigraph result, and the row limit it says it applied (or 0)."""
    remote_cap = int(headers.get("x-sparql-maxrows", "0") or 0) if headers.get("x-sparql-maxrows", "").isdigit() else 0
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if form in ("SELECT", "ASK"):
        if media not in ("application/sparql-results+json", "application/json"):
            raise ValueError(f"expected SPARQL JSON results, got {media or 'no Content-Type'}")
        normal = solutions_json(json.loads(body))
        return ox.parse_query_results(normal, format=ox.QueryResultsFormat.JSON), remote_cap
    if media == "text/plain":
        media = "application/n-triples"
    try:
        fmt = ox.RdfFormat.from_media_type(media)
    except ValueError:
        raise ValueError(f"expected an RDF graph, got {media or 'no Content-Type'}") from None
    parsed = ox.parse(body, format=fmt)
    return iter(getattr(q, "triple", q) for q in parsed), remote_cap


def solutions_json(document: dict) -> bytes:
    """SPARQL JSON results in the standard's own terms, whatever the backend's dialect.

    Virtuoso writes ``typed-literal`` (from the 2007 draft) and blank node labels
    such as ``nodeID://b10001``, which are not valid labels; those are renamed
    consistently within the document.

    >>> solutions_json({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {
    ...     "type": "typed-literal", "value": "1", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}},
    ...     {"x": {"type": "bnode", "value": "nodeID://b1"}}]}})
    b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "1", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}, {"x": {"type": "bnode", "value": "r0"}}]}}'
    """
    if "boolean" in document:
        return json.dumps({"head": {}, "boolean": bool(document["boolean"])}).encode()
    labels: dict[str, str] = {}
    variables = list(document.get("head", {}).get("vars", []))
    rows = []
    for binding in document.get("results", {}).get("bindings", []):
        rows.append({name: _term(term, labels) for name, term in binding.items()})
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": rows}}).encode()


def _term(term: dict, labels: dict[str, str]) -> dict:
    kind = term["type"]
    if kind == "bnode":
        value = term["value"]
        return {"type": "bnode", "value": labels.setdefault(value, f"r{len(labels)}")}
    if kind == "typed-literal":
        kind = "literal"
    out = {"type": kind, "value": term["value"]}
    if term.get("datatype"):
        out["datatype"] = term["datatype"]
    if term.get("xml:lang"):
        out["xml:lang"] = term["xml:lang"]
    if kind == "triple":  # RDF 1.2 triple terms: pass their parts through the same rules
        out["value"] = {k: _term(v, labels) for k, v in term["value"].items()}
    return out
