"""The HTML pages: home, entity and topic pages, "why" paths, search, the query page and charts.

Pages are rendered on the server from SPARQL (``server.entities``) and work
without JavaScript. ``/`` is also the dataset's IRI (``https://w3id.org/bmkg/``
under this origin): RDF clients get the DCAT/VoID description there.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, abort, g, jsonify, redirect, request, url_for

from ontology import ID_BASE
from queries import library
from server import api, charts, entities, linkeddata, negotiation, policy, protocol, responses, web
from server.entities import (BM_NS, DCTERMS, INFERRED, OWL, RDF, RDFS, SKOS, WIKIDATA_ENTITY, XSD, Statement, ref,
                             select, value)
from server.negotiation import HTML, Format
from server.policy import Refused
from server.responses import HTTPProblem
from server.runtime import get_runtime

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__)

JSON = Format("json", "application/json", (), ("json",))
SHOWN = 24  # items of a list shown before the rest folds into <details>
TOPIC_SECTIONS = ("model", "problem", "technique", "system", "benchmark", "dataset", "hardware", "task")
NAMES = {RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel", DCTERMS + "title"}
DESCRIPTIONS = {SKOS + "definition", RDFS + "comment", DCTERMS + "description"}
MATCHES = {OWL + "sameAs", SKOS + "exactMatch", SKOS + "closeMatch"}
BIG_MODEL = BM_NS + "BigModel"
RELATED_TOPIC = BM_NS + "relatedTopic"
HAS_TOPIC = BM_NS + "hasTopic"


# -- home ---------------------------------------------------------------------------------


@bp.route("/favicon.ico", methods=["GET"])
def favicon() -> Response:
    """For clients that ask before reading the page's icon link."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)



@bp.route("/", methods=["GET"])
def home() -> Response:
    g.bmkg_endpoint = "pages"
    fmt = linkeddata.choose((HTML,) + linkeddata.DATA_VIEWS)
    if fmt.key != "html":  # the dataset IRI, asked for as data
        return linkeddata.dataset_view(fmt, negotiated=True)

    def build() -> Response:
        runtime = get_runtime()
        generation = runtime.generation()
        return web.page("home.html", stats=runtime.stats(generation), kinds=kind_counts(), parts=entities.roadmap(),
                        topic_counts=topic_counts(), graphs=entities.graphs(), generation=generation.id,
                        charts=charts.CHARTS, evaluation=evaluation_summary())

    response = web.cached_page(("home",), build)
    response.headers["Link"] = linkeddata.dataset_links()
    responses.add_vary(response, "Accept")
    return response


def kind_counts() -> dict[str, int]:
    def compute() -> dict[str, int]:
        rows = select(f"""
            SELECT ?kind (COUNT(DISTINCT ?e) AS ?n) WHERE {{
              GRAPH ?g {{ ?e ?p ?o }} FILTER(STRSTARTS(STR(?e), "{ID_BASE}"))
              BIND(STRBEFORE(STRAFTER(STR(?e), "{ID_BASE}"), "/") AS ?kind)
            }} GROUP BY ?kind""")
        counts = {value(r, "kind"): int(value(r, "n")) for r in rows}
        return {k: counts[k] for k in entities.KIND_NAMES if k in counts}

    return entities.memo().get("kind-counts", compute)


def topic_counts() -> dict[str, dict[str, int]]:
    """For each topic, how many entities of each kind name it as their topic (asserted)."""
    def compute() -> dict[str, dict[str, int]]:
        rows = select(f"""
            SELECT ?topic ?kind (COUNT(DISTINCT ?e) AS ?n) WHERE {{
              GRAPH ?g {{ ?e {ref(HAS_TOPIC)} ?topic }} FILTER(?g != {ref(INFERRED)})
              BIND(STRBEFORE(STRAFTER(STR(?e), "{ID_BASE}"), "/") AS ?kind)
            }} GROUP BY ?topic ?kind""")
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        for row in rows:
            counts[value(row, "topic")][value(row, "kind")] = int(value(row, "n"))
        return dict(counts)

    return entities.memo().get("topic-counts", compute)


@dataclass
class EvaluationSummary:
    results: int
    benchmarks: int  # benchmarks with at least one result
    models: int  # models with at least one result
    top: list[tuple[str, int]]  # the benchmarks with the most results: (IRI, results)


HOME_BENCHMARKS = 10  # benchmarks the home page links to


def evaluation_summary() -> EvaluationSummary:
    """How many evaluation results, benchmarks with results and scored models the graph holds."""
    def compute() -> EvaluationSummary:
        totals = select(f"""
            SELECT (COUNT(DISTINCT ?r) AS ?results) (COUNT(DISTINCT ?b) AS ?benchmarks) (COUNT(DISTINCT ?m) AS ?models)
            WHERE {{ ?r a {ref(BM_NS + 'EvaluationResult')} .
                     OPTIONAL {{ ?r {ref(BM_NS + 'onBenchmark')} ?b }} OPTIONAL {{ ?r {ref(BM_NS + 'resultFor')} ?m }} }}""")
        per_benchmark = select(f"""
            SELECT ?b (COUNT(DISTINCT ?r) AS ?n) WHERE {{
              ?r a {ref(BM_NS + 'EvaluationResult')} ; {ref(BM_NS + 'onBenchmark')} ?b }} GROUP BY ?b""")
        counts = sorted(((value(r, "b"), int(value(r, "n"))) for r in per_benchmark),
                        key=lambda item: (-item[1], web.label(item[0]).casefold(), item[0]))
        row = totals[0] if totals else {}
        return EvaluationSummary(int(value(row, "results") or 0), int(value(row, "benchmarks") or 0),
                                 int(value(row, "models") or 0), counts[:HOME_BENCHMARKS])

    return entities.memo().get("evaluation-summary", compute)


# -- entity pages ----------------------------------------------------------------------------


@dataclass
class Value:
    term: object  # a pyoxigraph term
    graphs: list[str] = field(default_factory=list)
    reasons: list = field(default_factory=list)  # for inferred values: lists of (kind, text) parts

    @property
    def iri(self) -> str | None:
        return self.term.value if isinstance(self.term, ox.NamedNode) else None


@dataclass
class Row:
    predicate: str
    values: list[Value] = field(default_factory=list)


@dataclass
class Group:
    title: str
    rows: list[Row] = field(default_factory=list)
    kind: str | None = None


def _merge(statements: list[Statement], other_end) -> dict[str, dict[str, Value]]:
    """Statements merged by (predicate, other end), collecting the graphs that make each."""
    merged: dict[str, dict[str, Value]] = defaultdict(dict)
    for s in statements:
        term = other_end(s)
        key = str(term)
        found = merged[s.predicate.value].get(key)
        if found is None:
            found = merged[s.predicate.value][key] = Value(term)
        if s.graph not in found.graphs:
            found.graphs.append(s.graph)
    return merged


def _literal_group(term: ox.Literal, predicate: str) -> str:
    datatype = term.datatype.value if term.datatype is not None else ""
    if predicate in NAMES:
        return "Names"
    if predicate in DESCRIPTIONS:
        return "Description"
    if datatype in (XSD + "date", XSD + "gYear", XSD + "dateTime", XSD + "gYearMonth"):
        return "Dates"
    if datatype == XSD + "anyURI" or web.external(term.value):
        return "On the web"
    if datatype in (XSD + "integer", XSD + "double", XSD + "decimal", XSD + "float", XSD + "nonNegativeInteger",
                    XSD + "boolean"):
        return "Figures"
    return "Attributes"


LITERAL_GROUPS = ("Names", "Description", "Dates", "Figures", "Attributes", "On the web")


def _target_kind(iri: str) -> str:
    found = entities.kind_and_key(iri)
    if found:
        return found[0]
    if iri.startswith(WIKIDATA_ENTITY):
        return "wikidata"
    return "web"


def _value_order(v: Value) -> tuple:
    """Numbers in numeric order, everything else by the text shown."""
    if isinstance(v.term, ox.Literal):
        try:
            return (0, float(v.term.value), "")
        except ValueError:
            pass
    return (1, 0.0, web.show(v.term).casefold())


def _rows(by_predicate: dict[str, dict[str, Value]], vocab) -> list[Row]:
    rows = [Row(p, sorted(values.values(), key=_value_order)) for p, values in by_predicate.items()]
    return sorted(rows, key=lambda r: vocab.label(r.predicate).casefold())


@bp.route("/page/<kind>/<path:key>", methods=["GET"])
def entity(kind: str, key: str) -> Response:
    g.bmkg_endpoint = "pages"
    iri = entities.resource_iri(kind, key)
    if iri is None:
        return linkeddata.not_found(kind, key, iri)

    ordering = result_order() if kind == "benchmark" else None  # a bad sort or order: 400 before any query

    def build() -> Response:
        statements = entities.describe(iri)
        if not statements:
            return linkeddata.not_found(kind, key, iri)
        context = entity_context(iri, kind, key, statements, ordering)
        return web.page("entity.html", **context)

    response = web.cached_page(("page", iri, request.args.get("all"), ordering), build)
    if response.status_code in (200, 304):
        response.headers["Link"] = linkeddata.alternates(kind, key, skip="html")
    return response


def entity_context(iri: str, kind: str, key: str, statements: list[Statement],
                   ordering: tuple[str, str] | None = None) -> dict:
    vocab = entities.vocabulary()
    every = statements
    results = benchmark_results(iri, *(ordering or DEFAULT_ORDER)) if kind == "benchmark" else None
    if results is not None and results.rows:
        # the results table lists these, sortable; as lists of links they would only repeat it
        statements = [s for s in statements if s.predicate.value not in RESULT_LINKS]
    outgoing = [s for s in statements if s.subject.value == iri]
    incoming = [s for s in statements if s.subject.value != iri]
    asserted_out = [s for s in outgoing if not s.inferred]
    asserted_pairs = {(s.predicate.value, str(s.object)) for s in asserted_out}
    inferred_out = [s for s in outgoing if s.inferred and (s.predicate.value, str(s.object)) not in asserted_pairs]
    asserted_in = [s for s in incoming if not s.inferred]
    inferred_in = [s for s in incoming if s.inferred]

    merged = _merge(asserted_out, lambda s: s.object)
    types = sorted(merged.pop(RDF + "type", {}).values(), key=lambda v: web.label(v.term.value))
    names = merged.get(RDFS + "label", {}) | merged.get(SKOS + "prefLabel", {})
    aliases = [v for v in merged.get(SKOS + "altLabel", {}).values() if str(v.term) not in names]
    matches = [v for p in MATCHES for v in merged.get(p, {}).values() if isinstance(v.term, ox.NamedNode)]
    wikidata = [(v, p) for p in MATCHES for v in merged.get(p, {}).values()
                if isinstance(v.term, ox.NamedNode) and v.term.value.startswith(WIKIDATA_ENTITY)]
    facts: dict[str, dict[str, dict[str, Value]]] = defaultdict(lambda: defaultdict(dict))
    links: dict[str, dict[str, dict[str, Value]]] = defaultdict(lambda: defaultdict(dict))
    for predicate, values in merged.items():
        for key_, v in values.items():
            if isinstance(v.term, ox.Literal):
                facts[_literal_group(v.term, predicate)][predicate][key_] = v
            elif predicate not in MATCHES or not v.term.value.startswith(WIKIDATA_ENTITY):
                links[_target_kind(v.term.value)][predicate][key_] = v
    fact_groups = [Group(name, _rows(facts[name], vocab)) for name in LITERAL_GROUPS if name in facts]
    link_groups = _kind_groups(links, vocab)
    incoming_groups = _kind_groups(_by_kind(_merge(asserted_in, lambda s: s.subject)), vocab)

    inferred = _merge(inferred_out, lambda s: s.object)
    explain_inferred(iri, kind, inferred, asserted_out, asserted_in, vocab)
    inferred_rows = _rows(inferred, vocab)

    label = web.label(iri)
    context = dict(
        iri=iri, kind=kind, key=key, label=label, types=types, aliases=aliases, wikidata=wikidata,
        wikidata_sources=wikidata_sources(iri) if wikidata else {}, matches=matches,
        descriptions=[v for p in DESCRIPTIONS for v in merged.get(p, {}).values()],
        fact_groups=fact_groups, link_groups=link_groups, incoming_groups=incoming_groups,
        inferred_rows=inferred_rows, inferred_in=len(inferred_in), shown=SHOWN, vocab=vocab,
        graphs=sorted({s.graph for s in every}, key=entities.graph_rank), statements=len(every),
        views=[(linkeddata.EXTENSION_OF[f.key], f.media_type.split(";")[0], linkeddata.view_url(kind, key, f))
               for f in linkeddata.DATA_VIEWS],
        topic=None, part=None, results=results,
    )
    if kind == "topic":
        context["topic"] = topic_context(iri)
    return context


def _by_kind(merged: dict[str, dict[str, Value]]) -> dict[str, dict[str, dict[str, Value]]]:
    grouped: dict[str, dict[str, dict[str, Value]]] = defaultdict(lambda: defaultdict(dict))
    for predicate, values in merged.items():
        for key, v in values.items():
            grouped[_target_kind(str(v.term.value))][predicate][key] = v
    return grouped


#: Headings for the kinds ``entities.KIND_NAMES`` does not name (yet).
MORE_KIND_NAMES = {"family": "Model families", "version": "Model versions", "result": "Evaluation results",
                   "metric": "Metrics", "conflict": "Source conflicts", "change": "Changes"}


def _kind_groups(grouped: dict[str, dict[str, dict[str, Value]]], vocab) -> list[Group]:
    order = list(entities.KIND_NAMES) + list(MORE_KIND_NAMES) + ["wikidata", "web"]
    titles = {**MORE_KIND_NAMES, **entities.KIND_NAMES, "wikidata": "Wikidata", "web": "Elsewhere"}
    return [Group(titles.get(k, k), _rows(grouped[k], vocab), kind=k)
            for k in sorted(grouped, key=lambda k: order.index(k) if k in order else 99)]


def wikidata_sources(iri: str) -> dict[str, list[str]]:
    """The public sources that confirm each Wikidata link (reified in the wikidata graph), by QID IRI."""
    rows = select(f"""
        SELECT ?item ?source WHERE {{
          ?statement {ref(RDF + 'subject')} {ref(iri)} ; {ref(RDF + 'object')} ?item .
          OPTIONAL {{ ?statement <http://www.w3.org/ns/prov#wasDerivedFrom> ?source }}
        }}""")
    found: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if value(row, "source"):
            found[value(row, "item")].append(value(row, "source"))
    return dict(found)


# -- a benchmark's evaluation results ---------------------------------------------------------


RESULT_COLUMNS = ("model", "version", "metric", "score", "shots", "date", "source")
DEFAULT_ORDER = ("score", "desc")
#: The order a column's header link asks for first; the others start ascending.
FIRST_ORDER = {"score": "desc", "shots": "desc", "date": "desc"}
RESULT_LINKS = {BM_NS + "onBenchmark", BM_NS + "benchmarkResult"}
PART_OF_BENCHMARK = BM_NS + "partOfBenchmark"
BENCHMARKS_GRAPH = "https://w3id.org/bmkg/graph/epoch-benchmarks"
UNIT = "http://qudt.org/vocab/unit/"
FRACTION = UNIT + "FRACTION"
UNIT_SUFFIX = {UNIT + "MIN": "min", BM_NS + "EloPoint": "Elo", UNIT + "UNITLESS": ""}


def result_order() -> tuple[str, str]:
    """The ``sort`` and ``order`` of a benchmark page's results table; anything unknown is a 400."""
    sort = request.args.get("sort") or DEFAULT_ORDER[0]
    if sort not in RESULT_COLUMNS:
        abort(400, f"cannot sort results by {sort[:40]!r}; sort by one of {', '.join(RESULT_COLUMNS)}")
    order = request.args.get("order") or (DEFAULT_ORDER[1] if sort == DEFAULT_ORDER[0] else FIRST_ORDER.get(sort, "asc"))
    if order not in ("asc", "desc"):
        abort(400, f"order {order[:40]!r} is neither asc nor desc")
    return sort, order


@dataclass
class ResultRow:
    iri: str
    model: str | None
    version: str | None
    metric: str | None
    value: float | None
    unit: str | None
    reported: str | None
    error: float | None  # the standard error, in the score's unit
    shots: int | None
    date: str | None  # the version's release date (Benchmarking Hub), else the model's publication date
    run_date: str | None
    source_url: str | None
    source_title: str | None
    effort: str | None

    @property
    def score(self) -> str:
        return format_score(self.value, self.unit)

    @property
    def error_text(self) -> str | None:
        if self.error is None:
            return None
        if self.unit == FRACTION:
            return charts.percent(self.error).removesuffix("%") + " pp"
        return format_score(self.error, self.unit)


def format_score(number: float | None, unit: str | None) -> str:
    """A score for a page: fractions as percentages, other units after the number.

    >>> format_score(0.47, FRACTION), format_score(41.983451, UNIT + "MIN"), format_score(1105.0, BM_NS + "EloPoint")
    ('47.0%', '41.98 min', '1,105 Elo')
    """
    if number is None:
        return "–"
    if unit == FRACTION:
        return charts.percent(number)
    suffix = UNIT_SUFFIX.get(unit, entities.local_name(unit) if unit else "")
    text = web.number(round(number, 2) if abs(number) >= 1 else number, digits=4)
    return f"{text} {suffix}".strip()


@dataclass
class BenchmarkResults:
    rows: list[ResultRow]
    sort: str
    order: str
    parts: list[tuple[str, int, int]]  # sub-benchmarks (bm:partOfBenchmark this): results of their own, parts
    metrics: list[tuple[str, int]]  # the metrics of the results, with their counts

    def header(self, column: str) -> dict:
        """What a column's header links to and says: the next order, and aria-sort for the current one."""
        current = column == self.sort
        order = ("asc" if self.order == "desc" else "desc") if current else FIRST_ORDER.get(column, "asc")
        return {"order": order, "current": current,
                "aria": ("ascending" if self.order == "asc" else "descending") if current else None}


def benchmark_results(iri: str, sort: str, order: str) -> BenchmarkResults:
    def fetch() -> tuple[list[ResultRow], list[tuple[str, int, int]]]:
        rows = select(f"""
            SELECT ?r (SAMPLE(?m) AS ?model) (SAMPLE(?v) AS ?version) (SAMPLE(?mt) AS ?metric)
                   (SAMPLE(?x) AS ?score) (SAMPLE(?u) AS ?unit) (SAMPLE(?rep) AS ?reported) (SAMPLE(?se) AS ?error)
                   (MIN(?n) AS ?shots) (MIN(STR(?vd)) AS ?versionDate) (MIN(STR(?md)) AS ?modelDate)
                   (MIN(STR(?rd)) AS ?runDate) (SAMPLE(?url) AS ?sourceUrl) (SAMPLE(?title) AS ?sourceTitle)
                   (SAMPLE(?e) AS ?effort)
            WHERE {{
              ?r {ref(BM_NS + 'onBenchmark')} {ref(iri)} .
              OPTIONAL {{ ?r {ref(BM_NS + 'resultFor')} ?m OPTIONAL {{ ?m {ref(BM_NS + 'publicationDate')} ?md }} }}
              OPTIONAL {{ ?r {ref(BM_NS + 'resultForVersion')} ?v
                         OPTIONAL {{ GRAPH {ref(BENCHMARKS_GRAPH)} {{ ?v {ref(BM_NS + 'releaseDate')} ?vd }} }} }}
              OPTIONAL {{ ?r {ref(BM_NS + 'metric')} ?mt }}
              OPTIONAL {{ ?r {ref(BM_NS + 'scoreValue')} ?x }}
              OPTIONAL {{ ?r {ref(BM_NS + 'scoreUnit')} ?u }}
              OPTIONAL {{ ?r {ref(BM_NS + 'reportedScore')} ?rep }}
              OPTIONAL {{ ?r {ref(BM_NS + 'scoreStandardError')} ?se }}
              OPTIONAL {{ ?r {ref(BM_NS + 'shotCount')} ?n }}
              OPTIONAL {{ ?r {ref(BM_NS + 'runDate')} ?rd }}
              OPTIONAL {{ ?r {ref(BM_NS + 'sourceUrl')} ?url }}
              OPTIONAL {{ ?r {ref(BM_NS + 'sourceTitle')} ?title }}
              OPTIONAL {{ ?r {ref(BM_NS + 'reasoningEffort')} ?e }}
            }} GROUP BY ?r""")
        found = [ResultRow(value(r, "r"), value(r, "model"), value(r, "version"), value(r, "metric"),
                           _float(value(r, "score")), value(r, "unit"), value(r, "reported"), _float(value(r, "error")),
                           _int(value(r, "shots")), value(r, "versionDate") or value(r, "modelDate"),
                           value(r, "runDate"), value(r, "sourceUrl"), value(r, "sourceTitle"), value(r, "effort"))
                 for r in rows]
        parts = select(f"""
            SELECT ?part (COUNT(DISTINCT ?r) AS ?n) (COUNT(DISTINCT ?sub) AS ?subs) WHERE {{
              GRAPH ?g {{ ?part {ref(PART_OF_BENCHMARK)} {ref(iri)} }} FILTER(?g != {ref(INFERRED)})
              OPTIONAL {{ ?r {ref(BM_NS + 'onBenchmark')} ?part }}
              OPTIONAL {{ GRAPH ?sg {{ ?sub {ref(PART_OF_BENCHMARK)} ?part }} FILTER(?sg != {ref(INFERRED)}) }}
            }} GROUP BY ?part""")
        return found, sorted(((value(r, "part"), int(value(r, "n")), int(value(r, "subs"))) for r in parts),
                             key=lambda item: (web.label(item[0]).casefold(), item[0]))

    found, parts = entities.memo().get(("benchmark-results", iri), fetch)
    metrics = Counter(r.metric for r in found if r.metric)
    return BenchmarkResults(sort_results(found, sort, order), sort, order, parts,
                            sorted(metrics.items(), key=lambda item: (-item[1], web.label(item[0]))))


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    number = _float(text)
    return int(number) if number is not None and number == int(number) else None


def sort_results(rows: list[ResultRow], sort: str, order: str) -> list[ResultRow]:
    """Rows by one column, empty cells last either way; ties by metric, best score, model, then IRI.

    Scores sort within each metric (metrics by name), since scores in different metrics or units
    do not compare.
    """
    def text(iri: str | None) -> str | None:
        return web.label(iri).casefold() if iri else None

    keys = {
        "model": lambda r: text(r.model),
        "version": lambda r: text(r.version),
        "metric": lambda r: text(r.metric),
        "score": lambda r: r.value,
        "shots": lambda r: r.shots,
        "date": lambda r: r.date,
        "source": lambda r: (r.source_title or r.source_url or "").casefold() or None,
    }
    key = keys[sort]
    ties = sorted(rows, key=lambda r: (text(r.metric) or "", -(r.value if r.value is not None else -math.inf),
                                       text(r.model) or "", r.iri))
    present = sorted((r for r in ties if key(r) is not None), key=key, reverse=order == "desc")
    if sort == "score":
        present.sort(key=lambda r: text(r.metric) or "")  # stable: each metric's scores keep their order
    return present + [r for r in ties if key(r) is None]


# -- why: the reasons behind inferred statements --------------------------------------------


def explain_inferred(iri: str, kind: str, inferred: dict[str, dict[str, Value]], asserted_out: list[Statement],
                     asserted_in: list[Statement], vocab) -> None:
    """Attach to each inferred value the asserted statements (and rules) it follows from."""
    out_by_pair = defaultdict(list)
    for s in asserted_out:
        out_by_pair[(s.predicate.value, str(s.object))].append(s.graph)
    in_by_pair = defaultdict(list)
    for s in asserted_in:
        in_by_pair[(s.predicate.value, s.subject.value)].append(s.graph)
    asserted_types = {s.object.value for s in asserted_out if s.predicate.value == RDF + "type"}
    for predicate, values in inferred.items():
        for v in values.values():
            if predicate == RELATED_TOPIC and kind == "model" and v.iri:
                v.reasons = related_topic_paths(iri, v.iri)
            if predicate == RDF + "type" and v.iri == BIG_MODEL:
                for s in asserted_out:
                    if s.predicate.value == BM_NS + "parameterCount" and _at_least(s.object.value, 1e9):
                        v.reasons.append([("t", "parameter count "), ("t", web.show(s.object)), ("t", " ≥ 10⁹"),
                                          ("g", s.graph)])
            if predicate == RDF + "type" and v.iri:
                for cls in sorted(asserted_types):
                    if v.iri in vocab.super_classes.get(cls, ()):
                        graphs = out_by_pair[(RDF + "type", str(ox.NamedNode(cls)))]
                        v.reasons.append([("t", "typed "), ("e", cls), ("t", ", a sub-class of "), ("e", v.iri)]
                                         + [("g", gr) for gr in graphs])
            if v.iri:
                for inverse in sorted(vocab.inverse.get(predicate, ())):
                    for graph in in_by_pair.get((inverse, v.iri), []):
                        v.reasons.append([("e", v.iri), ("t", " "), ("p", inverse), ("t", " this, and "),
                                          ("p", predicate), ("t", " is its inverse"), ("g", graph)])
            for sub, supers in vocab.super_properties.items():
                if predicate in supers:
                    for graph in out_by_pair.get((sub, str(v.term)), []):
                        v.reasons.append([("p", sub), ("t", " is a sub-property of "), ("p", predicate), ("g", graph)])
            if predicate == BM_NS + "relatedModel" and v.iri and kind == "topic":
                v.reasons.append([("t", "inverse of "), ("e", v.iri), ("t", " related topic this (inferred); "),
                                  ("w", url_for("pages.why", model=entities.kind_and_key(v.iri)[1],
                                                topic=entities.kind_and_key(iri)[1]))])
            if not v.reasons:
                rule = "transitive closure" if predicate in vocab.transitive or "Transitive" in predicate else "rules"
                v.reasons.append([("t", f"derived by the reasoner ({rule}) from statements in other graphs")])


def _at_least(text: str, bound: float) -> bool:
    try:
        return float(text) >= bound
    except ValueError:
        return False


def related_topic_paths(model: str, topic: str) -> list:
    """The paths behind ``model bm:relatedTopic topic``, from the explanation query ``bmkg why`` runs."""
    explain = library.explanation("related-topic")
    text = library.with_values(explain.text, {"model": ox.NamedNode(model), "topic": ox.NamedNode(topic)})
    reasons = []
    for row in select(text):
        relation, via = value(row, "relation"), value(row, "via")
        if via:
            reasons.append([("t", f"{relation} "), ("e", via), ("g", value(row, "linkGraph")),
                            ("t", ", which a curator declared to imply this topic"), ("g", value(row, "topicGraph")),
                            ("t", f"; rule: {value(row, 'rule')}")])
        else:
            reasons.append([("t", f"{relation} directly"), ("g", value(row, "topicGraph"))])
    return reasons


@bp.route("/why/<model>/<topic>", methods=["GET"])
def why(model: str, topic: str) -> Response:
    g.bmkg_endpoint = "pages"
    model_iri, topic_iri = entities.resource_iri("model", model), entities.resource_iri("topic", topic)
    if model_iri is None or topic_iri is None:
        abort(404)
    reasons = related_topic_paths(model_iri, topic_iri)
    related = bool(select(f"SELECT ?x WHERE {{ GRAPH {ref(INFERRED)} {{ {ref(model_iri)} {ref(RELATED_TOPIC)}"
                          f" {ref(topic_iri)} }} BIND(1 AS ?x) }} LIMIT 1"))
    status = 200 if reasons or related else 404
    return web.page("why.html", status=status, model=model_iri, topic=topic_iri, reasons=reasons, related=related)


# -- topic pages --------------------------------------------------------------------------


def topic_context(iri: str) -> dict:
    topic = entities.topics().get(iri)
    show_all = request.args.get("all") == "models"
    rows = select(f"""
        SELECT ?e (MIN(STR(?d)) AS ?date) (MAX(?n) AS ?params) (SAMPLE(?org) AS ?developer) WHERE {{
          GRAPH ?tg {{ ?e {ref(HAS_TOPIC)} {ref(iri)} }} FILTER(?tg != {ref(INFERRED)})
          OPTIONAL {{ {{ ?e {ref(BM_NS + 'publicationDate')} ?d }} UNION {{ ?e {ref(BM_NS + 'releaseDate')} ?d }} }}
          OPTIONAL {{ ?e {ref(BM_NS + 'parameterCount')} ?n }}
          OPTIONAL {{ ?e {ref(BM_NS + 'developedBy')} ?org }}
        }} GROUP BY ?e""")
    sections: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        found = entities.kind_and_key(value(row, "e"))
        if not found:
            continue
        sections[found[0]].append({"iri": value(row, "e"), "date": value(row, "date"), "params": value(row, "params"),
                                   "developer": value(row, "developer")})
    for kind, items in sections.items():
        if kind == "model":
            items.sort(key=lambda r: (r["date"] or "", web.label(r["iri"])), reverse=True)
        else:
            items.sort(key=lambda r: web.label(r["iri"]).casefold())
    related = select(f"SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{ GRAPH {ref(INFERRED)} {{ ?m {ref(RELATED_TOPIC)} {ref(iri)} }} }}")
    return {
        "topic": topic,
        "sections": [(k, sections[k]) for k in TOPIC_SECTIONS if sections.get(k)],
        "model_limit": None if show_all else 25,
        "related_models": int(value(related[0], "n")) if related else 0,
        "charts": [(c, charts.alt_text(c, topic), charts.pixels(c, topic)) for c in charts.charts_for(topic)]
        if topic else [],
    }


# -- search -------------------------------------------------------------------------------


@bp.route("/search", methods=["GET"])
def search() -> Response:
    g.bmkg_endpoint = "pages"
    text = request.args.get("q", "").strip()[:200]
    kind = request.args.get("kind") or None
    if kind and kind not in entities.KIND_NAMES:
        kind = None
    fmt = (negotiation.by_name(request.args.getlist("format"), (HTML, JSON))
           or negotiation.negotiate(request.headers.get("Accept"), (HTML, JSON)))
    found = entities.index().search(text, kind) if text else []
    if fmt.key == "json":
        response = jsonify({"query": text, "kind": kind, "results": [
            {"iri": e.iri, "kind": e.kind, "label": e.label, "matched": name,
             "page": url_for("pages.entity", kind=e.kind, key=e.key, _external=True)} for e, name in found]})
    else:
        response = web.page("search.html", q=text, kind=kind, results=found, kinds=entities.KIND_NAMES)
    responses.add_vary(response, "Accept")
    return response


# -- the query page -------------------------------------------------------------------------


DEFAULT_QUERY = """PREFIX bm: <https://w3id.org/bmkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?class (COUNT(?thing) AS ?things)
WHERE { ?thing a ?class }
GROUP BY ?class
ORDER BY DESC(?things)
LIMIT 20
"""
DISPLAY_ROWS = 500


@dataclass
class Outcome:
    form: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False
    error: str | None = None
    status: int = 200
    text: str = ""  # the query as run, with parameters bound
    formats: list[tuple[str, str]] = field(default_factory=list)
    seconds: float | None = None
    default_graphs: list[str] = field(default_factory=list)  # the dataset the downloads ask /sparql for
    named_graphs: list[str] = field(default_factory=list)
    api_url: str | None = None


@bp.route("/query", methods=["GET", "POST"])
def query_page() -> Response:
    g.bmkg_endpoint = "pages"
    source = request.form if request.method == "POST" else request.args
    known = api.queries()
    name = source.get("name") or None
    named = known.get(name) if name else None
    if name and named is None:
        return web.page("query_page.html", status=404, library=known, named=None, name=name, text=DEFAULT_QUERY,
                        values={}, asserted=False, outcome=Outcome(error=f"no library query {name!r}", status=404))
    text = source.get("query") or (named.text if named else DEFAULT_QUERY)
    values = {p.name: source.get(f"param.{p.name}", p.default or "") for p in (named.parameters if named else ())}
    asserted = source.get("asserted") in ("1", "true", "on")
    outcome = None
    if request.method == "POST" or source.get("run"):
        outcome = run_for_page(text, named, values, asserted)
    status = outcome.status if outcome else 200
    return web.page("query_page.html", status=status, library=known, named=named, name=name, text=text,
                    values=values, asserted=asserted, outcome=outcome)


def run_for_page(text: str, named, values: dict[str, str], asserted: bool) -> Outcome:
    import time

    runtime = get_runtime()
    outcome = Outcome()
    try:
        if named is not None and named.parameters:
            text = library.with_values(text, api.bind(named, values))
        outcome.text = text
        if len(text) > runtime.settings.max_query_length:
            raise HTTPProblem(413, f"the query is {len(text)} characters long; this server takes at most "
                                   f"{runtime.settings.max_query_length}")
        inspection = protocol.inspect_text(text, url_for("protocol.sparql", _external=True))
        if inspection.form is None:
            raise HTTPProblem(400, "this page runs queries (SELECT, ASK, CONSTRUCT, DESCRIBE), not updates")
        policy.check(inspection, runtime.settings.service_allowlist, update=False)
        outcome.form = inspection.form
        outcome.formats = [(f.names[0], f.media_type.split(";")[0]) for f in negotiation.BY_FORM[inspection.form]]
        graph_result = inspection.form in ("CONSTRUCT", "DESCRIBE")
        if asserted:
            # the downloads ask /sparql for the merge of the asserted graphs, which it answers
            # from the store's default graph, as this page does
            every = list(entities.graphs())
            outcome.default_graphs, outcome.named_graphs = [g_ for g_ in every if g_ != INFERRED], every
        if named is not None:
            arguments = {k: v for k, v in values.items() if v != ""}
            if asserted:
                arguments["asserted"] = "true"
            query_string = urlencode(arguments)
            outcome.api_url = url_for("api.run", name=named.name) + (f"?{query_string}" if query_string else "")
        job = runtime.query_job(text, "ntriples" if graph_result else "json",
                                base=url_for("protocol.sparql", _external=True), union=not inspection.has_dataset,
                                inferred=not asserted, cap=DISPLAY_ROWS)
        started = time.perf_counter()
        reply = protocol.run_job(job, cheap=policy.cheap(inspection))
        outcome.seconds = time.perf_counter() - started
        if reply[0] != "ok":
            raise protocol.job_error(reply)
        outcome.truncated = bool(reply[2].get("truncated"))
        if graph_result:
            outcome.columns = ["subject", "predicate", "object"]
            outcome.rows = [[t.subject, t.predicate, t.object]
                            for t in ox.parse(reply[1], format=ox.RdfFormat.N_TRIPLES)]
        else:
            import json

            answer = json.loads(reply[1])
            if "boolean" in answer:
                outcome.boolean = answer["boolean"]
            else:
                outcome.columns = answer["head"]["vars"]
                outcome.rows = [[entities.term(b.get(c)) if b.get(c) and b[c]["type"] != "triple" else None
                                 for c in outcome.columns] for b in answer["results"]["bindings"]]
    except library.QueryError as error:
        outcome.error, outcome.status = str(error), 400
    except HTTPProblem as error:
        outcome.error, outcome.status = error.message, error.status
    except Refused as error:
        outcome.error, outcome.status = str(error), error.status
    return outcome


# -- charts ---------------------------------------------------------------------------------


@bp.route("/charts", methods=["GET"])
def chart_index() -> Response:
    g.bmkg_endpoint = "pages"

    def build() -> Response:
        shown = [(c, charts.alt_text(c, None), charts.pixels(c, None)) for c in charts.CHARTS.values()]
        return web.page("charts.html", charts=shown, parts=entities.roadmap())

    return web.cached_page(("charts",), build)
