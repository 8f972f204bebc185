"""``bmkg publish``: the shipped build into real SPARQL stores (Oxigraph server, Virtuoso open source).

For each engine, a fresh server on 127.0.0.1 (``tests/server/data/servers.py``)
takes the build by SPARQL Update and by the Graph Store Protocol; each graph
must then hold on the server exactly the triples of the build, counted here
independently of the command's own check. Publishing again replaces rather
than adds. A target whose counts disagree fails with exit 1 and both counts;
credentials never show in the output or the logs.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from SPARQLWrapper import JSON, POST, POSTDIRECTLY, SPARQLWrapper

from ingest.publish import Target, batches, graph_counts, publish

SERVERS = Path(__file__).resolve().parents[1] / "server" / "data" / "servers.py"
STALE = "<http://example.org/stale> <http://example.org/p> \"left from an earlier publish\""


def _servers():
    spec = importlib.util.spec_from_file_location("bmkg_test_servers", SERVERS)
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


# -- without a server --------------------------------------------------------------------------


def test_batches_never_split_a_blank_node_group(shipped_store):
    """The ontology graph's OWL lists and restrictions are chains of blank nodes."""
    graph = ox.NamedNode("https://w3id.org/bmkg/graph/ontology")
    triples = [q.triple for q in shipped_store.quads_for_pattern(None, None, None, graph)]
    sent = list(batches(triples, 50))
    assert sorted(map(str, (t for b in sent for t in b))) == sorted(map(str, triples))
    home = {}
    for number, batch in enumerate(sent):
        for triple in batch:
            for term in (triple.subject, triple.object):
                if isinstance(term, ox.BlankNode):
                    assert home.setdefault(term, number) == number, f"{term} is split across batches"
    assert len(home) > 50  # the graph does exercise the rule


def test_target_hides_its_secrets():
    target = Target("http://127.0.0.1:1/sparql", user="u", password="hunter2-secret", token=None)
    assert "hunter2" not in repr(target)


def test_credentials_in_the_url_are_refused(tmp_path):
    result = CliRunner().invoke(publish, ["--endpoint", "http://user:pw-in-url@127.0.0.1:1/sparql",
                                          "--store", str(tmp_path)])
    assert result.exit_code == 2 and "pw-in-url" not in result.output
    assert "not in the URL" in result.output


def test_a_store_without_a_build_is_exit_2(tmp_path):
    result = CliRunner().invoke(publish, ["--endpoint", "http://127.0.0.1:1/sparql", "--store", str(tmp_path)])
    assert result.exit_code == 2 and "no published generation" in result.output


# -- against real servers ---------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request, tmp_path_factory):
    servers = _servers()
    try:
        started = servers.STARTERS[request.param](tmp_path_factory.mktemp(f"publish-{request.param}"))
    except servers.Unavailable as reason:
        pytest.skip(str(reason))
    yield started
    started.stop()


def sparql(server, text: str, update: bool = False):
    wrapper = SPARQLWrapper(server.query_url, updateEndpoint=server.update_url)
    wrapper.setMethod(POST)
    if update:
        wrapper.setRequestMethod(POSTDIRECTLY)
        if server.user:
            wrapper.setHTTPAuth(server.auth.upper())
            wrapper.setCredentials(server.user, server.password)
    wrapper.setQuery(text)
    if update:
        wrapper.query().response.read()
        return None
    wrapper.setReturnFormat(JSON)
    return wrapper.query().convert()["results"]["bindings"]


def counts_on(server, graphs) -> dict[str, int]:
    return {g: int(sparql(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")[0]["n"]["value"])
            for g in graphs}


#: Oxigraph server takes updates without credentials and ignores the header: the token is
#: sent anyway, to check that it never shows.
TOKEN = "tok-0123456789-secret"


def run_publish(server, root: Path, *options: str):
    args = ["--endpoint", server.query_url, "--store", str(root), *options]
    env = {}
    if server.user:
        args += ["--user", server.user, "--auth", server.auth]
        env["BMKG_PUBLISH_PASSWORD"] = server.password
    else:
        env["BMKG_PUBLISH_TOKEN"] = TOKEN
    return CliRunner().invoke(publish, args, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["update", "graph-store"])
def test_publish_puts_every_graph_with_every_triple(server, shipped_build, shipped_store, method, caplog):
    root, _ = shipped_build
    expected = graph_counts(shipped_store)
    assert set(expected) >= {"https://w3id.org/bmkg/graph/" + g for g in
                             ("epoch-models", "epoch-hardware", "bmlist", "curated", "wikidata", "ontology",
                              "metadata", "inferred")}
    # A triple left in a graph by an earlier publish must not survive: graphs are replaced, not merged.
    sparql(server, f"INSERT DATA {{ GRAPH <https://w3id.org/bmkg/graph/curated> {{ {STALE} }} }}", update=True)
    option = (["--update-endpoint", server.update_url] if method == "update"
              else ["--graph-store", server.graph_store_url])
    with caplog.at_level(logging.DEBUG):
        result = run_publish(server, root, *option)
    assert result.exit_code == 0, result.output
    assert f"{len(expected)} graphs, {sum(expected.values())} triples" in result.output
    assert counts_on(server, expected) == expected
    assert (server.password or TOKEN) not in result.output + caplog.text


@pytest.mark.slow
def test_publishing_again_changes_nothing(server, shipped_build, shipped_store):
    """The third publish of the same build to this server: the counts stay the build's."""
    root, _ = shipped_build
    expected = graph_counts(shipped_store)
    result = run_publish(server, root, "--graph-store", server.graph_store_url, "--quiet")
    assert result.exit_code == 0, result.output
    assert counts_on(server, expected) == expected


@pytest.mark.slow
def test_wrong_credentials_fail_without_showing_them(server, shipped_build):
    if not server.user:
        pytest.skip("this server takes updates without credentials")
    root, _ = shipped_build
    wrong = "not-the-password-0123"
    result = CliRunner().invoke(publish, ["--endpoint", server.query_url, "--update-endpoint", server.update_url,
                                          "--store", str(root), "--user", server.user, "--auth", server.auth],
                                env={"BMKG_PUBLISH_PASSWORD": wrong})
    assert result.exit_code == 2
    assert "401" in result.output and wrong not in result.output


@pytest.mark.slow
def test_a_count_mismatch_fails_loudly(server, shipped_build, shipped_store, tmp_path):
    """Counting on another, empty store: every graph is short, and each is named with both counts."""
    other = _servers().start_oxigraph(tmp_path / "elsewhere")
    try:
        root, _ = shipped_build
        args = ["--endpoint", other.query_url, "--store", str(root), "--graph-store", server.graph_store_url]
        env = {}
        if server.user:
            args += ["--user", server.user, "--auth", server.auth]
            env["BMKG_PUBLISH_PASSWORD"] = server.password
        result = CliRunner().invoke(publish, args, env=env)
    finally:
        other.stop()
    assert result.exit_code == 1, result.output
    curated = graph_counts(shipped_store)["https://w3id.org/bmkg/graph/curated"]
    assert (f"graph <https://w3id.org/bmkg/graph/curated> has {curated} triples in the build but 0 on the target"
            in result.output)
