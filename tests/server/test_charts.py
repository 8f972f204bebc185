"""Charts over the store built from the shipped sources: the data behind each chart is checked
against a computation of our own over the store's quads, and the SVGs against their alt text."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from xml.sax.saxutils import escape as xml_escape

import pyoxigraph as ox
import pytest

from ontology.terms import BM
from server import charts, entities
from server.app import create_app

ID = "https://w3id.org/bmkg/id/"
INFERRED = "https://w3id.org/bmkg/graph/inferred"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SVG = "{http://www.w3.org/2000/svg}"
DC = "{http://purl.org/dc/elements/1.1/}"


def rows(shipped_client, path: str) -> list[dict]:
    response = shipped_client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv", path
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.data.decode())))


def values(store, prop: str, asserted: bool = False) -> dict[str, list]:
    """Every value of a property by subject, straight from the quads."""
    found = defaultdict(list)
    for quad in store.quads_for_pattern(None, ox.NamedNode(str(prop)), None, None):
        if asserted and isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value == INFERRED:
            continue
        found[quad.subject.value].append(quad.object)
    return found


def first_dates(store) -> dict[str, str]:
    dates = defaultdict(list)
    for prop in (BM.publicationDate, BM.releaseDate):
        for subject, objects in values(store, prop).items():
            dates[subject] += [o.value for o in objects]
    return {s: min(d) for s, d in dates.items()}


def test_parameters_over_time_plots_every_dated_model_at_its_largest_count(shipped_client, shipped_store):
    table = rows(shipped_client, "/charts/parameters.csv")
    dates = first_dates(shipped_store)
    expected = {m: max(float(o.value) for o in objs) for m, objs in values(shipped_store, BM.parameterCount).items()
                if m.startswith(ID + "model/") and m in dates}
    assert {r["model"]: float(r["parameters"]) for r in table} == expected
    assert all(r["date"] == dates[r["model"]] for r in table)
    largest = max(expected, key=expected.get)
    label = next(r["label"] for r in table if r["model"] == largest)
    svg = shipped_client.get("/charts/parameters.svg").data.decode()
    assert xml_escape(label) in svg  # the largest model is named on the chart
    assert "mathdefault" not in svg and re.search("10[⁰¹²³⁴⁵⁶⁷⁸⁹]+<", svg)  # ticks as powers of ten, in text


def test_training_compute_is_scoped_to_a_topic(shipped_client, shipped_store):
    topic = ID + "topic/vision-model"
    table = rows(shipped_client, "/charts/training-compute.csv?topic=vision-model")
    dates = first_dates(shipped_store)
    in_topic = {q.subject.value for q in shipped_store.quads_for_pattern(None, ox.NamedNode(str(BM.hasTopic)),
                                                                           ox.NamedNode(topic), None)
                if q.graph_name != ox.NamedNode(INFERRED)}
    expected = {m for m in values(shipped_store, BM.trainingComputeFlop)
                if m in in_topic and m in dates and m.startswith(ID + "model/")}
    assert {r["model"] for r in table} == expected and all(r["topic"] == topic for r in table)


def test_accelerators_use_tensor_throughput_where_reported(shipped_client, shipped_store):
    table = {r["hardware"]: r for r in rows(shipped_client, "/charts/accelerators.csv")}
    tensor = values(shipped_store, BM.fp16TensorFlopPerSecond)
    plain = values(shipped_store, BM.fp16FlopPerSecond)
    released = values(shipped_store, BM.releaseDate)
    hardware = {q.subject.value for q in shipped_store.quads_for_pattern(
        None, ox.NamedNode(RDF_TYPE), ox.NamedNode(str(BM.Hardware)), None)}
    expected = {h for h in hardware if h in released and (h in tensor or h in plain)}
    assert set(table) == expected and len(expected) > 100
    for h, row in table.items():
        best = max(float(o.value) for o in tensor[h]) if h in tensor else max(float(o.value) for o in plain[h])
        assert float(row["fp16_flop_per_second"]) == best
        assert row["measure"] == ("tensor FP16/BF16" if h in tensor else "FP16")
    assert shipped_client.get("/charts/accelerators.svg?topic=language-model").status_code == 404
    assert shipped_client.get("/charts/accelerators.svg?topic=computing-system").status_code == 200


def test_models_per_topic_per_year_count_asserted_topics(shipped_client, shipped_store):
    table = rows(shipped_client, "/charts/models-per-year.csv")
    dates = first_dates(shipped_store)
    topics = {q.subject.value for q in shipped_store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE),
                                                                         ox.NamedNode(str(BM.Topic)), None)}
    expected = Counter()
    for model, objects in values(shipped_store, BM.hasTopic, asserted=True).items():
        if model.startswith(ID + "model/") and model in dates:
            for topic in {o.value for o in objects} & topics:
                expected[(topic, int(dates[model][:4]))] += 1
    assert {(r["topic"], int(r["year"])): int(r["models"]) for r in table} == dict(expected)


def test_top_organisations_count_each_organisations_models(shipped_client, shipped_store):
    topic = ID + "topic/language-model"
    table = rows(shipped_client, "/charts/top-organisations.csv?topic=language-model")
    in_topic = {m for m, objs in values(shipped_store, BM.hasTopic, asserted=True).items()
                if m.startswith(ID + "model/") and any(o.value == topic for o in objs)}
    expected = Counter()
    for model, orgs in values(shipped_store, BM.developedBy, asserted=True).items():
        if model in in_topic:
            for org in {o.value for o in orgs}:
                expected[org] += 1
    assert {r["organisation"]: int(r["models"]) for r in table} == dict(expected)


@pytest.mark.parametrize("name", sorted(charts.CHARTS))
def test_each_chart_is_an_svg_whose_description_is_its_alt_text(shipped_client, name):
    page = shipped_client.get("/charts").data.decode()
    alt = re.search(rf'<img src="/charts/{name}.svg" alt="([^"]+)"', page).group(1)
    response = shipped_client.get(f"/charts/{name}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SVG}svg"
    assert root.find(f".//{DC}title").text == charts.CHARTS[name].title
    import html

    assert root.find(f".//{DC}description").text == html.unescape(alt)
    assert root.findall(f".//{SVG}text")  # text stays text
    again = shipped_client.get(f"/charts/{name}.svg", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_charts_are_drawn_once_per_generation(shipped_build, monkeypatch):
    root, _result = shipped_build
    app = create_app({"TESTING": True, "STORE": str(root), "TIMEOUT_S": 30})
    drawn = []
    real = charts._render

    def counting(chart, data, topic):
        drawn.append(chart.name)
        return real(chart, data, topic)

    monkeypatch.setattr(charts, "_render", counting)
    try:
        shipped_client = app.test_client()
        first = shipped_client.get("/charts/models-per-year.svg").data
        assert shipped_client.get("/charts/models-per-year.svg").data == first
        assert drawn == ["models-per-year"]
        monkeypatch.setattr(entities, "current_generation", lambda: "another-generation")
        assert shipped_client.get("/charts/models-per-year.svg").data == first  # same data, same bytes
        assert drawn == ["models-per-year", "models-per-year"]
    finally:
        app.extensions["bmkg"].close()


def test_unknown_charts_and_topics_are_404(shipped_client):
    assert shipped_client.get("/charts/pie.svg").status_code == 404
    assert shipped_client.get("/charts/parameters.png").status_code == 404
    assert shipped_client.get("/charts/parameters.svg?topic=astrology").status_code == 404
