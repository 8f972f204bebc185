"""Charts drawn from SPARQL over the store, rendered server-side as SVG with matplotlib.

Each chart is a SPARQL query (through the killable workers), a table of rows
(offered as CSV), a drawing and an alt text written from the same rows. SVGs
are cached per store generation, so a chart is drawn once per generation and
web process; text stays text in the SVG (``svg.fonttype: none``) and ids are
seeded (``svg.hashsalt``), so the same data gives the same bytes.

Routes: ``/charts/{name}.svg`` and ``/charts/{name}.csv``, with ``?topic=KEY``
for the topic-scoped version (topic pages show those).
"""

from __future__ import annotations

import csv
import io
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, abort, g, request

from server import entities, responses
from server.entities import BM_NS, INFERRED, ID_BASE, ref, select, value
from server.runtime import get_runtime

bp = Blueprint("charts", __name__)

#: One colour per roadmap topic, in roadmap order; distinguishable and stable across charts.
PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
           "#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#2ca02c", "#d62728", "#ff9896"]
OTHER = "#b0b0b0"
RC = {
    "svg.fonttype": "none",  # text stays text: smaller, selectable, readable by assistive tools
    "svg.hashsalt": "bmkg",  # stable element ids, so equal data gives equal bytes
    "text.parse_math": False,  # a "$" in a label is a dollar sign, not TeX
    "font.size": 9,
    "font.family": "DejaVu Sans",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
_DRAWING = threading.Lock()  # rcParams are process-wide: draw one chart at a time


@dataclass
class Table:
    columns: list[str]
    rows: list[list]


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    summary: str  # what the chart shows, for the page around it
    fetch: Callable[[entities.Topic | None], Table]
    draw: Callable[[object, Table, entities.Topic | None], None]
    alt: Callable[[Table, entities.Topic | None], str]
    scoped: bool = True  # has a per-topic version
    on_topics: tuple[str, ...] = ()  # an unscoped chart that topic pages of these keys show too
    size: Callable[[Table], tuple[float, float]] | None = None  # inches, from the data; default 8.5 x 4.6

    def inches(self, data: Table) -> tuple[float, float]:
        return self.size(data) if self.size else (8.5, 4.6)


# -- helpers ----------------------------------------------------------------------------


def decimal_year(text: str) -> float | None:
    """A date or year as a fractional year, for plotting.

    >>> decimal_year("2020-01-01"), decimal_year("2020-07-02"), decimal_year("1998")
    (2020.003, 2020.506, 1998.5)
    """
    try:
        year = int(text[:4])
    except ValueError:
        return None
    if len(text) >= 10 and text[4] == "-":
        try:
            month, day = int(text[5:7]), int(text[8:10])
        except ValueError:
            return year + 0.5
        return round(year + ((month - 1) * 30.44 + day) / 365.25, 3)
    return year + 0.5


def _powers_of_ten(axis) -> None:
    """Log-axis ticks as 10⁶ rather than mathtext, which stays off so labels print literally."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    superscripts = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")

    def power(tick: float, _position) -> str:
        if tick <= 0:
            return ""
        exponent = round(math.log10(tick))
        return f"10{str(exponent).translate(superscripts)}" if abs(math.log10(tick) - exponent) < 1e-9 else ""

    axis.set_major_locator(LogLocator(base=10, numticks=12))
    axis.set_major_formatter(FuncFormatter(power))


def topic_colours() -> dict[str, str]:
    ordered = sorted(entities.topics().values(), key=lambda t: t.order)
    return {t.iri: PALETTE[i % len(PALETTE)] for i, t in enumerate(ordered)}


def _label(iri: str | None) -> str:
    if not iri:
        return ""
    return entities.index().label(iri) or entities.local_name(iri)


def _asserted_topic(model_var: str, topic_var: str) -> str:
    return (f"GRAPH ?tg {{ {model_var} {ref(BM_NS + 'hasTopic')} {topic_var} }} FILTER(?tg != {ref(INFERRED)})"
            f" {topic_var} a {ref(BM_NS + 'Topic')} .")


def _scope(topic: entities.Topic | None) -> str:
    return f"VALUES ?topic {{ {ref(topic.iri)} }}" if topic else ""


def _primary(topic_iris: set[str]) -> str | None:
    """A model's colour: its asserted topic that comes first in the roadmap."""
    known = entities.topics()
    found = [known[t] for t in topic_iris if t in known]
    return min(found, key=lambda t: t.order).iri if found else None


# -- models over time (parameters, training compute) ---------------------------------------


def _models_over_time(prop: str, column: str) -> Callable[[entities.Topic | None], Table]:
    def fetch(topic: entities.Topic | None) -> Table:
        scoped = f"{_scope(topic)} {_asserted_topic('?m', '?topic')}" if topic else ""
        rows = select(f"""
            SELECT ?m ?date ?value ?topic WHERE {{
              {{ SELECT ?m (MIN(STR(?d)) AS ?date) (MAX(?n) AS ?value) WHERE {{
                   ?m {ref(BM_NS + prop)} ?n .
                   {{ ?m {ref(BM_NS + 'publicationDate')} ?d }} UNION {{ ?m {ref(BM_NS + 'releaseDate')} ?d }}
                   FILTER(STRSTARTS(STR(?m), "{ID_BASE}model/"))
                 }} GROUP BY ?m }}
              {scoped}
              OPTIONAL {{ {_asserted_topic('?m', '?topic')} }}
            }}""")
        models: dict[str, dict] = {}
        for row in rows:
            model = models.setdefault(value(row, "m"), {"date": value(row, "date"), "value": float(value(row, "value")),
                                                        "topics": set()})
            if value(row, "topic"):
                model["topics"].add(value(row, "topic"))
        table = Table(["model", "label", "date", "year", column, "topic", "topic_label"], [])
        for iri, model in models.items():
            year = decimal_year(model["date"] or "")
            if year is None or model["value"] <= 0:
                continue
            colour_topic = topic.iri if topic else _primary(model["topics"])
            table.rows.append([iri, _label(iri), model["date"], year, model["value"], colour_topic or "",
                               _label(colour_topic) if colour_topic else "no topic"])
        table.rows.sort(key=lambda r: (r[3], r[0]))
        return table

    return fetch


def _draw_over_time(ylabel: str) -> Callable:
    def draw(ax, table: Table, topic: entities.Topic | None) -> None:
        colours = topic_colours()
        by_topic: dict[str, list] = defaultdict(list)
        for row in table.rows:
            by_topic[row[5]].append(row)
        order = {t.iri: t.order for t in entities.topics().values()}
        for key in sorted(by_topic, key=lambda k: order.get(k, 99)):
            rows = by_topic[key]
            ax.scatter([r[3] for r in rows], [r[4] for r in rows], s=14, alpha=0.75, linewidths=0,
                       color=colours.get(key, OTHER), label=f"{rows[0][6]} ({len(rows)})")
        ax.set_yscale("log")
        _powers_of_ten(ax.yaxis)
        ax.set_xlabel("publication date")
        ax.set_ylabel(ylabel)
        if table.rows:
            top = max(table.rows, key=lambda r: r[4])
            ax.annotate(top[1], (top[3], top[4]), xytext=(-6, 4), textcoords="offset points", ha="right", fontsize=8)
        if len(by_topic) > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False, title="topic")

    return draw


def _alt_over_time(what: str, unit: str) -> Callable:
    from server.web import number

    def alt(table: Table, topic: entities.Topic | None) -> str:
        if not table.rows:
            return f"No model {'in ' + topic.label if topic else ''} has both a {what} and a date."
        years = [r[3] for r in table.rows]
        top = max(table.rows, key=lambda r: r[4])
        low = min(table.rows, key=lambda r: r[4])
        where = f"models of the topic {topic.label}" if topic else "models, coloured by their first roadmap topic"
        return (f"Scatter plot on a log scale of the {what} of {len(table.rows)} {where}, against publication date,"
                f" {int(min(years))} to {int(max(years))}. Values range from {number(low[4])} {unit} ({low[1]})"
                f" to {number(top[4])} {unit} ({top[1]}, {top[2][:4]}).")

    return alt


# -- accelerators -------------------------------------------------------------------------


def _fetch_accelerators(_topic) -> Table:
    rows = select(f"""
        SELECT ?h (MIN(STR(?d)) AS ?date) (MAX(?t) AS ?tensor) (MAX(?p) AS ?plain) (SAMPLE(?maker) AS ?manufacturer)
        WHERE {{
          ?h a {ref(BM_NS + 'Hardware')} ; {ref(BM_NS + 'releaseDate')} ?d .
          OPTIONAL {{ ?h {ref(BM_NS + 'fp16TensorFlopPerSecond')} ?t }}
          OPTIONAL {{ ?h {ref(BM_NS + 'fp16FlopPerSecond')} ?p }}
          OPTIONAL {{ ?h {ref(BM_NS + 'manufacturer')} ?maker }}
          FILTER(BOUND(?t) || BOUND(?p))
        }} GROUP BY ?h""")
    table = Table(["hardware", "label", "date", "year", "fp16_flop_per_second", "measure", "manufacturer",
                   "manufacturer_label"], [])
    for row in rows:
        year = decimal_year(value(row, "date") or "")
        tensor, plain = value(row, "tensor"), value(row, "plain")
        flops = float(tensor) if tensor else float(plain)
        if year is None or flops <= 0:
            continue
        maker = value(row, "manufacturer") or ""
        table.rows.append([value(row, "h"), _label(value(row, "h")), value(row, "date"), year, flops,
                           "tensor FP16/BF16" if tensor else "FP16", maker, _label(maker) if maker else "unknown"])
    table.rows.sort(key=lambda r: (r[3], r[0]))
    return table


def _draw_accelerators(ax, table: Table, _topic) -> None:
    counts = Counter(r[7] for r in table.rows)
    leaders = [name for name, _ in counts.most_common(7)]
    for i, name in enumerate(leaders + ["other"]):
        rows = [r for r in table.rows if (r[7] if r[7] in leaders else "other") == name]
        if not rows:
            continue
        colour = PALETTE[i] if name != "other" else OTHER
        for measure, marker in (("tensor FP16/BF16", "o"), ("FP16", "^")):
            some = [r for r in rows if r[5] == measure]
            if some:
                ax.scatter([r[3] for r in some], [r[4] for r in some], s=18, alpha=0.8, marker=marker,
                           color=colour, linewidths=0, label=f"{name} ({len(rows)})" if marker == "o" or
                           not any(r[5] == "tensor FP16/BF16" for r in rows) else None)
    ax.set_yscale("log")
    _powers_of_ten(ax.yaxis)
    ax.set_xlabel("release date")
    ax.set_ylabel("peak FP16/BF16 FLOP/s (log scale)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False,
              title="manufacturer\n(● tensor, ▲ plain FP16)")


def _alt_accelerators(table: Table, _topic) -> str:
    from server.web import number

    if not table.rows:
        return "No accelerator has both a release date and an FP16 or BF16 throughput."
    top = max(table.rows, key=lambda r: r[4])
    makers = Counter(r[7] for r in table.rows).most_common(3)
    years = [r[3] for r in table.rows]
    return (f"Scatter plot on a log scale of the peak FP16/BF16 throughput of {len(table.rows)} accelerators against"
            f" release date, {int(min(years))} to {int(max(years))}, coloured by manufacturer (most: "
            f"{', '.join(f'{m} {n}' for m, n in makers)}). The fastest is {top[1]} at {number(top[4])} FLOP/s"
            f" ({top[2][:4]}).")


# -- models per topic per year ----------------------------------------------------------------


def _fetch_per_year(topic: entities.Topic | None) -> Table:
    rows = select(f"""
        SELECT ?topic ?m (MIN(STR(?d)) AS ?first) WHERE {{
          {_scope(topic)}
          {_asserted_topic('?m', '?topic')}
          FILTER(STRSTARTS(STR(?m), "{ID_BASE}model/"))
          {{ ?m {ref(BM_NS + 'publicationDate')} ?d }} UNION {{ ?m {ref(BM_NS + 'releaseDate')} ?d }}
        }} GROUP BY ?topic ?m""")
    counts: Counter = Counter()
    for row in rows:
        year = (value(row, "first") or "")[:4]
        if year.isdigit():
            counts[(value(row, "topic"), int(year))] += 1
    order = {t.iri: t.order for t in entities.topics().values()}
    table = Table(["topic", "topic_label", "year", "models"], [])
    for (iri, year), n in sorted(counts.items(), key=lambda item: (order.get(item[0][0], 99), item[0][1])):
        table.rows.append([iri, _label(iri), year, n])
    return table


def _draw_per_year(ax, table: Table, topic) -> None:
    if not table.rows:
        return
    colours = topic_colours()
    years = list(range(min(r[2] for r in table.rows), max(r[2] for r in table.rows) + 1))
    bottom = [0] * len(years)
    seen = []
    for row in table.rows:
        if row[0] not in seen:
            seen.append(row[0])
    for iri in seen:
        counts = {r[2]: r[3] for r in table.rows if r[0] == iri}
        heights = [counts.get(y, 0) for y in years]
        ax.bar(years, heights, bottom=bottom, width=0.85, color=colours.get(iri, OTHER),
               label=_label(iri), linewidth=0)
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_xlabel("year of first publication")
    ax.set_ylabel("models")
    ax.grid(axis="x", visible=False)
    if len(seen) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False, title="topic")


def _alt_per_year(table: Table, topic) -> str:
    if not table.rows:
        return "No dated model has this topic."
    totals: Counter = Counter()
    for row in table.rows:
        totals[row[2]] += row[3]
    peak, most = max(totals.items(), key=lambda item: (item[1], item[0]))
    what = f"models of the topic {topic.label}" if topic else "models in each roadmap topic, stacked by topic"
    return (f"Bar chart of the number of {what} per year, {min(totals)} to {max(totals)}; the busiest year is {peak}"
            f" with {most}. A model with several topics counts once in each.")


# -- top organisations per topic ------------------------------------------------------------


def _fetch_organisations(topic: entities.Topic | None) -> Table:
    rows = select(f"""
        SELECT ?topic ?org (COUNT(DISTINCT ?m) AS ?models) WHERE {{
          {_scope(topic)}
          {_asserted_topic('?m', '?topic')}
          FILTER(STRSTARTS(STR(?m), "{ID_BASE}model/"))
          GRAPH ?dg {{ ?m {ref(BM_NS + 'developedBy')} ?org }} FILTER(?dg != {ref(INFERRED)})
        }} GROUP BY ?topic ?org""")
    order = {t.iri: t.order for t in entities.topics().values()}
    table = Table(["topic", "topic_label", "organisation", "label", "models"], [])
    for row in rows:
        table.rows.append([value(row, "topic"), _label(value(row, "topic")), value(row, "org"),
                           _label(value(row, "org")), int(value(row, "models"))])
    table.rows.sort(key=lambda r: (order.get(r[0], 99), -r[4], r[3]))
    return table


def _leaders(table: Table, limit: int) -> list[tuple[str, int]]:
    totals: Counter = Counter()
    names = {}
    for row in table.rows:
        totals[row[2]] += row[4]
        names[row[2]] = row[3]
    return [(iri, n) for iri, n in sorted(totals.items(), key=lambda item: (-item[1], names[item[0]]))[:limit]]


def _draw_organisations(ax, table: Table, topic) -> None:
    if not table.rows:
        return
    if topic is not None:
        leaders = _leaders(table, 12)[::-1]
        ax.barh([_label(iri) for iri, _ in leaders], [n for _, n in leaders],
                color=topic_colours().get(topic.iri, PALETTE[0]))
        ax.set_xlabel(f"models in {topic.label}")
        ax.grid(axis="y", visible=False)
        return
    leaders = [iri for iri, _ in _leaders(table, 15)]
    columns = [t for t in sorted(entities.topics().values(), key=lambda t: t.order)]
    grid = [[0] * len(columns) for _ in leaders]
    position = {t.iri: i for i, t in enumerate(columns)}
    for row in table.rows:
        if row[2] in leaders and row[0] in position:
            grid[leaders.index(row[2])][position[row[0]]] = row[4]
    ax.imshow(grid, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(columns)), [t.label for t in columns], rotation=50, ha="right", fontsize=7)
    ax.set_yticks(range(len(leaders)), [_label(iri) for iri in leaders], fontsize=7)
    ax.grid(False)
    peak = max((max(r) for r in grid), default=0) or 1
    for y, line in enumerate(grid):
        for x, n in enumerate(line):
            if n:
                ax.text(x, y, str(n), ha="center", va="center", fontsize=6,
                        color="white" if n > peak * 0.6 else "black")


def _alt_organisations(table: Table, topic) -> str:
    if not table.rows:
        return "No model of this topic names its developer."
    leaders = _leaders(table, 3)
    named = ", ".join(f"{_label(iri)} ({n})" for iri, n in leaders)
    if topic is not None:
        return (f"Horizontal bar chart of the organisations with the most models in {topic.label}; the top three are"
                f" {named}.")
    return (f"Heat map of model counts for the 15 organisations with the most models (rows) across the 16 roadmap"
            f" topics (columns); a model counts once in each of its topics. The leaders are {named}.")


# -- evaluation results: best score over time, open versus non-open ----------------------------

FRACTION = "http://qudt.org/vocab/unit/FRACTION"
BENCHMARKS_GRAPH = "https://w3id.org/bmkg/graph/epoch-benchmarks"
BEST_SCORE_LINES = 8  # benchmarks drawn on the best-score chart
MIN_SIDE_MODELS = 3  # models on each side for a benchmark to enter the open-versus-non-open chart
OPEN_COLOUR, NON_OPEN_COLOUR = "#009e73", "#d55e00"


def percent(fraction: float) -> str:
    """A fraction as a percentage, to at most two decimals.

    >>> percent(0.47), percent(0.7404), percent(1.0), percent(0.0175)
    ('47.0%', '74.04%', '100.0%', '1.75%')
    """
    text = f"{fraction * 100:.2f}".rstrip("0")
    return text + ("0%" if text.endswith(".") else "%")


def _series_label(benchmark_label: str, metric_label: str, shared: bool) -> str:
    """A benchmark's name on a chart; with the metric when the benchmark has several."""
    return f"{benchmark_label} ({metric_label})" if shared else benchmark_label


def _fetch_best_scores(_topic) -> Table:
    """The record-setting results on the fraction-scored benchmarks with the most results.

    A result's date is the release date the Benchmarking Hub gives the model version scored, else
    the model's earliest publication date (as ``queries/best-score-per-benchmark-by-year.rq``);
    a record is the best score on a date that beats every score dated before it.
    """
    rows = select(f"""
        SELECT ?result ?benchmark ?metric ?model ?score
               (MIN(COALESCE(STR(?versionDate), STR(?modelDate))) AS ?date) WHERE {{
          ?result a {ref(BM_NS + 'EvaluationResult')} ; {ref(BM_NS + 'onBenchmark')} ?benchmark ;
                  {ref(BM_NS + 'metric')} ?metric ; {ref(BM_NS + 'scoreValue')} ?score ;
                  {ref(BM_NS + 'scoreUnit')} {ref(FRACTION)} ; {ref(BM_NS + 'resultFor')} ?model .
          OPTIONAL {{ ?result {ref(BM_NS + 'resultForVersion')} ?version .
                     GRAPH {ref(BENCHMARKS_GRAPH)} {{ ?version {ref(BM_NS + 'releaseDate')} ?versionDate }} }}
          OPTIONAL {{ ?model {ref(BM_NS + 'publicationDate')} ?modelDate }}
        }} GROUP BY ?result ?benchmark ?metric ?model ?score""")
    results: dict[tuple[str, str], list[tuple[str | None, float, str]]] = defaultdict(list)
    for row in rows:
        results[(value(row, "benchmark"), value(row, "metric"))].append(
            (value(row, "date"), float(value(row, "score")), value(row, "model")))
    chosen = sorted(results, key=lambda key: (-len(results[key]), _label(key[0]), _label(key[1])))[:BEST_SCORE_LINES]
    per_benchmark = Counter(b for b, _ in chosen)
    table = Table(["benchmark", "benchmark_label", "metric", "metric_label", "series", "results", "date", "year",
                   "best_so_far", "models", "model_labels"], [])
    for benchmark, metric in chosen:
        by_date: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for date, score, model in results[(benchmark, metric)]:
            if date and decimal_year(date) is not None:
                by_date[date].append((score, model))
        best = -math.inf
        series = _series_label(_label(benchmark), _label(metric), per_benchmark[benchmark] > 1)
        for date in sorted(by_date):
            top = max(score for score, _ in by_date[date])
            if top <= best:
                continue
            best = top
            models = sorted({m for score, m in by_date[date] if score == top}, key=lambda m: (_label(m), m))
            table.rows.append([benchmark, _label(benchmark), metric, _label(metric), series,
                               len(results[(benchmark, metric)]), date, decimal_year(date), top,
                               "; ".join(models), "; ".join(_label(m) for m in models)])
    return table


def _best_series(table: Table) -> list[list[list]]:
    """The chart's rows, one list per benchmark, in the order chosen (most results first)."""
    series: dict[str, list[list]] = {}
    for row in table.rows:
        series.setdefault(row[4], []).append(row)
    return list(series.values())


def _draw_best_scores(ax, table: Table, _topic) -> None:
    from matplotlib.ticker import PercentFormatter

    if not table.rows:
        return
    end = max(r[7] for r in table.rows)
    for i, rows in enumerate(_best_series(table)):
        xs = [r[7] for r in rows] + [end]
        ys = [r[8] * 100 for r in rows] + [rows[-1][8] * 100]
        colour = PALETTE[i % len(PALETTE)]
        ax.step(xs, ys, where="post", color=colour, linewidth=1.6,
                label=f"{rows[0][4]} ({rows[0][5]} results)")
        ax.scatter(xs[:-1], ys[:-1], s=16, color=colour, zorder=3, linewidths=0)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylim(0, 100)
    ax.set_xlabel("release date of the model version scored (else the model's publication date)")
    ax.set_ylabel("best score so far")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False,
              title="benchmark (fraction-scored)")


def _alt_best_scores(table: Table, _topic) -> str:
    if not table.rows:
        return "No fraction-scored benchmark has dated results."
    series = _best_series(table)
    years = [r[7] for r in table.rows]
    latest = "; ".join(f"{rows[0][4]} {percent(rows[-1][8])} ({rows[-1][10]}, {rows[-1][6][:7]})"
                       for rows in series)
    return (f"Step chart of the best score so far on the {len(series)} fraction-scored benchmarks with the most"
            f" results, against the release date of the model scored, {int(min(years))} to {int(max(years))};"
            f" each marker is a new record ({len(table.rows)} in all). Current records: {latest}.")


def _fetch_open_vs_closed(_topic) -> Table:
    """Best open-weight and best non-open scores on fraction-scored benchmarks both sides were scored on.

    A model is open when every access level its sources give is "open", non-open when none is
    (as ``queries/open-versus-closed-on-shared-benchmarks.rq``); models with no access level, or
    with both, are on neither side.
    """
    rows = select(f"""
        SELECT ?benchmark ?metric ?model ?side (MAX(?score) AS ?best) WHERE {{
          {{ SELECT ?model (IF(MIN(?isOpen) = 1, "open", IF(MAX(?isOpen) = 0, "non-open", "both")) AS ?side) WHERE {{
               ?model a {ref(BM_NS + 'Model')} ; {ref(BM_NS + 'accessLevel')} ?level .
               BIND(IF(sameTerm(?level, "open"), 1, 0) AS ?isOpen)
             }} GROUP BY ?model }}
          FILTER(?side != "both")
          ?result {ref(BM_NS + 'resultFor')} ?model ; {ref(BM_NS + 'onBenchmark')} ?benchmark ;
                  {ref(BM_NS + 'metric')} ?metric ; {ref(BM_NS + 'scoreValue')} ?score ;
                  {ref(BM_NS + 'scoreUnit')} {ref(FRACTION)} .
        }} GROUP BY ?benchmark ?metric ?model ?side""")
    sides: dict[tuple[str, str], dict[str, dict[str, float]]] = defaultdict(lambda: {"open": {}, "non-open": {}})
    for row in rows:
        sides[(value(row, "benchmark"), value(row, "metric"))][value(row, "side")][value(row, "model")] = \
            float(value(row, "best"))
    shared = {key: found for key, found in sides.items()
              if len(found["open"]) >= MIN_SIDE_MODELS and len(found["non-open"]) >= MIN_SIDE_MODELS}
    per_benchmark = Counter(b for b, _ in shared)
    table = Table(["benchmark", "benchmark_label", "metric", "metric_label", "series", "open_models", "best_open",
                   "best_open_models", "best_open_labels", "non_open_models", "best_non_open",
                   "best_non_open_models", "best_non_open_labels", "gap"], [])
    for (benchmark, metric), found in shared.items():
        row = [benchmark, _label(benchmark), metric, _label(metric),
               _series_label(_label(benchmark), _label(metric), per_benchmark[benchmark] > 1)]
        for side in ("open", "non-open"):
            best = max(found[side].values())
            leaders = sorted((m for m, s in found[side].items() if s == best), key=lambda m: (_label(m), m))
            row += [len(found[side]), best, "; ".join(leaders), "; ".join(_label(m) for m in leaders)]
        row.append(round(row[10] - row[6], 6))
        table.rows.append(row)
    table.rows.sort(key=lambda r: (-r[13], r[4].casefold(), r[0], r[2]))
    return table


def _size_open_vs_closed(table: Table) -> tuple[float, float]:
    return (8.5, max(4.6, 1.3 + 0.19 * len(table.rows)))


def _draw_open_vs_closed(ax, table: Table, _topic) -> None:
    from matplotlib.ticker import PercentFormatter

    if not table.rows:
        return
    ys = list(range(len(table.rows)))
    opens = [r[6] * 100 for r in table.rows]
    others = [r[10] * 100 for r in table.rows]
    ax.hlines(ys, [min(a, b) for a, b in zip(opens, others)], [max(a, b) for a, b in zip(opens, others)],
              color=OTHER, linewidth=1.5, zorder=1)
    ax.scatter(opens, ys, s=22, color=OPEN_COLOUR, zorder=2, linewidths=0, label="open-weight")
    ax.scatter(others, ys, s=22, marker="D", color=NON_OPEN_COLOUR, zorder=2, linewidths=0,
               label="non-open\n(API-only or closed)")
    ax.set_yticks(ys, [f"{r[4]} ({r[5]} / {r[9]})" for r in table.rows], fontsize=7)
    ax.set_ylim(len(ys) - 0.5, -0.5)  # the widest non-open lead on top
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlim(0, 102)
    ax.set_xlabel("best score on the benchmark (models scored: open / non-open)")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False,
              title="best score of any\nmodel of each kind")


def _alt_open_vs_closed(table: Table, _topic) -> str:
    if not table.rows:
        return (f"No fraction-scored benchmark has at least {MIN_SIDE_MODELS} open-weight and {MIN_SIDE_MODELS}"
                f" non-open models scored.")
    ahead = [r for r in table.rows if r[13] > 0]
    behind = [r for r in table.rows if r[13] < 0]
    widest, open_lead = table.rows[0], table.rows[-1]
    tied = len(table.rows) - len(ahead) - len(behind)
    text = (f"Dumbbell chart of the best open-weight score against the best non-open score on each of"
            f" {len(table.rows)} fraction-scored benchmarks where at least {MIN_SIDE_MODELS} models of each kind"
            f" were scored, sorted by the gap. Non-open models lead on {len(ahead)}, open-weight models on"
            f" {len(behind)}; {tied} {'is' if tied == 1 else 'are'} tied. The widest non-open lead is"
            f" on {widest[4]}: {percent(widest[10])} ({widest[12]}) against {percent(widest[6])} ({widest[8]}).")
    if open_lead[13] < 0:
        text += (f" The widest open-weight lead is on {open_lead[4]}: {percent(open_lead[6])} ({open_lead[8]})"
                 f" against {percent(open_lead[10])} ({open_lead[12]}).")
    return text


CHARTS: dict[str, Chart] = {chart.name: chart for chart in (
    Chart("parameters", "Parameters over time", "Parameter count of every dated model (the largest any source "
          "reports), log scale; the overall chart colours each model by its first roadmap topic.", _models_over_time("parameterCount", "parameters"),
          _draw_over_time("parameters (log scale)"), _alt_over_time("parameter count", "parameters")),
    Chart("training-compute", "Training compute over time", "Training compute in FLOP of every dated model that "
          "reports it, log scale.", _models_over_time("trainingComputeFlop", "training_compute_flop"),
          _draw_over_time("training compute, FLOP (log scale)"), _alt_over_time("training compute", "FLOP")),
    Chart("accelerators", "Accelerator FP16/BF16 throughput", "Peak FP16/BF16 FLOP/s of accelerators against "
          "release date, by manufacturer (tensor-core figures where reported).", _fetch_accelerators,
          _draw_accelerators, _alt_accelerators, scoped=False, on_topics=("computing-system",
                                                                           "parallel-training-system")),
    Chart("models-per-year", "Models per topic per year", "How many models each topic gained each year.",
          _fetch_per_year, _draw_per_year, _alt_per_year),
    Chart("top-organisations", "Top organisations per topic", "Organisations by the number of models they "
          "developed in each topic.", _fetch_organisations, _draw_organisations, _alt_organisations),
    Chart("best-scores", "Best benchmark scores over time", f"The best score so far (a running maximum, drawn as"
          f" steps with a marker at each new record) on the {BEST_SCORE_LINES} benchmarks scored as fractions that"
          f" have the most evaluation results, against the release date of the model version scored (else the"
          f" model's publication date).", _fetch_best_scores, _draw_best_scores, _alt_best_scores, scoped=False,
          on_topics=("evaluation",)),
    Chart("open-vs-closed", "Open-weight versus non-open models", f"The best score of an open-weight model"
          f" against the best of a non-open one (API-only or closed) on each benchmark scored as a fraction where"
          f" at least {MIN_SIDE_MODELS} models of each kind were scored; a model whose sources disagree about its"
          f" access, or that none rates, is on neither side.", _fetch_open_vs_closed, _draw_open_vs_closed,
          _alt_open_vs_closed, scoped=False, on_topics=("evaluation", "governance"), size=_size_open_vs_closed),
)}


# -- rendering and serving ---------------------------------------------------------------


def charts_for(topic: entities.Topic | None) -> list[Chart]:
    if topic is None:
        return list(CHARTS.values())
    return [c for c in CHARTS.values() if c.scoped or topic.key in c.on_topics]


def table(chart: Chart, topic: entities.Topic | None) -> Table:
    scope = topic if chart.scoped else None
    return entities.memo().get(("chart-data", chart.name, scope.iri if scope else None), lambda: chart.fetch(scope))


def alt_text(chart: Chart, topic: entities.Topic | None) -> str:
    scope = topic if chart.scoped else None
    return chart.alt(table(chart, topic), scope)


def pixels(chart: Chart, topic: entities.Topic | None) -> tuple[int, int]:
    """The width and height a page gives the chart's image (100 per inch of the drawing)."""
    width, height = chart.inches(table(chart, topic))
    return round(width * 100), round(height * 100)


def svg(chart: Chart, topic: entities.Topic | None) -> bytes:
    scope = topic if chart.scoped else None
    return entities.memo().get(("chart-svg", chart.name, scope.iri if scope else None),
                               lambda: _render(chart, table(chart, topic), scope))


def _render(chart: Chart, data: Table, topic: entities.Topic | None) -> bytes:
    import matplotlib
    from matplotlib.figure import Figure

    title = chart.title + (f": {topic.label}" if topic else "")
    with _DRAWING, matplotlib.rc_context(RC):
        figure = Figure(figsize=chart.inches(data), layout="constrained")
        ax = figure.add_subplot()
        chart.draw(ax, data, topic)
        if not data.rows:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title, loc="left", fontsize=11)
        out = io.BytesIO()
        figure.savefig(out, format="svg", metadata={"Title": title, "Description": chart.alt(data, topic),
                                                    "Date": None, "Creator": "bmkg"})
    return out.getvalue()


def csv_cell(cell) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe.

    >>> csv_cell("=HYPERLINK(1)"), csv_cell(-3.5), csv_cell("GPT-3")
    ("'=HYPERLINK(1)", '-3.5', 'GPT-3')
    """
    if isinstance(cell, float):
        return repr(cell) if cell != int(cell) or abs(cell) >= 1e15 else str(int(cell))
    text = str(cell)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not isinstance(cell, (int, float)):
        return "'" + text
    return text


def to_csv(data: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(data.columns)
    for row in data.rows:
        writer.writerow([csv_cell(c) for c in row])
    return out.getvalue().encode("utf-8")


def chart_topic(chart: Chart) -> entities.Topic | None:
    key = request.args.get("topic")
    if not key:
        return None
    topic = next((t for t in entities.topics().values() if t.key == key), None)
    if topic is None:
        abort(404, f"no roadmap topic {key!r}")
    if not chart.scoped and key not in chart.on_topics:
        abort(404, f"the {chart.name} chart has no per-topic version")
    return topic


@bp.route("/charts/<name>.<ext>", methods=["GET"])
def chart_file(name: str, ext: str) -> Response:
    g.bmkg_endpoint = "charts"
    chart = CHARTS.get(name)
    if chart is None or ext not in ("svg", "csv"):
        abort(404, f"no chart {name}.{ext}; charts: {', '.join(CHARTS)} as .svg or .csv")
    topic = chart_topic(chart)
    generation = get_runtime().generation()
    tag = responses.etag(generation, "chart", name, ext, topic.iri if topic else None)
    if responses.not_modified(request, tag, generation):
        return responses.validators(Response(status=304), tag, generation)
    if ext == "svg":
        response = Response(svg(chart, topic), content_type="image/svg+xml")
    else:
        response = Response(to_csv(table(chart, topic)), content_type="text/csv; charset=utf-8")
        suffix = f"-{topic.key}" if topic else ""
        response.headers["Content-Disposition"] = f'attachment; filename="bmkg-{name}{suffix}.csv"'
    return responses.validators(response, tag, generation)
