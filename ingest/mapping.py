"""Records to triples: one named graph per source.

Reading sources is the adapters' job; this module only maps their records.
Names of models, organisations, datasets and hardware go through the alias
resolver, so every source's statements about an entity land on one IRI.
Links that point nowhere are kept (the target gets a minimal node in the
linking source's graph) and reported as notes, so no fact is lost silently.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import DCTERMS, RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from ingest import values
from ingest.identity import Resolver
from ingest.records import FieldError, Location, Record, Rejection
from ontology import BM, IRIError, mint, normalise_key

MAPPING_VERSION = "1"
SCHEME = mint("scheme", "roadmap")
ROADMAP_PAPER = mint("publication", "arxiv-2203.14101")

# Epoch's placeholder for a private dataset: a statement of ignorance, not a dataset.
NOT_A_DATASET = {"unspecified-unreleased"}

# Entity kinds that curated records define, with the section that defines them.
CURATED_KINDS = {
    "parts": "part", "topics": "topic", "open_problems": "problem", "techniques": "technique",
    "systems": "system", "benchmarks": "benchmark", "datasets": "dataset", "tasks": "task",
    "organizations": "org",
}


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


class Mapper:
    """Turns the records of all sources into one rdflib Graph per source."""

    def __init__(self, records: dict[str, list[Record]]):
        self.records = records
        self.resolver = Resolver()
        self.tables = Tables()
        self.graphs: dict[str, Graph] = defaultdict(Graph)
        self.origin: dict[URIRef, list[Location]] = defaultdict(list)
        self.notes: list[Note] = []
        self.rejections: list[Rejection] = []
        self._register()

    # -- pass 1: aliases, tables and every entity each source defines ---------

    def _register(self) -> None:
        curated = self.records.get("curated", [])
        for record in curated:
            section = record.get("section")
            if section == "aliases":
                for alias in record.get("aliases"):
                    self.resolver.add_alias(record.get("kind"), str(record.get("key")), str(alias))
            elif section == "mappings":
                self._table(record)
        for record in curated:
            kind = CURATED_KINDS.get(record.get("section"))
            if kind and record.get("aliases"):
                for alias in record.get("aliases"):
                    self.resolver.add_alias(kind, str(record.get("key")), str(alias))
            if record.get("section") == "models" and record.get("key") and record.get("aliases"):
                for alias in record.get("aliases"):
                    self.resolver.add_alias("model", str(record.get("key")), str(alias))
        for record in self.records.get("epoch-hardware", []):
            self.resolver.iri("hardware", record.get("name"), record.source)
        for source in ("epoch-models", "bmlist"):
            for record in self.records.get(source, []):
                self.resolver.iri("model", record.get("name"), record.source)
                for url in record.get("links", []) + ([record.get("paper")] if record.get("paper") else []):
                    if values.arxiv_id(url):
                        self.resolver.iri("publication", f"arxiv-{values.arxiv_id(url)}", record.source)
        for record in curated:
            section = record.get("section")
            if section in CURATED_KINDS:
                self.resolver.iri(CURATED_KINDS[section], str(record.get("key")), "curated")
            if section == "topics":
                for sub in record.get("subtopics"):
                    self.resolver.iri("subtopic", str(sub["key"]), "curated")
            elif section == "models" and record.get("key"):
                self.resolver.iri("model", str(record.get("key")), "curated")
            elif section == "publications":
                self.resolver.seen["publication"][self._publication_key(record)]["curated"].add(record.location.name)

    def _table(self, record: Record) -> None:
        name, entries = record.get("table"), record.get("entries")
        target = {"epoch-domain": "epoch_domain", "bmlist-domain": "bmlist_domain",
                  "epoch-task": "epoch_task", "hardware-type": "hardware_type"}.get(name)
        if target is None or not isinstance(entries, dict):
            self.rejections.append(Rejection("curated", record.location, "table", name,
                                             "unknown mapping table, or entries is not a mapping"))
            return
        for value in entries.values():
            local = value.get("class") if isinstance(value, dict) else None
            if local is not None and (local not in BM.__annotations__ or not local[0].isupper()):
                self.rejections.append(Rejection("curated", record.location, "entries", local,
                                                 "names no class of the bm: ontology"))
                return
        setattr(self.tables, target, entries)

    # -- pass 2: triples ------------------------------------------------------

    def run(self) -> dict[str, Graph]:
        self._scheme()
        for source, handler in (
            ("epoch-hardware", self._hardware),
            ("epoch-models", self._epoch_model),
            ("bmlist", self._bmlist_model),
            ("curated", self._curated),
        ):
            for record in self.records.get(source, []):
                handler(record)
        for records in self.records.values():
            for record in records:
                if isinstance(record.get("graph"), Graph):
                    self._added(record)
        return dict(self.graphs)

    def _added(self, record: Record) -> None:
        """Copy a record that carries a parsed graph (an added RDF file, the Wikidata links) into its source's graph."""
        graph = record.get("graph")
        self.graphs[record.source] += graph
        for subject in set(graph.subjects()):
            if isinstance(subject, URIRef):
                self.origin[subject].append(record.location)

    def _add(self, source: str, subject: URIRef, location: Location, triples: Iterable[tuple[Node, Node]]) -> None:
        graph = self.graphs[source]
        for predicate, obj in triples:
            if obj is not None:
                graph.add((subject, predicate, obj))
        if not self.origin[subject] or self.origin[subject][-1] != location:
            self.origin[subject].append(location)

    def _note(self, record: Record, field_name: str, value: str, reason: str) -> None:
        self.notes.append(Note(record.source, record.location, field_name, value, reason))

    def _entity(self, source: str, location: Location, kind: str, name: str, rdf_type: URIRef) -> URIRef:
        iri = self.resolver.iri(kind, name, source)
        self._add(source, iri, location, [(RDF.type, rdf_type), (RDFS.label, Literal(name))])
        return iri

    def _org(self, record: Record, name: str) -> URIRef:
        return self._entity(record.source, record.location, "org", name, BM.Organization)

    def _linked(self, record: Record, kind: str, name: str, rdf_type: URIRef, field_name: str) -> URIRef:
        """A link to an entity another source defines. When none does, the target is
        kept as a node with a name only, and noted."""
        iri = self.resolver.iri(kind, name)
        if not self.resolver.known(kind, name):
            self._note(record, field_name, name, f"matches no {kind} of any source; kept as a {kind} with a name only")
            self._add(record.source, iri, record.location, [(RDF.type, rdf_type), (RDFS.label, Literal(name))])
        return iri

    def _publication_from_link(self, record: Record, url: str, title: str | None) -> URIRef | None:
        arxiv = values.arxiv_id(url)
        if arxiv is None:
            return None
        iri = mint("publication", f"arxiv-{arxiv}")
        self._add(record.source, iri, record.location, [
            (RDF.type, BM.Publication),
            (RDFS.label, Literal(title or f"arXiv:{arxiv}")),
            (BM.arxivId, Literal(arxiv)),
        ])
        return iri

    def _model_kinds(self, record: Record, kinds: list[str], table: dict, table_name: str) -> list:
        triples = [(RDF.type, BM.Model)]
        for kind in kinds:
            entry = table.get(kind)
            if entry is None:
                self._note(record, "domain", kind, f"not in the {table_name} mapping table; typed bm:Model only")
                continue
            triples.append((RDF.type, BM[entry["class"]]))
            triples += [(BM.hasTopic, mint("topic", t)) for t in entry.get("topics", [])]
        return triples

    # -- Epoch hardware -------------------------------------------------------

    _HARDWARE_NUMBERS = [
        ("release_price_usd", BM.releasePriceUsd), ("fp16_tensor_flops", BM.fp16TensorFlopPerSecond),
        ("fp8_flops", BM.fp8FlopPerSecond), ("fp4_flops", BM.fp4FlopPerSecond), ("memory_bytes", BM.memoryBytes),
        ("memory_bandwidth", BM.memoryBandwidthBytesPerSecond),
        ("intranode_bandwidth", BM.intranodeBandwidthBytesPerSecond),
        ("internode_bandwidth", BM.internodeBandwidthBitsPerSecond), ("tdp_watts", BM.tdpWatts),
        ("fp64_flops", BM.fp64FlopPerSecond), ("fp32_flops", BM.fp32FlopPerSecond),
        ("tf32_flops", BM.tf32FlopPerSecond), ("fp16_flops", BM.fp16FlopPerSecond),
        ("int16_ops", BM.int16OpPerSecond), ("int8_ops", BM.int8OpPerSecond), ("int4_ops", BM.int4OpPerSecond),
        ("die_size_mm2", BM.dieSizeMm2), ("base_clock_mhz", BM.baseClockMhz), ("boost_clock_mhz", BM.boostClockMhz),
        ("memory_clock_mhz", BM.memoryClockMhz), ("process_nm", BM.processNodeNm),
        ("transistors_millions", BM.transistorCountMillions),
    ]

    def _hardware(self, record: Record) -> None:
        src, loc = record.source, record.location
        hardware = self.resolver.iri("hardware", record.get("name"), src)
        triples: list = [(RDF.type, BM.Hardware), (RDFS.label, Literal(record.get("name")))]
        kind = record.get("type")
        if kind:
            entry = self.tables.hardware_type.get(kind)
            if entry:
                triples.append((RDF.type, BM[entry["class"]]))
                triples += [(BM.hasTopic, mint("topic", t)) for t in entry.get("topics", [])]
            else:
                self._note(record, "Type", kind, "not in the hardware-type mapping table; typed bm:Hardware only")
        if record.get("manufacturer"):
            triples.append((BM.manufacturer, self._org(record, record.get("manufacturer"))))
        triples += [(BM.foundry, self._org(record, name)) for name in record.get("foundries", [])]
        if record.get("release_date"):
            triples.append((BM.releaseDate, Literal(record.get("release_date"))))
        triples += [(p, _double(record.get(f))) for f, p in self._HARDWARE_NUMBERS if record.get(f) is not None]
        for f, p in (("memory_bus_bits", BM.memoryBusBits), ("tensor_cores", BM.tensorCoreCount)):
            if record.get(f) is not None:
                triples.append((p, Literal(record.get(f))))
        triples += [(BM.homepage, _uri(url)) for url in record.get("datasheets", [])]
        # Epoch's hardware file names many models that its notable-models file lacks;
        # only links to models some source describes are kept, the rest are noted.
        for name in record.get("models", []):
            if self.resolver.known("model", name):
                triples.append((BM.trained, self.resolver.iri("model", name)))
            else:
                self._note(record, "ML models", name, "matches no model of any source; not linked")
        self._add(src, hardware, loc, triples)

    # -- Epoch notable models -------------------------------------------------

    _MODEL_NUMBERS = [
        ("training_compute_flop", BM.trainingComputeFlop), ("training_dataset_size", BM.trainingDatasetSizeDatapoints),
        ("epochs", BM.epochCount), ("training_time_hours", BM.trainingTimeHours),
        ("hardware_utilization", BM.hardwareUtilizationFraction),
        ("training_cost_usd_2023", BM.trainingComputeCostUsd2023), ("finetune_compute_flop", BM.finetuneComputeFlop),
        ("batch_size", BM.batchSize), ("training_power_draw_w", BM.trainingPowerDrawWatts),
    ]
    _MODEL_TEXTS = [
        ("confidence", BM.confidenceLevel), ("model_accessibility", BM.modelAccessibility),
        ("training_code_accessibility", BM.trainingCodeAccessibility),
        ("inference_code_accessibility", BM.inferenceCodeAccessibility),
    ]

    def _epoch_model(self, record: Record) -> None:
        src, loc = record.source, record.location
        name = record.get("name")
        model = self.resolver.iri("model", name, src)
        triples = self._model_kinds(record, record.get("domains", []), self.tables.epoch_domain, "epoch-domain")
        triples.append((RDFS.label, Literal(name)))
        orgs = record.get("organizations", [])
        org_iris = [self._org(record, org) for org in orgs]
        triples += [(BM.developedBy, org) for org in org_iris]
        self._org_facts(record, org_iris)
        if record.get("publication_date"):
            triples.append((BM.publicationDate, Literal(record.get("publication_date"))))
        for url in record.get("links", []):
            triples.append((BM.homepage, _uri(url)))
            publication = self._publication_from_link(record, url, record.get("reference"))
            if publication is not None:
                triples.append((BM.describedIn, publication))
        if record.get("citations") is not None:
            triples.append((BM.citationCount, Literal(record.get("citations"))))
        triples += [(BM.notabilityCriterion, Literal(v)) for v in record.get("notability", [])]
        triples += [(BM.computeEstimationMethod, Literal(v)) for v in record.get("compute_estimation_methods", [])]
        if record.get("parameters") is not None:
            triples.append((BM.parameterCount, Literal(record.get("parameters"))))
        if record.get("hardware_quantity") is not None:
            triples.append((BM.hardwareQuantity, Literal(record.get("hardware_quantity"))))
        triples += [(p, _double(record.get(f))) for f, p in self._MODEL_NUMBERS if record.get(f) is not None]
        triples += [(p, Literal(record.get(f))) for f, p in self._MODEL_TEXTS if record.get(f)]
        if record.get("frontier") is not None:
            triples.append((BM.frontierModel, Literal(record.get("frontier"))))
        for dataset in record.get("training_datasets", []):
            if self.resolver.key("dataset", dataset) in NOT_A_DATASET:
                continue
            triples.append((BM.trainingDataset, self._entity(src, loc, "dataset", dataset, BM.Dataset)))
        for chip in record.get("training_hardware", []):
            triples.append((BM.trainingHardware, self._linked(record, "hardware", chip, BM.Hardware,
                                                              "Training hardware")))
        for base in record.get("base_models", []):
            triples.append((BM.baseModel, self._linked(record, "model", base, BM.Model, "Base model")))
        for task in record.get("tasks", []):
            task_iri = self._entity(src, loc, "task", task, BM.Task)
            entry = self.tables.epoch_task.get(task)
            if entry:
                self._add(src, task_iri, loc, [(BM.hasTopic, mint("topic", t)) for t in entry.get("topics", [])])
            triples.append((BM.performsTask, task_iri))
        self._add(src, model, loc, triples)

    def _org_facts(self, record: Record, orgs: list[URIRef]) -> None:
        """Epoch's category and country lookups align with the organisations only
        when the lists have equal length, or when there is one organisation."""
        categories = record.get("organization_categories", [])
        countries = record.get("countries", [])
        if len(orgs) == 1:
            pairs = [(orgs[0], categories, countries)]
        elif orgs and len(orgs) == len(categories) == len(countries):
            pairs = [(o, [c], [k]) for o, c, k in zip(orgs, categories, countries)]
        else:
            if categories or countries:
                self._note(record, "Organization categorization", ", ".join(categories),
                           "categories and countries do not line up with the organisations; not attributed")
            return
        for org, org_categories, org_countries in pairs:
            triples = [(BM.organizationCategory, Literal(c)) for c in org_categories]
            for country in org_countries:
                country_iri = mint("country", country)
                self._add(record.source, country_iri, record.location,
                          [(RDF.type, BM.Country), (RDFS.label, Literal(country))])
                triples.append((BM.country, country_iri))
            self._add(record.source, org, record.location, triples)

    # -- BMList ----------------------------------------------------------------

    def _bmlist_model(self, record: Record) -> None:
        src, loc = record.source, record.location
        name = record.get("name")
        model = self.resolver.iri("model", name, src)
        triples = self._model_kinds(record, record.get("domains", []), self.tables.bmlist_domain, "bmlist-domain")
        triples.append((RDFS.label, Literal(name)))
        triples.append((BM.releaseDate, Literal(record.get("release_date"))))
        triples += [(BM.developedBy, self._org(record, org)) for org in record.get("organizations", [])]
        triples += [(BM.naturalLanguage, Literal(lang)) for lang in record.get("languages", [])]
        triples += [(BM.parameterCount, Literal(n)) for n in record.get("parameters", [])]
        triples += [(BM.moeParameterCount, Literal(n)) for n in record.get("moe_parameters", [])]
        paper = record.get("paper")
        triples.append((BM.homepage, _uri(paper)))
        publication = self._publication_from_link(record, paper, None)
        if publication is not None:
            triples.append((BM.describedIn, publication))
        for f, p in (("weights", BM.weightsUrl), ("code", BM.codeUrl), ("api", BM.apiUrl)):
            if record.get(f):
                triples.append((p, _uri(record.get(f))))
        self._add(src, model, loc, triples)

    # -- curated -----------------------------------------------------------------

    def _scheme(self) -> None:
        if not self.records.get("curated"):
            return
        self.graphs["curated"].add((SCHEME, RDF.type, SKOS.ConceptScheme))
        self.graphs["curated"].add((SCHEME, RDFS.label, Literal("The big-model roadmap's parts and topics", lang="en")))
        self.graphs["curated"].add((SCHEME, SKOS.prefLabel, Literal("The big-model roadmap's parts and topics", lang="en")))
        # The structure follows the withdrawn survey; its text is never used.
        self.graphs["curated"].add((SCHEME, DCTERMS.source, ROADMAP_PAPER))

    def _curated_aliases(self, record: Record) -> None:
        kind, key = record.get("kind"), str(record.get("key"))
        if not self.resolver.known(kind, key):
            raise FieldError(f"the alias table names {kind} {key!r}, which no source has", "key")
        entity = self.resolver.iri(kind, key)
        self._add("curated", entity, record.location,
                  [(SKOS.altLabel, Literal(values.clean_text(str(a)))) for a in record.get("aliases")])

    def _curated(self, record: Record) -> None:
        section = record.get("section")
        handler = getattr(self, f"_curated_{section}", None)
        if handler is None:
            return  # the mapping tables were read in pass 1
        try:
            handler(record)
        except IRIError as error:
            self.rejections.append(Rejection("curated", record.location, "key", record.get("key"), str(error)))
        except FieldError as error:
            self.rejections.append(Rejection("curated", record.location, error.field,
                                             record.get(error.field) if error.field else None, str(error)))

    def _ref(self, record: Record, field_name: str, text: str, kind: str | None = None) -> URIRef:
        """Resolve a curated reference, or raise FieldError naming the field."""
        text = str(text).strip()
        if text.startswith(("arxiv:", "doi:")):
            target_kind, key = "publication", _publication_key_from_id(text)
        elif ":" in text and text.split(":", 1)[0] in {"part", "topic", "subtopic", "problem", "model", "dataset",
                                                        "benchmark", "hardware", "system", "technique", "task",
                                                        "org", "publication"}:
            target_kind, key = text.split(":", 1)
        elif kind is not None:
            target_kind, key = kind, text
        else:
            raise FieldError(f"reference {text!r} needs a kind, such as technique:{normalise_key(text)}", field_name)
        if kind is not None and target_kind != kind:
            raise FieldError(f"reference {text!r} must name a {kind}", field_name)
        if not self.resolver.known(target_kind, key):
            raise FieldError(f"reference {text!r} matches no {target_kind} of any source", field_name)
        return self.resolver.iri(target_kind, key)

    def _refs(self, record: Record, field_name: str, kind: str | None = None) -> list[URIRef]:
        """Resolve every reference of a field. One that resolves to nothing is dropped
        and reported; the record keeps its other links."""
        value = record.get(field_name) or []
        resolved = []
        for item in value if isinstance(value, list) else [value]:
            try:
                resolved.append(self._ref(record, field_name, item, kind))
            except FieldError as error:
                self.rejections.append(Rejection("curated", record.location, field_name, item, str(error),
                                                 whole_record=False))
        return resolved

    def _text(self, value: str) -> Literal:
        return Literal(values.clean_text(str(value)), lang="en")

    def _common(self, record: Record, kind: str, rdf_type: URIRef) -> tuple[URIRef, list]:
        iri = self.resolver.iri(kind, str(record.get("key")), "curated")
        triples = [(RDF.type, rdf_type), (RDFS.label, self._text(record.get("label")))]
        triples += [(SKOS.altLabel, Literal(values.clean_text(str(a)))) for a in record.get("aliases") or []]
        if record.get("definition"):
            triples.append((SKOS.definition, self._text(record.get("definition"))))
        triples += [(BM.hasTopic, t) for t in self._refs(record, "topics", "topic")]
        triples += [(BM.introducedIn, p) for p in self._refs(record, "introduced_in", "publication")]
        triples += [(BM.developedBy, self._developer(record, str(d))) for d in record.get("developers") or []]
        for f, p in (("homepage", BM.homepage), ("code_url", BM.codeUrl)):
            if record.get(f):
                triples.append((p, _uri(_checked_url(record.get(f), f))))
        return iri, triples

    def _developer(self, record: Record, name: str) -> URIRef:
        """A curated developer: an organisation some source names (by name or key) is
        linked as it is; an unknown one is created with the name as its label."""
        if self.resolver.known("org", name):
            return self.resolver.iri("org", name)
        return self._org(record, name)

    def _curated_parts(self, record: Record) -> None:
        part, triples = self._common(record, "part", BM.Part)
        triples += [(SKOS.prefLabel, self._text(record.get("label"))), (SKOS.inScheme, SCHEME),
                    (SKOS.topConceptOf, SCHEME), (BM.roadmapOrder, Literal(int(record.get("order"))))]
        self._add("curated", part, record.location, triples)
        self.graphs["curated"].add((SCHEME, SKOS.hasTopConcept, part))

    def _curated_topics(self, record: Record) -> None:
        topic, triples = self._common(record, "topic", BM.Topic)
        part = self._ref(record, "part", record.get("part"), "part")
        triples += [(SKOS.prefLabel, self._text(record.get("label"))), (SKOS.inScheme, SCHEME),
                    (BM.broaderTopic, part), (SKOS.broader, part), (BM.roadmapOrder, Literal(int(record.get("order"))))]
        self._add("curated", topic, record.location, triples)
        for sub in record.get("subtopics"):
            subtopic = self.resolver.iri("subtopic", str(sub["key"]), "curated")
            sub_triples = [(RDF.type, BM.Subtopic), (RDFS.label, self._text(sub["label"])),
                           (SKOS.prefLabel, self._text(sub["label"])), (SKOS.inScheme, SCHEME),
                           (BM.broaderTopic, topic), (SKOS.broader, topic)]
            if sub.get("definition"):
                sub_triples.append((SKOS.definition, self._text(sub["definition"])))
            self._add("curated", subtopic, record.location, sub_triples)

    def _curated_open_problems(self, record: Record) -> None:
        problem = self.resolver.iri("problem", str(record.get("key")), "curated")
        triples = [(RDF.type, BM.OpenProblem), (RDFS.label, self._text(record.get("title"))),
                   (SKOS.definition, self._text(record.get("description")))]
        triples += [(BM.hasTopic, t) for t in self._refs(record, "topics", "topic")]
        triples += [(BM.concerns, t) for t in self._refs(record, "concerns")]
        triples += [(BM.concernsModelKind, t) for t in self._refs(record, "model_kinds", "topic")]
        publications = self._refs(record, "publications", "publication")
        if ROADMAP_PAPER in publications:
            raise FieldError("the withdrawn roadmap paper is never cited as a source", "publications")
        triples += [(BM.discussedIn, p) for p in publications]
        if record.get("status"):
            triples.append((BM.problemStatus, Literal(str(record.get("status")))))
        self._add("curated", problem, record.location, triples)

    def _curated_techniques(self, record: Record) -> None:
        technique, triples = self._common(record, "technique", BM.Technique)
        triples += [(BM.hasSubtopic, s) for s in self._refs(record, "subtopics", "subtopic")]
        self._add("curated", technique, record.location, triples)

    def _curated_systems(self, record: Record) -> None:
        system, triples = self._common(record, "system", BM.SoftwareSystem)
        triples += [(BM.implementsTechnique, t) for t in self._refs(record, "techniques", "technique")]
        self._add("curated", system, record.location, triples)

    def _curated_benchmarks(self, record: Record) -> None:
        benchmark, triples = self._common(record, "benchmark", BM.Benchmark)
        if record.get("modality"):
            triples.append((BM.modality, Literal(str(record.get("modality")))))
        self._add("curated", benchmark, record.location, triples)

    def _curated_datasets(self, record: Record) -> None:
        rdf_type = BM.KnowledgeResource if record.get("knowledge") else BM.Dataset
        dataset, triples = self._common(record, "dataset", rdf_type)
        triples.append((BM.modality, Literal(str(record.get("modality")))))
        sizes = [(f, p) for f, p in (("size_tokens", BM.datasetSizeTokens), ("size_bytes", BM.datasetSizeBytes),
                                     ("size_items", BM.datasetSizeItems)) if record.get(f) is not None]
        if sizes and not record.get("size_source"):
            raise FieldError("a size needs size_source: the publication it comes from", "size_source")
        triples += [(p, _double(_positive(record.get(f), f))) for f, p in sizes]
        triples += [(DCTERMS.source, p) for p in self._refs(record, "size_source", "publication")]
        if record.get("licence"):
            triples.append((DCTERMS.license, _licence(str(record.get("licence")))))
        if record.get("year"):
            triples.append((BM.publicationYear, _year(record.get("year"))))
        self._add("curated", dataset, record.location, triples)

    def _curated_tasks(self, record: Record) -> None:
        task, triples = self._common(record, "task", BM.Task)
        self._add("curated", task, record.location, triples)

    def _curated_organizations(self, record: Record) -> None:
        org, triples = self._common(record, "org", BM.Organization)
        if record.get("category"):
            triples.append((BM.organizationCategory, Literal(str(record.get("category")))))
        if record.get("country"):
            country = mint("country", str(record.get("country")))
            self._add("curated", country, record.location,
                      [(RDF.type, BM.Country), (RDFS.label, Literal(str(record.get("country"))))])
            triples.append((BM.country, country))
        self._add("curated", org, record.location, triples)

    def _curated_publications(self, record: Record) -> None:
        key = self._publication_key(record)
        publication = mint("publication", key)
        title = values.clean_text(str(record.get("title")))
        triples = [(RDF.type, BM.Publication), (RDFS.label, Literal(title)), (DCTERMS.title, Literal(title)),
                   (BM.publicationYear, _year(record.get("year")))]
        identifier = str(record.get("id") or "")
        if identifier.startswith("arxiv:"):
            arxiv = identifier.removeprefix("arxiv:")
            triples += [(BM.arxivId, Literal(arxiv)), (BM.homepage, _uri(f"https://arxiv.org/abs/{arxiv}"))]
        elif identifier.startswith("doi:"):
            triples.append((BM.doi, Literal(identifier.removeprefix("doi:").lower())))
        if record.get("url"):
            triples.append((BM.homepage, _uri(_checked_url(record.get("url"), "url"))))
        if record.get("date"):
            triples.append((BM.publicationDate, Literal(_date(record.get("date"), "date"))))
        if record.get("withdrawn") is not None:
            triples.append((BM.withdrawn, Literal(bool(record.get("withdrawn")))))
        if record.get("withdrawal_reason"):
            triples.append((BM.withdrawalReason, Literal(values.clean_text(str(record.get("withdrawal_reason"))))))
        triples += [(BM.hasTopic, t) for t in self._refs(record, "topics", "topic")]
        self._add("curated", publication, record.location, triples)

    def _curated_models(self, record: Record) -> None:
        if record.get("key"):
            model = self.resolver.iri("model", str(record.get("key")), "curated")
        else:
            name = str(record.get("name"))
            if not self.resolver.known("model", name):
                raise FieldError(f"model {name!r} matches no model of Epoch, BMList or the alias table", "name")
            model = self.resolver.iri("model", name, "curated")
        triples = [(RDF.type, BM.Model)]
        if record.get("label"):
            triples.append((RDFS.label, Literal(values.clean_text(str(record.get("label"))))))
        triples += [(SKOS.altLabel, Literal(values.clean_text(str(a)))) for a in record.get("aliases") or []]
        for kind in record.get("kinds") or []:
            entry = self.tables.epoch_domain.get(kind) or self.tables.bmlist_domain.get(kind)
            if entry is None:
                raise FieldError(f"kind {kind!r} is in neither domain mapping table", "kinds")
            triples.append((RDF.type, BM[entry["class"]]))
            triples += [(BM.hasTopic, mint("topic", t)) for t in entry.get("topics", [])]
        has_figures = any(record.get(f) is not None for f in
                          ("date", "year", "parameters", "moe_parameters", "training_compute_flop"))
        if has_figures and not record.get("source"):
            raise FieldError("numbers and dates need a source publication", "source")
        triples += [(DCTERMS.source, p) for p in self._refs(record, "source", "publication")]
        if record.get("date"):
            triples.append((BM.publicationDate, Literal(_date(record.get("date"), "date"))))
        if record.get("year"):
            triples.append((BM.publicationYear, _year(record.get("year"))))
        for f, p in (("parameters", BM.parameterCount), ("moe_parameters", BM.moeParameterCount)):
            if record.get(f) is not None:
                triples.append((p, Literal(int(_positive(record.get(f), f)))))
        if record.get("training_compute_flop") is not None:
            triples.append((BM.trainingComputeFlop, _double(_positive(record.get("training_compute_flop"),
                                                                      "training_compute_flop"))))
        triples += [(BM.developedBy, self._developer(record, str(d))) for d in record.get("developers") or []]
        triples += [(BM.usesTechnique, t) for t in self._refs(record, "techniques", "technique")]
        triples += [(BM.trainingDataset, d) for d in self._refs(record, "datasets", "dataset")]
        triples += [(BM.performsTask, t) for t in self._refs(record, "tasks", "task")]
        triples += [(BM.evaluatedOn, b) for b in self._refs(record, "benchmarks", "benchmark")]
        triples += [(BM.trainingHardware, h) for h in self._refs(record, "hardware", "hardware")]
        triples += [(BM.baseModel, m) for m in self._refs(record, "base_model", "model")]
        triples += [(BM.introducedIn, p) for p in self._refs(record, "introduced_in", "publication")]
        triples += [(BM.hasTopic, t) for t in self._refs(record, "topics", "topic")]
        self._add("curated", model, record.location, triples)

    @staticmethod
    def _publication_key(record: Record) -> str:
        identifier = record.get("id")
        return _publication_key_from_id(str(identifier)) if identifier else normalise_key(str(record.get("key")))


def _publication_key_from_id(identifier: str) -> str:
    """
    >>> _publication_key_from_id("arxiv:2005.14165")
    'arxiv-2005.14165'
    >>> _publication_key_from_id("doi:10.1038/S41586-021-03819-2")
    'doi-10.1038-s41586-021-03819-2'
    """
    scheme, _, value = identifier.partition(":")
    return normalise_key(f"{scheme}-{value.strip().lower()}")


def _double(value: float) -> Literal:
    return Literal(float(value), datatype=XSD.double)


def _uri(url: str) -> Literal:
    return Literal(url, datatype=XSD.anyURI)


def _checked_url(value, field_name: str) -> str:
    try:
        return values.parse_url(str(value))
    except FieldError as error:
        raise FieldError(str(error), field_name) from error


def _positive(value, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise FieldError(f"expected a positive number, got {value!r}", field_name)
    return value


def _year(value) -> Literal:
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= dt.date.today().year:
        raise FieldError(f"expected a four-digit year, got {value!r}", "year")
    return Literal(f"{value:04d}", datatype=XSD.gYear)


def _date(value, field_name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return values.parse_date(str(value))
    except FieldError as error:
        raise FieldError(str(error), field_name) from error


def _licence(text: str) -> URIRef:
    if text.startswith(("http://", "https://")):
        return URIRef(text)
    return URIRef(f"https://spdx.org/licenses/{text}")
