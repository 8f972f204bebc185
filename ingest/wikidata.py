"""``bmkg link wikidata``: link bmkg's models, organisations, hardware and datasets to Wikidata items.

The linker reads the entities of the current build, asks a Wikidata-compatible
SPARQL endpoint (the public query service by default) for items whose English
(or language-neutral ``mul``) ``rdfs:label`` or ``skos:altLabel`` equals one of
an entity's names and whose ``wdt:P31/wdt:P279*`` reaches a class suitable for
the entity's kind, then checks a second fact where bmkg has one. It writes the
links as Turtle (read by the ``wikidata`` source at the next build) and a JSON
review report of what it would not link.

The matching rule, version ``RULE_VERSION`` (precision first):

1. The candidates of an entity are the items found for any of its names
   (labels and aliases), constrained by type.
2. Each candidate's second facts are compared with bmkg's: developer
   (``P178``; for datasets also publisher ``P123`` and creator ``P170``) or
   manufacturer (``P176``) against ``bm:developedBy`` / ``bm:manufacturer``, by
   the QID already linked to the bmkg organisation or by a shared normalised
   name; the year of publication date (``P577``) or inception (``P571``)
   against bmkg's dates; the country (``P17``) of an organisation against
   ``bm:country``. A fact *agrees* when a value matches (years: equal), is
   *unknown* when either side has no value (or the years are one apart), and
   *conflicts* otherwise.
3. **exact** (``owl:sameAs``): exactly one candidate, no conflicting fact, at least
   one agreeing fact, and one of the entity's names is the item's label (not
   only an alias).
   **probable** (``skos:closeMatch``): exactly one candidate and no
   conflicting fact, but no agreeing fact or an alias-only name match.
   **ambiguous** (not linked, listed for review): several candidates, or a
   single candidate with a conflicting fact.
4. An item claimed by more than one bmkg entity links none of them (listed for
   review). Entities with a QID in the curated ``confirmed.yaml`` are never
   linked here; a different answer from the rule is listed for review.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import logging
import os
import re
import sys
import time
import urllib.error
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click
import pyoxigraph
from rdflib import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from ingest.adapters import wikidata as adapter
from ontology import normalise_key, split, store

log = logging.getLogger(__name__)

RULE_VERSION = "1"
DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"
CONTACT_URL = "https://w3id.org/bmkg/"
DATA = Path(__file__).resolve().parent / "data" / "wikidata"
DEFAULT_OUT = DATA / adapter.LINKS_FILE
DEFAULT_CONFIRMED = DATA / adapter.CONFIRMED_FILE
REVIEW_NAME = "review.json"

WD = Namespace(adapter.WIKIDATA_ENTITY)
WDT = "http://www.wikidata.org/prop/direct/"
SCHEMA_DESCRIPTION = "http://schema.org/description"
GRAPH = adapter.GRAPH
SOFTWARE = URIRef("https://w3id.org/bmkg/software")
QID = re.compile(r"^Q[1-9][0-9]*$")
LANGUAGES = ("en", "mul")  # English labels, and the language-neutral labels Wikidata added in 2024

KINDS = ("org", "hardware", "model", "dataset")  # organisations first: the others compare developers by QID

# Classes a candidate must reach through wdt:P31/wdt:P279*. Each QID was checked
# against public code that queries the Wikidata service with it; classes whose
# QID public sources disagree on (such as "artificial neural network" and
# "integrated circuit") are left out rather than guessed.
CLASSES: dict[str, dict[str, str]] = {
    "org": {"Q43229": "organization"},
    "model": {"Q115305900": "large language model", "Q116777014": "generative pre-trained transformer",
              "Q7397": "software"},
    "hardware": {"Q183484": "graphics processing unit", "Q122760264": "graphics card model",
                 "Q5300": "central processing unit"},
    "dataset": {"Q1172284": "data set", "Q8513": "database"},
}

# Second facts per kind: the name used in reports, and the Wikidata properties read for it.
FACTS: dict[str, dict[str, tuple[str, ...]]] = {
    "org": {"country": ("P17",)},
    "model": {"developer": ("P178",), "date": ("P577", "P571")},
    "hardware": {"manufacturer": ("P176",), "date": ("P571", "P577")},
    "dataset": {"developer": ("P178", "P123", "P170"), "date": ("P577", "P571")},
}
RETRY_STATUSES = {429, 502, 503, 504}

EXACT, PROBABLE, AMBIGUOUS, UNMATCHED, CONFIRMED = "exact", "probable", "ambiguous", "unmatched", "confirmed"
AGREES, CONFLICTS, UNKNOWN = "agrees", "conflicts", "unknown"
RELATION_NAMES = {adapter.EXACT_RELATION: "owl:sameAs", adapter.CLOSE_RELATION: "skos:closeMatch",
                  OWL.sameAs: "owl:sameAs"}


class LinkError(Exception):
    """The linker cannot go on: the store is unusable or the endpoint keeps failing."""


# -- the entities of the current build -------------------------------------------


@dataclass
class Entity:
    iri: str
    kind: str
    labels: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    orgs: set[str] = field(default_factory=set)  # developers or manufacturer (bmkg org IRIs)
    years: set[int] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return (self.labels or self.aliases or [self.iri])[0]

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(n for n in self.labels + self.aliases if len(n.strip()) > 1))


_ENTITY_QUERY = """
PREFIX bm: <https://w3id.org/bmkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?e ?p ?o ?name WHERE {
  VALUES ?class { bm:Organization bm:Model bm:Hardware bm:Dataset bm:KnowledgeResource }
  ?e a ?class .
  VALUES ?p { rdfs:label skos:altLabel bm:developedBy bm:manufacturer bm:publicationDate bm:releaseDate
              bm:publicationYear bm:country }
  ?e ?p ?o .
  OPTIONAL { FILTER(?p = bm:country) ?o rdfs:label ?name }
}"""

_BM = "https://w3id.org/bmkg/ontology#"
_LABEL, _ALT = str(RDFS.label), str(SKOS.altLabel)


def read_entities(root: Path) -> dict[str, Entity]:
    """Every organisation, model, hardware and dataset of the current build, by IRI.

    Only the asserted graphs are read: not ``inferred``, nor ``wikidata`` itself.
    """
    try:
        generation = store.current(root)
    except store.StoreError as error:
        raise LinkError(str(error)) from error
    if generation is None:
        raise LinkError(f"no build in {root}; run `bmkg build` first")
    oxigraph = pyoxigraph.Store.read_only(str(generation.oxigraph))
    skipped = {f"https://w3id.org/bmkg/graph/{name}" for name in ("inferred", "wikidata", "ontology", "metadata")}
    graphs = [g for g in oxigraph.named_graphs() if isinstance(g, pyoxigraph.NamedNode) and g.value not in skipped]
    entities: dict[str, Entity] = {}
    for row in oxigraph.query(_ENTITY_QUERY, default_graph=graphs):
        iri = row["e"].value
        where = split(iri)
        if where is None or where[0] not in KINDS:
            continue
        entity = entities.setdefault(iri, Entity(iri, where[0]))
        predicate, value = row["p"].value, row["o"]
        if predicate == _LABEL and value.value not in entity.labels:
            entity.labels.append(value.value)
        elif predicate == _ALT and value.value not in entity.aliases:
            entity.aliases.append(value.value)
        elif predicate in (_BM + "developedBy", _BM + "manufacturer") and isinstance(value, pyoxigraph.NamedNode):
            entity.orgs.add(value.value)
        elif predicate in (_BM + "publicationDate", _BM + "releaseDate", _BM + "publicationYear"):
            year = _year(value.value)
            if year is not None:
                entity.years.add(year)
        elif predicate == _BM + "country" and row["name"] is not None:
            if normalise_key(row["name"].value) != "multinational":
                entity.countries.add(row["name"].value)
    for entity in entities.values():
        entity.labels.sort()
        entity.aliases.sort()
    return entities


def _year(text: str) -> int | None:
    """The year of an xsd:date, xsd:gYear or xsd:dateTime lexical form.

    >>> _year("2020-05-28"), _year("2015"), _year("2015-12-11T00:00:00Z"), _year("-0300-01-01T00:00:00Z")
    (2020, 2015, 2015, -300)
    >>> _year("unknown") is None
    True
    """
    match = re.match(r"^(-?\d{4,})(?:-|$)", text.strip())
    return int(match.group(1)) if match else None


# -- the polite client ---------------------------------------------------------------


def user_agent(contact: str = CONTACT_URL) -> str:
    """The User-Agent the Wikimedia policy asks for: the tool, its version and a contact URL.

    >>> user_agent("https://example.org/contact")
    'bmkg-wikidata-linker/1 (+https://example.org/contact; bmkg knowledge graph) SPARQLWrapper/2'
    """
    return f"bmkg-wikidata-linker/{RULE_VERSION} (+{contact}; bmkg knowledge graph) SPARQLWrapper/2"


class Client:
    """SELECT queries through SPARQLWrapper, with back-off, bounded retries and an on-disk cache.

    The cache holds one JSON file per query, named by the SHA-256 of the
    endpoint and the query text, so a re-run with the same entities sends nothing.
    """

    def __init__(self, endpoint: str = DEFAULT_ENDPOINT, cache: Path | None = None, *,
                 contact: str = CONTACT_URL, max_retries: int = 5, backoff: float = 2.0,
                 max_wait: float = 300.0, pause: float = 1.0, timeout: int = 120,
                 sleep: Callable[[float], None] = time.sleep,
                 on_request: Callable[[str], None] | None = None):
        self.endpoint = endpoint
        self.cache = cache
        self.agent = user_agent(contact)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.pause = pause
        self.timeout = timeout
        self.sleep = sleep
        self.on_request = on_request
        self.sent = 0  # HTTP requests sent, retries included
        self.cached = 0  # answers read from the cache
        self.fetched: list[str] = []  # when each answer used was fetched (ISO 8601, UTC)
        self._last: float | None = None

    def key(self, query: str) -> str:
        return hashlib.sha256(f"{self.endpoint}\n{query}".encode("utf-8")).hexdigest()

    def select(self, query: str) -> list[dict]:
        """The result bindings of a SELECT query, from the cache when it has them."""
        path = self.cache / f"{self.key(query)}.json" if self.cache else None
        if path is not None and path.is_file():
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
                bindings = entry["response"]["results"]["bindings"]
            except (ValueError, KeyError, TypeError):
                log.warning("ignoring unreadable cache entry %s", path)
            else:
                self.cached += 1
                self.fetched.append(entry.get("fetched", ""))
                return bindings
        response = self._fetch(query)
        try:
            bindings = response["results"]["bindings"]
        except (KeyError, TypeError) as error:
            raise LinkError(f"{self.endpoint} answered a SELECT without results bindings") from error
        fetched = _now()
        self.fetched.append(fetched)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps({"endpoint": self.endpoint, "query": query, "fetched": fetched,
                                             "response": response}, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, path)
        return bindings

    def _fetch(self, query: str) -> dict:
        for attempt in range(self.max_retries + 1):
            if self._last is not None and self.pause > 0:
                wait = self.pause - (time.monotonic() - self._last)
                if wait > 0:
                    self.sleep(wait)
            wrapper = SPARQLWrapper(self.endpoint, agent=self.agent)
            wrapper.setReturnFormat(JSON)
            wrapper.setOnlyConneg(True)  # no format/output parameters: the plain SPARQL protocol
            wrapper.setMethod(POST)  # batched VALUES make long queries
            wrapper.setTimeout(self.timeout)
            wrapper.setQuery(query)
            self.sent += 1
            if self.on_request is not None:
                self.on_request(query)
            try:
                result = wrapper.queryAndConvert()
            except urllib.error.HTTPError as error:
                self._last = time.monotonic()
                if error.code not in RETRY_STATUSES:
                    raise LinkError(f"{self.endpoint} answered HTTP {error.code}: {error.reason}") from error
                if attempt == self.max_retries:
                    raise LinkError(f"{self.endpoint} answered HTTP {error.code} {attempt + 1} times; "
                                    "giving up (the cache keeps what was answered)") from error
                wait = retry_after(error.headers.get("Retry-After") if error.headers else None)
                if wait is None:
                    wait = self.backoff * 2 ** attempt
                wait = min(wait, self.max_wait)
                log.warning("%s answered HTTP %s; waiting %.1f s before retry %d of %d",
                            self.endpoint, error.code, wait, attempt + 1, self.max_retries)
                self.sleep(wait)
                self._last = None
                continue
            except (SPARQLWrapperException, urllib.error.URLError, OSError) as error:
                raise LinkError(f"{self.endpoint}: {error}") from error
            self._last = time.monotonic()
            if not isinstance(result, dict):
                raise LinkError(f"{self.endpoint} did not answer with SPARQL JSON results")
            return result
        raise AssertionError("unreachable")


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date.

    >>> retry_after("7")
    7.0
    >>> retry_after("Wed, 21 Oct 2015 07:28:30 GMT", dt.datetime(2015, 10, 21, 7, 28, tzinfo=dt.timezone.utc))
    30.0
    >>> retry_after("soon") is None, retry_after(None) is None
    (True, True)
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- queries ------------------------------------------------------------------------------

_PREFIXES = """PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
"""


def _string(text: str, language: str) -> str:
    """A SPARQL string literal with a language tag.

    >>> print(_string('Say "hi"', "en"))
    "Say \\"hi\\""@en
    """
    return json.dumps(text, ensure_ascii=False) + "@" + language


def candidates_query(kind: str, names: Iterable[str]) -> str:
    """Items with one of ``names`` as English or ``mul`` label or alias, of a class suitable for ``kind``."""
    values = " ".join(_string(name, language) for name in names for language in LANGUAGES)
    classes = " ".join(f"wd:{qid}" for qid in CLASSES[kind])
    return (_PREFIXES + "SELECT DISTINCT ?name ?item ?via WHERE {\n"
            f"  VALUES ?name {{ {values} }}\n"
            '  { ?item rdfs:label ?name . BIND("label" AS ?via) }\n'
            "  UNION\n"
            '  { ?item skos:altLabel ?name . BIND("alias" AS ?via) }\n'
            "  ?item wdt:P31/wdt:P279* ?class .\n"
            f"  VALUES ?class {{ {classes} }}\n"
            "}\n")


def facts_query(kind: str, items: Iterable[str]) -> str:
    """The second facts of ``items`` (with the names of item values), and their English label and description."""
    properties = sorted({p for ps in FACTS[kind].values() for p in ps})
    values = " ".join(f"wd:{qid}" for qid in items)
    languages = ", ".join(f'"{language}"' for language in LANGUAGES)
    return (_PREFIXES + "SELECT ?item ?prop ?value ?valueName WHERE {\n"
            f"  VALUES ?item {{ {values} }}\n"
            "  {\n"
            f"    VALUES ?prop {{ {' '.join('wdt:' + p for p in properties)} }}\n"
            "    ?item ?prop ?value .\n"
            "    OPTIONAL { ?value rdfs:label|skos:altLabel ?valueName . "
            f"FILTER(LANG(?valueName) IN ({languages})) }}\n"
            "  }\n"
            '  UNION { ?item rdfs:label ?value . FILTER(LANG(?value) = "en") BIND(rdfs:label AS ?prop) }\n'
            '  UNION { ?item schema:description ?value . FILTER(LANG(?value) = "en") '
            "BIND(schema:description AS ?prop) }\n"
            "}\n")


def _batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _qid(iri: str) -> str | None:
    """
    >>> _qid("http://www.wikidata.org/entity/Q42"), _qid("http://www.wikidata.org/entity/P31")
    ('Q42', None)
    """
    if iri.startswith(str(WD)):
        local = iri[len(str(WD)):]
        return local if QID.match(local) else None
    return None


# -- candidates, evidence and decisions -----------------------------------------------


@dataclass
class Item:
    qid: str
    label: str = ""
    description: str = ""
    matched: dict[str, str] = field(default_factory=dict)  # bmkg name -> "label" or "alias"
    orgs: dict[str, set[str]] = field(default_factory=dict)  # QID of a developer/manufacturer -> names
    years: set[int] = field(default_factory=set)
    countries: dict[str, set[str]] = field(default_factory=dict)

    @property
    def iri(self) -> str:
        return str(WD[self.qid])

    def by_label(self) -> bool:
        return "label" in self.matched.values()


@dataclass
class Fact:
    name: str
    outcome: str
    wikidata: list[str]
    bmkg: list[str]

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "wikidata": self.wikidata, "bmkg": self.bmkg}


@dataclass
class Decision:
    entity: Entity
    status: str
    reason: str = ""
    item: Item | None = None
    candidates: list[tuple[Item, list[Fact]]] = field(default_factory=list)

    @property
    def relation(self) -> URIRef | None:
        return {EXACT: adapter.EXACT_RELATION, PROBABLE: adapter.CLOSE_RELATION}.get(self.status)

    def demote(self, reason: str) -> None:
        self.status, self.reason, self.item = AMBIGUOUS, reason, None

    def evidence(self) -> str:
        if self.item is None:
            return self.reason
        facts = next((f for i, f in self.candidates if i is self.item), [])
        parts = [f"{via} {name!r}" for name, via in sorted(self.item.matched.items())]
        parts += [f"{f.name} {f.outcome}" for f in facts if f.outcome != UNKNOWN]
        return f"rule {RULE_VERSION}, {self.status}: " + "; ".join(parts)

    def as_dict(self) -> dict:
        return {
            "entity": self.entity.iri, "kind": self.entity.kind, "label": self.entity.label,
            "status": self.status, "reason": self.reason,
            "item": self.item.iri if self.item else None,
            "candidates": [{
                "item": item.iri, "label": item.label, "description": item.description,
                "matched": [{"name": n, "via": v} for n, v in sorted(item.matched.items())],
                "facts": {f.name: f.as_dict() for f in facts},
            } for item, facts in self.candidates],
        }


def _described(values: dict[str, set[str]]) -> list[str]:
    """QIDs with the names Wikidata gives them, for the review report.

    >>> _described({"Q30": {"USA", "United States"}, "Q9": set()})
    ['Q9', 'Q30 (USA; United States)']
    """
    return [f"{qid} ({'; '.join(sorted(names))})" if names else qid
            for qid, names in sorted(values.items(), key=lambda pair: int(pair[0][1:]))]


def _tokens(name: str) -> frozenset[str]:
    """Country names compare as sets of words.

    >>> _tokens("Korea (Republic of)") == _tokens("Republic of Korea")
    True
    """
    return frozenset(t for t in normalise_key(name).split("-") if t and t != "the")


def _keys(names: Iterable[str]) -> set[str]:
    return {normalise_key(n) for n in names if normalise_key(n)}


class Matcher:
    """Applies the rule to the items found for each entity."""

    def __init__(self, entities: dict[str, Entity], org_qids: dict[str, str]):
        self.entities = entities
        self.org_qids = org_qids  # bmkg org IRI -> QID (curated, or linked in this run)

    def _org_names(self, iri: str) -> set[str]:
        org = self.entities.get(iri)
        where = split(iri)
        return _keys(org.labels + org.aliases if org else []) | ({where[1]} if where else set())

    def facts(self, entity: Entity, item: Item) -> list[Fact]:
        facts = []
        for name in FACTS[entity.kind]:
            if name == "date":
                facts.append(self._years(entity, item))
            elif name == "country":
                facts.append(self._countries(entity, item))
            else:
                facts.append(self._orgs(name, entity, item))
        return facts

    def _orgs(self, name: str, entity: Entity, item: Item) -> Fact:
        wikidata, bmkg = _described(item.orgs), sorted(entity.orgs)
        if not item.orgs or not entity.orgs:
            return Fact(name, UNKNOWN, wikidata, bmkg)
        for org in entity.orgs:
            qid, keys = self.org_qids.get(org), self._org_names(org)
            for value, names in item.orgs.items():
                if value == qid or keys & _keys(names):
                    return Fact(name, AGREES, wikidata, bmkg)
        return Fact(name, CONFLICTS, wikidata, bmkg)

    @staticmethod
    def _years(entity: Entity, item: Item) -> Fact:
        wikidata, bmkg = sorted(map(str, item.years)), sorted(map(str, entity.years))
        if not item.years or not entity.years:
            return Fact("date", UNKNOWN, wikidata, bmkg)
        gap = min(abs(a - b) for a in item.years for b in entity.years)
        return Fact("date", AGREES if gap == 0 else UNKNOWN if gap == 1 else CONFLICTS, wikidata, bmkg)

    @staticmethod
    def _countries(entity: Entity, item: Item) -> Fact:
        wikidata, bmkg = _described(item.countries), sorted(entity.countries)
        if not item.countries or not entity.countries:
            return Fact("country", UNKNOWN, wikidata, bmkg)
        ours = {_tokens(c) for c in entity.countries}
        for names in item.countries.values():
            if ours & {_tokens(n) for n in names}:
                return Fact("country", AGREES, wikidata, bmkg)
        return Fact("country", CONFLICTS, wikidata, bmkg)

    def decide(self, entity: Entity, items: list[Item]) -> Decision:
        judged = [(item, self.facts(entity, item)) for item in sorted(items, key=lambda i: int(i.qid[1:]))]
        if not judged:
            return Decision(entity, UNMATCHED, "no item of a suitable class has one of its names")
        if len(judged) > 1:
            return Decision(entity, AMBIGUOUS, f"{len(judged)} candidate items", candidates=judged)
        item, facts = judged[0]
        outcomes = {f.outcome for f in facts}
        if CONFLICTS in outcomes:
            names = ", ".join(f.name for f in facts if f.outcome == CONFLICTS)
            return Decision(entity, AMBIGUOUS, f"conflicting second fact: {names}", candidates=judged)
        if AGREES in outcomes and item.by_label():
            return Decision(entity, EXACT, "one candidate; a name is its label; a second fact agrees", item, judged)
        why = "no second fact agrees" if AGREES not in outcomes else "the name is only an alias of the item"
        return Decision(entity, PROBABLE, f"one candidate; {why}", item, judged)


# -- the run ----------------------------------------------------------------------------


def read_confirmed(path: Path | None) -> dict[str, adapter.Entry]:
    """The curated QIDs (``confirmed.yaml``), by bmkg entity IRI; invalid entries are left out."""
    if path is None or not path.is_file():
        return {}
    entries, problems = adapter.confirmed_entries(path)
    for problem in problems:
        log.warning("confirmed QIDs: %s", problem)
    return {entry.entity: entry for entry in entries}


@dataclass
class Result:
    decisions: list[Decision]
    graph: Graph
    report: dict
    requests: int
    cached: int

    def count(self, status: str) -> int:
        return sum(1 for d in self.decisions if d.status == status)


def run(entities: dict[str, Entity], client: Client, kinds: Iterable[str] = KINDS,
        confirmed: dict[str, adapter.Entry] | None = None, batch_size: int = 40) -> Result:
    """Query the endpoint for every entity of ``kinds`` and decide its link."""
    confirmed = confirmed or {}
    wanted = set(kinds)
    org_qids = {iri: c.qid for iri, c in confirmed.items() if (split(iri) or ("",))[0] == "org"}
    decisions: list[Decision] = []
    for kind in (k for k in KINDS if k in wanted):
        chosen = sorted((e for e in entities.values() if e.kind == kind), key=lambda e: e.iri)
        found = _candidates(client, kind, chosen, batch_size)
        qids = sorted({qid for per_entity in found.values() for qid in per_entity}, key=lambda q: int(q[1:]))
        details = _details(client, kind, qids, batch_size)
        matcher = Matcher(entities, org_qids)
        batch = []
        for entity in chosen:
            items = [Item(**{**details[qid].__dict__, "matched": matched})
                     for qid, matched in sorted(found.get(entity.iri, {}).items())]
            batch.append(matcher.decide(entity, items))
        _apply_confirmed(batch, confirmed)
        decisions += batch
        _shared_items(decisions, confirmed)
        if kind == "org":
            org_qids.update({d.entity.iri: d.item.qid for d in decisions if d.item is not None})
    return Result(decisions, links_graph(decisions, client), report(decisions, client), client.sent, client.cached)


def _candidates(client: Client, kind: str, entities: list[Entity],
                batch_size: int) -> dict[str, dict[str, dict[str, str]]]:
    """entity IRI -> QID -> {bmkg name: "label" | "alias"} for every typed item found."""
    by_name: dict[str, list[Entity]] = defaultdict(list)
    for entity in entities:
        for name in entity.names:
            by_name[name].append(entity)
    found: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for names in _batches(sorted(by_name), batch_size):
        for row in client.select(candidates_query(kind, names)):
            qid = _qid(row.get("item", {}).get("value", ""))
            name = row.get("name", {}).get("value")
            via = row.get("via", {}).get("value")
            if qid is None or name not in by_name:
                continue
            for entity in by_name[name]:
                matched = found[entity.iri][qid]
                if matched.get(name) != "label":  # a label match outranks an alias match
                    matched[name] = "label" if via == "label" else "alias"
    return found


def _details(client: Client, kind: str, qids: list[str], batch_size: int) -> dict[str, Item]:
    items = {qid: Item(qid) for qid in qids}
    by_property = {p: name for name, ps in FACTS[kind].items() for p in ps}
    for batch in _batches(qids, batch_size):
        for row in client.select(facts_query(kind, batch)):
            qid = _qid(row.get("item", {}).get("value", ""))
            if qid not in items:
                continue
            item = items[qid]
            prop = row.get("prop", {}).get("value", "")
            value = row.get("value", {})
            if prop == _LABEL:
                item.label = item.label or value.get("value", "")
                continue
            if prop == SCHEMA_DESCRIPTION:
                item.description = item.description or value.get("value", "")
                continue
            fact = by_property.get(prop.removeprefix(WDT))
            if fact == "date":
                year = _year(value.get("value", "")) if value.get("type") in ("literal", "typed-literal") else None
                if year is not None:
                    item.years.add(year)
            elif fact is not None:
                target = _qid(value.get("value", "")) if value.get("type") == "uri" else None
                if target is None:
                    continue  # an "unknown value" (a .well-known/genid IRI) says nothing
                names = (item.countries if fact == "country" else item.orgs).setdefault(target, set())
                if row.get("valueName"):
                    names.add(row["valueName"]["value"])
    return items


def _apply_confirmed(decisions: list[Decision], confirmed: dict[str, adapter.Entry]) -> None:
    """Entities with a curated QID are not linked by the rule; a different answer goes to review."""
    for decision in decisions:
        known = confirmed.get(decision.entity.iri)
        if known is None:
            continue
        found = decision.item.qid if decision.item else None
        if found is not None and found != known.qid:
            decision.demote(f"the rule found {found} ({decision.status}), but the curated QID is {known.qid}")
            continue
        if found == known.qid:
            decision.reason = f"curated QID {known.qid}; the rule agrees ({decision.status})"
        else:
            decision.reason = f"curated QID {known.qid}; the rule alone: {decision.status}, {decision.reason}"
        decision.status, decision.item = CONFIRMED, None


def _shared_items(decisions: list[Decision], confirmed: dict[str, adapter.Entry]) -> None:
    """An item claimed by several bmkg entities links none of them."""
    owners: dict[str, set[str]] = defaultdict(set)
    for known in confirmed.values():
        owners[known.qid].add(known.entity)
    for decision in decisions:
        if decision.item is not None:
            owners[decision.item.qid].add(decision.entity.iri)
    for decision in decisions:
        if decision.item is not None and len(owners[decision.item.qid]) > 1:
            others = sorted(owners[decision.item.qid] - {decision.entity.iri})
            decision.demote(f"{decision.item.qid} is also claimed by {', '.join(others)}")


# -- output ---------------------------------------------------------------------------------


def _span(client: Client) -> tuple[str | None, str | None]:
    times = sorted(t for t in client.fetched if t)
    return (times[0], times[-1]) if times else (None, None)


def activity_iri(client: Client) -> URIRef:
    stamp = re.sub(r"[^0-9TZ]", "", _span(client)[1] or "") or "unknown"
    return URIRef(f"{GRAPH}/linking/{stamp}")


def links_graph(decisions: list[Decision], client: Client) -> Graph:
    """The links, each with a reified statement of its evidence, and the PROV-O record of the run."""
    graph = Graph()
    for prefix, namespace in (("owl", OWL), ("skos", SKOS), ("prov", PROV), ("dcterms", DCTERMS), ("wd", WD)):
        graph.bind(prefix, namespace)
    links = URIRef(f"{GRAPH}/links")
    activity = activity_iri(client)
    rule = URIRef(f"{GRAPH}/rule/{RULE_VERSION}")
    endpoint = URIRef(client.endpoint)
    graph.add((links, RDF.type, PROV.Entity))
    graph.add((links, DCTERMS.title, Literal("Links from bmkg entities to Wikidata items, found by bmkg link wikidata",
                                             lang="en")))
    graph.add((links, PROV.wasGeneratedBy, activity))
    graph.add((links, PROV.wasDerivedFrom, endpoint))
    graph.add((activity, RDF.type, PROV.Activity))
    graph.add((activity, RDFS.label, Literal(f"bmkg link wikidata, rule version {RULE_VERSION}")))
    graph.add((activity, PROV.used, endpoint))
    graph.add((activity, PROV.used, rule))
    graph.add((activity, PROV.wasAssociatedWith, SOFTWARE))
    started, ended = _span(client)
    if started:
        graph.add((activity, PROV.startedAtTime, Literal(started, datatype=XSD.dateTime)))
        graph.add((activity, PROV.endedAtTime, Literal(ended, datatype=XSD.dateTime)))
    graph.add((endpoint, RDF.type, PROV.Entity))
    graph.add((endpoint, RDFS.label, Literal("Wikidata-compatible SPARQL endpoint")))
    graph.add((rule, RDF.type, PROV.Plan))
    graph.add((rule, RDFS.label, Literal(f"bmkg Wikidata matching rule, version {RULE_VERSION}")))
    graph.add((rule, OWL.versionInfo, Literal(RULE_VERSION)))
    graph.add((rule, RDFS.comment, Literal(
        "exact (owl:sameAs): one typed candidate, a second fact agrees, none conflicts, a name is the "
        "item's label; probable (skos:closeMatch): one typed candidate, no conflict; otherwise not linked")))
    for decision in decisions:
        if decision.item is None or decision.relation is None:
            continue
        subject, predicate, obj = URIRef(decision.entity.iri), decision.relation, URIRef(decision.item.iri)
        graph.add((subject, predicate, obj))
        digest = hashlib.sha1(f"{subject} {predicate} {obj}".encode("utf-8")).hexdigest()[:16]
        statement = URIRef(f"{GRAPH}/link/{digest}")
        graph.add((statement, RDF.type, RDF.Statement))
        graph.add((statement, RDF.subject, subject))
        graph.add((statement, RDF.predicate, predicate))
        graph.add((statement, RDF.object, obj))
        graph.add((statement, PROV.wasGeneratedBy, activity))
        graph.add((statement, RDFS.comment, Literal(decision.evidence())))
    return graph


def report(decisions: list[Decision], client: Client) -> dict:
    started, ended = _span(client)
    counts: dict[str, int] = defaultdict(int)
    for decision in decisions:
        counts[decision.status] += 1
    return {
        "rule_version": RULE_VERSION,
        "endpoint": client.endpoint,
        "queried": {"started": started, "ended": ended, "requests_sent": client.sent,
                    "answers_from_cache": client.cached},
        "counts": {s: counts.get(s, 0) for s in (EXACT, PROBABLE, AMBIGUOUS, UNMATCHED, CONFIRMED)},
        "review": [d.as_dict() for d in decisions if d.status == AMBIGUOUS],
        "linked": [{"entity": d.entity.iri, "item": d.item.iri, "relation": RELATION_NAMES[d.relation],
                    "evidence": d.evidence()} for d in decisions if d.item is not None],
        "confirmed": [{"entity": d.entity.iri, "note": d.reason} for d in decisions if d.status == CONFIRMED],
    }


def write(result: Result, out: Path, review: Path) -> None:
    header = ("# Links from bmkg entities to Wikidata items, written by `bmkg link wikidata`.\n"
              f"# Matching rule version {RULE_VERSION}: see ingest/wikidata.py. Do not edit by hand;\n"
              "# curated QIDs go in confirmed.yaml. Read by the `wikidata` source at the next `bmkg build`.\n\n")
    _replace(out, header + result.graph.serialize(format="turtle"))
    _replace(review, json.dumps(result.report, indent=2, ensure_ascii=False) + "\n")


def _replace(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# -- the command -------------------------------------------------------------------------------


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bmkg" / "wikidata"


def _kinds(_ctx, _param, value: str) -> list[str]:
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        raise click.BadParameter(f"expected a comma-separated list of {', '.join(KINDS)}; got {value!r}")
    return kinds


@click.group("link")
def link() -> None:
    """Link bmkg entities to other knowledge graphs."""


@link.command("wikidata")
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True, envvar="BMKG_WIKIDATA_ENDPOINT",
              help="A Wikidata-compatible SPARQL endpoint.")
@click.option("--store", "store_path", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Store directory (default: $BMKG_STORE or ./store).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="The Turtle file of links (the `wikidata` source reads it).")
@click.option("--review", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"The JSON review report (default: {REVIEW_NAME} beside --out).")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Response cache directory (default: $XDG_CACHE_HOME/bmkg/wikidata).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the response cache.")
@click.option("--kinds", default="model,org,hardware,dataset", callback=_kinds, show_default=True,
              help="Kinds of entity to link.")
@click.option("--confirmed", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CONFIRMED,
              show_default=True, help="Curated QIDs; their entities are never linked by the rule.")
@click.option("--batch-size", type=click.IntRange(1, 500), default=40, show_default=True,
              help="Names (or items) per query.")
@click.option("--max-retries", type=click.IntRange(0, 20), default=5, show_default=True,
              help="Retries of a query answered 429, 502, 503 or 504.")
@click.option("--pause", type=click.FloatRange(0), default=1.0, show_default=True,
              help="Seconds between two requests sent.")
@click.option("--contact", default=CONTACT_URL, show_default=True, help="Contact URL sent in the User-Agent.")
def wikidata(endpoint: str, store_path: Path | None, out: Path, review: Path | None, cache: Path | None,
             no_cache: bool, kinds: list[str], confirmed: Path, batch_size: int, max_retries: int,
             pause: float, contact: str) -> None:
    """Link models, organisations, hardware and datasets to Wikidata items.

    Writes owl:sameAs (exact) and skos:closeMatch (probable) links to
    --out, and the entities left unlinked because several items or conflicting
    facts compete to the review report. Exit 0 written, 2 the store or the
    endpoint could not be used (nothing is written).
    """
    root = store.root_from_env(store_path)
    client = Client(endpoint, None if no_cache else (cache or _default_cache()), contact=contact,
                    max_retries=max_retries, pause=pause)
    try:
        entities = read_entities(root)
        result = run(entities, client, kinds, read_confirmed(confirmed), batch_size)
    except LinkError as error:
        click.echo(f"bmkg link wikidata: {error}", err=True)
        sys.exit(2)
    review = review or out.with_name(REVIEW_NAME)
    write(result, out, review)
    click.echo(f"wrote {out}: {result.count(EXACT)} owl:sameAs, {result.count(PROBABLE)} skos:closeMatch; "
               f"{result.count(AMBIGUOUS)} ambiguous listed in {review}; {result.count(UNMATCHED)} unmatched; "
               f"{result.count(CONFIRMED)} with curated QIDs; {result.requests} requests sent, "
               f"{result.cached} answers from the cache")
