"""An independent reading of the shipped sources, to check the query library against.

The Epoch CSVs and the BMList JSON are read with csv and json, the curated YAML with
yaml; nothing here uses bmkg's adapters or mapping. ``ontology.mint`` and
``normalise_key`` only turn names into IRIs. The rules followed are the documented
ones (README "The graph", ingest/data/curated/README.md): names resolve through the
alias table, domains and hardware types through the curated mapping tables.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from ontology import mint, normalise_key

DATA = Path(__file__).resolve().parents[2] / "ingest" / "data"
EPOCH_MODELS = DATA / "epoch" / "notable_ai_models_2025-02-24.csv"
EPOCH_HARDWARE = DATA / "epoch" / "ml_hardware_2026.csv"
BMLIST = DATA / "bmlist" / "all_models.json"
CURATED = DATA / "curated"
SCALE = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
# Kinds of the curated sections whose records may carry aliases.
ALIAS_SECTIONS = {"techniques": "technique", "systems": "system", "benchmarks": "benchmark",
                  "datasets": "dataset", "tasks": "task", "organizations": "org"}


def split(cell: str) -> list[str]:
    """A comma-separated Epoch cell; commas inside parentheses or brackets do not split."""
    items, depth, current = [], 0, ""
    for ch in cell:
        depth += ch in "(["
        depth -= ch in ")]" and depth > 0
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    return [" ".join(item.split()) for item in items if item.strip()]


def bmlist_count(text: str) -> int:
    text = text.strip().lstrip("~").strip()
    return round(float(text[:-1]) * SCALE[text[-1].upper()])


@dataclass
class Model:
    iri: str
    names: set = field(default_factory=set)
    topics: set = field(default_factory=set)
    counts: dict = field(default_factory=lambda: defaultdict(set))  # source -> dense and MoE counts
    dense: set = field(default_factory=set)  # bm:parameterCount as asserted (no MoE-only figures)
    orgs: set = field(default_factory=set)
    compute: set = field(default_factory=set)
    published: set = field(default_factory=set)  # bm:publicationDate
    released: set = field(default_factory=set)  # bm:releaseDate
    years: set = field(default_factory=set)  # bm:publicationYear
    hardware: set = field(default_factory=set)  # from the model's side (Epoch models file, curated)
    datasets: set = field(default_factory=set)
    bases: set = field(default_factory=set)
    access: set = field(default_factory=set)
    techniques: set = field(default_factory=set)
    tasks: set = field(default_factory=set)
    benchmarks: set = field(default_factory=set)
    introduced_in: set = field(default_factory=set)

    @property
    def size(self) -> int | None:
        values = [v for counts in self.counts.values() for v in counts]
        return max(values) if values else None

    def year(self) -> int | None:
        for dates in (self.published, self.released):
            if dates:
                return min(d.year for d in dates)
        return min(self.years) if self.years else None


class Sources:
    def __init__(self):
        self.curated = defaultdict(list)
        for path in sorted(CURATED.glob("*.yaml")):
            for section, records in yaml.safe_load(path.read_text(encoding="utf-8")).items():
                self.curated[section] += records
        self.tables = {t["table"]: t["entries"] for t in self.curated["mappings"]}
        self.aliases = defaultdict(dict)
        for record in self.curated["aliases"]:
            for alias in record["aliases"]:
                self._alias(record["kind"], str(record["key"]), str(alias))
        for section, kind in ALIAS_SECTIONS.items():
            for record in self.curated[section]:
                for alias in record.get("aliases") or []:
                    self._alias(kind, str(record["key"]), str(alias))
        for record in self.curated["models"]:
            for alias in record.get("aliases") or []:
                self._alias("model", str(record["key"]), str(alias))

        with EPOCH_MODELS.open(encoding="utf-8") as f:
            self.epoch = list(csv.DictReader(f))
        with EPOCH_HARDWARE.open(encoding="utf-8") as f:
            self.chips = list(csv.DictReader(f))
        document = json.loads(BMLIST.read_text(encoding="utf-8"))
        self.bmlist = [item for item in document if "name" in item]

        self.models: dict[str, Model] = {}
        self.org_country = defaultdict(set)
        self.org_category = defaultdict(set)
        self.other_developers = defaultdict(set)  # system, dataset, benchmark IRI -> org IRIs
        self.hardware = {}  # IRI -> the hardware file's row
        self.chip_class = {}
        self.trained = defaultdict(set)  # hardware IRI -> model IRIs, from the hardware file
        self._read_hardware()
        self._read_epoch()
        self._read_bmlist()
        self._read_curated()
        self._read_trained()

    # -- names -------------------------------------------------------------

    def _alias(self, kind: str, canonical: str, alias: str) -> None:
        key = normalise_key(canonical)
        key = self.aliases[kind].get(key, key)
        if normalise_key(alias) != key:
            self.aliases[kind][normalise_key(alias)] = key

    def iri(self, kind: str, name: str) -> str:
        if ":" in name and name.split(":", 1)[0] == kind:
            name = name.split(":", 1)[1]
        key = normalise_key(name)
        return str(mint(kind, self.aliases[kind].get(key, key)))

    def publication(self, reference: str) -> str:
        if reference.startswith(("arxiv:", "doi:")):
            scheme, _, value = reference.partition(":")
            return str(mint("publication", f"{scheme}-{value.strip().lower()}"))
        return str(mint("publication", reference))

    def model(self, name: str) -> Model:
        iri = self.iri("model", name)
        if iri not in self.models:
            self.models[iri] = Model(iri)
        self.models[iri].names.add(name)
        return self.models[iri]

    def known_model(self, name: str) -> bool:
        return self.iri("model", name) in self.models

    # -- sources -----------------------------------------------------------

    def _read_hardware(self) -> None:
        for row in self.chips:
            iri = self.iri("hardware", row["Hardware name"])
            self.hardware[iri] = row
            entry = self.tables["hardware-type"].get(row["Type"].strip())
            if entry:
                self.chip_class[iri] = entry["class"]

    def _read_epoch(self) -> None:
        for row in self.epoch:
            model = self.model(row["Model"])
            for domain in split(row["Domain"]):
                model.topics |= {self.iri("topic", t) for t in self.tables["epoch-domain"][domain]["topics"]}
            orgs = [self.iri("org", name) for name in split(row["Organization"])]
            model.orgs |= set(orgs)
            categories, countries = split(row["Organization categorization"]), split(row["Country (from Organization)"])
            if len(orgs) == 1:
                self.org_category[orgs[0]] |= set(categories)
                self.org_country[orgs[0]] |= {self.iri("country", c) for c in countries}
            elif orgs and len(orgs) == len(categories) == len(countries):
                for org, category, country in zip(orgs, categories, countries):
                    self.org_category[org].add(category)
                    self.org_country[org].add(self.iri("country", country))
            if row["Parameters"]:
                count = round(float(row["Parameters"]))
                model.counts["epoch-models"].add(count)
                model.dense.add(count)
            if row["Training compute (FLOP)"]:
                model.compute.add(float(row["Training compute (FLOP)"]))
            if row["Publication date"]:
                model.published.add(_date(row["Publication date"]))
            for name in split(row["Training dataset"]):
                dataset = self.iri("dataset", name)
                if dataset != str(mint("dataset", "unspecified-unreleased")):
                    model.datasets.add(dataset)
            model.hardware |= {self.iri("hardware", name) for name in split(row["Training hardware"])}
            model.bases |= {self.iri("model", name) for name in split(row["Base model"])}
            if row["Model accessibility"].strip():
                model.access.add(row["Model accessibility"].strip())

    def _read_bmlist(self) -> None:
        for item in self.bmlist:
            model = self.model(item["name"])
            for domain in item["domain"]:
                model.topics |= {self.iri("topic", t) for t in self.tables["bmlist-domain"][domain]["topics"]}
            model.orgs |= {self.iri("org", name) for name in item["affiliation"]}
            dense = {bmlist_count(t) for t in item.get("parameters_dense", [])}
            model.counts["bmlist"] |= dense | {bmlist_count(t) for t in item.get("parameters_MoE", [])}
            model.dense |= dense
            model.released.add(_date(item["release_date"]))

    def _read_curated(self) -> None:
        for record in self.curated["models"]:
            model = self.model(str(record.get("key") or record["name"]))
            for kind in record.get("kinds") or []:
                entry = self.tables["epoch-domain"].get(kind) or self.tables["bmlist-domain"][kind]
                model.topics |= {self.iri("topic", t) for t in entry["topics"]}
            model.topics |= {self.iri("topic", t) for t in record.get("topics") or []}
            model.orgs |= {self.iri("org", str(d)) for d in record.get("developers") or []}
            if record.get("parameters"):
                model.counts["curated"].add(int(record["parameters"]))
                model.dense.add(int(record["parameters"]))
            if record.get("moe_parameters"):
                model.counts["curated"].add(int(record["moe_parameters"]))
            if record.get("training_compute_flop"):
                model.compute.add(float(record["training_compute_flop"]))
            if record.get("date"):
                model.published.add(_date(str(record["date"])))
            if record.get("year"):
                model.years.add(int(record["year"]))
            model.techniques |= {self.iri("technique", t) for t in record.get("techniques") or []}
            model.tasks |= {self.iri("task", t) for t in record.get("tasks") or []}
            model.benchmarks |= {self.iri("benchmark", b) for b in record.get("benchmarks") or []}
            model.datasets |= {self.iri("dataset", d) for d in record.get("datasets") or []}
            model.hardware |= {self.iri("hardware", h) for h in record.get("hardware") or []}
            bases = record.get("base_model") or []
            model.bases |= {self.iri("model", b) for b in (bases if isinstance(bases, list) else [bases])}
            if record.get("introduced_in"):
                model.introduced_in.add(self.publication(str(record["introduced_in"])))
        for record in self.curated["organizations"]:
            org = self.iri("org", record["key"])
            if record.get("category"):
                self.org_category[org].add(record["category"])
            if record.get("country"):
                self.org_country[org].add(self.iri("country", record["country"]))
        for section, kind in (("systems", "system"), ("datasets", "dataset"), ("benchmarks", "benchmark")):
            for record in self.curated[section]:
                self.other_developers[self.iri(kind, record["key"])] |= {
                    self.iri("org", str(d)) for d in record.get("developers") or []}

    def _read_trained(self) -> None:
        # The hardware file's "ML models" link only models that some source describes.
        for row in self.chips:
            chip = self.iri("hardware", row["Hardware name"])
            self.trained[chip] = {self.iri("model", name) for name in split(row["ML models"])
                                  if self.known_model(name)}

    # -- derived views ---------------------------------------------------------

    def training_links(self, asserted_only: bool = False) -> set[tuple[str, str]]:
        """(model, hardware) pairs. Without inference, the hardware file's links stay on
        the hardware's side (bm:trained) and do not count as bm:trainingHardware."""
        links = {(m.iri, h) for m in self.models.values() for h in m.hardware}
        if not asserted_only:
            links |= {(m, h) for h, models in self.trained.items() for m in models}
        return links

    def records(self, section: str) -> dict[str, dict]:
        kind = {"techniques": "technique", "systems": "system", "datasets": "dataset",
                "benchmarks": "benchmark", "tasks": "task", "open_problems": "problem", "topics": "topic"}[section]
        return {self.iri(kind, str(r["key"])): r for r in self.curated[section]}

    @functools.cache
    def topics_of(self, section: str) -> dict[str, set[str]]:
        return {iri: {self.iri("topic", t) for t in r.get("topics") or []} for iri, r in self.records(section).items()}

    def related_topics(self, model: Model) -> set[str]:
        """What bm:relatedTopic's property chains derive: topics of techniques, tasks and datasets."""
        techniques, tasks, datasets = (self.topics_of(s) for s in ("techniques", "tasks", "datasets"))
        related = set()
        for group, topics in ((model.techniques, techniques), (model.tasks, tasks), (model.datasets, datasets)):
            for entity in group:
                related |= topics.get(entity, set())
        return related

    def developed(self, org: str) -> set[str]:
        made = {m.iri for m in self.models.values() if org in m.orgs}
        return made | {e for e, orgs in self.other_developers.items() if org in orgs}

    def manufacturer(self, chip: str) -> str | None:
        row = self.hardware.get(chip)
        return self.iri("org", row["Manufacturer"]) if row and row["Manufacturer"].strip() else None


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip().replace("/", "-"))


@pytest.fixture(scope="session")
def sources() -> Sources:
    return Sources()
