"""The crawler: every entity IRI of the graph built from the shipped sources dereferences.

For each IRI under https://w3id.org/bmkg/id/ that any graph mentions (found here by a
query of our own over the store, not through the server), ``/id/...`` must answer 303
to the page for a browser and to Turtle for an RDF client, the page must answer 200,
and the Turtle must answer 200, parse with rdflib and mention the entity.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import rdflib

from ontology import ID_BASE
from server.app import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def entity_iris(store) -> list[str]:
    rows = store.query(f"""
        SELECT DISTINCT ?e WHERE {{
          {{ GRAPH ?g {{ ?e ?p ?o }} }} UNION {{ GRAPH ?g {{ ?s ?p ?e }} }}
          FILTER(isIRI(?e) && STRSTARTS(STR(?e), "{ID_BASE}"))
        }}""")
    return sorted(row["e"].value for row in rows)


@pytest.mark.slow
def test_every_entity_iri_dereferences_to_a_page_and_to_turtle(shipped_build, shipped_store):
    root, _result = shipped_build
    iris = entity_iris(shipped_store)
    assert len(iris) > 2500  # the shipped sources hold about 3,000 entities
    app = create_app({"TESTING": True, "STORE": str(root), "TIMEOUT_S": 30, "QUERY_WORKERS": 3})
    local = threading.local()
    requests = Counter()
    broken: list[str] = []

    def get(path: str, what: str, accept: str | None = None):
        if not hasattr(local, "client"):
            local.client = app.test_client()  # one client per thread
        requests[what] += 1
        return local.client.get(path, headers={"Accept": accept} if accept else {})

    def crawl(iri: str) -> str | None:
        path = "/id/" + iri[len(ID_BASE):]
        seen = get(path, "303 to page", BROWSER)
        if seen.status_code != 303 or "/page/" not in seen.headers.get("Location", ""):
            return f"{path} for a browser: {seen.status_code} {seen.headers.get('Location')}"
        page = get(seen.headers["Location"], "page")
        if page.status_code != 200 or page.mimetype != "text/html" or iri.encode() not in page.data:
            return f"{seen.headers['Location']}: {page.status_code}"
        seen = get(path, "303 to Turtle", "text/turtle")
        if seen.status_code != 303 or not seen.headers.get("Location", "").endswith(".ttl"):
            return f"{path} for Turtle: {seen.status_code} {seen.headers.get('Location')}"
        data = get(seen.headers["Location"], "Turtle")
        if data.status_code != 200 or data.mimetype != "text/turtle":
            return f"{seen.headers['Location']}: {data.status_code}"
        try:
            graph = rdflib.Graph().parse(data=data.data, format="turtle")
        except Exception as error:  # any parse failure is a broken link
            return f"{seen.headers['Location']} does not parse: {error}"
        node = rdflib.URIRef(iri)
        if (node, None, None) not in graph and (None, None, node) not in graph:
            return f"{seen.headers['Location']} does not mention {iri}"
        return None

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            for problem in pool.map(crawl, iris):
                if problem:
                    broken.append(problem)
    finally:
        app.extensions["bmkg"].close()
    figures = {"entities": len(iris), "requests": sum(requests.values()), "by_request": dict(requests),
               "broken": len(broken),
               "seconds": round(time.perf_counter() - started, 1), "by_kind": dict(Counter(
                   iri[len(ID_BASE):].split("/")[0] for iri in iris))}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "crawl.json").write_text(json.dumps({**figures, "problems": broken[:200]}, indent=2))
    print(f"\ncrawled {figures['entities']} entities with {figures['requests']} requests in "
          f"{figures['seconds']} s: {figures['broken']} broken")
    assert requests["303 to page"] == requests["303 to Turtle"] == len(iris)
    assert not broken, "\n".join(broken[:20])
