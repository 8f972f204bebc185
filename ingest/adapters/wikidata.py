"""The ``wikidata`` source: links from bmkg entities to Wikidata items.

Two files, both in ``ingest/data/wikidata/``:

- ``links.ttl``, written by ``bmkg link wikidata`` (``ingest/wikidata.py``):
  ``owl:sameAs`` and ``skos:closeMatch`` links with their PROV-O provenance.
  It is read with the RDF-file adapter, as one record holding its graph.
- ``confirmed.yaml``, curated: QIDs that a public source confirms, each with
  the source's URL. Each entry becomes a record holding a small graph: the link
  and a reified statement that says where it comes from.

Exact links are written as ``owl:sameAs``, probable ones as ``skos:closeMatch``.
The build's reasoner leaves ``owl:sameAs`` links to outside IRIs out of its
input (``ingest/reasoning.py``): they are a crosswalk for consumers, and
copying every statement onto the Wikidata IRI inside bmkg would only make
duplicates, such as a second value of the functional ``bm:manufacturer``.

A Wikidata item may be the exact match of one bmkg entity only, and curated
QIDs take precedence over the linker's; links that break these rules are left
out and reported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rdflib import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, Graph, Literal, URIRef

from ingest.adapters import rdf_file
from ingest.adapters.tabular import read_text
from ingest.records import Location, Record, Rejection, SourceError
from ontology import IRIError, mint, split

SOURCE = "wikidata"
LINKS_FILE = "links.ttl"
CONFIRMED_FILE = "confirmed.yaml"
GRAPH = "https://w3id.org/bmkg/graph/wikidata"
CONFIRMED_SET = URIRef(f"{GRAPH}/confirmed")
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
EXACT_RELATION = OWL.sameAs
CLOSE_RELATION = SKOS.closeMatch
RELATIONS = {"exact": EXACT_RELATION, "close": CLOSE_RELATION}
LINK_PREDICATES = {OWL.sameAs, SKOS.exactMatch, SKOS.closeMatch}
_QID = re.compile(r"^Q[1-9][0-9]*$")


@dataclass
class Entry:
    """One curated QID."""

    entity: str
    qid: str
    relation: str
    label: str
    sources: list[tuple[str, str]]
    location: Location
    note: str = ""
    key: str = field(default="")

    @property
    def item(self) -> URIRef:
        return URIRef(WIKIDATA_ENTITY + self.qid)

    def graph(self) -> Graph:
        graph = Graph()
        subject, predicate = URIRef(self.entity), RELATIONS[self.relation]
        graph.add((subject, predicate, self.item))
        statement = URIRef(f"{CONFIRMED_SET}/{self.key}")
        graph.add((statement, RDF.type, RDF.Statement))
        graph.add((statement, RDF.subject, subject))
        graph.add((statement, RDF.predicate, predicate))
        graph.add((statement, RDF.object, self.item))
        graph.add((statement, DCTERMS.isPartOf, CONFIRMED_SET))
        for url, says in self.sources:
            graph.add((statement, PROV.wasDerivedFrom, URIRef(url)))
            if says:
                graph.add((statement, RDFS.comment, Literal(f"{url} says: {says}")))
        if self.label:
            graph.add((statement, RDFS.label, Literal(f"{self.qid}: {self.label}")))
        if self.note:
            graph.add((statement, SKOS.note, Literal(self.note)))
        return graph


def confirmed_entries(path: Path) -> tuple[list[Entry], list[Rejection]]:
    """The valid entries of ``confirmed.yaml`` and the problems with the others."""
    try:
        document = yaml.safe_load(read_text(path))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise SourceError(path, f"YAML syntax error: {error}", mark.line + 1 if mark else None) from error
    if document is None:
        return [], []
    if not isinstance(document, dict) or not isinstance(document.get("links"), list):
        raise SourceError(path, "expected a mapping with a list under 'links'")
    entries: list[Entry] = []
    problems: list[Rejection] = []
    for index, raw in enumerate(document["links"]):
        location = Location(path, f"links[{index}]", name=str(raw.get("entity")) if isinstance(raw, dict) else None)
        try:
            entries.append(_entry(raw, location))
        except ValueError as error:
            field_name = error.args[1] if len(error.args) > 1 else None
            problems.append(Rejection(SOURCE, location, field_name,
                                      raw.get(field_name) if isinstance(raw, dict) and field_name else None,
                                      str(error.args[0])))
    return _unique(entries, problems)


def _entry(raw, location: Location) -> Entry:
    if not isinstance(raw, dict):
        raise ValueError("expected a mapping with entity, qid and sources", None)
    entity = str(raw.get("entity") or "")
    kind, _, key = entity.partition(":")
    try:
        iri = str(mint(kind, key))
    except IRIError as error:
        raise ValueError(f"entity must be KIND:KEY naming a bmkg entity ({error})", "entity") from error
    qid = str(raw.get("qid") or "")
    if not _QID.match(qid):
        raise ValueError("qid must look like Q42", "qid")
    relation = str(raw.get("relation") or "exact")
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {', '.join(RELATIONS)}", "relation")
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        raise ValueError("a curated QID needs at least one source", "sources")
    checked = []
    for source in sources:
        url = source.get("url") if isinstance(source, dict) else None
        if not isinstance(url, str) or not re.match(r"^https?://\S+$", url):
            raise ValueError("each source needs an http(s) url", "sources")
        checked.append((url, str(source.get("says") or "").strip()))
    return Entry(iri, qid, relation, str(raw.get("label") or ""), checked, location,
                 str(raw.get("note") or "").strip(), f"{kind}-{split(iri)[1]}")


def _unique(entries: list[Entry], problems: list[Rejection]) -> tuple[list[Entry], list[Rejection]]:
    """One QID per entity, and one entity per exactly matched item; clashing entries are all left out."""
    by_entity: dict[str, list[Entry]] = defaultdict(list)
    by_item: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_entity[entry.entity].append(entry)
        if entry.relation == "exact":
            by_item[entry.qid].append(entry)
    bad: dict[int, str] = {}
    for entity, group in by_entity.items():
        if len({e.qid for e in group}) > 1 or len(group) > 1:
            for entry in group:
                bad[id(entry)] = f"{entity} is listed {len(group)} times (QIDs {', '.join(e.qid for e in group)})"
    for qid, group in by_item.items():
        if len({e.entity for e in group}) > 1:
            for entry in group:
                bad.setdefault(id(entry), f"{qid} is the exact match of several bmkg entities: "
                                          + ", ".join(sorted({e.entity for e in group})))
    kept = [e for e in entries if id(e) not in bad]
    problems += [Rejection(SOURCE, e.location, "qid", e.qid, bad[id(e)]) for e in entries if id(e) in bad]
    return kept, problems


def read(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    if not path.exists():
        raise SourceError(path, "not found")
    if path.is_dir():
        links, confirmed = path / LINKS_FILE, path / CONFIRMED_FILE
    else:
        links = path if path.suffix != ".yaml" else None
        confirmed = path if path.suffix == ".yaml" else None
    entries: list[Entry] = []
    if confirmed is not None and confirmed.is_file():
        entries, problems = confirmed_entries(confirmed)
        yield from problems
        header = Graph()
        header.add((CONFIRMED_SET, RDF.type, PROV.Entity))
        header.add((CONFIRMED_SET, DCTERMS.title, Literal(
            "Wikidata QIDs confirmed by public sources, curated by bmkg", lang="en")))
        yield Record(SOURCE, Location(confirmed, "header"), {"graph": header})
        for entry in entries:
            yield Record(SOURCE, entry.location, {"graph": entry.graph()})
    if links is not None and links.is_file():
        for record in rdf_file.read(links, build_date):
            graph = record.get("graph")
            yield from _check_links(graph, entries, links)
            yield Record(SOURCE, Location(links, "whole file"), {"graph": graph})


def _check_links(graph: Graph, entries: list[Entry], path: Path) -> Iterator[Rejection]:
    """Drop (and report) linker output that is malformed or clashes with the curated QIDs."""
    curated = {e.entity: e for e in entries}
    owner = {e.qid: e.entity for e in entries if e.relation == "exact"}
    links = sorted((s, p, o) for p in LINK_PREDICATES for s, o in graph.subject_objects(p))
    exact: dict[URIRef, set] = defaultdict(set)
    item_owners: dict[URIRef, set] = defaultdict(set)
    for s, p, o in links:
        if p == EXACT_RELATION:
            exact[s].add(o)
            item_owners[o].add(s)
    for s, p, o in links:
        qid = str(o)[len(WIKIDATA_ENTITY):] if str(o).startswith(WIKIDATA_ENTITY) else ""
        reason = None
        if p not in RELATIONS.values():
            reason = f"{p} is not used for Wikidata links; use owl:sameAs (exact) or skos:closeMatch (probable)"
        elif not isinstance(s, URIRef) or split(str(s)) is None:
            reason = "the subject is not a bmkg entity IRI"
        elif not _QID.match(qid):
            reason = "the object is not a Wikidata item IRI (http://www.wikidata.org/entity/Q…)"
        elif str(s) in curated:
            reason = f"the curated QID {curated[str(s)].qid} takes precedence"
        elif p == EXACT_RELATION and owner.get(qid, str(s)) != str(s):
            reason = f"{qid} is the curated exact match of {owner[qid]}"
        elif p == EXACT_RELATION and len(item_owners[o]) > 1:
            reason = f"{qid} is the exact match of several bmkg entities"
        elif p == EXACT_RELATION and len(exact[s]) > 1:
            reason = "the entity is the exact match of several items"
        if reason is None:
            continue
        graph.remove((s, p, o))
        for statement in set(graph.subjects(RDF.subject, s)) & set(graph.subjects(RDF.object, o)):
            graph.remove((statement, None, None))
        yield Rejection(SOURCE, Location(path, "whole file", name=str(s)), str(p), str(o),
                        f"link left out: {reason}", whole_record=False)
