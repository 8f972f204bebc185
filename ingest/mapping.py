"""Records to triples: one named graph per source, streamed into the store.

Reading sources is the adapters' job; this module maps their records, in two
passes over every source. The first (``register``) learns every name each source
defines and what the alias table makes of it, so that a link to an entity of
another source can be resolved and a HELM model matched to an Epoch one. The
second (``map``) writes the triples through a ``StoreWriter``; nothing but the
resolver's compact tables lives from one record to the next.

Names of models, organisations, datasets and hardware go through the resolver,
so every source's statements about an entity land on one IRI. Each entity gets
one preferred label: the name given by the first source read (curated data,
then Epoch, then the others, in ``SOURCE_ORDER``); every other name is an
alternative label. Links that point nowhere are kept (the target gets a minimal
node in the linking source's graph) and reported as notes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ingest import nodes, values
from ingest.identity import Resolver
from ingest.nodes import (BMX, DCTERMS, LABEL, ORG, SCHEMA, SKOS, TYPE, UNIT, NamedNode, boolean, date, double,
                          integer, text, uri, year)
from ingest.records import FieldError, Location, Record, Rejection
from ingest.writer import StoreWriter
from ontology import BM, IRIError, graph_iri, normalise_key

MAPPING_VERSION = "2"

# Sources in order of precedence: the first to name an entity gives its preferred label.
SOURCE_ORDER = ["curated", "epoch-models", "epoch-notable", "epoch-hardware", "epoch-benchmarks", "bmlist",
                "helm", "wikidata"]

SCHEME = nodes.entity("scheme", "roadmap")
ROADMAP_PAPER = nodes.entity("publication", "arxiv-2203.14101")
MIXTURE_OF_EXPERTS = "mixture-of-experts"

# Placeholders sources write where a value is unknown: statements of ignorance, not entities.
PLACEHOLDERS = {"unspecified", "unspecified-unreleased", "unknown", "unreleased", "various", "n-a", "none",
                "other", "proprietary", "private"}

# Entity kinds that curated records define, with the section that defines them.
CURATED_KINDS = {
    "parts": "part", "topics": "topic", "open_problems": "problem", "techniques": "technique",
    "systems": "system", "benchmarks": "benchmark", "datasets": "dataset", "tasks": "task",
    "organizations": "org", "families": "family", "organization_changes": "change",
}
REFERENCE_KINDS = {"part", "topic", "subtopic", "problem", "model", "dataset", "benchmark", "hardware", "system",
                   "technique", "task", "org", "publication", "family"}

# Units of the scores the adapters normalise: QUDT terms, and Elo points, which QUDT lacks.
UNITS = {"fraction": UNIT.FRACTION, "minutes": UNIT.MIN, "points": UNIT.UNITLESS, "elo": BMX.EloPoint}

_PARENTHESES = re.compile(r"\s*\([^)]*\)")
# How a leaderboard notes a run's setting after a model's name: "(8-shot)", "(Zero-shot)", "(Low)".
_SETTING = re.compile(r"\s*\((\d+|zero|one|few)-shot\)|\s*\((low|medium|high)\)\*?$", re.IGNORECASE)
_PLATFORM = re.compile(r"\s+on\s+(amazon\s+)?bedrock\.?$", re.IGNORECASE)
# The number format a host serves a model in, at the end of a deployment's id.
_PRECISION = re.compile(r"[-_](fp8|fp16|bf16|int8|int4|awq|gptq)$", re.IGNORECASE)


@dataclass
class Note:
    """Something a source says that could not be linked as stated; reported, not fatal."""

    source: str
    location: Location
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}, field {self.field!r}: {self.value!r}: {self.reason}"

    def as_dict(self) -> dict:
        return {"source": self.source, "location": str(self.location), "field": self.field,
                "value": self.value, "reason": self.reason}


@dataclass
class Tables:
    """The curated mapping tables."""

    epoch_domain: dict[str, dict] = field(default_factory=dict)
    bmlist_domain: dict[str, dict] = field(default_factory=dict)
    epoch_task: dict[str, dict] = field(default_factory=dict)
    hardware_type: dict[str, dict] = field(default_factory=dict)
    helm_tag: dict[str, dict] = field(default_factory=dict)
    epoch_access: dict[str, str] = field(default_factory=dict)


TABLE_NAMES = {"epoch-domain": "epoch_domain", "bmlist-domain": "bmlist_domain", "epoch-task": "epoch_task",
               "hardware-type": "hardware_type", "helm-tag": "helm_tag", "epoch-access": "epoch_access"}


@dataclass
class HelmMatch:
    """What a HELM registry entry became: a version of an existing model, of a new one, or nothing yet."""

    outcome: str  # "version", "name", "new" or "ambiguous"
    model: str | None  # model key
    version: str  # version key
    candidates: list[str] = field(default_factory=list)


class Mapper:
    """Turns the records of all sources into triples of one named graph per source."""

    def __init__(self, writer: StoreWriter, reporter, build_date: dt.date | None = None):
        self.writer = writer
        self.reporter = reporter
        self.build_date = build_date or dt.date.today()
        self.resolver = Resolver()
        for source in SOURCE_ORDER:
            self.resolver.source_index(source)
        self._notable_bit = 1 << self.resolver.source_index("epoch-notable")
        self.tables = Tables()
        self._graphs: dict[str, NamedNode] = {}
        self._described: set[tuple[str, str]] = set()  # (source, IRI) of shared entities written once
        # cross-record facts learnt in pass 1
        self.model_orgs: dict[str, frozenset[str]] = {}  # model key -> developer org keys (Epoch, hub, BMList)
        self._org_sets: dict[frozenset[str], frozenset[str]] = {}  # one copy of each set of developers
        self.versions: dict[str, str] = {}  # version key -> model key (Epoch's Benchmarking Hub)
        self.hub_models: set[str] = set()  # models only the hub names
        self.hub_first_release: dict[str, dt.date] = {}  # hub model key -> its earliest version's release
        self.hub_titles: dict[str, Counter] = defaultdict(Counter)  # arXiv id -> the hub's titles for it
        self._results_seen: dict[tuple, str] = {}  # what a result states -> the first row that stated it
        self.helm: dict[str, HelmMatch] = {}  # HELM id -> match
        self.helm_versions: dict[str, str] = {}  # version key -> model key (HELM)
        self.helm_names_index: dict[str, str] = {}  # a HELM id or display name, normalised -> model key
        self.helm_model_values: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
        self.org_parents: dict[str, set[str]] = defaultdict(set)
        self.family_members: dict[str, list[str]] = {}  # BMList family key -> its size models' keys
        self.corrections: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self.merge_names: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.counts: dict[str, int] = defaultdict(int)

    # -- helpers ---------------------------------------------------------------

    def graph(self, source: str) -> NamedNode:
        found = self._graphs.get(source)
        if found is None:
            found = self._graphs[source] = nodes.graph(graph_iri(source))
        return found

    def emit(self, source: str, subject, pairs) -> None:
        add, g = self.writer.add, self.graph(source)
        for predicate, obj in pairs:
            if obj is not None:
                add(g, subject, predicate, obj)

    def note(self, record: Record, field_name: str, value: str, reason: str) -> None:
        self.reporter.note(Note(record.source, record.location, field_name, str(value), reason))

    def reject(self, record: Record, field_name: str | None, value, reason: str, whole: bool = True) -> None:
        self.reporter.reject(Rejection(record.source, record.location, field_name, value, reason,
                                       whole_record=whole))

    def names(self, source: str, kind: str, key: str, name: str, language: str | None = None) -> list:
        """The label statements ``source`` makes for the entity it calls ``name``."""
        name = values.clean_text(str(name))
        if not name:
            return []
        preferred, by = self.resolver.prefer(kind, key, name, source)
        if preferred == name and self.resolver.sources[by] == source:
            literal = text(name, language)
            return [(LABEL, literal), (SKOS.prefLabel, literal)]
        if preferred.casefold() != name.casefold():
            return [(SKOS.altLabel, text(name, language))]
        return []

    def describe(self, source: str, kind: str, name: str, rdf_type: NamedNode, extra=()) -> NamedNode | None:
        """A shared entity (organisation, dataset, country, task) named by a record: typed and
        labelled once per source. None for a placeholder name."""
        key = self.resolver.key(kind, name)
        if key in PLACEHOLDERS or not key:
            return None
        iri = nodes.entity(kind, key)
        if (source, iri.value) not in self._described:
            self._described.add((source, iri.value))
            self.emit(source, iri, [(TYPE, rdf_type)] + self.names(source, kind, key, name) + list(extra))
        return iri

    def linked(self, record: Record, kind: str, name: str, rdf_type: NamedNode, field_name: str) -> NamedNode:
        """A link to an entity another source defines. When none does, the target is
        kept as a node with a name only, and noted."""
        if not self.resolver.known(kind, name):
            self.note(record, field_name, name, f"matches no {kind} of any source; kept as a {kind} with a name only")
            return self.describe(record.source, kind, name, rdf_type)
        return self.resolver.iri(kind, name)

    def org(self, source: str, name: str) -> NamedNode | None:
        return self.describe(source, "org", name, BMX.Organization)

    def country(self, source: str, name: str) -> NamedNode | None:
        return self.describe(source, "country", name, BMX.Country)

    def publication(self, source: str, url: str, title: str | None) -> NamedNode | None:
        """The arXiv paper behind a link, or None; a source's title for it becomes its title."""
        arxiv = values.arxiv_id(url)
        if arxiv is None:
            return None
        key = f"arxiv-{arxiv}"
        iri = nodes.entity("publication", key)
        marker = (source, iri.value)
        if marker not in self._described:
            self._described.add(marker)
            pairs = [(TYPE, BMX.Publication), (BMX.arxivId, text(arxiv)),
                     (BMX.homepage, uri(f"https://arxiv.org/abs/{arxiv}"))]
            labels = self.names(source, "publication", key, title or f"arXiv:{arxiv}")
            pairs += labels
            # One title per paper: the preferred source's; another source's wording is an alternative label.
            if title and any(p == LABEL for p, _ in labels):
                pairs.append((DCTERMS.title, text(title)))
            self.emit(source, iri, pairs)
        return iri

    def model_kinds(self, record: Record, kinds: list[str], table: dict, table_name: str,
                    field_name: str = "domain") -> list:
        pairs = [(TYPE, BMX.Model)]
        for kind in kinds:
            entry = table.get(kind)
            if entry is None:
                self.note(record, field_name, kind, f"not in the {table_name} mapping table; typed bm:Model only")
                continue
            pairs.append((TYPE, getattr(BMX, entry["class"])))
            pairs += [(BMX.hasTopic, nodes.entity("topic", t)) for t in entry.get("topics", [])]
        return pairs

    def corrected(self, record: Record, name: str) -> Record:
        """The record without the values the curated corrections table says are wrong."""
        fixes = self.corrections.get((record.source, normalise_key(name)))
        if not fixes:
            return record
        fields = dict(record.fields)
        for fix in fixes:
            target = fix["field"]
            if target not in fields:
                continue
            current = fields[target]
            wrong = fix.get("value")
            if wrong is None or _same_value(current, wrong) or (isinstance(current, list) and wrong in current):
                if isinstance(current, list) and wrong is not None:
                    fields[target] = [v for v in current if v != wrong]
                else:
                    del fields[target]
                self.reject(record, fix["source_field"], wrong if wrong is not None else current,
                            f"corrected: {fix['reason']} (evidence: {fix['evidence']})", whole=False)
        return Record(record.source, record.location, fields)

    # == pass 1 ================================================================

    def prepare(self, curated: list[Record]) -> None:
        """Pass 1 for the curated records: tables, aliases, corrections and the entities they define."""
        for record in curated:
            section = record.get("section")
            if section == "aliases":
                for alias in record.get("aliases"):
                    self.resolver.add_alias(record.get("kind"), str(record.get("key")), str(alias),
                                            record.get("source"))
            elif section == "mappings":
                self._table(record)
            elif section == "corrections":
                self._correction(record)
        for record in curated:
            section = record.get("section")
            kind = CURATED_KINDS.get(section) or ("model" if section == "models" and record.get("key") else None)
            if kind and record.get("aliases"):
                for alias in record.get("aliases"):
                    self.resolver.add_alias(kind, str(record.get("key")), str(alias))
        for record in curated:
            section = record.get("section")
            if section in CURATED_KINDS:
                self.resolver.define(CURATED_KINDS[section], str(record.get("key")), "curated")
            if section == "topics":
                for sub in record.get("subtopics") or []:
                    self.resolver.define("subtopic", str(sub["key"]), "curated")
            elif section == "models" and record.get("key"):
                self.resolver.define("model", str(record.get("key")), "curated")
            elif section == "publications":
                self.resolver.define("publication", self._publication_key(record), "curated")
            elif section == "organizations":
                key = self.resolver.key("org", str(record.get("key")))
                for parent in record.get("part_of") or []:
                    self.org_parents[key].add(self.resolver.key("org", str(parent)))

    def _table(self, record: Record) -> None:
        name, entries = record.get("table"), record.get("entries")
        target = TABLE_NAMES.get(name)
        if target is None or not isinstance(entries, dict):
            self.reject(record, "table", name, "unknown mapping table, or entries is not a mapping")
            return
        for value in entries.values():
            local = value.get("class") if isinstance(value, dict) else None
            if local is not None and (local not in BM.__annotations__ or not local[0].isupper()):
                self.reject(record, "entries", local, "names no class of the bm: ontology")
                return
        setattr(self.tables, target, entries)

    _FIELDS = {  # a source's own field names, as the corrections table gives them, to record fields
        "bmlist": {"paper/news": "paper", "model": "weights", "code": "code", "api": "api",
                   "release_date": "release_date", "affiliation": "organizations", "domain": "domains",
                   "language": "languages"},
        "epoch-models": {"Link": "links", "Reference": "reference", "Publication date": "publication_date",
                         "Parameters": "parameters", "Organization": "organizations", "Base model": "base_models",
                         "Training dataset": "training_datasets", "Training hardware": "training_hardware",
                         "Training compute (FLOP)": "training_compute_flop", "Domain": "domains"},
    }

    def _correction(self, record: Record) -> None:
        source, source_field = str(record.get("source")), str(record.get("field"))
        target = self._FIELDS.get(source, {}).get(source_field, source_field)
        self.corrections[(source, normalise_key(str(record.get("record"))))].append({
            "field": target, "source_field": source_field, "value": record.get("value"),
            "reason": record.get("reason"), "evidence": record.get("evidence")})

    def register(self, record: Record) -> None:
        """Pass 1 for one record of a source other than the curated one."""
        handler = getattr(self, "_register_" + record.source.replace("-", "_"), None)
        if handler is not None:
            handler(record)

    def _add_developers(self, key: str, orgs: frozenset[str]) -> None:
        """Add ``orgs`` to the developers of model ``key``. Models share a few thousand sets of developers,
        so each set is kept once (a set of its own took 200 bytes or more a model)."""
        combined = self.model_orgs.get(key, frozenset()) | orgs
        if combined:
            self.model_orgs[key] = self._org_sets.setdefault(combined, combined)

    def _define_all(self, kind: str, names, source: str) -> frozenset[str]:
        """Note that ``source`` names these shared entities (organisations, datasets, ...)."""
        return frozenset(self.resolver.define(kind, n, source) for n in names if normalise_key(n))

    def _register_epoch_models(self, record: Record) -> None:
        src = record.source
        key = self.resolver.define("model", record.get("name"), src)
        orgs = self._define_all("org", record.get("organizations", []), src)
        self._add_developers(key, orgs)
        self._define_all("org", record.get("cloud_vendors", []), src)
        self._define_all("dataset", record.get("training_datasets", []), src)
        self._define_all("task", record.get("tasks", []), src)
        self._define_all("country", record.get("countries", []), src)
        self._define_all("publication", [f"arxiv-{values.arxiv_id(u)}" for u in record.get("links", [])
                                         if values.arxiv_id(u)], src)

    _register_epoch_notable = _register_epoch_models

    def _register_epoch_hardware(self, record: Record) -> None:
        self.resolver.define("hardware", record.get("name"), record.source)
        self._define_all("org", [record.get("manufacturer") or ""] + record.get("foundries", []), record.source)

    @staticmethod
    def hub_model_name(record: Record) -> str:
        """The model a hub version belongs to; a version the hub gives no model is taken to be a
        model of its own, named as the hub displays it, or by its id. An id that names a host and a
        precision ("chutes/GLM-4.5-FP8") is a deployment of the model that its last part names.

        >>> Mapper.hub_model_name(Record("epoch-benchmarks", None, {"version": "chutes/GLM-4.5-FP8"}))
        'GLM-4.5'
        """
        named = record.get("model") or record.get("display_name")
        if named:
            return named
        version = record.get("version")
        return _PRECISION.sub("", version.rsplit("/", 1)[-1]) or version

    def _register_epoch_benchmarks(self, record: Record) -> None:
        if record.get("kind") == "result":
            # the hub's Source column titles the paper behind an arXiv source link; rows spell it
            # differently now and then, so the most frequent spelling titles the publication
            arxiv = values.arxiv_id(record.get("source_url") or "")
            if arxiv and record.get("source_title"):
                self.hub_titles[arxiv][values.clean_text(record.get("source_title"))] += 1
            return
        if record.get("kind") != "version":
            return
        model = self.hub_model_name(record)
        key = self.resolver.key("model", model)
        if not self.resolver.known_key("model", key) or key in self.hub_models:
            # a model only the hub names; it takes its first version's day as its publication date
            self.resolver.define("model", model, record.source)
            self.hub_models.add(key)
            released = record.get("release_date")
            if released and (key not in self.hub_first_release or released < self.hub_first_release[key]):
                self.hub_first_release[key] = released
        self.versions.setdefault(normalise_key(record.get("version")), key)

    def _register_bmlist(self, record: Record) -> None:
        orgs = self._define_all("org", record.get("organizations", []), record.source)
        paper = values.arxiv_id(record.get("paper") or "")
        if paper:
            self.resolver.define("publication", f"arxiv-{paper}", record.source)
        for name, _count in self._bmlist_sizes(record):
            key = self.resolver.define("model", name, record.source)
            self._add_developers(key, orgs)
        if self._is_family(record):
            family = self.resolver.define("family", record.get("name"), record.source)
            self.family_members[family] = [self.resolver.key("model", n, record.source)
                                           for n, _ in self._bmlist_sizes(record)]

    def _register_helm(self, record: Record) -> None:
        match = self._match_helm(record)
        # a name of punctuation alone ("-") gives no key to mint an IRI from: the record is rejected here,
        # so pass 2 never meets it
        for field_name, kind, key in (("model_id", "version", match.version), ("display_name", "model", match.model)):
            if key is not None:
                try:
                    nodes.entity(kind, key)
                except IRIError as error:
                    self.reject(record, field_name, record.get(field_name), str(error))
                    return
        self.helm[record.get("helm_id")] = match
        if match.outcome == "ambiguous":
            return
        self._define_all("org", self.helm_organizations(record), record.source)
        if match.outcome == "new":
            self.resolver.define("model", self.helm_model_name(record), record.source)
        self.helm_versions.setdefault(match.version, match.model)
        for name in (record.get("helm_id"), record.get("display_name")):
            if name:
                self.helm_names_index.setdefault(normalise_key(name), match.model)
        for name in ("access", "parameters"):
            if record.get(name) is not None:
                self.helm_model_values[match.model][name].add(record.get(name))

    # -- HELM matching -----------------------------------------------------------

    def company(self, org_key: str) -> frozenset[str]:
        """An organisation with every organisation above it (W3C ORG sub-organisation links)."""
        seen, todo = set(), [org_key]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.org_parents.get(current, ()))
        return frozenset(seen)

    def same_company(self, first: str, second: str) -> bool:
        """Whether two organisations are one, or parts of one company group."""
        return bool(self.company(first) & self.company(second)) and bool(
            first == second or self._top(first) & self._top(second))

    def _top(self, org_key: str) -> frozenset[str]:
        group = self.company(org_key)
        return frozenset(o for o in group if not self.org_parents.get(o))

    @staticmethod
    def helm_organizations(record: Record) -> list[str]:
        """HELM's creator organisation; a joint creator is written with a slash ("Microsoft/NVIDIA").

        >>> Mapper.helm_organizations(Record("helm", None, {"organization": "Microsoft/NVIDIA"}))
        ['Microsoft', 'NVIDIA']
        """
        return [name.strip() for name in (record.get("organization") or "").split("/") if name.strip()]

    @staticmethod
    def helm_model_name(record: Record) -> str:
        """The name of a model HELM alone has: its display name without a deployment platform."""
        display = record.get("display_name") or record.get("model_id")
        return _PLATFORM.sub("", display).strip() or display

    @staticmethod
    def helm_names(record: Record) -> list[str]:
        """The names a HELM entry may match a model by: its id, its display name, and the display
        name without a deployment platform or a parenthesis (a size, a date, a reasoning mode)."""
        display = record.get("display_name") or ""
        plain = _PLATFORM.sub("", display).strip()
        return list(dict.fromkeys(n for n in (record.get("model_id"), display, plain,
                                              _PARENTHESES.sub("", plain).strip()) if n))

    def _match_helm(self, record: Record) -> HelmMatch:
        version = normalise_key(record.get("model_id"))
        hub_model = self.versions.get(version)
        if hub_model is not None:
            return HelmMatch("version", hub_model, version)
        orgs = [self.resolver.key("org", o) for o in self.helm_organizations(record)]
        candidates, orgless = [], []
        for name in self.helm_names(record):
            key = self.resolver.key("model", name)
            if not self.resolver.known_key("model", key) or key in candidates:
                continue
            developers = self.model_orgs.get(key, frozenset())
            if any(self.same_company(org, d) for org in orgs for d in developers):
                candidates.append(key)
            else:
                orgless.append(key)
        candidates = list(dict.fromkeys(candidates))
        if len(candidates) == 1:
            return HelmMatch("name", candidates[0], version)
        if candidates or orgless:
            return HelmMatch("ambiguous", None, version, sorted(set(candidates) | set(orgless)))
        return HelmMatch("new", self.resolver.key("model", self.helm_model_name(record)), version)

    # == pass 2 ================================================================

    def map(self, record: Record) -> None:
        if record.get("graph") is not None:
            self._added(record)
        elif record.source == "curated":
            self.map_curated(record)
        else:
            handler = getattr(self, "_map_" + record.source.replace("-", "_"), None)
            if handler is not None:
                handler(record)

    def _added(self, record: Record) -> None:
        """A record that carries a parsed rdflib graph (an added RDF file, the Wikidata links)."""
        g, add = self.graph(record.source), self.writer.add
        for triple in record.get("graph"):
            add(g, *(_from_rdflib(term) for term in triple))

    # -- Epoch hardware ----------------------------------------------------------

    _HARDWARE_NUMBERS = [
        ("release_price_usd", "releasePriceUsd"), ("fp16_tensor_flops", "fp16TensorFlopPerSecond"),
        ("fp8_flops", "fp8FlopPerSecond"), ("fp4_flops", "fp4FlopPerSecond"), ("memory_bytes", "memoryBytes"),
        ("memory_bandwidth", "memoryBandwidthBytesPerSecond"),
        ("intranode_bandwidth", "intranodeBandwidthBytesPerSecond"),
        ("internode_bandwidth", "internodeBandwidthBitsPerSecond"), ("tdp_watts", "tdpWatts"),
        ("fp64_flops", "fp64FlopPerSecond"), ("fp32_flops", "fp32FlopPerSecond"),
        ("tf32_flops", "tf32FlopPerSecond"), ("fp16_flops", "fp16FlopPerSecond"),
        ("int16_ops", "int16OpPerSecond"), ("int8_ops", "int8OpPerSecond"), ("int4_ops", "int4OpPerSecond"),
        ("die_size_mm2", "dieSizeMm2"), ("base_clock_mhz", "baseClockMhz"), ("boost_clock_mhz", "boostClockMhz"),
        ("memory_clock_mhz", "memoryClockMhz"), ("process_nm", "processNodeNm"),
        ("transistors_millions", "transistorCountMillions"),
    ]

    def _map_epoch_hardware(self, record: Record) -> None:
        src, name = record.source, record.get("name")
        key = self.resolver.key("hardware", name)
        hardware = nodes.entity("hardware", key)
        pairs: list = [(TYPE, BMX.Hardware)] + self.names(src, "hardware", key, name)
        kind = record.get("type")
        if kind:
            entry = self.tables.hardware_type.get(kind)
            if entry:
                pairs.append((TYPE, getattr(BMX, entry["class"])))
                pairs += [(BMX.hasTopic, nodes.entity("topic", t)) for t in entry.get("topics", [])]
            else:
                self.note(record, "Type", kind, "not in the hardware-type mapping table; typed bm:Hardware only")
        if record.get("manufacturer"):
            pairs.append((BMX.manufacturer, self.org(src, record.get("manufacturer"))))
        pairs += [(BMX.foundry, self.org(src, n)) for n in record.get("foundries", [])]
        if record.get("release_date"):
            pairs.append((BMX.releaseDate, date(record.get("release_date"))))
        pairs += [(getattr(BMX, p), double(record.get(f))) for f, p in self._HARDWARE_NUMBERS
                  if record.get(f) is not None]
        for f, p in (("memory_bus_bits", BMX.memoryBusBits), ("tensor_cores", BMX.tensorCoreCount)):
            if record.get(f) is not None:
                pairs.append((p, integer(record.get(f))))
        pairs += [(BMX.homepage, uri(url)) for url in record.get("datasheets", [])]
        # Epoch's hardware file names models that no models file has; only links to models
        # some source describes are kept, the rest are noted.
        for model in record.get("models", []):
            if self.resolver.known("model", model):
                pairs.append((BMX.trained, self.resolver.iri("model", model)))
            else:
                self.note(record, "ML models", model, "matches no model of any source; not linked")
        self.emit(src, hardware, pairs)

    # -- Epoch models (the all-models and the notable export) ---------------------

    _MODEL_NUMBERS = [
        ("training_compute_flop", "trainingComputeFlop"), ("training_dataset_size", "trainingDatasetSizeDatapoints"),
        ("epochs", "epochCount"), ("training_time_hours", "trainingTimeHours"),
        ("hardware_utilization", "hardwareUtilizationFraction"),
        ("training_cost_usd_2023", "trainingComputeCostUsd2023"), ("finetune_compute_flop", "finetuneComputeFlop"),
        ("batch_size", "batchSize"), ("training_power_draw_w", "trainingPowerDrawWatts"),
        ("training_compute_flop_low", "trainingComputeLowerBoundFlop"),
        ("training_compute_flop_high", "trainingComputeUpperBoundFlop"),
    ]
    _MODEL_TEXTS = [
        ("confidence", "confidenceLevel"), ("model_accessibility", "modelAccessibility"),
        ("training_code_accessibility", "trainingCodeAccessibility"),
        ("inference_code_accessibility", "inferenceCodeAccessibility"),
    ]
    # Fields only the notable export has: the notable graph states these and the flag, and
    # leaves every fact the newer all-models export also has to that export's graph.
    NOTABLE_ONLY = {"training_cost_usd_2023", "training_code_accessibility", "inference_code_accessibility",
                    "frontier", "training_power_draw_w", "compute_estimation_methods"}

    def _map_epoch_notable(self, record: Record) -> None:
        key = self.resolver.key("model", record.get("name"))
        if "epoch-models" in self.resolver.definers("model", key):
            model = nodes.entity("model", key)
            fields = {k: v for k, v in record.fields.items() if k in self.NOTABLE_ONLY}
            self.emit(record.source, model, [(TYPE, BMX.Model), (BMX.notableModel, boolean(True))]
                      + self._epoch_facts(Record(record.source, record.location, fields)))
            return
        self._map_epoch_models(record, notable=True)

    def _map_epoch_models(self, record: Record, notable: bool = False) -> None:
        src = record.source
        record = self.corrected(record, record.get("name"))
        name = record.get("name")
        key = self.resolver.key("model", name)
        model = nodes.entity("model", key)
        self._merge_name(key, src, name)
        pairs = self.model_kinds(record, record.get("domains", []), self.tables.epoch_domain, "epoch-domain")
        pairs += self.names(src, "model", key, name)
        if notable:
            pairs.append((BMX.notableModel, boolean(True)))
        orgs = [self.org(src, o) for o in record.get("organizations", [])]
        pairs += [(BMX.developedBy, o) for o in orgs if o is not None]
        self._org_facts(record, orgs)
        if record.get("publication_date"):
            pairs.append((BMX.publicationDate, date(record.get("publication_date"))))
        arxiv_links = [u for u in record.get("links", []) if values.arxiv_id(u)]
        for url in record.get("links", []):
            pairs.append((BMX.homepage, uri(url)))
            # Epoch's Reference is the title of the paper behind the row's one paper link.
            title = record.get("reference") if len(arxiv_links) == 1 else None
            publication = self.publication(src, url, title)
            if publication is not None:
                pairs.append((BMX.describedIn, publication))
        if record.get("citations") is not None:
            pairs.append((BMX.citationCount, integer(record.get("citations"))))
        pairs += [(BMX.notabilityCriterion, text(v)) for v in record.get("notability", [])]
        if record.get("parameters") is not None:
            pairs.append((BMX.parameterCount, integer(record.get("parameters"))))
        if record.get("hardware_quantity") is not None:
            pairs.append((BMX.hardwareQuantity, integer(record.get("hardware_quantity"))))
        pairs += self._epoch_facts(record)
        access = self.tables.epoch_access.get(record.get("model_accessibility") or "")
        if access:
            pairs.append((BMX.accessLevel, text(access)))
        if record.get("foundation") is not None:
            pairs.append((BMX.foundationModel, boolean(record.get("foundation"))))
        pairs += [(BMX.trainingApproach, text(v)) for v in record.get("approaches", [])]
        for vendor in record.get("cloud_vendors", []):
            org = self.org(src, vendor)
            if org is not None:
                pairs.append((BMX.trainingCloudVendor, org))
        for dataset in record.get("training_datasets", []):
            iri = self.describe(src, "dataset", dataset, BMX.Dataset)
            if iri is not None:
                pairs.append((BMX.trainingDataset, iri))
        for chip in record.get("training_hardware", []):
            pairs.append((BMX.trainingHardware, self.linked(record, "hardware", chip, BMX.Hardware,
                                                            "Training hardware")))
        for base in record.get("base_models", []):
            pairs.append((BMX.baseModel, self.linked(record, "model", base, BMX.Model, "Base model")))
        for task in record.get("tasks", []):
            entry = self.tables.epoch_task.get(task) or {}
            implied = [(BMX.impliesTopic, nodes.entity("topic", t)) for t in entry.get("implies_topics", [])]
            task_iri = self.describe(src, "task", task, BMX.Task,
                                     [(BMX.hasTopic, nodes.entity("topic", t)) for t in entry.get("topics", [])]
                                     + implied)
            if task_iri is not None:
                pairs.append((BMX.performsTask, task_iri))
        self.emit(src, model, pairs)

    def _epoch_facts(self, record: Record) -> list:
        pairs = [(getattr(BMX, p), double(record.get(f))) for f, p in self._MODEL_NUMBERS
                 if record.get(f) is not None]
        pairs += [(getattr(BMX, p), text(record.get(f))) for f, p in self._MODEL_TEXTS if record.get(f)]
        if record.get("frontier") is not None:
            pairs.append((BMX.frontierModel, boolean(record.get("frontier"))))
        pairs += [(BMX.computeEstimationMethod, text(v)) for v in record.get("compute_estimation_methods", [])]
        return pairs

    def _org_facts(self, record: Record, orgs: list) -> None:
        """Epoch's category and country lookups align with the organisations only when the
        lists have equal length, or when there is one organisation."""
        categories = record.get("organization_categories", [])
        countries = record.get("countries", [])
        if len(orgs) == 1:
            pairs = [(orgs[0], categories, countries)]
        elif orgs and len(orgs) == len(categories) == len(countries):
            pairs = [(o, [c], [k]) for o, c, k in zip(orgs, categories, countries)]
        else:
            if categories or countries:
                self.note(record, "Organization categorization", ", ".join(categories),
                          "categories and countries do not line up with the organisations; not attributed")
            return
        for org, org_categories, org_countries in pairs:
            if org is None:
                continue
            facts = [(BMX.organizationCategory, text(c)) for c in org_categories]
            facts += [(BMX.country, c) for c in (self.country(record.source, k) for k in org_countries) if c]
            self.emit(record.source, org, facts)

    # -- Epoch's Benchmarking Hub ---------------------------------------------------

    def _map_epoch_benchmarks(self, record: Record) -> None:
        if record.get("kind") == "version":
            self._hub_version(record)
        elif record.get("kind") == "result":
            self._hub_result(record)

    def _version_pairs(self, source: str, key: str, version_id: str, model: NamedNode) -> list:
        return [(TYPE, BMX.ModelVersion), (BMX.versionId, text(version_id)), (BMX.versionOf, model)] \
            + self.names(source, "version", key, version_id)

    def _hub_version(self, record: Record) -> None:
        src, name = record.source, self.hub_model_name(record)
        model_key = self.resolver.key("model", name)
        model = nodes.entity("model", model_key)
        version_key = normalise_key(record.get("version"))
        if self.versions.get(version_key) != model_key:
            self.reject(record, "id", record.get("version"),
                        f"the version id is also given to model {self.versions.get(version_key)!r}")
            return
        version = nodes.entity("version", version_key)
        pairs = self._version_pairs(src, version_key, record.get("version"), model)
        if record.get("release_date"):
            pairs.append((BMX.releaseDate, date(record.get("release_date"))))
        if record.get("hf_developer"):
            pairs.append((BMX.huggingFaceDeveloper, text(record.get("hf_developer"))))
        if record.get("link"):
            pairs.append((BMX.homepage, uri(record.get("link"))))
        self.emit(src, version, pairs)
        model_pairs = [(TYPE, BMX.Model)] + self.names(src, "model", model_key, name)
        if model_key in self.hub_first_release and (src, model.value) not in self._described:
            model_pairs.append((BMX.publicationDate, date(self.hub_first_release[model_key])))
        self._described.add((src, model.value))
        self.emit(src, model, model_pairs)

    def _hub_model(self, record: Record) -> tuple[NamedNode, NamedNode | None] | None:
        """The model (and version) a result row names, or None when nothing resolves."""
        version_name = record.get("model_version")
        if version_name:
            version_key = normalise_key(version_name)
            model_key = self.versions.get(version_key) or self.helm_versions.get(version_key)
            if model_key is not None:
                return nodes.entity("model", model_key), nodes.entity("version", version_key)
        for name in (version_name, record.get("model_name")):
            if not name:
                continue
            for candidate in dict.fromkeys((name, _SETTING.sub("", name).strip())):
                if self.resolver.known("model", candidate):
                    return self.resolver.iri("model", candidate), None
                # a name HELM gives one of its entries, which the HELM matching resolved to a model
                found = self.helm_names_index.get(normalise_key(candidate))
                if found is not None:
                    return nodes.entity("model", found), None
        return None

    def _hub_result(self, record: Record) -> None:
        src = record.source
        found = self._hub_model(record)
        if found is None:
            field_name = "Model version" if record.get("model_version") else "Name"
            self.reject(record, field_name, record.get("model_version") or record.get("model_name"),
                        "names no model version or model of any source")
            return
        benchmark_name = record.get("benchmark")
        if not self.resolver.known("benchmark", benchmark_name):
            self.reject(record, "benchmark", benchmark_name, "names no benchmark of the curated benchmarks")
            return
        unit = UNITS.get(record.get("unit"))
        if unit is None:
            self.reject(record, "unit", record.get("unit"), f"unknown unit; expected one of {', '.join(UNITS)}")
            return
        model, version = found
        benchmark = self.resolver.iri("benchmark", benchmark_name)
        same = (model.value, version.value if version else None, benchmark.value, record.get("metric"),
                record.get("value"), record.get("shots"), record.get("reasoning_effort"), record.get("source_url"))
        first = self._results_seen.setdefault(same, str(record.location))
        if first != str(record.location):
            self.reject(record, "id", record.get("row_id"), f"repeats {first}: the same model, version, benchmark, "
                        "metric, score, shots, setting and source")
            return
        metric_name = record.get("metric")
        metric = self.describe(src, "metric", metric_name, BMX.Metric)
        key = _result_key(record)
        result = nodes.entity("result", key)
        model_label = self.resolver.preferred["model"].get(model.value.rsplit("/", 1)[1], (None,))[0]
        bench_label = self.resolver.preferred["benchmark"].get(benchmark.value.rsplit("/", 1)[1], (None,))[0]
        label = f"{model_label or record.get('model_version')} on {bench_label or benchmark_name} ({metric_name})"
        pairs = [(TYPE, BMX.EvaluationResult), (LABEL, text(label)), (SKOS.prefLabel, text(label)),
                 (BMX.resultFor, model), (BMX.onBenchmark, benchmark), (BMX.metric, metric),
                 (BMX.scoreValue, double(record.get("value"))), (BMX.scoreUnit, unit),
                 (BMX.reportedScore, text(str(record.get("reported"))))]
        if version is not None:
            pairs.append((BMX.resultForVersion, version))
        for f, p in (("stderr", BMX.scoreStandardError), ("ci_low", BMX.scoreLowerBound),
                     ("ci_high", BMX.scoreUpperBound)):
            if record.get(f) is not None:
                pairs.append((p, double(record.get(f))))
        if record.get("shots") is not None:
            pairs.append((BMX.shotCount, integer(record.get("shots"))))
        if record.get("date"):
            pairs.append((BMX.runDate, date(record.get("date"))))
        for f, p in (("reasoning_effort", BMX.reasoningEffort), ("agent", BMX.agentScaffold),
                     ("scaffold", BMX.agentScaffold), ("source_title", BMX.sourceTitle)):
            if record.get(f):
                pairs.append((p, text(values.clean_text(str(record.get(f))))))
        if record.get("source_url"):
            pairs.append((BMX.sourceUrl, uri(record.get("source_url"))))
            titles = self.hub_titles.get(values.arxiv_id(record.get("source_url")) or "")
            paper = self.publication(src, record.get("source_url"), titles.most_common(1)[0][0] if titles else None)
            if paper is not None:
                pairs.append((BMX.reportedIn, paper))
        self.counts["results"] += 1
        self.emit(src, result, pairs)

    # -- HELM --------------------------------------------------------------------------

    def _map_helm(self, record: Record) -> None:
        src = record.source
        match = self.helm.get(record.get("helm_id"))
        if match is None:
            return
        if match.outcome == "ambiguous":
            self.reject(record, "display_name", record.get("display_name"),
                        "ambiguous: the name matches " + ", ".join(match.candidates)
                        + " but not by name and organisation together; not merged, listed for curation")
            return
        self.counts[f"helm_{match.outcome}"] += 1
        model = nodes.entity("model", match.model)
        version = nodes.entity("version", match.version)
        deployments = record.get("deployments") or []
        own = [d for d in deployments if d.get("name") == record.get("helm_id")] or deployments
        pairs = self._version_pairs(src, match.version, record.get("model_id"), model)
        pairs += [(BMX.helmId, text(record.get("helm_id"))), (BMX.accessLevel, text(record.get("access")))]
        if own and own[0].get("max_sequence_length"):
            pairs.append((BMX.contextLengthTokens, integer(own[0]["max_sequence_length"])))
        if record.get("release_date"):
            pairs.append((BMX.releaseDate, date(record.get("release_date"))))
        self.emit(src, version, pairs)
        # HELM's kind tags sit among tags for its own runs; only those in the curated table type a model.
        model_pairs = [(TYPE, BMX.Model)]
        for tag in record.get("tags", []):
            entry = self.tables.helm_tag.get(tag)
            if entry:
                model_pairs.append((TYPE, getattr(BMX, entry["class"])))
                model_pairs += [(BMX.hasTopic, nodes.entity("topic", t)) for t in entry.get("topics", [])]
        if match.outcome == "new" or not self.model_orgs.get(match.model):
            # HELM's organisation names the developer of a model no Epoch export or BMList attributes
            # (a new model, or one only the Benchmarking Hub names)
            for name in self.helm_organizations(record):
                org = self.org(src, name)
                if org is not None:
                    model_pairs.append((BMX.developedBy, org))
        if match.outcome == "new":
            model_pairs += self.names(src, "model", match.model, self.helm_model_name(record))
            if record.get("release_date"):
                model_pairs.append((BMX.publicationDate, date(record.get("release_date"))))
        known = self.helm_model_values.get(match.model, {})
        for name, predicate, make in (("access", BMX.accessLevel, text), ("parameters", BMX.parameterCount, integer)):
            given = known.get(name, set())
            if len(given) == 1:  # several HELM versions of one model that disagree say nothing of the model
                model_pairs.append((predicate, make(next(iter(given)))))
        self.emit(src, model, model_pairs)

    # -- BMList ----------------------------------------------------------------------

    @staticmethod
    def _is_family(record: Record) -> bool:
        return len(record.get("parameters", [])) + len(record.get("moe_parameters", [])) > 1

    def _bmlist_sizes(self, record: Record) -> list[tuple[str, int]]:
        """(model name, parameter count) for each size an entry lists: the entry's own name when
        it has one size, "{name} {size}" for each size of a family."""
        name = record.get("name")
        sizes = list(zip(record.get("parameter_texts", []), record.get("parameters", []))) + \
            list(zip(record.get("moe_parameter_texts", []), record.get("moe_parameters", [])))
        if not self._is_family(record):
            return [(name, sizes[0][1] if sizes else None)]
        return [(f"{name} {size.lstrip('~').strip()}", count) for size, count in sizes]

    def _map_bmlist(self, record: Record) -> None:
        src = record.source
        record = self.corrected(record, record.get("name"))
        orgs = [self.org(src, o) for o in record.get("organizations", [])]
        common = self.model_kinds(record, record.get("domains", []), self.tables.bmlist_domain, "bmlist-domain")
        if record.get("release_date"):
            common.append((BMX.publicationDate, date(record.get("release_date"))))
        common += [(BMX.developedBy, o) for o in orgs if o is not None]
        common += [(BMX.naturalLanguage, text(lang)) for lang in record.get("languages", [])]
        paper = record.get("paper")
        if paper:
            common.append((BMX.homepage, uri(paper)))
            publication = self.publication(src, paper, None)
            if publication is not None:
                common.append((BMX.describedIn, publication))
        for f, p in (("weights", BMX.weightsUrl), ("code", BMX.codeUrl), ("api", BMX.apiUrl)):
            if record.get(f):
                common.append((p, uri(record.get(f))))
        moe = set(record.get("moe_parameters", []))
        family = None
        if self._is_family(record):
            family_key = self.resolver.key("family", record.get("name"))
            family = nodes.entity("family", family_key)
            self.emit(src, family, [(TYPE, BMX.ModelFamily)]
                      + self.names(src, "family", family_key, record.get("name"))
                      + [(BMX.developedBy, o) for o in orgs if o is not None])
        for name, count in self._bmlist_sizes(record):
            key = self.resolver.key("model", name, src)
            self._merge_name(key, src, name)
            pairs = list(common) + self.names(src, "model", key, name)
            if count is not None:
                pairs.append((BMX.parameterCount, integer(count)))
                if count in moe and self.resolver.known_key("technique", MIXTURE_OF_EXPERTS):
                    pairs.append((BMX.usesTechnique, nodes.entity("technique", MIXTURE_OF_EXPERTS)))
            model = nodes.entity("model", key)
            if family is not None:
                # both directions, as a curated family states them: validation reads one subject at a time
                pairs.append((BMX.inFamily, family))
                self.emit(src, family, [(BMX.familyMember, model)])
            self.emit(src, model, pairs)

    def _merge_name(self, key: str, source: str, name: str) -> None:
        if source == "epoch-notable":  # a second snapshot of Epoch's list: never a party to a merge
            return
        mask = self.resolver.seen["model"].get(key, 0) & ~self._notable_bit
        if mask & (mask - 1):  # several sources define it: the merge report lists their names
            self.merge_names[key][source].add(name)

    # -- curated -----------------------------------------------------------------------

    def scheme(self) -> None:
        label = text("The big-model roadmap's parts and topics", "en")
        # The structure follows the withdrawn survey; its text is never used.
        self.emit("curated", SCHEME, [(TYPE, SKOS.ConceptScheme), (LABEL, label), (SKOS.prefLabel, label),
                                      (DCTERMS.source, ROADMAP_PAPER)])

    def map_curated(self, record: Record) -> None:
        section = record.get("section")
        handler = getattr(self, f"_curated_{section}", None)
        if handler is None:
            return  # the mapping tables, aliases and corrections were read in pass 1
        try:
            handler(record)
        except IRIError as error:
            self.reject(record, "key", record.get("key"), str(error))
        except FieldError as error:
            self.reject(record, error.field, record.get(error.field) if error.field else None, str(error))

    def _ref(self, record: Record, field_name: str, value, kind: str | None = None) -> NamedNode:
        """Resolve a curated reference, or raise FieldError naming the field."""
        reference = str(value).strip()
        if reference.startswith(("arxiv:", "doi:")):
            target_kind, key = "publication", _publication_key_from_id(reference)
        elif ":" in reference and reference.split(":", 1)[0] in REFERENCE_KINDS:
            target_kind, key = reference.split(":", 1)
        elif kind is not None:
            target_kind, key = kind, reference
        else:
            raise FieldError(f"reference {reference!r} needs a kind, such as technique:{normalise_key(reference)}",
                             field_name)
        if kind is not None and target_kind != kind:
            raise FieldError(f"reference {reference!r} must name a {kind}", field_name)
        if not self.resolver.known(target_kind, key):
            raise FieldError(f"reference {reference!r} matches no {target_kind} of any source", field_name)
        return self.resolver.iri(target_kind, key)

    def _refs(self, record: Record, field_name: str, kind: str | None = None) -> list[NamedNode]:
        """Resolve every reference of a field. One that resolves to nothing is dropped
        and reported; the record keeps its other links."""
        value = record.get(field_name) or []
        resolved = []
        for item in value if isinstance(value, list) else [value]:
            try:
                resolved.append(self._ref(record, field_name, item, kind))
            except FieldError as error:
                self.reject(record, field_name, item, str(error), whole=False)
        return resolved

    def _text(self, value) -> object:
        return text(values.clean_text(str(value)), "en")

    def _common(self, record: Record, kind: str, rdf_type: NamedNode, label_field: str = "label"):
        key = self.resolver.key(kind, str(record.get("key")))
        iri = nodes.entity(kind, key)
        pairs = [(TYPE, rdf_type)] + self.names("curated", kind, key, record.get(label_field), "en")
        pairs += [(SKOS.altLabel, text(values.clean_text(str(a)))) for a in record.get("aliases") or []]
        if record.get("definition"):
            pairs.append((SKOS.definition, self._text(record.get("definition"))))
        topics = self._refs(record, "topics", "topic")
        pairs += [(BMX.hasTopic, t) for t in topics]
        implied = self._refs(record, "implies_topics", "topic")
        stray = [t for t in implied if t not in topics]
        if stray:
            raise FieldError("implies_topics must be a subset of topics: " + ", ".join(t.value for t in stray),
                             "implies_topics")
        pairs += [(BMX.impliesTopic, t) for t in implied]
        pairs += [(BMX.introducedIn, p) for p in self._refs(record, "introduced_in", "publication")]
        pairs += [(BMX.developedBy, self._developer(str(d))) for d in record.get("developers") or []]
        for f, p in (("homepage", BMX.homepage), ("code_url", BMX.codeUrl)):
            if record.get(f):
                pairs.append((p, uri(_checked_url(record.get(f), f))))
        return iri, pairs

    def _developer(self, name: str) -> NamedNode:
        """A curated developer: an organisation some source names (by name or key) is
        linked as it is; an unknown one is created with the name as its label."""
        if self.resolver.known("org", name):
            return self.resolver.iri("org", name)
        return self.org("curated", name)

    def _curated_parts(self, record: Record) -> None:
        part, pairs = self._common(record, "part", BMX.Part)
        pairs += [(SKOS.inScheme, SCHEME), (SKOS.topConceptOf, SCHEME),
                  (BMX.roadmapOrder, integer(record.get("order")))]
        self.emit("curated", part, pairs)
        self.emit("curated", SCHEME, [(SKOS.hasTopConcept, part)])

    def _curated_topics(self, record: Record) -> None:
        topic, pairs = self._common(record, "topic", BMX.Topic)
        part = self._ref(record, "part", record.get("part"), "part")
        pairs += [(SKOS.inScheme, SCHEME), (BMX.broaderTopic, part), (SKOS.broader, part),
                  (BMX.roadmapOrder, integer(record.get("order")))]
        self.emit("curated", topic, pairs)
        for sub in record.get("subtopics") or []:
            key = self.resolver.key("subtopic", str(sub["key"]))
            subtopic = nodes.entity("subtopic", key)
            sub_pairs = [(TYPE, BMX.Subtopic)] + self.names("curated", "subtopic", key, sub["label"], "en")
            sub_pairs += [(SKOS.inScheme, SCHEME), (BMX.broaderTopic, topic), (SKOS.broader, topic)]
            if sub.get("definition"):
                sub_pairs.append((SKOS.definition, self._text(sub["definition"])))
            self.emit("curated", subtopic, sub_pairs)

    def _curated_open_problems(self, record: Record) -> None:
        status = str(record.get("status"))
        if status not in ("open", "partly addressed"):
            raise FieldError(f"status must be 'open' or 'partly addressed', not {status!r}", "status")
        if status == "partly addressed" and not record.get("addressed_by"):
            raise FieldError("a partly addressed problem names the work that addressed it", "addressed_by")
        if status == "open" and record.get("addressed_by"):
            raise FieldError("an open problem names no addressing work; its status would be 'partly addressed'",
                             "addressed_by")
        reviewed = _date(record.get("last_reviewed"), "last_reviewed")
        key = self.resolver.key("problem", str(record.get("key")))
        problem = nodes.entity("problem", key)
        pairs = [(TYPE, BMX.OpenProblem)] + self.names("curated", "problem", key, record.get("title"), "en")
        pairs += [(SKOS.definition, self._text(record.get("description"))),
                  (BMX.whyOpen, self._text(record.get("why_open"))),
                  (BMX.problemStatus, text(status)),
                  (SCHEMA.lastReviewed, nodes.date(reviewed))]
        pairs += [(BMX.hasTopic, t) for t in self._refs(record, "topics", "topic")]
        pairs += [(BMX.concerns, t) for t in self._refs(record, "concerns")]
        pairs += [(BMX.concernsModelKind, t) for t in self._refs(record, "model_kinds", "topic")]
        cited = self._refs(record, "publications", "publication")
        addressing = self._refs(record, "addressed_by", "publication")
        if ROADMAP_PAPER in cited + addressing:
            field = "publications" if ROADMAP_PAPER in cited else "addressed_by"
            raise FieldError("the withdrawn roadmap paper is never cited as a source", field)
        # Work that addressed a problem also discusses it (bm:addressedBy is a sub-property of
        # bm:discussedIn), so both are asserted and asserted-only queries see every citation.
        pairs += [(BMX.discussedIn, p) for p in dict.fromkeys(cited + addressing)]
        pairs += [(BMX.addressedBy, p) for p in addressing]
        self.emit("curated", problem, pairs)

    def _curated_techniques(self, record: Record) -> None:
        technique, pairs = self._common(record, "technique", BMX.Technique)
        pairs += [(BMX.hasSubtopic, s) for s in self._refs(record, "subtopics", "subtopic")]
        self.emit("curated", technique, pairs)

    def _curated_systems(self, record: Record) -> None:
        system, pairs = self._common(record, "system", BMX.SoftwareSystem)
        pairs += [(BMX.implementsTechnique, t) for t in self._refs(record, "techniques", "technique")]
        self.emit("curated", system, pairs)

    def _curated_benchmarks(self, record: Record) -> None:
        benchmark, pairs = self._common(record, "benchmark", BMX.Benchmark)
        if record.get("modality"):
            pairs.append((BMX.modality, text(str(record.get("modality")))))
        pairs += [(BMX.measuresTask, t) for t in self._refs(record, "tasks", "task")]
        pairs += [(BMX.benchmarkDataset, d) for d in self._refs(record, "dataset", "dataset")]
        pairs += [(BMX.partOfBenchmark, b) for b in self._refs(record, "part_of", "benchmark")]
        self.emit("curated", benchmark, pairs)

    def _curated_datasets(self, record: Record) -> None:
        rdf_type = BMX.KnowledgeResource if record.get("knowledge") else BMX.Dataset
        dataset, pairs = self._common(record, "dataset", rdf_type)
        pairs.append((BMX.modality, text(str(record.get("modality")))))
        sizes = [(f, p) for f, p in (("size_tokens", BMX.datasetSizeTokens), ("size_bytes", BMX.datasetSizeBytes),
                                     ("size_items", BMX.datasetSizeItems)) if record.get(f) is not None]
        if sizes and not record.get("size_source"):
            raise FieldError("a size needs size_source: the publication it comes from", "size_source")
        pairs += [(p, double(_positive(record.get(f), f))) for f, p in sizes]
        pairs += [(DCTERMS.source, p) for p in self._refs(record, "size_source", "publication")]
        if record.get("licence"):
            pairs.append((DCTERMS.license, _licence(str(record.get("licence")))))
        if record.get("year"):
            pairs.append((BMX.publicationYear, _year(record.get("year"))))
        self.emit("curated", dataset, pairs)

    def _curated_tasks(self, record: Record) -> None:
        task, pairs = self._common(record, "task", BMX.Task)
        self.emit("curated", task, pairs)

    def _curated_organizations(self, record: Record) -> None:
        org, pairs = self._common(record, "org", BMX.Organization)
        if record.get("category"):
            pairs.append((BMX.organizationCategory, text(str(record.get("category")))))
        if record.get("country"):
            pairs.append((BMX.country, self.country("curated", str(record.get("country")))))
            if record.get("country_source"):
                pairs.append((DCTERMS.source, uri(_checked_url(record.get("country_source"), "country_source"))))
        pairs += [(ORG.subOrganizationOf, p) for p in self._refs(record, "part_of", "org")]
        self.emit("curated", org, pairs)

    def _curated_organization_changes(self, record: Record) -> None:
        key = self.resolver.key("change", str(record.get("key")))
        change = nodes.entity("change", key)
        pairs = [(TYPE, ORG.ChangeEvent)] + self.names("curated", "change", key, record.get("label"), "en")
        when = record.get("date")
        if isinstance(when, int):
            pairs.append((DCTERMS.date, _year(when)))
        elif when:
            pairs.append((DCTERMS.date, date(_date(when, "date"))))
        pairs += [(ORG.originalOrganization, o) for o in self._refs(record, "original", "org")]
        pairs += [(ORG.resultingOrganization, o) for o in self._refs(record, "resulting", "org")]
        pairs.append((DCTERMS.source, uri(_checked_url(record.get("source"), "source"))))
        self.emit("curated", change, pairs)

    def _curated_families(self, record: Record) -> None:
        family, pairs = self._common(record, "family", BMX.ModelFamily)
        members = self._refs(record, "members", "model")
        pairs += [(BMX.familyMember, m) for m in members]
        source = str(record.get("source") or "")
        if source.startswith(("http://", "https://")):
            pairs.append((DCTERMS.source, uri(_checked_url(source, "source"))))
        else:
            pairs += [(DCTERMS.source, p) for p in self._refs(record, "source", "publication")]
        self.emit("curated", family, pairs)
        for member in members:
            self.emit("curated", member, [(BMX.inFamily, family)])

    def _curated_publications(self, record: Record) -> None:
        key = self._publication_key(record)
        publication = nodes.entity("publication", key)
        title = values.clean_text(str(record.get("title")))
        pairs = [(TYPE, BMX.Publication)] + self.names("curated", "publication", key, title)
        pairs += [(DCTERMS.title, text(title)), (BMX.publicationYear, _year(record.get("year")))]
        identifier = str(record.get("id") or "")
        if identifier.startswith("arxiv:"):
            arxiv = identifier.removeprefix("arxiv:")
            pairs += [(BMX.arxivId, text(arxiv)), (BMX.homepage, uri(f"https://arxiv.org/abs/{arxiv}"))]
        elif identifier.startswith("doi:"):
            pairs.append((BMX.doi, text(identifier.removeprefix("doi:").lower())))
        if record.get("url"):
            pairs.append((BMX.homepage, uri(_checked_url(record.get("url"), "url"))))
        if record.get("date"):
            pairs.append((BMX.publicationDate, date(_date(record.get("date"), "date"))))
        if record.get("withdrawn") is not None:
            pairs.append((BMX.withdrawn, boolean(bool(record.get("withdrawn")))))
        if record.get("withdrawal_reason"):
            pairs.append((BMX.withdrawalReason, text(values.clean_text(str(record.get("withdrawal_reason"))))))
        pairs += [(BMX.hasTopic, t) for t in self._refs(record, "topics", "topic")]
        self.emit("curated", publication, pairs)

    def _curated_aliases(self, record: Record) -> None:
        kind, key = record.get("kind"), str(record.get("key"))
        if not self.resolver.known(kind, key):
            raise FieldError(f"the alias table names {kind} {key!r}, which no source has", "key")
        entity = self.resolver.iri(kind, key)
        self.emit("curated", entity, [(SKOS.altLabel, text(values.clean_text(str(a)))) for a in record.get("aliases")])

    _FIGURES = ("date", "year", "parameters", "moe_parameters", "training_compute_flop")

    def _curated_models(self, record: Record) -> None:
        """A model of the roadmap's era (``key``), or facts about a model a source has (``name``).
        A ``name`` that is a BMList family gives its links (techniques, datasets, tasks...) to every
        size of the family; figures belong to one size and are refused there."""
        if record.get("key"):
            keys = [self.resolver.key("model", str(record.get("key")))]
        else:
            name = str(record.get("name"))
            family = self.resolver.key("family", name)
            if self.resolver.known("model", name):
                keys = [self.resolver.key("model", name)]
            elif family in self.family_members:
                if any(record.get(f) is not None for f in self._FIGURES + ("label",)):
                    raise FieldError(f"{name!r} is a family of several sizes: give figures and a label to one "
                                     "size, such as model:{name} 13B", "name")
                keys = self.family_members[family]
            else:
                raise FieldError(f"model {name!r} matches no model of any source or the alias table", "name")
        pairs = self._curated_model_pairs(record, keys[0])
        for key in keys:
            model = nodes.entity("model", key)
            self.emit("curated", model, pairs)
            for _inFamily, family in (p for p in pairs if p[0] == BMX.inFamily):
                self.emit("curated", family, [(BMX.familyMember, model)])

    def _curated_model_pairs(self, record: Record, key: str) -> list:
        pairs = [(TYPE, BMX.Model)]
        if record.get("label"):
            pairs += self.names("curated", "model", key, record.get("label"))
        pairs += [(SKOS.altLabel, text(values.clean_text(str(a)))) for a in record.get("aliases") or []]
        for kind in record.get("kinds") or []:
            entry = self.tables.epoch_domain.get(kind) or self.tables.bmlist_domain.get(kind)
            if entry is None:
                raise FieldError(f"kind {kind!r} is in neither domain mapping table", "kinds")
            pairs.append((TYPE, getattr(BMX, entry["class"])))
            pairs += [(BMX.hasTopic, nodes.entity("topic", t)) for t in entry.get("topics", [])]
        has_figures = any(record.get(f) is not None for f in self._FIGURES)
        if has_figures and not record.get("source"):
            raise FieldError("numbers and dates need a source publication", "source")
        pairs += [(DCTERMS.source, p) for p in self._refs(record, "source", "publication")]
        if record.get("date"):
            pairs.append((BMX.publicationDate, date(_date(record.get("date"), "date"))))
        if record.get("year"):
            pairs.append((BMX.publicationYear, _year(record.get("year"))))
        for f in ("parameters", "moe_parameters"):
            if record.get(f) is not None:
                pairs.append((BMX.parameterCount, integer(int(_positive(record.get(f), f)))))
        if record.get("moe_parameters") is not None:
            pairs.append((BMX.usesTechnique, nodes.entity("technique", MIXTURE_OF_EXPERTS)))
        if record.get("training_compute_flop") is not None:
            pairs.append((BMX.trainingComputeFlop,
                          double(_positive(record.get("training_compute_flop"), "training_compute_flop"))))
        pairs += [(BMX.developedBy, self._developer(str(d))) for d in record.get("developers") or []]
        pairs += [(BMX.usesTechnique, t) for t in self._refs(record, "techniques", "technique")]
        pairs += [(BMX.trainingDataset, d) for d in self._refs(record, "datasets", "dataset")]
        pairs += [(BMX.performsTask, t) for t in self._refs(record, "tasks", "task")]
        pairs += [(BMX.evaluatedOn, b) for b in self._refs(record, "benchmarks", "benchmark")]
        pairs += [(BMX.trainingHardware, h) for h in self._refs(record, "hardware", "hardware")]
        pairs += [(BMX.baseModel, m) for m in self._refs(record, "base_model", "model")]
        pairs += [(BMX.introducedIn, p) for p in self._refs(record, "introduced_in", "publication")]
        pairs += [(BMX.hasTopic, t) for t in self._refs(record, "topics", "topic")]
        pairs += [(BMX.inFamily, f) for f in self._refs(record, "family", "family")]
        return pairs

    @staticmethod
    def _publication_key(record: Record) -> str:
        identifier = record.get("id")
        return _publication_key_from_id(str(identifier)) if identifier else normalise_key(str(record.get("key")))

    # -- what a record is about, to locate a SHACL finding -----------------------------

    def subject_of(self, record: Record) -> str | None:
        """The IRI of the entity a record describes, by the same rules the mapping uses."""
        source, get = record.source, record.get
        try:
            if source in ("epoch-models", "epoch-notable"):
                return self.resolver.iri("model", get("name")).value
            if source == "epoch-hardware":
                return self.resolver.iri("hardware", get("name")).value
            if source == "bmlist":
                return self.resolver.iri("model", self._bmlist_sizes(record)[0][0], source).value
            if source == "helm" and get("helm_id") in self.helm:
                return nodes.entity("version", self.helm[get("helm_id")].version).value
            if source == "epoch-benchmarks":
                if get("kind") == "version":
                    return nodes.entity("version", normalise_key(get("version"))).value
                return nodes.entity("result", _result_key(record)).value
            if source == "curated":
                section = get("section")
                if section == "publications":
                    return nodes.entity("publication", self._publication_key(record)).value
                kind = CURATED_KINDS.get(section) or ("model" if section == "models" else None)
                name = get("key") or get("name")
                if kind and name is not None:
                    return self.resolver.iri(kind, str(name)).value
        except (IRIError, TypeError, ValueError, IndexError):
            return None
        return None


def _same_value(parsed, written) -> bool:
    """Whether a field's parsed value is the value a correction quotes as the source writes it.

    >>> _same_value(dt.date(2020, 8, 5), "2020/08/05"), _same_value(70000000000, 70000000000.0)
    (True, True)
    >>> _same_value("Llama 2", "LLaMA"), _same_value(dt.date(2020, 8, 5), "2022/08/05")
    (False, False)
    """
    if str(parsed) == str(written):
        return True
    try:
        if isinstance(parsed, dt.date):
            return values.parse_date(str(written)) == parsed
        if isinstance(parsed, (int, float)) and not isinstance(parsed, bool):
            return float(str(written).replace(",", "")) == float(parsed)
    except (FieldError, ValueError):
        return False
    return False


def _result_key(record: Record) -> str:
    """A result's key: the source row's id, then what the score is of (a row scores several benchmarks or metrics)."""
    return f"{record.get('row_id')}-{record.get('benchmark')}-{record.get('metric')}"


def _from_rdflib(term):
    """An rdflib term (from a parsed RDF file) as a pyoxigraph term."""
    from rdflib import BNode, URIRef

    if isinstance(term, URIRef):
        return NamedNode(str(term))
    if isinstance(term, BNode):
        return nodes.BlankNode(str(term))
    if term.language:
        return nodes.Literal(str(term), language=term.language)
    if term.datatype:
        return nodes.Literal(str(term), datatype=NamedNode(str(term.datatype)))
    return nodes.Literal(str(term))


def _publication_key_from_id(identifier: str) -> str:
    """
    >>> _publication_key_from_id("arxiv:2005.14165")
    'arxiv-2005.14165'
    >>> _publication_key_from_id("doi:10.1038/S41586-021-03819-2")
    'doi-10.1038-s41586-021-03819-2'
    """
    scheme, _, value = identifier.partition(":")
    return normalise_key(f"{scheme}-{value.strip().lower()}")


def _checked_url(value, field_name: str) -> str:
    try:
        return values.parse_url(str(value))
    except FieldError as error:
        raise FieldError(str(error), field_name) from error


def _positive(value, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise FieldError(f"expected a positive number, got {value!r}", field_name)
    return value


def _year(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= dt.date.today().year:
        raise FieldError(f"expected a four-digit year, got {value!r}", "year")
    return year(value)


def _date(value, field_name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return values.parse_date(str(value))
    except FieldError as error:
        raise FieldError(str(error), field_name) from error


def _licence(text_value: str) -> NamedNode:
    if text_value.startswith(("http://", "https://")):
        return NamedNode(text_value)
    return NamedNode(f"https://spdx.org/licenses/{text_value}")
