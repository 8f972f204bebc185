"""The Wikidata linker (ingest/wikidata.py) and the `wikidata` source (ingest/adapters/wikidata.py).

The linker runs its real code path (SPARQLWrapper over HTTP) against an Oxigraph
server on 127.0.0.1 loaded with a small Wikidata-shaped fixture
(tests/ingest/data/wikidata/wikidata.ttl), over a tiny bmkg store built from
tests/ingest/data/wikidata/bmkg.ttl. Back-off is checked against a local HTTP
server that answers 429 and 503 before 200.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import OWL, PROV, RDF, SKOS, XSD, Graph, Literal, URIRef

from ingest import wikidata as linker
from ingest.adapters import wikidata as adapter
from ingest.adapters.registry import SOURCES
from tests.ingest.mapped import graph_triples, map_records
from ontology import store

DATA = Path(__file__).parent / "data" / "wikidata"
WD = "http://www.wikidata.org/entity/"
ID = "https://w3id.org/bmkg/id/"
QID_IRI = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")

EXPECTED = {
    "org/acme-ai": ("exact", "Q900001"),
    "org/blue-lab": ("probable", "Q900003"),
    "org/other-corp": ("probable", "Q900009"),
    "org/zeta-computing": ("probable", "Q900002"),
    "org/quux": ("ambiguous", None),
    "org/quux-labs": ("ambiguous", None),
    "model/foo-1": ("exact", "Q900101"),
    "model/bar": ("ambiguous", None),
    "model/baz-2": ("ambiguous", None),
    "model/oldnet": ("ambiguous", None),
    "model/qux-7b": ("probable", "Q900141"),
    "hardware/zeta-x100": ("exact", "Q900201"),
    "dataset/wordheap": ("probable", "Q900301"),
    "dataset/imagebox": ("unmatched", None),
}


def _oxigraph() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """An Oxigraph SPARQL server on 127.0.0.1 holding the Wikidata-shaped fixture."""
    binary = _oxigraph()
    if binary is None:
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph: the test extra)")
    location = tmp_path_factory.mktemp("wikidata-fixture")
    subprocess.run([binary, "load", "--location", str(location), "--file", str(DATA / "wikidata.ttl")],
                   check=True, capture_output=True, timeout=60)
    port = _free_port()
    server = subprocess.Popen([binary, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=1):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"oxigraph server did not start: {server.stderr.read().decode()[:500]}")
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def bmkg_store(tmp_path_factory) -> Path:
    """A store root whose current generation holds the small bmkg fixture graph."""
    root = tmp_path_factory.mktemp("bmkg-store")
    partial = store.start_generation(root)
    oxigraph = pyoxigraph.Store(str(partial.oxigraph))
    oxigraph.load(path=str(DATA / "bmkg.ttl"), format=pyoxigraph.RdfFormat.TURTLE,
                  to_graph=pyoxigraph.NamedNode("https://w3id.org/bmkg/graph/curated"))
    oxigraph.flush()
    del oxigraph
    store.publish(root, partial)
    return root


def _run(endpoint: str, root: Path, cache: Path | None = None, sent: list | None = None, **kwargs):
    client = linker.Client(endpoint, cache, pause=0, on_request=None if sent is None else sent.append)
    return linker.run(linker.read_entities(root), client, **kwargs)


def _outcomes(result) -> dict[str, tuple[str, str | None]]:
    return {d.entity.iri.removeprefix(ID): (d.status, d.item.qid if d.item else None) for d in result.decisions}


def test_exact_probable_and_ambiguous_outcomes(endpoint, bmkg_store):
    result = _run(endpoint, bmkg_store)
    assert _outcomes(result) == EXPECTED
    review = {entry["entity"].removeprefix(ID): entry for entry in result.report["review"]}
    assert set(review) == {k for k, (status, _) in EXPECTED.items() if status == "ambiguous"}
    # several candidates: both language models named "Bar" are listed, with their descriptions
    bar = review["model/bar"]
    assert [(c["item"], c["description"]) for c in bar["candidates"]] == [
        (WD + "Q900111", "language model"), (WD + "Q900112", "chat model")]
    # a conflicting second fact, with what each side says
    baz = review["model/baz-2"]["candidates"][0]["facts"]["developer"]
    assert baz == {"outcome": "conflicts", "wikidata": ["Q900009 (Other Corp)"], "bmkg": [ID + "org/acme-ai"]}
    assert review["model/oldnet"]["candidates"][0]["facts"]["date"] == {
        "outcome": "conflicts", "wikidata": ["2015"], "bmkg": ["2010"]}
    # one item, two bmkg organisations: neither is linked
    assert review["org/quux"]["reason"] == f"Q900004 is also claimed by {ID}org/quux-labs"
    # the type constraint keeps out the film and the person that share names
    every_candidate = {c["item"] for entry in result.report["review"] for c in entry["candidates"]}
    linked = {entry["item"] for entry in result.report["linked"]}
    assert not {WD + "Q900102", WD + "Q900005"} & (every_candidate | linked)
    # the evidence of an exact link names the label and the facts that agree
    foo = next(e for e in result.report["linked"] if e["entity"] == ID + "model/foo-1")
    assert foo["relation"] == "owl:sameAs"
    assert foo["evidence"] == "rule 1, exact: label 'Foo-1'; developer agrees; date agrees"


def test_queries_are_batched_typed_and_labelled_in_english_and_mul(endpoint, bmkg_store):
    sent: list[str] = []
    result = _run(endpoint, bmkg_store, sent=sent, batch_size=3)
    assert result.requests == len(sent) > 0
    candidates = [q for q in sent if "?via" in q]
    facts = [q for q in sent if "?valueName" in q]
    assert len(candidates) + len(facts) == len(sent)
    entities = linker.read_entities(bmkg_store)
    for kind, classes in linker.CLASSES.items():
        mine = [q for q in candidates if all(f"wd:{c}" in q for c in classes)]
        names = sorted({n for e in entities.values() if e.kind == kind for n in e.names})
        assert len(mine) == -(-len(names) // 3)  # 3 names per query, 6 literals (en and mul)
        for query in mine:
            assert "?item wdt:P31/wdt:P279* ?class ." in query
            assert "?item rdfs:label ?name" in query and "?item skos:altLabel ?name" in query
            assert len(re.findall(r'"@(?:en|mul)\b', query)) <= 6
        sent_names = [json.loads(m) for q in mine for m in re.findall(r'("(?:[^"\\]|\\.)*")@en\b', q)]
        assert sorted(sent_names) == names  # each name once per kind
    model_facts = [q for q in facts if "wdt:P178" in q]
    assert model_facts and all("wdt:P577" in q and "wdt:P571" in q for q in model_facts)
    assert any("wdt:P176" in q for q in facts) and any("wdt:P17 " in q for q in facts)


def test_the_cache_makes_a_second_run_send_nothing(endpoint, bmkg_store, tmp_path):
    first_sent: list[str] = []
    first = _run(endpoint, bmkg_store, tmp_path / "cache", first_sent)
    assert first.requests == len(first_sent) == len(list((tmp_path / "cache").glob("*.json")))
    second_sent: list[str] = []
    second = _run(endpoint, bmkg_store, tmp_path / "cache", second_sent)
    assert second_sent == [] and second.requests == 0 and second.cached == len(first_sent)
    assert _outcomes(second) == _outcomes(first)
    # the answers keep the time they were fetched, so the links file comes out the same
    linker.write(first, tmp_path / "a.ttl", tmp_path / "a.json")
    linker.write(second, tmp_path / "b.ttl", tmp_path / "b.json")
    assert (tmp_path / "a.ttl").read_text() == (tmp_path / "b.ttl").read_text()


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers the scripted statuses in turn, then 200 with an empty SELECT result."""

    script: list[tuple[int, dict]] = []
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        type(self).seen.append({"agent": self.headers.get("User-Agent"), "type": self.headers.get("Content-Type"),
                                "accept": self.headers.get("Accept"), "body": body})
        status, headers = type(self).script.pop(0) if type(self).script else (200, {})
        payload = b"" if status != 200 else json.dumps(
            {"head": {"vars": ["item"]}, "results": {"bindings": []}}).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky():
    _Flaky.script, _Flaky.seen = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql", _Flaky
    server.shutdown()
    server.server_close()


def test_back_off_honours_retry_after_then_doubles(flaky):
    url, handler = flaky
    handler.script = [(429, {"Retry-After": "1"}), (503, {})]
    waits: list[float] = []
    client = linker.Client(url, None, backoff=0.5, sleep=waits.append, pause=0, contact="https://example.org/c")
    assert client.select("SELECT ?item WHERE { ?item ?p ?o }") == []
    assert waits == [1.0, 1.0]  # Retry-After's 1 s, then 0.5 s doubled on the second attempt
    assert client.sent == len(handler.seen) == 3
    for request in handler.seen:
        assert request["agent"].startswith("bmkg-wikidata-linker/1 (+https://example.org/c;")
        assert request["type"] == "application/x-www-form-urlencoded"
        assert "application/sparql-results+json" in request["accept"]
        assert request["body"].startswith("query=SELECT") and "format=" not in request["body"]


def test_retries_are_bounded(flaky):
    url, handler = flaky
    handler.script = [(503, {})] * 10
    waits: list[float] = []
    client = linker.Client(url, None, max_retries=3, backoff=0.25, sleep=waits.append, pause=0)
    with pytest.raises(linker.LinkError, match="HTTP 503 4 times"):
        client.select("SELECT * WHERE { ?s ?p ?o }")
    assert waits == [0.25, 0.5, 1.0]
    assert len(handler.seen) == 4


def test_an_error_that_retrying_cannot_fix_fails_at_once(flaky):
    url, handler = flaky
    handler.script = [(403, {})]
    waits: list[float] = []
    with pytest.raises(linker.LinkError, match="HTTP 403"):
        linker.Client(url, None, sleep=waits.append, pause=0).select("SELECT * WHERE { ?s ?p ?o }")
    assert waits == [] and len(handler.seen) == 1


def test_the_written_graph(endpoint, bmkg_store, tmp_path):
    result = _run(endpoint, bmkg_store)
    linker.write(result, tmp_path / "links.ttl", tmp_path / "review.json")
    graph = Graph().parse(tmp_path / "links.ttl", format="turtle")
    exact = sorted((str(s), str(o)) for s, o in graph.subject_objects(OWL.sameAs))
    close = sorted((str(s), str(o)) for s, o in graph.subject_objects(SKOS.closeMatch))
    assert exact == sorted((ID + k, WD + q) for k, (s, q) in EXPECTED.items() if s == "exact")
    assert close == sorted((ID + k, WD + q) for k, (s, q) in EXPECTED.items() if s == "probable")
    assert not list(graph.triples((None, SKOS.exactMatch, None)))
    assert all(QID_IRI.match(o) for _, o in exact + close)
    activity = graph.value(URIRef(linker.GRAPH + "/links"), PROV.wasGeneratedBy)
    assert (activity, RDF.type, PROV.Activity) in graph
    assert (activity, PROV.used, URIRef(endpoint)) in graph
    started = graph.value(activity, PROV.startedAtTime)
    assert started.datatype == XSD.dateTime and started.toPython().year >= 2024
    rule = URIRef(linker.GRAPH + "/rule/1")
    assert (activity, PROV.used, rule) in graph and (rule, OWL.versionInfo, Literal("1")) in graph
    for subject, obj in exact + close:
        statements = set(graph.subjects(RDF.subject, URIRef(subject))) & set(graph.subjects(RDF.object, URIRef(obj)))
        assert len(statements) == 1
        assert (statements.pop(), PROV.wasGeneratedBy, activity) in graph
    review = json.loads((tmp_path / "review.json").read_text())
    assert review["counts"] == {"exact": 3, "probable": 5, "ambiguous": 5, "unmatched": 1, "confirmed": 0}
    assert review["endpoint"] == endpoint and review["rule_version"] == "1"


def test_curated_qids_win_and_feed_the_developer_check(endpoint, bmkg_store, tmp_path):
    confirmed = tmp_path / "confirmed.yaml"
    confirmed.write_text(
        "links:\n"
        "  - {entity: 'org:acme-ai', qid: Q900001, sources: [{url: 'https://example.org/a'}]}\n"
        "  - {entity: 'org:blue-lab', qid: Q123, sources: [{url: 'https://example.org/b'}]}\n")
    result = _run(endpoint, bmkg_store, confirmed=linker.read_confirmed(confirmed))
    outcomes = _outcomes(result)
    assert outcomes["org/acme-ai"] == ("confirmed", None)
    assert outcomes["org/blue-lab"] == ("ambiguous", None)
    assert outcomes["model/foo-1"] == ("exact", "Q900101")  # developer agrees through the curated QID
    blue = next(e for e in result.report["review"] if e["entity"] == ID + "org/blue-lab")
    assert blue["reason"] == "the rule found Q900003 (probable), but the curated QID is Q123"
    linked = {(s, o) for s, _p, o in result.graph.triples((None, None, None)) if str(o).startswith(WD)}
    assert not {s for s, _ in linked} & {URIRef(ID + "org/acme-ai"), URIRef(ID + "org/blue-lab")}


def test_the_command(endpoint, bmkg_store, tmp_path):
    args = ["wikidata", "--endpoint", endpoint, "--store", str(bmkg_store), "--out", str(tmp_path / "out.ttl"),
            "--cache", str(tmp_path / "cache"), "--pause", "0", "--kinds", "org,model",
            "--confirmed", str(tmp_path / "none.yaml")]
    result = CliRunner().invoke(linker.link, args)
    assert result.exit_code == 0, result.output
    assert "2 owl:sameAs, 4 skos:closeMatch; 5 ambiguous" in result.output
    assert json.loads((tmp_path / "review.json").read_text())["counts"]["unmatched"] == 0
    unreachable = CliRunner().invoke(linker.link, args[:2] + [f"http://127.0.0.1:{_free_port()}/query"] + args[3:]
                                     + ["--out", str(tmp_path / "never.ttl")])
    assert unreachable.exit_code == 2 and not (tmp_path / "never.ttl").exists()
    bad = CliRunner().invoke(linker.link, args + ["--kinds", "org,robot"])
    assert bad.exit_code == 2 and "robot" in bad.output


# -- the `wikidata` source ------------------------------------------------------------


def test_the_adapter_checks_curated_entries(tmp_path):
    path = tmp_path / "confirmed.yaml"
    path.write_text("""links:
  - {entity: 'org:good', qid: Q1, sources: [{url: 'https://example.org/1', says: 'Q1 is Good'}]}
  - {entity: 'org:bad-qid', qid: 'P31', sources: [{url: 'https://example.org/2'}]}
  - {entity: 'org:no-source', qid: Q2, sources: []}
  - {entity: 'org:not-a-url', qid: Q3, sources: [{url: 'example.org'}]}
  - {entity: 'robot:x', qid: Q4, sources: [{url: 'https://example.org/4'}]}
  - {entity: 'org:twin-a', qid: Q5, sources: [{url: 'https://example.org/5'}]}
  - {entity: 'org:twin-b', qid: Q5, sources: [{url: 'https://example.org/5'}]}
  - {entity: 'org:former-name', qid: Q1, relation: close, sources: [{url: 'https://example.org/1'}]}
""")
    entries, problems = adapter.confirmed_entries(path)
    assert [e.entity.removeprefix(ID) for e in entries] == ["org/good", "org/former-name"]
    assert sorted((p.location.record, p.field) for p in problems) == [
        ("links[1]", "qid"), ("links[2]", "sources"), ("links[3]", "sources"), ("links[4]", "entity"),
        ("links[5]", "qid"), ("links[6]", "qid")]
    graph = entries[0].graph()
    assert (URIRef(ID + "org/good"), adapter.EXACT_RELATION, URIRef(WD + "Q1")) in graph
    assert (None, PROV.wasDerivedFrom, URIRef("https://example.org/1")) in graph
    assert (URIRef(ID + "org/former-name"), SKOS.closeMatch, URIRef(WD + "Q1")) in entries[1].graph()


def test_the_adapter_drops_links_that_clash_and_the_mapper_copies_the_rest(tmp_path):
    (tmp_path / "confirmed.yaml").write_text(
        "links:\n  - {entity: 'org:good', qid: Q1, sources: [{url: 'https://example.org/1'}]}\n")
    (tmp_path / "links.ttl").write_text(f"""
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        <{ID}org/good> owl:sameAs <{WD}Q9> .
        <{ID}org/other> owl:sameAs <{WD}Q1> .
        <{ID}org/merged> skos:exactMatch <{WD}Q7> .
        <{ID}model/kept> skos:closeMatch <{WD}Q8> .
        <{ID}model/exact> owl:sameAs <{WD}Q6> .
        <https://example.org/x> owl:sameAs <{WD}Q5> .
        <{ID}model/bad-object> skos:closeMatch <https://example.org/Q4> .
    """)
    items = list(adapter.read(tmp_path, dt.date(2026, 11, 27)))
    records = [i for i in items if not hasattr(i, "reason")]
    problems = sorted(i.location.name for i in items if hasattr(i, "reason"))
    assert problems == sorted([ID + "model/bad-object", ID + "org/good", ID + "org/merged", ID + "org/other",
                               "https://example.org/x"])
    triples = graph_triples(map_records(records), "wikidata")
    links = {(s.removeprefix(ID), o.removeprefix(WD)) for s, p, o in triples
             if p in (str(SKOS.exactMatch), str(SKOS.closeMatch), str(OWL.sameAs))}
    assert links == {("org/good", "Q1"), ("model/kept", "Q8"), ("model/exact", "Q6")}
    assert all(r.source == "wikidata" for r in records)


def test_the_wikidata_source_is_registered():
    source = SOURCES["wikidata"]
    assert source.default_path == linker.DATA and source.read is adapter.read
    assert linker.DEFAULT_OUT == linker.DATA / "links.ttl"


def test_the_shipped_curated_qids_name_built_entities_and_reach_the_graph(shipped_build, sparql):
    entries, problems = adapter.confirmed_entries(linker.DEFAULT_CONFIRMED)
    assert problems == [] and len(entries) >= 50
    assert all(e.sources and all(url.startswith("https://") and says for url, says in e.sources) for e in entries)
    rows = sparql("""
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT ?e ?item ?typed WHERE {
          GRAPH <https://w3id.org/bmkg/graph/wikidata> { ?e owl:sameAs|skos:closeMatch ?item }
          BIND(EXISTS { GRAPH ?g { ?e a ?class } FILTER(?g != <https://w3id.org/bmkg/graph/inferred>) } AS ?typed)
        }""")
    assert {(r["e"], r["item"]) for r in rows} >= {(e.entity, str(e.item)) for e in entries}
    assert all(r["typed"] == "true" for r in rows), [r["e"] for r in rows if r["typed"] != "true"]
    openai = sparql("""SELECT ?item WHERE { GRAPH <https://w3id.org/bmkg/graph/wikidata> {
        <https://w3id.org/bmkg/id/org/openai> <http://www.w3.org/2002/07/owl#sameAs> ?item } }""")
    assert openai == [{"item": WD + "Q21708200"}]
    _root, result = shipped_build
    assert result.summary["violations"] == 0


def test_the_shipped_crosswalk_is_one_to_one_and_says_why_a_link_is_only_close(shipped_build):
    """Read as raw YAML, so a clash the adapter would drop still fails here instead of vanishing."""
    import yaml

    raw = yaml.safe_load(linker.DEFAULT_CONFIRMED.read_text(encoding="utf-8"))["links"]
    entities = [r["entity"] for r in raw]
    assert len(entities) == len(set(entities)), "an entity is listed twice"
    exact = [r["qid"] for r in raw if r.get("relation", "exact") == "exact"]
    assert len(exact) == len(set(exact)), "a QID is the exact match of two entities"
    assert all(r.get("note") for r in raw if r.get("relation") == "close"), "a close link needs a note saying why"
    _root, result = shipped_build
    built = set(json.loads((result.generation.path / "entities.json").read_text()))
    missing = [e for e in entities if ID + e.replace(":", "/", 1) not in built]
    assert missing == []
