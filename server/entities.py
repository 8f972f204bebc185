"""What the web pages and linked-data views know about the graph, per store generation.

Everything here comes from SPARQL through ``get_runtime().select`` (so it runs in
the killable workers, and over whichever backend the runtime uses) and is kept
for one generation: the label index behind search, 404 suggestions and link
text; the ontology's vocabulary (labels, inverses, sub-properties, sub-classes)
behind the "why" of inferred statements; the graphs' titles and licences; and
``describe``, every statement about one IRI with the graph it comes from.
"""

from __future__ import annotations

import difflib
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ontology import GRAPH_BASE, ID_BASE, IRIError, normalise_key, split
from ontology.iri import KINDS
from ontology.terms import BM
from server.executor import PoolBusy, QueryTimeout, WorkerFailed
from server.responses import HTTPProblem
from server.runtime import get_runtime

log = logging.getLogger(__name__)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
BM_NS = str(BM)
ONTOLOGY_IRI = "https://w3id.org/bmkg/ontology"
INFERRED = GRAPH_BASE + "inferred"
ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
METADATA_GRAPH = GRAPH_BASE + "metadata"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"

#: Headings for each kind of entity, in the order pages list them.
KIND_NAMES = {
    "part": "Parts", "topic": "Topics", "subtopic": "Subtopics", "problem": "Open problems",
    "model": "Models", "technique": "Techniques", "system": "Systems", "benchmark": "Benchmarks",
    "dataset": "Datasets", "task": "Tasks", "hardware": "Hardware", "org": "Organisations",
    "country": "Countries", "publication": "Publications", "scheme": "Schemes", "graph": "Graphs",
}
KIND_SINGULAR = {
    "part": "part", "topic": "topic", "subtopic": "subtopic", "problem": "open problem", "model": "model",
    "technique": "technique", "system": "system", "benchmark": "benchmark", "dataset": "dataset", "task": "task",
    "hardware": "hardware", "org": "organisation", "country": "country", "publication": "publication",
    "scheme": "concept scheme", "graph": "named graph",
}
#: Asserted graphs first, in this order; anything unknown after them; inferred last.
GRAPH_ORDER = ["curated", "epoch-models", "epoch-hardware", "bmlist", "wikidata", "metadata", "ontology"]
NAME_PROPERTIES = (RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel", DCTERMS + "title")


# -- terms ----------------------------------------------------------------------------


def term(binding: dict | None):
    """A pyoxigraph term from one SPARQL JSON binding (None stays None).

    >>> term({"type": "literal", "value": "5", "datatype": XSD + "integer"})
    <Literal value=5 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
    >>> term({"type": "literal", "value": "chat", "xml:lang": "fr"}).language
    'fr'
    """
    if binding is None:
        return None
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in binding:
            return ox.Literal(value, language=binding["xml:lang"])
        if "datatype" in binding:
            return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
        return ox.Literal(value)
    raise ValueError(f"cannot use a {kind} term here")


def graph_name(iri: str) -> str:
    """The short name of a bmkg graph IRI ("epoch-models"), or the IRI itself."""
    return iri[len(GRAPH_BASE):] if iri.startswith(GRAPH_BASE) else iri


def graph_rank(iri: str) -> tuple[int, str]:
    name = graph_name(iri)
    if iri == INFERRED:
        return (len(GRAPH_ORDER) + 1, name)
    return (GRAPH_ORDER.index(name) if name in GRAPH_ORDER else len(GRAPH_ORDER), name)


def resource_iri(kind: str, key: str) -> str | None:
    """The IRI that ``/id/{kind}/{key}`` (or ``/graph/{key}`` with kind "graph") stands for."""
    if not key or "/" in key:
        return None
    if kind == "graph":
        iri = GRAPH_BASE + key
    elif kind in KINDS:
        iri = f"{ID_BASE}{kind}/{key}"
    else:
        return None
    try:
        ox.NamedNode(iri)  # a key with a space or a stray '%' names nothing: 404, not 500
    except ValueError:
        return None
    return iri


def kind_and_key(iri: str) -> tuple[str, str] | None:
    """The inverse of ``resource_iri``.

    >>> kind_and_key("https://w3id.org/bmkg/graph/curated")
    ('graph', 'curated')
    >>> kind_and_key("https://w3id.org/bmkg/id/org/openai")
    ('org', 'openai')
    """
    if iri.startswith(GRAPH_BASE):
        rest = iri[len(GRAPH_BASE):]
        return ("graph", rest) if rest and "/" not in rest else None
    found = split(iri)
    if found and "/" not in found[1]:
        return found
    return None


def local_name(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri:
            tail = iri.rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


# -- running queries --------------------------------------------------------------------


def select(text: str) -> list[dict]:
    """Rows of a SELECT for a page, with the executor's failures as HTTP problems."""
    try:
        return get_runtime().select(text, cap=0)
    except QueryTimeout as error:
        raise HTTPProblem(504, f"{error}; the page could not be built in time") from None
    except PoolBusy as error:
        raise HTTPProblem(503, f"the server is busy ({error}); retry shortly", {"Retry-After": "5"}) from None
    except WorkerFailed as error:
        raise HTTPProblem(500, str(error)) from None
    except ValueError as error:
        log.error("a page query failed: %s", error)
        raise HTTPProblem(500, f"a query behind this page failed: {error}") from None


def value(row: dict, name: str) -> str | None:
    cell = row.get(name)
    return cell["value"] if cell else None


def ref(iri: str) -> str:
    """An IRI as a SPARQL term, written by pyoxigraph (which refuses invalid IRIs)."""
    return str(ox.NamedNode(iri))


# -- per-generation memo ----------------------------------------------------------------


def current_generation() -> str:
    """The generation id, read once per request: one page never mixes two generations."""
    from flask import g, has_request_context

    if not has_request_context():
        return get_runtime().generation().id
    if "bmkg_generation_id" not in g:
        g.bmkg_generation_id = get_runtime().generation().id
    return g.bmkg_generation_id


class GenerationMemo:
    """Values computed once per generation; a new generation drops the old ones."""

    def __init__(self):
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._values: dict = {}

    def get(self, key, compute: Callable[[], object]):
        generation = current_generation()
        with self._lock:
            if self._generation != generation:
                self._generation, self._values = generation, {}
            if key in self._values:
                return self._values[key]
        found = compute()  # outside the lock: two threads may compute it once each, which is harmless
        with self._lock:
            if self._generation == generation:
                self._values[key] = found
        return found


def memo() -> GenerationMemo:
    from flask import current_app

    return current_app.extensions.setdefault("bmkg-memo", GenerationMemo())


# -- the label index --------------------------------------------------------------------


@dataclass
class Entity:
    iri: str
    kind: str
    key: str
    labels: list[str] = field(default_factory=list)  # rdfs:label, skos:prefLabel, dcterms:title
    aliases: list[str] = field(default_factory=list)  # skos:altLabel

    @property
    def label(self) -> str:
        return best_label(self.key, self.labels) or self.key

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(self.labels + self.aliases))


def best_label(key: str, labels: list[str]) -> str | None:
    """The label a page shows: the one the key was minted from if any, else the shortest.

    >>> best_label("gpt-3-175b-davinci", ["GPT-3", "GPT-3 175B (davinci)"])
    'GPT-3 175B (davinci)'
    >>> best_label("x", ["Beta model", "Alpha"])
    'Alpha'
    """
    if not labels:
        return None
    for label in labels:
        try:
            if normalise_key(label) == key:
                return label
        except IRIError:
            continue
    return sorted(labels, key=lambda l: (len(l), l))[0]


class Index:
    """Entities with their labels and aliases, for search, suggestions and link text."""

    def __init__(self, entities: dict[str, Entity]):
        self.entities = entities
        self.by_kind: dict[str, list[Entity]] = defaultdict(list)
        self.by_name_key: dict[str, list[Entity]] = defaultdict(list)
        for entity in entities.values():
            self.by_kind[entity.kind].append(entity)
            for name in entity.names:
                try:
                    self.by_name_key[normalise_key(name)].append(entity)
                except IRIError:
                    pass

    def label(self, iri: str) -> str | None:
        entity = self.entities.get(iri)
        return entity.label if entity else None

    def search(self, text: str, kind: str | None = None, limit: int = 50) -> list[tuple[Entity, str]]:
        """Entities whose label or alias contains ``text``, best first, with the name that matched."""
        wanted = " ".join(text.casefold().split())
        if not wanted:
            return []
        try:
            wanted_key = normalise_key(text)
        except IRIError:
            wanted_key = ""
        scored = []
        for entity in self.entities.values():
            if kind and entity.kind != kind:
                continue
            best = None
            for name in entity.names or [entity.key]:
                folded = " ".join(name.casefold().split())
                if folded == wanted:
                    score = 0
                elif folded.startswith(wanted):
                    score = 1
                elif f" {wanted}" in f" {folded}" or f"-{wanted}" in folded or f"({wanted}" in folded:
                    score = 2
                elif wanted in folded:
                    score = 3
                else:
                    continue
                if best is None or (score, len(name)) < best[:2]:
                    best = (score, len(name), name)
            if best is None and wanted_key and wanted_key in entity.key:
                best = (4, len(entity.key), entity.key)
            if best is not None:
                scored.append((best[0], best[1], KIND_ORDER.get(entity.kind, 99), entity.label, entity, best[2]))
        scored.sort(key=lambda s: s[:4])
        return [(s[4], s[5]) for s in scored[:limit]]

    def suggest(self, kind: str, key: str, limit: int = 8) -> list[Entity]:
        """Near matches for an IRI that names nothing: same names, similar keys, other kinds."""
        try:
            wanted = normalise_key(key)
        except IRIError:
            wanted = key.casefold()
        if not wanted:
            return []
        found: list[Entity] = []

        def add(entities) -> None:
            for entity in entities:
                if entity not in found:
                    found.append(entity)

        same_kind = self.by_kind.get(kind, [])
        add(e for e in self.by_name_key.get(wanted, []) if e.kind == kind)
        add(e for e in self.entities.values() if e.key == wanted)
        add(self.by_name_key.get(wanted, []))
        keys = {e.key: e for e in same_kind}
        add(keys[k] for k in difflib.get_close_matches(wanted, list(keys), n=limit, cutoff=0.6))
        add(sorted((e for e in same_kind if wanted in e.key or e.key in wanted), key=lambda e: len(e.key)))
        everywhere = {}
        for entity in self.entities.values():
            everywhere.setdefault(entity.key, entity)
        add(everywhere[k] for k in difflib.get_close_matches(wanted, list(everywhere), n=limit, cutoff=0.7))
        return found[:limit]


KIND_ORDER = {kind: position for position, kind in enumerate(KIND_NAMES)}


def index() -> Index:
    return memo().get("index", _build_index)


def _build_index() -> Index:
    rows = select(f"""
        SELECT ?e ?p ?l WHERE {{
          VALUES ?p {{ {' '.join(ref(p) for p in NAME_PROPERTIES)} }}
          GRAPH ?g {{ ?e ?p ?l }}
          FILTER(isIRI(?e) && (STRSTARTS(STR(?e), "{ID_BASE}") || STRSTARTS(STR(?e), "{GRAPH_BASE}")))
        }}""")
    entities: dict[str, Entity] = {}
    for row in rows:
        iri = value(row, "e")
        found = kind_and_key(iri)
        if found is None:
            continue
        entity = entities.get(iri)
        if entity is None:
            entity = entities[iri] = Entity(iri, *found)
        name = value(row, "l")
        bucket = entity.aliases if value(row, "p") == SKOS + "altLabel" else entity.labels
        if name and name not in bucket:
            bucket.append(name)
    for entity in entities.values():
        entity.labels.sort()
        entity.aliases.sort()
    return Index(entities)


def exists(iri: str) -> bool:
    """Whether any graph mentions ``iri`` as subject or object."""
    rows = select(f"SELECT ?x WHERE {{ {{ {ref(iri)} ?p ?x }} UNION {{ ?x ?p {ref(iri)} }} }} LIMIT 1")
    return bool(rows)


# -- the vocabulary -------------------------------------------------------------------


@dataclass
class Vocabulary:
    labels: dict[str, str]
    inverse: dict[str, set[str]]
    super_properties: dict[str, set[str]]  # property -> every property it is a sub-property of
    super_classes: dict[str, set[str]]  # class -> every class it is a sub-class of
    transitive: set[str]
    version_iri: str | None
    terms: set[str]

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or COMMON_LABELS.get(iri) or local_name(iri)


#: Labels for the standard terms the data uses but the ontology graph does not label.
COMMON_LABELS = {
    RDF + "type": "type", RDFS + "label": "label", RDFS + "comment": "comment", RDFS + "seeAlso": "see also",
    SKOS + "prefLabel": "preferred label", SKOS + "altLabel": "also known as", SKOS + "definition": "definition",
    SKOS + "broader": "broader", SKOS + "narrower": "narrower", SKOS + "inScheme": "in scheme",
    SKOS + "broaderTransitive": "broader (transitively)", SKOS + "narrowerTransitive": "narrower (transitively)",
    SKOS + "exactMatch": "exact match", SKOS + "closeMatch": "close match", SKOS + "hasTopConcept": "top concept",
    SKOS + "topConceptOf": "top concept of", OWL + "sameAs": "same as", DCTERMS + "title": "title",
    DCTERMS + "subject": "subject", DCTERMS + "issued": "issued", DCTERMS + "source": "source",
    DCTERMS + "license": "licence", DCTERMS + "isPartOf": "part of",
    DCTERMS + "bibliographicCitation": "attribution", "http://www.w3.org/ns/prov#wasDerivedFrom": "derived from",
    "http://www.w3.org/ns/prov#wasAttributedTo": "attributed to", "http://www.w3.org/ns/prov#wasGeneratedBy":
    "generated by", "http://rdfs.org/ns/void#triples": "statements", "http://rdfs.org/ns/void#entities": "entities",
}


def _closure(direct: dict[str, set[str]]) -> dict[str, set[str]]:
    closed = {}
    for start in direct:
        seen, todo = set(), list(direct[start])
        while todo:
            item = todo.pop()
            if item not in seen:
                seen.add(item)
                todo.extend(direct.get(item, ()))
        closed[start] = seen
    return closed


def vocabulary() -> Vocabulary:
    return memo().get("vocabulary", _build_vocabulary)


def _build_vocabulary() -> Vocabulary:
    rows = select(f"""
        SELECT ?a ?rel ?b WHERE {{
          VALUES ?rel {{ {ref(RDFS + 'label')} {ref(OWL + 'inverseOf')} {ref(RDFS + 'subPropertyOf')}
                         {ref(RDFS + 'subClassOf')} {ref(RDF + 'type')} {ref(OWL + 'versionIRI')} }}
          GRAPH {ref(ONTOLOGY_GRAPH)} {{ ?a ?rel ?b }}
          FILTER(isIRI(?a))
        }}""")
    labels: dict[str, str] = {}
    inverse: dict[str, set[str]] = defaultdict(set)
    sub_property: dict[str, set[str]] = defaultdict(set)
    sub_class: dict[str, set[str]] = defaultdict(set)
    transitive: set[str] = set()
    terms: set[str] = set()
    version = None
    for row in rows:
        a, rel, b = value(row, "a"), value(row, "rel"), value(row, "b")
        kind = row["b"]["type"]
        if a.startswith(BM_NS):
            terms.add(a)
        if rel == RDFS + "label":
            if a not in labels or row["b"].get("xml:lang", "en") == "en":
                labels[a] = b
        elif kind != "uri":
            continue
        elif rel == OWL + "inverseOf":
            inverse[a].add(b)
            inverse[b].add(a)
        elif rel == RDFS + "subPropertyOf":
            sub_property[a].add(b)
        elif rel == RDFS + "subClassOf":
            sub_class[a].add(b)
        elif rel == RDF + "type" and b == OWL + "TransitiveProperty":
            transitive.add(a)
        elif rel == OWL + "versionIRI" and a == ONTOLOGY_IRI:
            version = b
    return Vocabulary(labels, dict(inverse), _closure(sub_property), _closure(sub_class), transitive, version, terms)


# -- graphs ---------------------------------------------------------------------------


@dataclass
class GraphInfo:
    iri: str
    title: str | None = None
    license: str | None = None
    attribution: str | None = None
    source: str | None = None
    snapshot: str | None = None

    @property
    def name(self) -> str:
        return graph_name(self.iri)

    @property
    def inferred(self) -> bool:
        return self.iri == INFERRED

    def describe(self) -> str:
        if self.inferred:
            return "inferred: derived by the bmkg reasoner, not stated by any source"
        parts = [self.title or self.name]
        if self.license:
            parts.append(f"licence <{self.license}>")
        return "; ".join(parts)


def graphs() -> dict[str, GraphInfo]:
    return memo().get("graphs", _build_graphs)


def _build_graphs() -> dict[str, GraphInfo]:
    rows = select(f"""
        SELECT ?g ?title ?license ?citation ?source ?snapshot WHERE {{
          {{ SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ }} }} }}
          OPTIONAL {{ GRAPH {ref(METADATA_GRAPH)} {{ ?g {ref(DCTERMS + 'title')} ?title }} }}
          OPTIONAL {{ GRAPH {ref(METADATA_GRAPH)} {{ ?g {ref(DCTERMS + 'license')} ?license }} }}
          OPTIONAL {{ GRAPH {ref(METADATA_GRAPH)} {{ ?g {ref(DCTERMS + 'bibliographicCitation')} ?citation }} }}
          OPTIONAL {{ GRAPH {ref(METADATA_GRAPH)} {{ ?g {ref(DCTERMS + 'source')} ?source }} }}
          OPTIONAL {{ GRAPH {ref(METADATA_GRAPH)} {{ ?g {ref(BM_NS + 'snapshotDate')} ?snapshot }} }}
        }}""")
    found: dict[str, GraphInfo] = {}
    for row in rows:
        iri = value(row, "g")
        info = found.setdefault(iri, GraphInfo(iri))
        info.title = info.title or value(row, "title")
        info.license = info.license or value(row, "license")
        info.attribution = info.attribution or value(row, "citation")
        info.source = info.source or value(row, "source")
        info.snapshot = info.snapshot or value(row, "snapshot")
    return dict(sorted(found.items(), key=lambda item: graph_rank(item[0])))


def graph_info(iri: str) -> GraphInfo:
    return graphs().get(iri) or GraphInfo(iri)


# -- statements about one resource ----------------------------------------------------


@dataclass(frozen=True)
class Statement:
    graph: str
    subject: object  # pyoxigraph terms
    predicate: ox.NamedNode
    object: object

    @property
    def inferred(self) -> bool:
        return self.graph == INFERRED

    @property
    def quad(self) -> ox.Quad:
        return ox.Quad(self.subject, self.predicate, self.object, ox.NamedNode(self.graph))

    @property
    def triple(self) -> ox.Triple:
        return ox.Triple(self.subject, self.predicate, self.object)


def describe(iri: str) -> list[Statement]:
    """Every statement with ``iri`` as subject or object, in every named graph, sorted by graph."""
    node = ref(iri)
    rows = select(f"""
        SELECT ?g ?s ?p ?o WHERE {{
          {{ GRAPH ?g {{ {node} ?p ?o }} BIND({node} AS ?s) }}
          UNION
          {{ GRAPH ?g {{ ?s ?p {node} }} BIND({node} AS ?o) FILTER(!sameTerm(?s, {node})) }}
        }}""")
    statements = []
    for row in rows:
        try:
            statements.append(Statement(value(row, "g"), term(row["s"]), term(row["p"]), term(row["o"])))
        except (ValueError, KeyError) as error:  # e.g. a quoted triple: not shown in these views
            log.debug("skipping a statement about %s: %s", iri, error)
    statements.sort(key=lambda s: (graph_rank(s.graph), s.subject.value != iri, s.predicate.value,
                                   str(s.object), str(s.subject)))
    return statements


# -- the roadmap: parts and topics ----------------------------------------------------------


@dataclass
class Topic:
    iri: str
    key: str
    label: str
    order: int
    part: str
    definition: str | None = None


@dataclass
class Part:
    iri: str
    key: str
    label: str
    order: int
    topics: list[Topic] = field(default_factory=list)


def roadmap() -> list[Part]:
    """The roadmap's parts, each with its topics, in roadmap order."""
    return memo().get("roadmap", _build_roadmap)


def topics() -> dict[str, Topic]:
    return {t.iri: t for part in roadmap() for t in part.topics}


def _build_roadmap() -> list[Part]:
    rows = select(f"""
        SELECT ?part ?partOrder ?topic ?order (SAMPLE(?def) AS ?definition) WHERE {{
          ?topic a {ref(BM_NS + 'Topic')} ; {ref(SKOS + 'broader')} ?part ; {ref(BM_NS + 'roadmapOrder')} ?order .
          ?part a {ref(BM_NS + 'Part')} ; {ref(BM_NS + 'roadmapOrder')} ?partOrder .
          OPTIONAL {{ ?topic {ref(SKOS + 'definition')} ?def }}
        }} GROUP BY ?part ?partOrder ?topic ?order""")
    labels = index()
    parts: dict[str, Part] = {}
    for row in rows:
        part_iri, topic_iri = value(row, "part"), value(row, "topic")
        part_found, topic_found = kind_and_key(part_iri), kind_and_key(topic_iri)
        if not part_found or not topic_found:
            continue
        part = parts.setdefault(part_iri, Part(part_iri, part_found[1], labels.label(part_iri) or part_found[1],
                                               int(float(value(row, "partOrder")))))
        part.topics.append(Topic(topic_iri, topic_found[1], labels.label(topic_iri) or topic_found[1],
                                 int(float(value(row, "order"))), part_iri, value(row, "definition")))
    for part in parts.values():
        part.topics.sort(key=lambda t: t.order)
    return sorted(parts.values(), key=lambda p: p.order)
