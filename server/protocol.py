"""The SPARQL 1.1 Protocol at ``/sparql``: queries, updates, and the service description.

Requests are read strictly (SPARQL 1.1 Protocol section 2): query by GET,
by a form POST or by a direct POST; update by a form POST or a direct POST.
Parameters are decoded as UTF-8 and invalid bytes are an error, not replaced.
A query runs in a killable worker (``server.executor``); the response is
negotiated before it runs, so a 406 costs nothing. Point lookups are answered
before they reach this module, in the web process (``server.fastlane``).
"""

from __future__ import annotations

import dataclasses
import functools
import hmac
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox
from flask import Blueprint, Response, g, has_request_context, request

from ontology import store
from server import entities, lexer, negotiation, policy, responses
from server.description import service_description
from server.cache import Entry
from server.executor import PoolBusy, QueryTimeout, WorkerFailed
from server.responses import HTTPProblem
from server.runtime import get_runtime

log = logging.getLogger(__name__)

bp = Blueprint("protocol", __name__)

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
SINGLE = ("query", "update", "version")
VERSIONS = ("1.1", "1.2")


@dataclass
class Operation:
    kind: str  # "query" or "update"
    text: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    using_graphs: list[str] = field(default_factory=list)
    using_named_graphs: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    asserted: bool = False  # the default graph leaves out ``inferred`` (the query API's asserted=true)


def decode_params(raw: bytes, where: str) -> dict[str, list[str]]:
    """Percent-decode ``a=b&c=d`` strictly as UTF-8, keeping repeated names.

    >>> decode_params(b"query=ASK%20%7B%7D&default-graph-uri=a&default-graph-uri=b", "URL")
    {'query': ['ASK {}'], 'default-graph-uri': ['a', 'b']}
    >>> decode_params(b"query=%FF", "URL")
    Traceback (most recent call last):
    ...
    server.responses.HTTPProblem: the URL is not valid UTF-8 once percent-decoded
    """
    params: dict[str, list[str]] = {}
    try:
        for pair in raw.split(b"&"):
            if not pair:
                continue
            name, _, value = pair.partition(b"=")
            name = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8")
            params.setdefault(name, []).append(unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8"))
    except UnicodeDecodeError:
        raise HTTPProblem(400, f"the {where} is not valid UTF-8 once percent-decoded") from None
    return params


def _check_charset(media_type: str) -> None:
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise HTTPProblem(415, f"{media_type} bodies must be UTF-8, not charset={charset}")


def _check_version(params: dict[str, list[str]]) -> None:
    versions = params.get("version", []) + ([request.mimetype_params["version"]] if "version" in request.mimetype_params else [])
    if len(versions) > 1:
        raise HTTPProblem(400, "give the version parameter at most once")
    if versions and versions[0] not in VERSIONS:
        raise HTTPProblem(400, f"unsupported SPARQL version {versions[0]!r}; this server speaks {', '.join(VERSIONS)}")


def _single(params: dict[str, list[str]]) -> None:
    for name in SINGLE:
        if len(params.get(name, [])) > 1:
            raise HTTPProblem(400, f"give the {name} parameter exactly once, not {len(params[name])} times")


def read_operation() -> Operation | None:
    """The operation a request carries, or None for a plain GET of the endpoint."""
    url = decode_params(request.query_string, "URL")
    _single(url)
    if request.method in ("GET", "HEAD"):
        if request.content_length:
            raise HTTPProblem(400, "a GET request must not carry a body; POST the query instead")
        if "update" in url:
            raise HTTPProblem(400, "updates must be sent by POST (form or application/sparql-update), not GET")
        if "query" not in url:
            return None
        _check_version(url)
        return _operation("query", url["query"][0], url)
    settings = get_runtime().settings
    media = request.mimetype
    if not request.content_type:
        raise HTTPProblem(415, f"a POST needs a Content-Type: {FORM}, {QUERY} or {UPDATE}")
    if media == FORM:
        _check_charset(media)
        body = decode_params(request.get_data(cache=False), "form body")
        _single(body)
        for name in ("query", "update"):
            if name in url:
                raise HTTPProblem(400, f"with a form POST, {name}= belongs in the body, not the URL")
        if "query" in body and "update" in body:
            raise HTTPProblem(400, "give either query or update, not both")
        if "query" not in body and "update" not in body:
            raise HTTPProblem(400, "the form has no query= or update= field")
        merged = {name: url.get(name, []) + body.get(name, []) for name in set(url) | set(body)}
        _single(merged)
        _check_version(merged)
        kind = "query" if "query" in body else "update"
        return _operation(kind, body[kind][0], merged)
    if media in (QUERY, UPDATE):
        _check_charset(media)
        kind = "query" if media == QUERY else "update"
        if request.method == "QUERY" and kind == "update":
            raise HTTPProblem(400, "the QUERY method cannot carry an update")
        if "query" in url or "update" in url:
            raise HTTPProblem(400, f"a direct {media} POST carries the {kind} in its body; drop query=/update= from the URL")
        _check_version(url)
        length = request.content_length or 0
        if length > settings.max_query_length * 4:  # UTF-8 needs at most 4 bytes a character
            raise _too_long(kind, length, "bytes")
        try:
            text = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPProblem(400, f"the {kind} is not valid UTF-8") from None
        return _operation(kind, text, url)
    raise HTTPProblem(415, f"unsupported Content-Type {media!r}: use {FORM}, {QUERY} or {UPDATE}")


def _operation(kind: str, text: str, params: dict[str, list[str]]) -> Operation:
    settings = get_runtime().settings
    if len(text) > settings.max_query_length:
        raise _too_long(kind, len(text))
    if request.method in ("GET", "HEAD") and len(text) > settings.max_get_query_length:
        raise HTTPProblem(
            414,
            f"this query is {len(text)} characters long; GET takes at most {settings.max_get_query_length}."
            f" Send it by POST instead, as a form field (Content-Type: {FORM}) or as the body"
            f" (Content-Type: {QUERY}).",
        )
    for name in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"):
        for value in params.get(name, []):
            try:
                ox.NamedNode(value)
            except ValueError as error:
                raise HTTPProblem(400, f"{name} {value!r} is not an IRI: {error}") from None
            policy.check_dataset(name, value)  # the rule for FROM: file: is refused (403), here and at a backend
    return Operation(
        kind,
        text,
        default_graphs=params.get("default-graph-uri", []),
        named_graphs=params.get("named-graph-uri", []),
        using_graphs=params.get("using-graph-uri", []),
        using_named_graphs=params.get("using-named-graph-uri", []),
        formats=params.get("format", []) + params.get("output", []),
    )


def _too_long(kind: str, length: int, unit: str = "characters") -> HTTPProblem:
    limit = get_runtime().settings.max_query_length
    return HTTPProblem(413, f"the {kind} is {length} {unit} long; this server takes at most {limit} characters")


def base_iri() -> str:
    """The base for relative IRIs: BASE_IRI if set, else this endpoint's URL."""
    return get_runtime().settings.base_iri or request.base_url


@bp.route("/sparql", methods=["GET", "POST", "QUERY"])
def sparql() -> Response:
    operation = read_operation()
    if operation is None:
        g.bmkg_endpoint = "description"
        return service_description()
    if operation.kind == "update":
        g.bmkg_endpoint = "update"
        return run_update(operation)
    g.bmkg_endpoint = "query"
    return run_query(operation)


#: Query texts up to this length have their inspection memoised (see ``_inspect``).
MEMO_TEXT_CHARS = 4096


@functools.lru_cache(maxsize=1024)
def _memo_inspect(text: str, base: str) -> lexer.Inspection:
    # Without the token list, which nothing here reads: a few kB for a short query and about
    # 20 kB at MEMO_TEXT_CHARS, so the memo stays under ~20 MB per web process.
    return dataclasses.replace(lexer.inspect(text, base), tokens=[])


def _inspect(text: str, base: str) -> lexer.Inspection:
    """``lexer.inspect`` for the query path, memoised for short texts.

    Tokenising was about 8% of the CPU of a cache hit (py-spy), and the texts
    that hit the cache are the ones that repeat. Callers only read the result.
    """
    if len(text) > MEMO_TEXT_CHARS:
        return lexer.inspect(text, base)
    return _memo_inspect(text, base)


def inspect_text(text: str, base: str, kind: str = "query") -> lexer.Inspection:
    """Inspect a query or update and hold it to the limits: 400 for a malformed IRI or a text past them.

    Runs before any engine sees the text, so nothing too deep or too long for
    the engine's parser reaches a worker (or a backend).
    """
    try:
        inspection = _inspect(text, base) if kind == "query" else lexer.inspect(text, base)
    except lexer.MalformedIRI as error:
        raise HTTPProblem(400, f"SPARQL syntax error: {error}") from None
    policy.check_limits(inspection, policy.Limits.from_settings(get_runtime().settings), kind)
    return inspection


def run_query(operation: Operation) -> Response:
    runtime = get_runtime()
    settings = runtime.settings
    base = base_iri()
    inspection = inspect_text(operation.text, base)
    policy.check(inspection, settings.service_allowlist, update=False)
    cheap = policy.cheap(inspection)
    offered = negotiation.BY_FORM.get(inspection.form or "SELECT")
    fmt = negotiation.by_name(operation.formats, offered) or negotiation.negotiate(request.headers.get("Accept"), offered)
    protocol_dataset = bool(operation.default_graphs or operation.named_graphs)
    default = operation.default_graphs if protocol_dataset else None
    named = operation.named_graphs if protocol_dataset else None
    # The endpoint's default graph is the union of all graphs, unless the
    # protocol or the query (FROM, FROM NAMED) gives a dataset.
    union = not protocol_dataset and not inspection.has_dataset
    inferred = not operation.asserted
    if default and not inspection.has_dataset and not settings.backend:
        merged = merged_dataset(default)
        if merged is not None:  # every graph, or every asserted one: the store holds their merge
            union, inferred, default = True, merged, None
    generation = runtime.generation()
    key = (operation.text, base, union, inferred, tuple(default or ()), tuple(named or ()), fmt.key, settings.row_cap,
           generation.id)
    cacheable = policy.cacheable(inspection)
    tag = responses.etag(generation, *key) if cacheable else None
    if tag and responses.not_modified(request, tag, generation):
        runtime.metrics.inc("bmkg_not_modified_total")
        response = Response(status=304)
        return _query_headers(responses.validators(response, tag, generation))
    def produce() -> Entry:
        job = runtime.query_job(operation.text, fmt.key, base=base, union=union, inferred=inferred, default=default,
                                named=named, generation=generation)
        started = time.perf_counter()
        reply = run_job(job, cheap=cheap)
        runtime.metrics.observe("bmkg_query_duration_seconds", time.perf_counter() - started)
        if reply[0] != "ok":
            raise job_error(reply)
        body, meta = reply[1], reply[2]
        headers = {}
        if meta.get("truncated"):
            headers["X-SPARQL-Truncated"] = "true"
            runtime.metrics.inc("bmkg_rows_capped_total")
        if operation.asserted and meta.get("rows") == 0 and inspection.form != "ASK":
            headers["X-BMKG-Hint"] = ASSERTED_EMPTY
        return Entry(body, fmt.media_type, headers)

    if cacheable and runtime.cache is not None:
        entry, found = runtime.cache.compute(key, produce)
        runtime.metrics.inc({"hit": "bmkg_cache_hits_total", "shared": "bmkg_cache_shared_total",
                             "miss": "bmkg_cache_misses_total"}[found])
    else:
        entry = produce()
    response = entry_response(entry)
    if tag:
        responses.validators(response, tag, generation)
    return _query_headers(response)


#: Said when a query without the ``inferred`` graph (asserted=true) finds nothing.
ASSERTED_EMPTY = ("no rows: inferred statements were left out (asserted=true), and this question may need them;"
                  " ask again without asserted=true to include what the reasoner adds")


def merged_dataset(default_graphs: list[str]) -> bool | None:
    """Whether a protocol default graph is the merge of every graph (True) or of every graph but
    ``inferred`` (False), which the embedded store holds as its default graph with each statement
    once; None for any other list, which the engine merges graph by graph."""
    every = set(entities.graphs())
    asked = set(default_graphs)
    if asked == every:
        return True
    if asked == every - {store.INFERRED_GRAPH}:
        return False
    return None


def entry_response(entry: Entry) -> Response:
    """A response for a cached entry, reusing its compressed form when the client takes gzip."""
    settings = get_runtime().settings
    if len(entry.body) >= settings.gzip_min_bytes and responses.accepts_gzip():
        if entry.gzipped is None:
            entry.gzipped = responses.compress(entry.body)
        response = Response(entry.gzipped, content_type=entry.content_type)
        response.headers["Content-Encoding"] = "gzip"
        responses.add_vary(response, "Accept-Encoding")
    else:
        response = Response(entry.body, content_type=entry.content_type)
    for name, value in entry.headers.items():
        response.headers[name] = value
    return response


def _query_headers(response: Response) -> Response:
    cap = get_runtime().settings.row_cap
    if cap:
        response.headers["X-SPARQL-MaxRows"] = str(cap)
    responses.add_vary(response, "Accept")
    return response


def run_job(job: dict, *, cheap: bool = False) -> tuple:
    """Run a query job for the current request, within the request's deadline (``TIMEOUT_S`` from its arrival).

    The time the request has waited (for a worker, or for another request
    computing the same answer) counts: a request that waited 25 s of 30 has 5 s
    left to run. ``cheap`` lets the job use the workers kept for cheap queries.
    """
    runtime = get_runtime()
    deadline = g.get("bmkg_deadline") if has_request_context() else None
    try:
        return runtime.executor.run(job, runtime.settings.timeout_s, deadline=deadline, cheap=cheap)
    except QueryTimeout as error:
        runtime.metrics.inc("bmkg_query_timeouts_total")
        log.warning("query stopped after %g s: %.200s", error.seconds, " ".join(job.get("query", "").split()))
        raise HTTPProblem(504, f"{error}. Narrow the query (add LIMIT, filters, or fewer joins) and try again.") from None
    except PoolBusy as error:
        raise HTTPProblem(503, f"the server is busy ({error}); retry shortly", {"Retry-After": "5"}) from None
    except WorkerFailed as error:
        log.error("%s", error)
        raise HTTPProblem(500, str(error)) from None


def job_error(reply: tuple) -> HTTPProblem:
    _, kind, message = reply
    if kind == "syntax":
        return HTTPProblem(400, f"SPARQL syntax error: {message}")
    if kind == "rejected":  # a remote backend answered 4xx (server/backend.py)
        return HTTPProblem(400, f"the backend store rejected the request: {message}")
    if kind == "backend":  # a remote backend that bmkg cannot use as configured
        return HTTPProblem(502, message)
    if kind == "format":
        return HTTPProblem(406, message)
    if kind in ("store", "busy"):
        return HTTPProblem(503, message, {"Retry-After": "5"})
    if kind == "not-found":
        return HTTPProblem(404, message)
    return HTTPProblem(500, f"the query failed: {message}")


def authorize_write() -> None:
    """Writes need ENABLE_UPDATES and the bearer token."""
    settings = get_runtime().settings
    if not settings.enable_updates:
        raise HTTPProblem(403, "this endpoint is read-only: SPARQL Update and Graph Store writes are disabled")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.update_token.encode()):
        raise HTTPProblem(401, "writes need the server's bearer token (Authorization: Bearer ...)",
                          {"WWW-Authenticate": 'Bearer realm="bmkg"'})


def run_update(operation: Operation) -> Response:
    runtime = get_runtime()
    authorize_write()
    base = base_iri()
    inspection = inspect_text(operation.text, base, "update")
    using = operation.using_graphs or operation.using_named_graphs
    if using and inspection.has_using:
        raise HTTPProblem(400, "give the dataset either by using-graph-uri/using-named-graph-uri or by USING/WITH"
                               " in the update, not both (SPARQL 1.1 Protocol 2.2.3)")
    policy.check(inspection, runtime.settings.service_allowlist, update=True)
    text = operation.text
    if using:
        try:
            text = lexer.add_using(text, operation.using_graphs, operation.using_named_graphs)
        except ValueError as error:
            raise HTTPProblem(400, f"SPARQL syntax error: {error}") from None
    reply = perform_write([{"kind": "update", "text": text, "base": base}], "the update")
    if reply[0] != "ok":
        raise job_error(reply)
    return no_content(reply[1])


def perform_write(actions: list[dict], what: str) -> tuple:
    """Run a write job, turning a timeout, a busy pool or a dead worker into its HTTP problem."""
    runtime = get_runtime()
    try:
        return runtime.write(actions)
    except QueryTimeout as error:
        runtime.metrics.inc("bmkg_query_timeouts_total")
        raise HTTPProblem(504, f"{what} ran longer than the server's limit and was stopped; nothing was written "
                               f"({error})") from None
    except PoolBusy as error:
        raise HTTPProblem(503, f"the server is busy ({error}); retry shortly", {"Retry-After": "5"}) from None
    except WorkerFailed as error:
        raise HTTPProblem(500, f"{error}; nothing was written") from None


def no_content(generation_id: str) -> Response:
    """The answer to a successful write: 204, naming the generation it made."""
    response = Response(status=204)
    response.headers.pop("Content-Type", None)
    response.headers["X-BMKG-Generation"] = generation_id
    return response
