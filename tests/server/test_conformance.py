"""The W3C SPARQL 1.1 Protocol tests, run against a live ``bmkg serve``.

The harness reads ``../shared/conformance/sparql11-protocol/manifest.ttl`` and
runs every test in it against a server it starts on 127.0.0.1, with updates
enabled through a test token. Grading is strict: the status class
(``mf:expectedStatus``), the ASK answer (``mf:expectedBoolean``) and the
format family (``mf:expectedFormat``) are all checked, and a body must parse
in the format its Content-Type claims. Before each test the store is emptied
and the test's ``ut:graphData`` files are loaded into their named graphs over
the Graph Store Protocol (PUT for the first file, POST for the others), as
the suite's README describes. Bodies declared UTF-16 are sent as UTF-16.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit
from urllib.request import url2pathname

import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection


SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SUITE = SHARED / "conformance" / "sparql11-protocol"
MANIFEST = SUITE / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "text/n3": "n3",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
SRX = "{http://www.w3.org/2005/sparql-results#}"

pytestmark = pytest.mark.skipif(not MANIFEST.is_file(), reason=f"W3C protocol manifest not found at {MANIFEST}")


@dataclass
class Expected:
    statuses: set[str]  # "2xx", "3xx", "4xx"
    boolean: bool | None
    format: str | None


@dataclass
class Step:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected: Expected


@dataclass
class ProtocolTest:
    name: str
    title: str
    graph_data: list[tuple[Path, str]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


def load_manifest() -> list[ProtocolTest]:
    graph = Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())
    manifest = next(graph.subjects(MF.entries, None))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        test = ProtocolTest(str(entry).rsplit("#", 1)[-1], str(graph.value(entry, MF.name)))
        for data in graph.objects(entry, UT.graphData):
            source = Path(url2pathname(urlsplit(str(graph.value(data, UT.graph))).path))
            test.graph_data.append((source, str(graph.value(data, RDFS.label))))
        test.graph_data.sort(key=lambda item: item[1])
        action = graph.value(entry, MF.action)
        for request in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(request, HT.headers)
            for header in Collection(graph, header_list) if header_list is not None else []:
                headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
            body = None
            content = graph.value(request, HT.body)
            if content is not None:
                encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(content, CNT.chars)).encode(encoding.lower())
            response = graph.value(request, HT.resp)
            statuses = {str(s).removeprefix(HTS).lower() for s in graph.objects(response, MF.expectedStatus)}
            boolean = graph.value(response, MF.expectedBoolean)
            fmt = graph.value(response, MF.expectedFormat)
            test.steps.append(Step(
                method=str(graph.value(request, HT.methodName)),
                path=str(graph.value(request, HT.absolutePath)),
                headers=headers,
                body=body,
                expected=Expected(statuses, None if boolean is None else boolean.toPython(),
                                  None if fmt is None else str(fmt)),
            ))
        tests.append(test)
    return tests


TESTS = load_manifest() if MANIFEST.is_file() else []


def endpoint_path(absolute_path: str) -> str:
    """Swap the manifest's ``/sparql/`` prefix for our endpoint's path."""
    assert absolute_path.startswith("/sparql/"), absolute_path
    return "/sparql" + absolute_path[len("/sparql/"):]


def media_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def check_format(expected: str, kind: str, body: bytes) -> None:
    if expected == "boolean":
        assert kind in BOOLEAN_TYPES, f"expected SPARQL XML or JSON results, got {kind!r}"
    elif expected == "tabular":
        assert kind in TABULAR_TYPES, f"expected SPARQL XML, JSON, CSV or TSV results, got {kind!r}"
    elif expected == "RDF":
        assert kind in RDF_TYPES, f"expected an RDF syntax, got {kind!r}"
        Graph().parse(data=body, format=RDF_TYPES[kind])  # must parse, not just be labelled
    else:
        raise AssertionError(f"unknown mf:expectedFormat {expected!r}")
    if kind == "application/sparql-results+json":
        json.loads(body)
    elif kind == "application/sparql-results+xml":
        ET.fromstring(body)


def boolean_answer(kind: str, body: bytes) -> bool:
    if kind == "application/sparql-results+json":
        return json.loads(body)["boolean"]
    if kind == "application/sparql-results+xml":
        node = ET.fromstring(body).find(f"{SRX}boolean")
        assert node is not None, "no <boolean> element in SPARQL XML results"
        return node.text.strip() == "true"
    raise AssertionError(f"an ASK answer cannot be read from {kind!r}")


@pytest.fixture(scope="module")
def server(tmp_path_factory, live_servers, publish_generation):
    root = tmp_path_factory.mktemp("conformance") / "store"
    publish_generation(root, [])
    return live_servers(root, "--enable-updates", "--workers", "2", "--timeout-s", "10")


@pytest.fixture(scope="module")
def auth(token):
    return {"Authorization": f"Bearer {token}"}


def reset(server, test: ProtocolTest, auth: dict) -> None:
    status, _, body = server.request("POST", "/sparql", b"DROP ALL",
                                     {"Content-Type": "application/sparql-update", **auth})
    assert status == 204, body
    for position, (source, graph_name) in enumerate(test.graph_data):
        method = "PUT" if position == 0 else "POST"
        status, _, body = server.request(method, f"/store?graph={quote(graph_name, safe='')}", source.read_bytes(),
                                         {"Content-Type": "application/n-triples", **auth})
        assert status in (201, 204), f"loading {source.name}: {status} {body!r}"


@pytest.mark.slow
@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_protocol(server, auth, test: ProtocolTest):
    reset(server, test, auth)
    for number, step in enumerate(test.steps, 1):
        status, headers, body = server.request(step.method, endpoint_path(step.path), step.body,
                                               {**step.headers, **auth})
        where = f"{test.title}, request {number}: {step.method} -> {status} {body[:300]!r}"
        assert f"{status // 100}xx" in step.expected.statuses, where
        kind = media_type(headers)
        if step.expected.format is not None:
            check_format(step.expected.format, kind, body)
        if step.expected.boolean is not None:
            assert boolean_answer(kind, body) is step.expected.boolean, where


def test_the_manifest_has_the_34_tests_the_readme_describes():
    assert len(TESTS) == 34
    assert sum(1 for t in TESTS if t.graph_data) == 6
    assert {t.name for t in TESTS if any(s.body and s.headers.get("content-type", "").endswith("UTF-16")
                                          for s in t.steps)} == {"bad_query_non_utf8", "bad_update_non_utf8"}
