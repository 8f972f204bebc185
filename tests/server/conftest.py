"""Fixtures for the server tests: a tiny store, the Flask app, and a live ``bmkg serve``.

With ``--import-mode=importlib`` test modules cannot import this file, so
everything they share is a fixture: ``token``, ``slow_query``,
``publish_generation``, ``tiny`` (the tiny store's IRIs), ``module_app``, ``shipped_client`` and
``live_servers``.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from ontology import graph_iri, mint, store
from ontology.terms import BM
from server.app import create_app

TOKEN = "test-token-0123456789abcdef"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
MODELS = str(graph_iri("test-models"))
ORGS = str(graph_iri("test-orgs"))
GPT3 = str(mint("model", "GPT-3"))
BERT = str(mint("model", "BERT"))
OPENAI = str(mint("org", "OpenAI"))
GOOGLE = str(mint("org", "Google"))

# Five joined 100-row VALUES blocks: 10^10 rows to count, far beyond any timeout in these tests.
_HUNDRED = " ".join(str(i) for i in range(100))
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(
    f"VALUES ?v{i} {{ {_HUNDRED} }}" for i in range(5)) + " }"


def quad(s: str, p: str, o, g: str | None) -> ox.Quad:
    obj = o if isinstance(o, (ox.Literal, ox.NamedNode)) else ox.NamedNode(o)
    return ox.Quad(ox.NamedNode(s), ox.NamedNode(p), obj, ox.NamedNode(g) if g else ox.DefaultGraph())


def tiny_quads() -> list[ox.Quad]:
    """Two models in one named graph, two organisations in another."""
    integer = ox.NamedNode(XSD + "integer")
    return [
        quad(GPT3, RDF_TYPE, str(BM.LanguageModel), MODELS),
        quad(GPT3, RDFS_LABEL, ox.Literal("GPT-3", language="en"), MODELS),
        quad(GPT3, str(BM.parameterCount), ox.Literal("175000000000", datatype=integer), MODELS),
        quad(GPT3, str(BM.developedBy), OPENAI, MODELS),
        quad(BERT, RDF_TYPE, str(BM.LanguageModel), MODELS),
        quad(BERT, RDFS_LABEL, ox.Literal("BERT", language="en"), MODELS),
        quad(BERT, str(BM.developedBy), GOOGLE, MODELS),
        quad(OPENAI, RDF_TYPE, str(BM.Organization), ORGS),
        quad(OPENAI, RDFS_LABEL, ox.Literal("OpenAI"), ORGS),
        quad(GOOGLE, RDF_TYPE, str(BM.Organization), ORGS),
        quad(GOOGLE, RDFS_LABEL, ox.Literal("Google"), ORGS),
    ]


def publish(root: Path, quads: list[ox.Quad]) -> store.Generation:
    """Build a generation holding ``quads`` the way a build does, and make it current."""
    with store.build_lock(root):
        partial = store.start_generation(root)
        db = ox.Store(str(partial.oxigraph))
        db.extend(quads)
        store.refresh_union(db)
        db.flush()
        del db
        return store.publish(root, partial)


@pytest.fixture(scope="session")
def token() -> str:
    return TOKEN


@pytest.fixture(scope="session")
def slow_query() -> str:
    return SLOW_QUERY


@pytest.fixture(scope="session")
def publish_generation():
    return publish


@pytest.fixture(scope="session")
def tiny():
    """The IRIs in the tiny store."""
    from types import SimpleNamespace

    return SimpleNamespace(models=MODELS, orgs=ORGS, gpt3=GPT3, bert=BERT, openai=OPENAI, google=GOOGLE,
                           quads=tiny_quads)


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    publish(root, tiny_quads())
    return root


def _app_maker(store_for):
    """A function that builds apps with extra settings over the store ``store_for()`` gives, and the
    list of the apps it built, to close."""
    apps = []

    def make(**settings):
        app = create_app({"TESTING": True, "STORE": str(store_for()), "TIMEOUT_S": 10, **settings})
        apps.append(app)
        return app

    return make, apps


@pytest.fixture
def make_app(store_root: Path):
    """Build apps over the tiny store with extra settings; their workers stop after the test."""
    make, apps = _app_maker(lambda: store_root)
    yield make
    for app in apps:
        app.extensions["bmkg"].close()


@pytest.fixture(scope="module")
def module_app(tmp_path_factory):
    """Build apps, each over a tiny store of its own, for a whole module; closed after the module."""
    def fresh_store() -> Path:
        root = tmp_path_factory.mktemp("module-app") / "store"
        publish(root, tiny_quads())
        return root

    make, apps = _app_maker(fresh_store)
    yield make
    for app in apps:
        app.extensions["bmkg"].close()


@pytest.fixture(scope="module")
def shipped_client(shipped_build):
    """A test client over the store built from the shipped sources; one app per test module."""
    root, _result = shipped_build
    app = create_app({"TESTING": True, "STORE": str(root), "TIMEOUT_S": 30})
    yield app.test_client()
    app.extensions["bmkg"].close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def writable_app(make_app):
    return make_app(ENABLE_UPDATES=True, UPDATE_TOKEN=TOKEN)


@pytest.fixture
def writable_client(writable_app):
    return writable_app.test_client()


# -- a live server -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    process: subprocess.Popen
    host: str
    port: int
    ready_seconds: float
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.url + "/sparql"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def bmkg_command() -> list[str]:
    return [str(Path(sys.executable).parent / "bmkg")]


def start_server(root: Path, *args: str, token: str | None = TOKEN, wait: float = 15) -> LiveServer:
    """Start ``bmkg serve`` on a free port and wait until a query answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BMKG_")}
    if token:
        env["BMKG_UPDATE_TOKEN"] = token
    log = (root.parent / f"serve-{port}.log").open("wb")  # a file, not a pipe nobody drains
    started = time.monotonic()
    process = subprocess.Popen(
        [*bmkg_command(), "serve", "--store", str(root), "--host", "127.0.0.1", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    log.close()
    server = LiveServer(process, "127.0.0.1", port, 0.0, Path(log.name))
    deadline = started + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bmkg serve exited with {process.returncode}: {server.log.read_text()}")
        try:
            status, _, body = server.request("GET", "/sparql?query=ASK%7B%7D", timeout=2)
            if status == 200 and json.loads(body)["boolean"] is True:
                server.ready_seconds = time.monotonic() - started
                return server
        except OSError:
            pass
        time.sleep(0.02)
    server.stop()
    raise RuntimeError(f"bmkg serve did not answer within {wait} s")


@pytest.fixture(scope="module")
def live_servers():
    """Start live servers with ``live_servers(root, *options)``; all stop when the module ends."""
    started: list[LiveServer] = []

    def start(root: Path, *args: str, **kwargs) -> LiveServer:
        server = start_server(root, *args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
