"""``bmkg publish``: copy the current build's named graphs to an external SPARQL 1.1 store.

For graphs that outgrow the embedded store, the same named graphs go to an
engine built for scale (Virtuoso, Oxigraph server, Fuseki, QLever, GraphDB),
and ``bmkg serve --backend`` answers from there. Each graph of the current
generation is replaced on the target, in batches:

- over SPARQL Update (the default), with SPARQLWrapper: ``DROP SILENT GRAPH``,
  then ``INSERT DATA`` batches;
- over the Graph Store HTTP Protocol when ``--graph-store`` is given: a
  ``PUT`` of the first batch, then ``POST`` batches. SPARQLWrapper does not
  speak this protocol, so these requests go through the standard library's
  ``urllib.request`` (with its own opener, so credentials stay in it).

Replacing a graph is idempotent: publishing the same build twice leaves the
target as after the first time. Blank nodes are fresh in every request (SPARQL
Update and the Graph Store Protocol agree on this), so a batch never splits the
triples that share a blank node. Batches holding blank nodes use
``INSERT { ... } WHERE {}`` instead of ``INSERT DATA``, because Virtuoso
refuses blank nodes in ``INSERT DATA``.

Afterwards each graph's triple count on the target is compared with the
build's; any difference fails the command (exit 1) and names the graph and
both counts. Exit 2: the store or the target could not be used.

The metadata graph goes last, so a ``bmkg serve --backend`` that reads the
list of graphs from it during a publish sees the previous list until the new
graphs are in. Readers do see a graph half-replaced while it is being sent:
for a store that must never show that, publish to a second store and switch.

Credentials come from options or ``BMKG_PUBLISH_*`` variables (prefer the
variables: they do not show in a process list) and never appear in output or
logs; URLs are shown without user information or query strings.
"""

from __future__ import annotations

import ast
import base64
import logging
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
import pyoxigraph as ox
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from SPARQLWrapper import BASIC, DIGEST, JSON, POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from ontology import GRAPH_BASE, store

log = logging.getLogger(__name__)

EXIT_OK, EXIT_MISMATCH, EXIT_UNUSABLE = 0, 1, 2
METADATA_GRAPH = GRAPH_BASE + "metadata"
AGENT = "bmkg-publish/0.1 (+https://w3id.org/bmkg/)"
#: Triples per request. Virtuoso's SPARQL compiler runs out of parser stack near 5000 triples in one
#: update; a Graph Store body is read by the engine's bulk parser and can be much larger.
UPDATE_BATCH, GRAPH_STORE_BATCH = 1000, 10000
#: Statuses worth one more try: the target was busy or a proxy gave up.
RETRY_STATUSES = (502, 503, 504)


class PublishError(Exception):
    """The target could not take a request; the message is safe to print (no credentials)."""


@dataclass(frozen=True)
class Target:
    """Where and how to publish. ``repr`` hides the secrets."""

    endpoint: str
    update_endpoint: str | None = None
    graph_store: str | None = None
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    auth: str = "basic"  # or "digest", for --user/--password
    timeout_s: float = 300.0
    retries: int = 2

    @property
    def method(self) -> str:
        return "graph store protocol" if self.graph_store else "SPARQL Update"


@dataclass
class GraphReport:
    graph: str
    expected: int
    found: int | None = None
    batches: int = 0
    seconds: float = 0.0

    @property
    def matches(self) -> bool:
        return self.found == self.expected


def redact(url: str) -> str:
    """A URL fit for output: no user information, no query string.

    >>> redact("https://admin:s3cret@example.org:8890/sparql-auth?key=abc")
    'https://example.org:8890/sparql-auth?…'
    >>> redact("http://127.0.0.1:7878/update")
    'http://127.0.0.1:7878/update'
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))


# -- reading the build -------------------------------------------------------------------


def graph_counts(db: ox.Store) -> dict[str, int]:
    """Triples per named graph of a store, metadata last (see the module's docstring)."""
    counts = {g.value: 0 for g in db.named_graphs()}
    for row in db.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
        counts[row["g"].value] = int(row["n"].value)
    return dict(sorted(counts.items(), key=lambda item: (item[0] == METADATA_GRAPH, item[0])))


def batches(triples: Iterable[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """Group ``triples`` in lists of about ``size``, never splitting triples that share a blank node.

    Triples without blank nodes are sent as they come. Those with blank nodes
    are held until the end, joined into connected groups (a union-find over the
    blank nodes), and each group goes whole into one batch, even if that batch
    then holds more than ``size``.

    >>> b = [ox.BlankNode(f"b{i}") for i in range(3)]
    >>> p, x = ox.NamedNode("p:"), ox.NamedNode("x:")
    >>> data = [ox.Triple(x, p, x), ox.Triple(b[0], p, b[1]), ox.Triple(x, p, b[2]),
    ...         ox.Triple(b[1], p, x), ox.Triple(x, p, ox.Literal("y"))]
    >>> [[f"{t.subject} {t.object}" for t in batch] for batch in batches(data, 2)]
    [['<x:> <x:>', '<x:> "y"'], ['_:b0 _:b1', '_:b1 <x:>'], ['<x:> _:b2']]
    """
    ready: list[ox.Triple] = []
    parent: dict[ox.BlankNode, ox.BlankNode] = {}
    held: dict[ox.BlankNode, list[ox.Triple]] = {}

    def root(node: ox.BlankNode) -> ox.BlankNode:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for triple in triples:
        nodes = [n for n in (triple.subject, triple.object) if isinstance(n, ox.BlankNode)]
        if not nodes:
            ready.append(triple)
            if len(ready) >= size:
                yield ready
                ready = []
            continue
        roots = {root(n) for n in nodes}
        top = max(roots, key=lambda r: len(held.get(r, ())))
        group = held.setdefault(top, [])
        for other in roots - {top}:
            parent[other] = top
            group.extend(held.pop(other, []))
        group.append(triple)
    for group in held.values():
        if ready and len(ready) + len(group) > size:
            yield ready
            ready = []
        ready.extend(group)
    if ready:
        yield ready


def has_blank_nodes(triples: list[ox.Triple]) -> bool:
    return any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples)


def insert_text(graph: str, triples: list[ox.Triple]) -> str:
    """The SPARQL Update that adds ``triples`` to ``graph``.

    >>> t = ox.Triple(ox.NamedNode("http://s"), ox.NamedNode("http://p"), ox.Literal('say "hi"'))
    >>> insert_text("http://g", [t])
    'INSERT DATA { GRAPH <http://g> {\\n<http://s> <http://p> "say \\\\"hi\\\\"" .\\n} }'
    >>> insert_text("http://g", [ox.Triple(ox.BlankNode("b"), ox.NamedNode("http://p"), ox.Literal("x"))])
    'INSERT { GRAPH <http://g> {\\n_:b <http://p> "x" .\\n} } WHERE {}'
    """
    body = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
    if has_blank_nodes(triples):
        return f"INSERT {{ GRAPH <{graph}> {{\n{body}}} }} WHERE {{}}"
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}"


# -- talking to the target -------------------------------------------------------------------


class Client:
    """SPARQL queries and updates through SPARQLWrapper; Graph Store requests through urllib."""

    def __init__(self, target: Target):
        self.target = target
        self._opener = self._graph_store_opener()

    def _wrapper(self, url: str) -> SPARQLWrapper:
        target = self.target
        wrapper = SPARQLWrapper(url, updateEndpoint=url, agent=AGENT)
        wrapper.setMethod(POST)
        wrapper.setOnlyConneg(True)
        wrapper.timeout = target.timeout_s  # the attribute: setTimeout() would drop fractions of seconds
        if target.token:
            wrapper.addCustomHttpHeader("Authorization", f"Bearer {target.token}")
        elif target.user:
            wrapper.setHTTPAuth(DIGEST if target.auth == "digest" else BASIC)
            wrapper.setCredentials(target.user, target.password or "")
        return wrapper

    def count(self, graph: str) -> int:
        wrapper = self._wrapper(self.target.endpoint)
        wrapper.setQuery(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        wrapper.setReturnFormat(JSON)
        reply = self._call(lambda: wrapper.query().convert(), self.target.endpoint, "count the triples of", graph)
        rows = reply.get("results", {}).get("bindings", [])
        if not rows or "n" not in rows[0]:
            return 0
        return int(float(rows[0]["n"]["value"]))  # some engines write counts as decimals

    def update(self, text: str, graph: str, what: str) -> None:
        url = self.target.update_endpoint or self.target.endpoint
        wrapper = self._wrapper(url)
        wrapper.setRequestMethod(POSTDIRECTLY)
        wrapper.setQuery(text)
        self._call(lambda: wrapper.query().response.read(), url, what, graph)

    def graph_store(self, method: str, graph: str, body: bytes) -> None:
        base = self.target.graph_store
        url = f"{base}{'&' if '?' in base else '?'}graph={urllib.parse.quote(graph, safe='')}"
        request = urllib.request.Request(url, data=body, method=method, headers={
            "Content-Type": "application/n-triples", "User-Agent": AGENT})
        if self.target.token:
            request.add_header("Authorization", f"Bearer {self.target.token}")
        elif self.target.user and self.target.auth == "basic":
            pair = f"{self.target.user}:{self.target.password or ''}".encode("utf-8")
            request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode("ascii"))

        def send():
            with self._opener.open(request, timeout=self.target.timeout_s) as response:
                response.read()

        self._call(send, base, f"{method} a batch of", graph)

    def _graph_store_opener(self) -> urllib.request.OpenerDirector:
        handlers = []
        if self.target.graph_store and self.target.user and self.target.auth == "digest":
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, self.target.graph_store, self.target.user, self.target.password or "")
            handlers.append(_SignedDigest(passwords))
        return urllib.request.build_opener(*handlers)

    def sign_in(self, graph: str) -> None:
        """With digest authentication, get the server's challenge by a request without a body.

        A server may answer the unsigned first try of a large PUT with 401 and
        close the connection while the body is still being sent (Virtuoso
        does); once the challenge is known, every request goes out signed.
        """
        if not (self.target.graph_store and self.target.user and self.target.auth == "digest"):
            return
        base = self.target.graph_store
        url = f"{base}{'&' if '?' in base else '?'}graph={urllib.parse.quote(graph, safe='')}"
        request = urllib.request.Request(url, method="GET", headers={"Accept": "application/n-triples",
                                                                     "User-Agent": AGENT})

        def ask():
            try:
                with self._opener.open(request, timeout=self.target.timeout_s) as response:
                    response.read()
            except urllib.error.HTTPError as error:
                if error.code != 404:  # a graph not there yet is fine
                    raise

        self._call(ask, base, "sign in to publish", graph)

    def _call(self, send, url: str, what: str, graph: str):
        """Run one request, retrying busy answers; failures become PublishError without secrets."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return send()
            except Exception as error:  # SPARQLWrapper and urllib raise many kinds
                status, detail = _describe(error)
                retry = attempt <= self.target.retries and (status in RETRY_STATUSES or status is None)
                if not retry:
                    raise PublishError(f"could not {what} <{graph}> at {redact(url)}: {detail}") from None
                log.info("retrying (%s) to %s <%s> at %s", detail, what, graph, redact(url))
                time.sleep(0.5 * 2 ** (attempt - 1))


class _SignedDigest(urllib.request.HTTPDigestAuthHandler):
    """urllib's digest authentication, answering the last challenge up front.

    urllib signs a request only after a 401; this handler keeps the challenge
    and signs every later request before it is sent (urllib counts the nonce
    uses), so request bodies are sent once.
    """

    def __init__(self, passwords):
        super().__init__(passwords)
        self.challenge: dict | None = None

    def http_error_401(self, req, fp, code, msg, headers):
        header = headers.get("www-authenticate", "")
        if header[:7].lower() == "digest ":
            self.challenge = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))
        return super().http_error_401(req, fp, code, msg, headers)

    def http_request(self, req):
        if self.challenge and not req.has_header("Authorization"):
            signature = self.get_authorization(req, self.challenge)
            if signature:
                req.add_unredirected_header("Authorization", f"Digest {signature}")
        return req

    https_request = http_request


def _describe(error: Exception) -> tuple[int | None, str]:
    """(HTTP status or None, a short message) for a failed request; never the request itself."""
    if isinstance(error, SPARQLWrapperException):
        status = getattr(error.__context__, "code", None)
        return status, f"HTTP {status}: {_first_lines(_wrapped_body(error)) or type(error).__name__}"
    if isinstance(error, urllib.error.HTTPError):
        try:
            body = error.read().decode("utf-8", "replace")
        except Exception:  # the body is a courtesy
            body = ""
        return error.code, f"HTTP {error.code} {error.reason}: {_first_lines(body)}".rstrip(": ")
    if isinstance(error, urllib.error.URLError):
        return None, f"cannot connect ({error.reason})"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return None, "no answer within the timeout"
    if isinstance(error, OSError):
        return None, f"connection failed ({error.strerror or error})"
    return 0, f"{type(error).__name__}: {error}"


def _wrapped_body(error: SPARQLWrapperException) -> str:
    """The response body that SPARQLWrapper put into its exception's message (as a bytes repr)."""
    _, found, body = str(error).partition("\n\nResponse:\n")
    if not found:
        return ""
    try:
        value = ast.literal_eval(body)
    except (ValueError, SyntaxError):
        return body
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _first_lines(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " …"


# -- publishing -----------------------------------------------------------------------------


class Publisher:
    def __init__(self, target: Target, batch_size: int = UPDATE_BATCH, on_batch=None):
        self.target = target
        self.batch_size = batch_size
        self.client = Client(target)
        self.on_batch = on_batch or (lambda graph, count: None)

    def publish(self, db: ox.Store, counts: dict[str, int]) -> list[GraphReport]:
        """Replace every graph of ``counts`` on the target, then count each there."""
        reports = []
        for graph, expected in counts.items():
            report = GraphReport(graph, expected)
            started = time.perf_counter()
            triples = (q.triple for q in db.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
            if self.target.graph_store:
                self._by_graph_store(graph, triples, report)
            else:
                self._by_update(graph, triples, report)
            report.seconds = time.perf_counter() - started
            reports.append(report)
        for report in reports:
            report.found = self.client.count(report.graph)
        return reports

    def _by_update(self, graph: str, triples: Iterable[ox.Triple], report: GraphReport) -> None:
        self.client.update(f"DROP SILENT GRAPH <{graph}>", graph, "drop the old copy of")
        for batch in batches(triples, self.batch_size):
            self.client.update(insert_text(graph, batch), graph, "insert a batch into")
            report.batches += 1
            self.on_batch(graph, len(batch))

    def _by_graph_store(self, graph: str, triples: Iterable[ox.Triple], report: GraphReport) -> None:
        self.client.sign_in(graph)
        method = "PUT"
        for batch in batches(triples, self.batch_size):
            self.client.graph_store(method, graph, ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES))
            method = "POST"
            report.batches += 1
            self.on_batch(graph, len(batch))
        if method == "PUT":  # an empty graph: PUT nothing, which empties it on the target
            self.client.graph_store("PUT", graph, b"")


# -- the command -----------------------------------------------------------------------------------


def _http_url(_ctx, param, value):
    if value is None:
        return None
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"expected an http(s) URL, got {redact(value) if '://' in value else value!r}")
    if parts.username or parts.password:
        raise click.BadParameter("put credentials in --user/--password or --token (or BMKG_PUBLISH_*), not in the URL")
    return value


@click.command("publish")
@click.option("--endpoint", required=True, callback=_http_url, metavar="URL",
              help="The target's SPARQL query endpoint (used to count each graph afterwards).")
@click.option("--update-endpoint", callback=_http_url, metavar="URL",
              help="Its SPARQL Update endpoint [default: --endpoint].")
@click.option("--graph-store", callback=_http_url, metavar="URL",
              help="Send the graphs through this Graph Store Protocol endpoint instead of SPARQL Update.")
@click.option("--user", envvar="BMKG_PUBLISH_USER", help="User name for HTTP authentication [$BMKG_PUBLISH_USER].")
@click.option("--password", envvar="BMKG_PUBLISH_PASSWORD",
              help="Password for --user; prefer $BMKG_PUBLISH_PASSWORD, which no process list shows.")
@click.option("--auth", "auth", type=click.Choice(["basic", "digest"]), default="basic", show_default=True,
              help="HTTP authentication scheme for --user (Virtuoso's /sparql-auth wants digest).")
@click.option("--token", envvar="BMKG_PUBLISH_TOKEN",
              help="Bearer token instead of --user; prefer $BMKG_PUBLISH_TOKEN.")
@click.option("--store", "store_path", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Store root whose current generation is published (default: $BMKG_STORE, else ./store).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help=f"Triples per request [default: {UPDATE_BATCH} by SPARQL Update, {GRAPH_STORE_BATCH} by the "
                   "graph store protocol].")
@click.option("--timeout-s", type=click.FloatRange(min=0, min_open=True), default=300.0, show_default=True,
              help="Per request.")
@click.option("--quiet", is_flag=True, help="Print only the result line.")
def publish(endpoint, update_endpoint, graph_store, user, password, auth, token, store_path, batch_size, timeout_s,
            quiet) -> None:
    """Replace every named graph of the current build on an external SPARQL 1.1 store.

    Exit 0 when every graph has on the target as many triples as in the build,
    1 when one does not (the graph and both counts are named), 2 when the store
    or the target cannot be used.
    """
    console = Console(stderr=True, quiet=quiet)
    if token and user:
        _stop("give either --user/--password or --token, not both")
    if password and not user:
        _stop("--password needs --user")
    target = Target(endpoint, update_endpoint, graph_store, user, password, token, auth, timeout_s)
    batch_size = batch_size or (GRAPH_STORE_BATCH if graph_store else UPDATE_BATCH)
    root = store.root_from_env(store_path)
    try:
        generation = store.current(root)
    except store.StoreError as error:
        _stop(f"store {root}: {error}")
    if generation is None:
        _stop(f"store {root} has no published generation (run `bmkg build` first)")
    try:
        db = ox.Store.read_only(str(generation.oxigraph))
    except (OSError, RuntimeError) as error:
        _stop(f"store {generation.oxigraph} cannot be opened: {error}")
    counts = graph_counts(db)
    total = sum(counts.values())
    where = redact(graph_store or update_endpoint or endpoint)
    console.print(f"publishing generation {generation.id}: {len(counts)} graphs, {total} triples, "
                  f"to {where} by {target.method}", markup=False, highlight=False)
    started = time.perf_counter()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("triples"),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            task = progress.add_task("publishing", total=total)

            def advance(graph: str, count: int) -> None:
                progress.update(task, advance=count, description=graph.removeprefix(GRAPH_BASE))

            reports = Publisher(target, batch_size, on_batch=advance).publish(db, counts)
    except PublishError as error:
        click.echo(f"bmkg publish: {error}", err=True)
        sys.exit(EXIT_UNUSABLE)
    seconds = time.perf_counter() - started
    table = Table("named graph", "build", "target", "batches", "seconds", title="Triples per named graph")
    for report in reports:
        table.add_row(report.graph, str(report.expected), str(report.found), str(report.batches),
                      f"{report.seconds:.2f}", style=None if report.matches else "bold red")
    console.print(table)
    wrong = [r for r in reports if not r.matches]
    for report in wrong:
        click.echo(f"bmkg publish: graph <{report.graph}> has {report.expected} triples in the build but "
                   f"{report.found} on the target", err=True)
    if wrong:
        sys.exit(EXIT_MISMATCH)
    click.echo(f"published generation {generation.id} to {where}: {len(reports)} graphs, {total} triples, "
               f"{seconds:.1f} s")


def _stop(message: str) -> None:
    click.echo(f"bmkg publish: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)
