"""The query library over HTTP (/api/queries), on the store built from the shipped sources.

Answers are compared with the library run directly on the store by ``queries.library.run``
(the code path of ``bmkg query``), which binds parameters with its own lookups.
"""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET

import pytest

from queries import library

RESULTS_XML = "{http://www.w3.org/2005/sparql-results#}"


class Number(float):
    """A number that equals another within a relative 1e-12."""

    def __eq__(self, other):
        return isinstance(other, float) and math.isclose(self, other, rel_tol=1e-12)

    __hash__ = float.__hash__


def comparable(value: str) -> tuple:
    """A value as the sorted pieces between list separators, or as a ``Number``.

    The server reads an in-memory copy of the store, which lists statements in another order than
    the store on disk. SPARQL leaves the order of a GROUP_CONCAT open, and a SUM of doubles taken in
    another order may differ in its last digits; the pieces, and the sums to 12 digits, are the same.

    >>> comparable("vision-model, language-model") == comparable("language-model, vision-model")
    True
    >>> comparable("7.533191733785e+26") == comparable("7.5331917337849996e+26") != comparable("7.5e+26")
    True
    """
    try:
        return (Number(value),)
    except ValueError:
        return tuple(sorted(piece for part in value.split("; ") for piece in part.split(", ")))


def direct(store, name: str, values: dict | None = None, asserted: bool = False) -> list[tuple]:
    """A library query run on the store itself, rows as tuples of lexical values (``comparable``)."""
    result = library.run(store, library.library()[name], values or {}, asserted_only=asserted)
    names = [v.value for v in result.variables]
    return sorted(tuple(comparable(row[n].value) if row[n] is not None else () for n in names) for row in result)


def over_http(shipped_client, path: str) -> list[tuple]:
    response = shipped_client.get(path, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.data
    body = response.get_json()
    names = body["head"]["vars"]
    return sorted(tuple(comparable(b[n]["value"]) if n in b else () for n in names)
                  for b in body["results"]["bindings"])


def test_the_listing_is_the_library_with_its_metadata(shipped_client):
    response = shipped_client.get("/api/queries")
    assert response.status_code == 200 and response.mimetype == "application/json"
    listed = {q["name"]: q for q in response.get_json()["queries"]}
    shipped = library.library()
    assert set(listed) == set(shipped) and len(listed) >= 25
    for name, query in shipped.items():
        entry = listed[name]
        assert entry["title"] == query.title and entry["question"] == query.question
        assert [p["name"] for p in entry["parameters"]] == [p.name for p in query.parameters]
        assert entry["uses_inference"] == query.uses_inference
        assert entry["url"].endswith(f"/api/queries/{name}")
        assert ("asserted_url" in entry) == query.uses_inference


@pytest.mark.parametrize("name", sorted(library.library()))
def test_every_library_query_answers_as_the_cli_does(shipped_client, shipped_store, name):
    assert over_http(shipped_client, f"/api/queries/{name}") == direct(shipped_store, name)


def test_the_asserted_only_answer_leaves_inference_out(shipped_client, shipped_store):
    inferring = [q for q in library.library().values() if q.uses_inference]
    assert len(inferring) >= 5
    differs = 0
    for query in inferring:
        full = over_http(shipped_client, f"/api/queries/{query.name}")
        asserted = shipped_client.get(f"/api/queries/{query.name}?asserted=true",
                                      headers={"Accept": "application/json"})
        assert asserted.headers["X-BMKG-Dataset"] == "asserted"
        rows = over_http(shipped_client, f"/api/queries/{query.name}?asserted=true")
        assert rows == direct(shipped_store, query.name, asserted=True), query.name
        differs += rows != full
    assert differs >= 3  # these queries need the reasoner: without it, most answer differently
    assert shipped_client.get("/api/queries/model-neighbourhood?asserted=maybe").status_code == 400


def test_parameters_bind_as_typed_terms(shipped_client, shipped_store):
    by_label = over_http(shipped_client, "/api/queries/model-neighbourhood?model=GPT-4")
    by_key = over_http(shipped_client, "/api/queries/model-neighbourhood?model=gpt-4")
    by_iri = over_http(shipped_client, "/api/queries/model-neighbourhood?model=https://w3id.org/bmkg/id/model/gpt-4")
    assert by_label == by_key == by_iri == direct(shipped_store, "model-neighbourhood", {"model": "GPT-4"})
    assert by_label != over_http(shipped_client, "/api/queries/model-neighbourhood")  # the default is another model
    threshold = over_http(shipped_client, "/api/queries/cross-organisation-derivatives?threshold=100000000000")
    assert threshold == direct(shipped_store, "cross-organisation-derivatives", {"threshold": "100000000000"})
    assert len(threshold) < len(over_http(shipped_client, "/api/queries/cross-organisation-derivatives"))
    # values never become query text
    for bad in ('1 } } ; DROP ALL #', "1e999999", "ten"):
        response = shipped_client.get("/api/queries/cross-organisation-derivatives", query_string={"threshold": bad})
        assert response.status_code == 400, bad
        assert b"threshold" in response.data
    hostile = shipped_client.get("/api/queries/model-neighbourhood",
                                 query_string={"model": '"> } SELECT * { ?s ?p ?o }'})
    assert hostile.status_code == 400 and b"no model" in hostile.data
    assert shipped_client.get("/api/queries/model-neighbourhood?modle=gpt-4").status_code == 400
    assert shipped_client.get("/api/queries/model-neighbourhood?model=a&model=b").status_code == 400
    assert shipped_client.get("/api/queries/no-such-question").status_code == 404


def test_answers_come_in_every_format_the_endpoint_offers(shipped_client):
    path = "/api/queries/top-accelerators-per-topic"
    rows = over_http(shipped_client, path)
    xml = shipped_client.get(path, headers={"Accept": "application/sparql-results+xml"})
    assert xml.mimetype == "application/sparql-results+xml"
    assert len(ET.fromstring(xml.data).findall(f"{RESULTS_XML}results/{RESULTS_XML}result")) == len(rows)
    table = shipped_client.get(path + "?format=csv", headers={"Accept": "application/sparql-results+json"})
    assert table.mimetype == "text/csv" and len(list(csv.reader(io.StringIO(table.data.decode())))) == len(rows) + 1
    tsv = shipped_client.get(path, headers={"Accept": "text/tab-separated-values"})
    assert tsv.mimetype == "text/tab-separated-values" and len(tsv.data.decode().splitlines()) == len(rows) + 1
    assert shipped_client.get(path + "?format=png", headers={"Accept": "text/csv"}).mimetype == "text/csv"
    refused = shipped_client.get(path, headers={"Accept": "image/png"})
    assert refused.status_code == 406 and "Accept" in refused.headers["Vary"]
    first = shipped_client.get(path)
    assert json.loads(first.data)["results"]["bindings"] and "ETag" in first.headers
    assert shipped_client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
