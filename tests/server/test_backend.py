"""``bmkg serve --backend``: the server in front of real SPARQL stores (Oxigraph server, Virtuoso).

For each engine, the shipped build is published to a fresh server on
127.0.0.1 (``bmkg publish``'s code, by the Graph Store Protocol), then:

- every query of the cross-topic library, with its default parameters, must
  give the same answer through the backend as on the embedded store, compared
  as multisets of rows, and in the same order of its ORDER BY keys. Numbers
  are compared by value (to 6 significant digits on Virtuoso, which writes
  doubles no more precisely) and GROUP_CONCAT cells as multisets of their
  items (SPARQL leaves their order open). The differences that come from
  Virtuoso's SPARQL dialect are listed in ``VIRTUOSO_DIFFERENCES``, each with
  its cause; they are strict xfails, so a fix on either side shows up;
- the default graph is the union of bmkg's graphs and nothing else, and the
  protocol's and the query's datasets are honoured;
- a live ``bmkg serve --backend`` keeps the endpoint's protocol behaviour:
  negotiation, the row cap, 504 on timeout, 400 with the backend's message,
  refusals before forwarding, validators, health;
- writes through the server reach the backend.

The servers are helpers in ``data/servers.py``; the tests skip, with the
reason, when an engine is not installed (``.ci/run`` installs both).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest
from SPARQLWrapper import POST, POSTDIRECTLY, SPARQLWrapper

from ingest.publish import Publisher, Target, graph_counts
from ontology import GRAPH_BASE
from queries import library
from server import lexer
from server.app import create_app

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parent / "data"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "long", "int", "short", "byte",
                             "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
                             "unsignedLong", "unsignedInt")}
QUERIES = library.library()
OUTSIDE_GRAPH = "http://example.org/not-bmkg/graph"
#: Significant digits that numbers are compared to, per engine.
DIGITS = {"oxigraph": 15, "virtuoso": 6}

#: Library queries whose answer on Virtuoso 7.2 differs from the embedded store's, and why.
#: Each cause was reduced to a small query on both engines where one is given.
INTEGER_DIVISION = ("Virtuoso divides xsd:integer by xsd:integer as integers (2/4 = 0; SPARQL: 0.5 as "
                    "xsd:decimal), so the ratio {} is 0. Writing xsd:decimal(?a) / ?b in the query gives "
                    "the same answer on both engines.")
VIRTUOSO_DIFFERENCES = {
    "closed-topics-by-accessibility": INTEGER_DIVISION.format("?closed / ?models in the FILTER") +
    " Every topic is filtered out.",
    "parameter-count-disagreements": INTEGER_DIVISION.format("ABS(...) / ?epochParameters") +
    " Every model is filtered out.",
    "topic-borrowing-matrix": INTEGER_DIVISION.format("of borrowed to all models"),
    "best-score-per-benchmark-by-year": "Virtuoso fails the whole query (HTTP 500, DT001: 'Function year needs a"
    " datetime ... not an arg of type DB_NULL') on YEAR(MIN(...)) for a result with no date, where SPARQL leaves"
    " ?year unbound for that group.",
    "organisations-top-score-by-year": "Virtuoso fails the whole query (HTTP 500, DT001: 'Function year needs a"
    " datetime ... not an arg of type DB_NULL') on YEAR(MIN(...)) for a result with no date, where SPARQL leaves"
    " ?year unbound for that group.",
    "scored-models-without-parameter-count": "Virtuoso's GROUP_CONCAT skips the unbound values of an OPTIONAL and"
    " answers \"\" for a model with no organisation or access level, where SPARQL's aggregate is an error and"
    " leaves ?organisations and ?accessLevels unbound.",
    "model-neighbourhood": "Virtuoso's CONCAT skips an unbound argument instead of raising the error that"
    " COALESCE catches, so one-hop relations read 'relatedTopic / ' instead of 'relatedTopic'; and its MIN over"
    " IRIs compares internal IRI ids, not the IRIs' text (MIN of books1 and common-crawl is common-crawl).",
    "knowledge-resources-behind-models": "Virtuoso's GROUP BY on ?developers/?techniques, bound by GROUP_CONCAT"
    " in OPTIONAL subqueries, does not merge equal values: one group comes back three times.",
    "systems-addressing-open-problems": "Virtuoso's GROUP BY on ?developers, bound by GROUP_CONCAT in an OPTIONAL"
    " subquery, splits one group (FastMoE for the mixture-of-experts problem) into two rows.",
    "chip-makers-training-their-own-models": "Virtuoso answers 1 for every ?onOtherChips: the grouped subquery in"
    " the second OPTIONAL gives the right counts alone (checked), but not joined in the OPTIONAL.",
    "training-compute-growth-by-topic": "Virtuoso's ?previousFlop differs (language-model 2012 gets 1.59e20 where"
    " no language-model compute exists for 2011): the OPTIONAL grouped subquery joined with FILTER(?previousYear"
    " = ?year - 1) is planned differently; the subquery alone agrees (checked), a minimal case was not found.",
    "compute-by-country-and-topic": "Virtuoso drops the one group whose ?totalFlop is left unbound by"
    " IF(?modelsWithCompute > 0, ?flopSum, ?nothing) (Czechia, language-model); a reduced query with VALUES keeps"
    " it, so it comes from the plan of the full query.",
}


def _servers():
    spec = importlib.util.spec_from_file_location("bmkg_test_servers", DATA / "servers.py")
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def backend(request, tmp_path_factory, shipped_build):
    """A fresh server holding the shipped build, published by the Graph Store Protocol."""
    servers = _servers()
    try:
        server = servers.STARTERS[request.param](tmp_path_factory.mktemp(request.param))
    except servers.Unavailable as reason:
        pytest.skip(str(reason))
    try:
        _root, result = shipped_build
        db = ox.Store.read_only(str(result.generation.oxigraph))
        target = Target(server.query_url, server.update_url, server.graph_store_url, server.user, server.password,
                        auth=server.auth)
        reports = Publisher(target, batch_size=10000).publish(db, graph_counts(db))
        assert all(r.matches for r in reports), [(r.graph, r.expected, r.found) for r in reports]
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def app(backend):
    app = create_app({"TESTING": True, "BACKEND": backend.query_url, "TIMEOUT_S": 60, "ROW_CAP": 0})
    yield app
    app.extensions["bmkg"].close()


def update(server, text: str) -> None:
    """Run a SPARQL Update on the server directly, as the publishing user."""
    wrapper = SPARQLWrapper(server.update_url, updateEndpoint=server.update_url)
    wrapper.setMethod(POST)
    wrapper.setRequestMethod(POSTDIRECTLY)
    if server.user:
        wrapper.setHTTPAuth(server.auth.upper())
        wrapper.setCredentials(server.user, server.password)
    wrapper.setQuery(text)
    wrapper.query().response.read()


def embedded_select(store: ox.Store, text: str, **kwargs) -> dict:
    """An answer of the embedded store over the merge of its named graphs, as a backend's engine
    makes it from the published graphs (Oxigraph repeats a statement once per graph that holds it)."""
    options = kwargs or {"default_graph": list(store.named_graphs())}
    return json.loads(store.query(text, **options).serialize(format=ox.QueryResultsFormat.JSON))


# -- comparing answers ----------------------------------------------------------------------------


def concat_columns(text: str) -> dict[str, str]:
    """Variables bound to ``GROUP_CONCAT(...) AS ?v`` anywhere in the query, with their separators."""
    toks = lexer.tokens(text)
    found = {}
    for index, token in enumerate(toks):
        if token.keyword() != "GROUP_CONCAT":
            continue
        depth, position, separator = 0, index + 1, " "
        while position < len(toks):
            if toks[position].text == "(":
                depth += 1
            elif toks[position].text == ")":
                depth -= 1
                if depth == 0:
                    break
            elif toks[position].keyword() == "SEPARATOR" and toks[position + 2].kind == "string":
                literal = toks[position + 2].text
                quote_length = 3 if literal[:3] in ('"""', "'''") else 1
                separator = literal[quote_length:-quote_length]
            position += 1
        if position + 2 < len(toks) and toks[position + 1].keyword() == "AS" and toks[position + 2].kind == "var":
            found[toks[position + 2].text[1:]] = separator
    return found


def order_keys(text: str, variables: list[str]) -> list[str] | None:
    """The projected variables of the outermost ORDER BY, or None when it sorts on anything else."""
    toks = lexer.tokens(text)
    depth, start = 0, None
    for index, token in enumerate(toks):
        depth += token.text == "{"
        depth -= token.text == "}"
        if depth == 0 and token.keyword() == "ORDER" and index + 1 < len(toks) and toks[index + 1].keyword() == "BY":
            start = index + 2
    if start is None:
        return None
    keys, position = [], start
    while position < len(toks) and toks[position].keyword() not in ("LIMIT", "OFFSET", "VALUES"):
        token = toks[position]
        if token.kind == "var":
            keys.append(token.text[1:])
            position += 1
        elif (token.keyword() in ("ASC", "DESC") and position + 3 < len(toks) and toks[position + 2].kind == "var"
              and toks[position + 3].text == ")"):
            keys.append(toks[position + 2].text[1:])
            position += 4
        else:
            return None
    return keys if keys and all(k in variables for k in keys) else None


def cell(binding: dict | None, separator: str | None, digits: int):
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "bnode":
        return ("bnode",)  # labels are the store's own
    if kind in ("literal", "typed-literal"):
        datatype = binding.get("datatype")
        if datatype in NUMERIC:
            number = float(binding["value"])
            return ("number", number if number == 0 or not math.isfinite(number) else float(f"{number:.{digits - 1}e}"))
        value = binding["value"]
        if separator is not None:  # GROUP_CONCAT: the items, in no order
            value = tuple(sorted(value.split(separator))) if value else ()
        if datatype == XSD + "string":
            datatype = None
        return ("literal", value, datatype, binding.get("xml:lang"))
    return (kind, binding["value"])


def comparable(document: dict, text: str, digits: int) -> tuple[Counter, list | None]:
    """The rows as a multiset of normalised tuples, and the sequence of their ORDER BY keys."""
    variables = document["head"]["vars"]
    concat = concat_columns(text)
    rows = [tuple(cell(b.get(v), concat.get(v), digits) for v in variables) for b in document["results"]["bindings"]]
    keys = order_keys(text, variables)
    sequence = None
    if keys and not set(keys) & set(concat):  # sorting on a GROUP_CONCAT follows its unspecified item order
        positions = [variables.index(k) for k in keys]
        sequence = [tuple(row[p] for p in positions) for row in rows]
    return Counter(rows), sequence


# -- every library query --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_library_query_answers_as_on_the_embedded_store(request, backend, app, shipped_store, name):
    if backend.name == "virtuoso" and name in VIRTUOSO_DIFFERENCES:
        request.applymarker(pytest.mark.xfail(strict=True, reason=VIRTUOSO_DIFFERENCES[name]))
    query = QUERIES[name]
    text = library.with_values(query.text, library.bind(query, {}, shipped_store))
    expected = embedded_select(shipped_store, text)
    with app.app_context():
        rows = app.extensions["bmkg"].select(text)
    found = {"head": expected["head"], "results": {"bindings": rows}}
    digits = DIGITS[backend.name]
    (want, want_order), (got, got_order) = comparable(expected, text, digits), comparable(found, text, digits)
    assert sum(got.values()) == sum(want.values()), f"{name}: row count"
    assert got == want, (f"{name}: only embedded {list((want - got).items())[:3]}; "
                         f"only backend {list((got - want).items())[:3]}")
    assert got_order == want_order, f"{name}: the rows come in another order of the ORDER BY keys"


def test_every_library_query_was_compared():
    """The library is read when the tests run, so queries added later are compared too."""
    assert QUERIES, "the query library is empty"
    assert set(VIRTUOSO_DIFFERENCES) <= set(QUERIES), "a listed difference names a query that no longer exists"


# -- the dataset -------------------------------------------------------------------------------------


def test_default_graph_is_the_union_of_bmkg_graphs_only(backend, shipped_store):
    update(backend, f"INSERT DATA {{ GRAPH <{OUTSIDE_GRAPH}> {{ <http://example.org/s> <http://example.org/p> 1 }} }}")
    fresh = create_app({"TESTING": True, "BACKEND": backend.query_url, "CACHE_BYTES": 0})
    try:
        client = fresh.test_client()
        total = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                           headers={"Accept": "application/sparql-results+json"}).get_json()
        expected = embedded_select(shipped_store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert total["results"]["bindings"][0]["n"]["value"] == expected["results"]["bindings"][0]["n"]["value"]
        graphs = client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                            headers={"Accept": "application/sparql-results+json"}).get_json()
        names = {row["g"]["value"] for row in graphs["results"]["bindings"]}
        assert names == {g.value for g in shipped_store.named_graphs()}
        assert all(name.startswith(GRAPH_BASE) for name in names)
    finally:
        update(backend, f"DROP SILENT GRAPH <{OUTSIDE_GRAPH}>")
        fresh.extensions["bmkg"].close()


def test_protocol_and_query_datasets_are_honoured(app, shipped_store):
    client = app.test_client()
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    ontology, bmlist = GRAPH_BASE + "ontology", GRAPH_BASE + "bmlist"

    def n(query: str, **params) -> int:
        reply = client.get("/sparql", query_string={"query": query, **params}, headers={"Accept": "text/csv"})
        assert reply.status_code == 200, reply.get_data(as_text=True)
        return int(reply.get_data(as_text=True).split()[1])

    sizes = {g.value: len(list(shipped_store.quads_for_pattern(None, None, None, g)))
             for g in shipped_store.named_graphs()}
    assert n(count, **{"default-graph-uri": ontology}) == sizes[ontology]
    assert n(f"SELECT (COUNT(*) AS ?n) FROM <{bmlist}> WHERE {{ ?s ?p ?o }}") == sizes[bmlist]
    # The protocol's dataset wins over the query's.
    assert n(f"SELECT (COUNT(*) AS ?n) FROM <{bmlist}> WHERE {{ ?s ?p ?o }}", **{"default-graph-uri": ontology}) \
        == sizes[ontology]
    named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert n(named, **{"named-graph-uri": bmlist}) == sizes[bmlist]


# -- the token that stands for a generation ------------------------------------------------------------


def test_token_follows_the_published_build(backend, app):
    """Two apps (two web processes) agree on the token; a change to the metadata graph changes it."""
    other = create_app({"TESTING": True, "BACKEND": backend.query_url})
    first, twin = app.extensions["bmkg"], other.extensions["bmkg"]
    before = first.watcher.refresh().id
    assert twin.generation().id == before and before.startswith("backend-")
    marker = f"<{GRAPH_BASE}metadata-test-marker> <http://www.w3.org/2000/01/rdf-schema#comment> \"x\""
    update(backend, f"INSERT DATA {{ GRAPH <{GRAPH_BASE}metadata> {{ {marker} }} }}")
    try:
        assert first.watcher.refresh().id != before
    finally:
        update(backend, f"DELETE DATA {{ GRAPH <{GRAPH_BASE}metadata> {{ {marker} }} }}")
    assert first.watcher.refresh().id == before
    other.extensions["bmkg"].close()


# -- writes through the server ------------------------------------------------------------------------


def test_writes_reach_the_backend(backend, token):
    settings = {"TESTING": True, "BACKEND": backend.query_url, "BACKEND_UPDATE": backend.update_url,
                "ENABLE_UPDATES": True, "UPDATE_TOKEN": token, "TIMEOUT_S": 30}
    if backend.user:
        settings.update(BACKEND_USER=backend.user, BACKEND_PASSWORD=backend.password, BACKEND_AUTH=backend.auth)
    app = create_app(settings)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    graph = "http://example.org/bmkg-write-test"
    store_url = f"/store?graph={quote(graph, safe='')}"
    runtime = app.extensions["bmkg"]
    try:
        before = runtime.generation().id
        reply = client.post("/sparql", data=f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/a> "
                                             f"<http://example.org/b> \"c\" }} }}",
                            headers={**auth, "Content-Type": "application/sparql-update"})
        assert reply.status_code == 204, reply.get_data(as_text=True)
        assert reply.headers["X-BMKG-Generation"] != before  # the writing process moves on at once
        ask = client.get("/sparql", query_string={"query": f"ASK {{ GRAPH <{graph}> {{ ?s ?p \"c\" }} }}",
                                                  "named-graph-uri": graph},
                         headers={"Accept": "application/sparql-results+json"})
        assert ask.get_json()["boolean"] is True
        body = "<http://example.org/x> <http://example.org/y> _:b . _:b <http://example.org/z> 1 ."
        put = client.put(store_url, data=body, headers={**auth, "Content-Type": "text/turtle"})
        assert put.status_code == 204, put.get_data(as_text=True)  # the graph existed: replaced
        got = client.get(store_url, headers={"Accept": "application/n-triples"})
        assert got.status_code == 200 and len(got.get_data(as_text=True).strip().splitlines()) == 2
        assert client.delete(store_url, headers=auth).status_code == 204
        assert client.delete(store_url, headers=auth).status_code == 404
        # Refusals happen before anything is forwarded.
        assert client.post("/sparql", data="LOAD <http://example.org/data.ttl>",
                           headers={**auth, "Content-Type": "application/sparql-update"}).status_code == 403
        assert client.post("/sparql", data="INSERT DATA { <a> <b> ",
                           headers={**auth, "Content-Type": "application/sparql-update"}).status_code == 400
    finally:
        update(backend, f"DROP SILENT GRAPH <{graph}>")
        runtime.close()


# -- a live bmkg serve --backend ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(backend, live_servers, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"live-{backend.name}") / "no-store"
    return live_servers(root, "--backend", backend.query_url, "--timeout-s", "1", "--workers", "2",
                        "--row-cap", "50", token=None)


def get(live, query: str, accept: str | None = None, **params) -> tuple[int, dict, bytes]:
    headers = {"Accept": accept} if accept else {}
    return live.request("GET", "/sparql?" + urlencode({"query": query, **params}), headers=headers)


@pytest.mark.parametrize("accept, media, starts", [
    ("application/sparql-results+json", "application/sparql-results+json", b"{"),
    ("application/sparql-results+xml", "application/sparql-results+xml", b"<?xml"),
    ("text/csv", "text/csv", b"label"),
    ("text/tab-separated-values", "text/tab-separated-values", b"?label"),
])
def test_live_select_negotiates_every_format(live, accept, media, starts):
    status, headers, body = get(live, "SELECT ?label WHERE { <https://w3id.org/bmkg/id/org/openai> "
                                      "<http://www.w3.org/2000/01/rdf-schema#label> ?label }", accept)
    assert status == 200 and headers["content-type"].startswith(media) and body.startswith(starts)
    assert "accept" in headers["vary"].lower() and headers["x-sparql-maxrows"] == "50"


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples", "application/ld+json",
                                    "application/rdf+xml"])
def test_live_construct_negotiates_every_format(live, shipped_store, accept):
    query = ("CONSTRUCT { <https://w3id.org/bmkg/id/org/openai> ?p ?o } WHERE {"
             " GRAPH <https://w3id.org/bmkg/graph/curated> { <https://w3id.org/bmkg/id/org/openai> ?p ?o } }")
    status, headers, body = get(live, query, accept)
    assert status == 200 and headers["content-type"].startswith(accept)
    parsed = {quad.triple for quad in ox.parse(body, format=ox.RdfFormat.from_media_type(accept))}
    assert parsed == set(shipped_store.query(query))


def test_live_row_cap_cuts_and_says_so(live):
    # 200 rows, not every typed node: under load the whole answer took most of the 1 s timeout
    status, headers, body = get(live, "SELECT ?s WHERE { ?s a ?c } LIMIT 200", "text/csv")
    assert status == 200 and headers.get("x-sparql-truncated") == "true"
    assert len(body.decode().strip().splitlines()) == 51  # the header and 50 rows


def test_live_errors_and_refusals(live):
    status, _, body = get(live, "SELECT * WHERE { ?s ?p ")
    assert status == 400 and body.startswith(b"the backend store rejected the request:")
    assert get(live, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")[0] == 403
    assert get(live, "SELECT * WHERE { <file:///etc/passwd> ?p ?o }")[0] == 403
    assert get(live, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", "image/png")[0] == 406
    status, headers, _ = live.request("POST", "/sparql", body=b"update=" + quote("CLEAR ALL").encode(),
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403  # read-only: nothing reaches the backend


def test_live_validators_and_health(live):
    query = ("SELECT ?label WHERE { <https://w3id.org/bmkg/id/org/openai> "
             "<http://www.w3.org/2000/01/rdf-schema#label> ?label }")
    status, headers, _ = get(live, query, "text/csv")
    assert status == 200 and headers["etag"].startswith('W/"backend-')
    status, _, _ = live.request("GET", "/sparql?" + urlencode({"query": query}),
                                headers={"Accept": "text/csv", "If-None-Match": headers["etag"]})
    assert status == 304
    status, _, body = live.request("GET", "/healthz")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok" and health["generation"].startswith("backend-")
    assert health["workers"]["reachable"] is True


def test_live_named_query_api(live, shipped_store):
    status, headers, body = live.request("GET", "/api/queries/part-overview?format=json")
    assert status == 200, body[:300]
    query = QUERIES["part-overview"]
    expected = embedded_select(shipped_store, library.with_values(query.text, library.bind(query, {}, shipped_store)))
    got = json.loads(body)
    text = query.text
    assert comparable(got, text, 6)[0] == comparable(expected, text, 6)[0]


def test_live_timeout_is_504(live, backend):
    """Last in the module: the backend may keep computing for a few seconds after bmkg gave up."""
    started = time.monotonic()
    status, _, body = live.request("POST", "/sparql", body=backend.slow_query.encode(),
                                   headers={"Content-Type": "application/sparql-query"})
    assert status == 504, body[:300]
    assert time.monotonic() - started < 5
    assert b"longer than the server's limit" in body


# -- without a backend to talk to -------------------------------------------------------------------


def _serve(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BMKG_")}
    command = [str(Path(sys.executable).parent / "bmkg"), "serve", "--port", str(_servers().free_port()), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_serve_stops_when_the_backend_does_not_answer():
    done = _serve("--backend", f"http://127.0.0.1:{_servers().free_port()}/sparql")
    assert done.returncode == 2
    assert done.stderr.startswith("bmkg serve: backend http://127.0.0.1:") and "cannot be reached" in done.stderr


def test_serve_refuses_credentials_in_the_backend_url():
    done = _serve("--backend", "http://bmkg:secret-in-url@127.0.0.1:1/sparql")
    assert done.returncode == 2 and "must not carry credentials" in done.stderr
    assert "secret-in-url" not in done.stderr


def test_unreachable_backend_is_503_and_unhealthy():
    port = _servers().free_port()  # nothing listens there
    app = create_app({"TESTING": True, "BACKEND": f"http://127.0.0.1:{port}/sparql", "TIMEOUT_S": 5})
    client = app.test_client()
    reply = client.get("/sparql", query_string={"query": "ASK {}"})
    assert reply.status_code == 503 and "Retry-After" in reply.headers
    assert "cannot be reached" in reply.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "unavailable"
