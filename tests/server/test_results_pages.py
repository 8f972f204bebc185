"""Evaluation results on the pages: a benchmark's sortable results table and the home page's counts,
checked against the store built from the shipped sources."""

from __future__ import annotations

import html
import re

import pytest

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ID = "https://w3id.org/bmkg/id/"
COLUMNS = ("model", "version", "metric", "score", "shots", "date", "source")
ROW = re.compile(r'<tr data-result="([^"]+)"(?: data-score="([^"]+)")?>(.*?)</tr>', re.S)


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == status, (path, response.status_code, response.data[:300])
    return response.data.decode()


def cell(row_html: str, name: str) -> str:
    """The text of one cell of a results row, tags stripped."""
    found = re.search(rf'<td class="(?:num )?{name}">(.*?)</td>', row_html, re.S).group(1)
    return html.unescape(re.sub(r"<[^>]+>", "", found)).strip()


def table(client, path: str) -> list[dict]:
    body = page(client, path)
    section = body[body.index('<section class="results" id="results">'):]
    section = section[:section.index("</section>")]
    return [{"iri": iri, "score": float(score) if score else None, "html": cells,
             "model": cell(cells, "model"), "metric": cell(cells, "metric"), "shots": cell(cells, "shots"),
             "date": (re.match(r"\d{4}-\d{2}-\d{2}", cell(cells, "date")) or [""])[0], "shown": cell(cells, "score")}
            for iri, score, cells in ROW.findall(section)]


def stored_results(sparql, benchmark: str) -> set[str]:
    return {r["r"] for r in sparql(f"SELECT ?r WHERE {{ ?r bm:onBenchmark <{ID}benchmark/{benchmark}> }}")}


@pytest.mark.parametrize("benchmark", ["mmlu", "geobench-acw", "metr-time-horizon", "osuniverse-gold"])
def test_a_benchmark_page_lists_every_result_of_the_benchmark(shipped_client, sparql, benchmark):
    rows = table(shipped_client, f"/page/benchmark/{benchmark}")
    expected = stored_results(sparql, benchmark)
    assert expected and len(rows) == len(expected) and {r["iri"] for r in rows} == expected
    body = page(shipped_client, f"/page/benchmark/{benchmark}")
    assert f'<a href="#results">{len(expected):,} evaluation results</a>' in body
    for row in rows:  # each row links its model and its result
        assert re.search(r'<td class="model"><a href="/page/model/[^"]+">', row["html"]), row
        assert f'href="/page/result/{row["iri"].rsplit("/", 1)[1]}"' in row["html"]


def test_the_default_order_is_score_descending(shipped_client):
    rows = table(shipped_client, "/page/benchmark/mmlu")
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 50
    assert rows == table(shipped_client, "/page/benchmark/mmlu?sort=score&order=desc")
    body = page(shipped_client, "/page/benchmark/mmlu")
    header = re.search(r'<th scope="col" class="num" aria-sort="descending"><a class="sort current" href="([^"]+)"', body)
    assert html.unescape(header.group(1)) == "/page/benchmark/mmlu?sort=score&order=asc#results"
    for column in COLUMNS:  # every column header is a link that sorts by it
        assert re.search(rf'href="/page/benchmark/mmlu\?sort={column}&amp;order=(asc|desc)#results"', body), column


def test_sorting_by_score_and_by_model(shipped_client):
    ascending = table(shipped_client, "/page/benchmark/gsm8k?sort=score&order=asc")
    scores = [r["score"] for r in ascending]
    assert scores == sorted(scores)
    descending = table(shipped_client, "/page/benchmark/gsm8k?sort=score&order=desc")
    assert [r["score"] for r in descending] == sorted(scores, reverse=True)
    by_model = table(shipped_client, "/page/benchmark/gsm8k?sort=model&order=asc")
    names = [r["model"].casefold() for r in by_model]
    assert names == sorted(names) and len(set(names)) > 50
    backwards = [r["model"].casefold() for r in table(shipped_client, "/page/benchmark/gsm8k?sort=model&order=desc")]
    assert backwards == sorted(names, reverse=True)
    for column in COLUMNS:  # every key sorts the same rows
        assert {r["iri"] for r in table(shipped_client, f"/page/benchmark/gsm8k?sort={column}")} == {
            r["iri"] for r in ascending}


def test_scores_sort_within_each_metric(shipped_client):
    """GeoBench ACW is scored in two metrics and units: scores only compare within one."""
    rows = table(shipped_client, "/page/benchmark/geobench-acw?sort=score&order=asc")
    metrics = [r["metric"] for r in rows]
    assert len(set(metrics)) == 2 and metrics == sorted(metrics)
    for metric in set(metrics):
        scores = [r["score"] for r in rows if r["metric"] == metric]
        assert scores == sorted(scores)


def test_sorting_by_shots_and_date_puts_empty_cells_last(shipped_client):
    for column, order in (("shots", "desc"), ("shots", "asc"), ("date", "desc"), ("date", "asc")):
        rows = table(shipped_client, f"/page/benchmark/mmlu?sort={column}&order={order}")
        filled = [r[column] for r in rows if r[column]]
        assert all(r[column] for r in rows[:len(filled)]), column  # the empty ones come last
        keys = [int(v) for v in filled] if column == "shots" else filled
        assert keys == sorted(keys, reverse=order == "desc"), (column, order)


@pytest.mark.parametrize("query", ["sort=bogus", "sort=score&order=up", "sort=SCORE", "sort=score;DROP"])
def test_an_unknown_sort_key_or_order_is_a_400(shipped_client, query):
    response = shipped_client.get(f"/page/benchmark/mmlu?{query}", headers={"Accept": BROWSER})
    assert response.status_code == 400
    text = response.data.decode()
    assert "sort by one of model, version, metric, score, shots, date, source" in text or "neither asc nor desc" in text
    # other entity pages ignore the parameters
    assert shipped_client.get(f"/page/model/gpt-4?{query}", headers={"Accept": BROWSER}).status_code == 200


def test_scores_are_shown_in_their_unit(shipped_client, sparql):
    for row in table(shipped_client, "/page/benchmark/big-bench-hard"):
        assert row["shown"].split(" ±")[0] == f"{row['score'] * 100:.2f}".rstrip("0").rstrip(".") + "%" or \
            row["shown"].split(" ±")[0] == f"{row['score'] * 100:.1f}%", row
    assert all(r["shown"].endswith(" min") for r in table(shipped_client, "/page/benchmark/metr-time-horizon"))
    assert all(r["shown"].endswith(" Elo") for r in table(shipped_client, "/page/benchmark/mc-bench"))
    # the cell as the source wrote it stays on the page
    reported = sparql(f"SELECT ?r ?s WHERE {{ ?r bm:onBenchmark <{ID}benchmark/big-bench-hard> ; bm:reportedScore ?s }}")
    rows = {r["iri"]: r["html"] for r in table(shipped_client, "/page/benchmark/big-bench-hard")}
    assert reported and all(f'title="as reported: {html.escape(r["s"])}"' in rows[r["r"]] for r in reported)


def test_sub_benchmarks_are_linked_from_their_parent(shipped_client, sparql):
    parts = sparql("""SELECT ?parent ?part WHERE { GRAPH ?g { ?part bm:partOfBenchmark ?parent }
                      FILTER(?g != <https://w3id.org/bmkg/graph/inferred>) }""")
    by_parent = {}
    for row in parts:
        by_parent.setdefault(row["parent"], set()).add(row["part"])
    assert len(by_parent) > 10
    for parent, children in by_parent.items():
        body = page(shipped_client, "/page/benchmark/" + parent.rsplit("/", 1)[1])
        section = body[body.index('id="parts"'):]
        section = section[:section.index("</p>")]
        assert {ID + "benchmark/" + key for key in re.findall(r'href="/page/benchmark/([^"#]+)"', section)} == children


def test_results_pages_keep_the_strict_content_security_policy(shipped_client):
    response = shipped_client.get("/page/benchmark/mmlu?sort=model", headers={"Accept": BROWSER})
    assert "style-src 'self'; script-src 'self'" in response.headers["Content-Security-Policy"]
    body = response.data.decode()
    assert "<script" not in body and "style=" not in body and "<style" not in body
    again = shipped_client.get("/page/benchmark/mmlu?sort=model", headers={
        "Accept": BROWSER, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    other = shipped_client.get("/page/benchmark/mmlu?sort=date", headers={
        "Accept": BROWSER, "If-None-Match": response.headers["ETag"]})
    assert other.status_code == 200  # another order is another page


def test_the_home_page_counts_results_benchmarks_and_scored_models(shipped_client, sparql):
    body = page(shipped_client, "/")
    section = body[body.index('<section id="results">'):]
    section = section[:section.index("</section>")]
    counts = sparql("""SELECT (COUNT(DISTINCT ?r) AS ?results) (COUNT(DISTINCT ?b) AS ?benchmarks)
                       (COUNT(DISTINCT ?m) AS ?models) WHERE { ?r a bm:EvaluationResult ; bm:onBenchmark ?b ;
                       bm:resultFor ?m }""")[0]
    assert int(counts["results"]) > 4000
    assert f"<strong>{int(counts['results']):,}</strong> evaluation results" in section
    assert f"<strong>{int(counts['benchmarks']):,}</strong> benchmarks with results" in section
    assert f"<strong>{int(counts['models']):,}</strong> scored models" in section
    assert 'href="/charts#best-scores"' in section and 'href="/charts#open-vs-closed"' in section
    busiest = sparql("""SELECT ?b (COUNT(?r) AS ?n) WHERE { ?r a bm:EvaluationResult ; bm:onBenchmark ?b }
                        GROUP BY ?b ORDER BY DESC(?n) LIMIT 3""")
    for row in busiest:
        assert f'href="/page/benchmark/{row["b"].rsplit("/", 1)[1]}#results"' in section
        assert f'({int(row["n"]):,})' in section
