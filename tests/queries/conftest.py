"""An independent reading of the shipped sources, to check the query library against.

The Epoch CSVs and the Benchmarking Hub's versions are read with csv, the BMList JSON
with json, HELM's registry and the curated YAML with yaml; nothing here uses bmkg's
adapters or mapping. ``ontology.mint`` and ``normalise_key`` only turn names into IRIs.
The rules followed are the documented ones (README "The graph",
ingest/data/curated/README.md, the docstrings of ingest/mapping.py and of the adapters):

- Epoch's all-models export is the main Epoch file (graph ``epoch-models``); a row whose
  normalised name repeats an earlier row's is left out. The notable export only flags the
  models the all-models export has as notable (and describes, in full, any it lacks).
- A BMList entry with several sizes is a family; each size is a model "{name} {size}".
- Names resolve through the alias table (an alias with a ``source`` only for that
  source's names); values the curated corrections table names are dropped.
- Epoch's Benchmarking Hub names models through its versions: a model no earlier source
  has becomes a model of its own, published on its first version's release day.
- A HELM entry is a version of a hub model (by version id), or of the one model whose
  name and organisation both match, or a new model; a name that matches otherwise is
  ambiguous and the entry left out.
- A curated ``name:`` record that is a BMList family gives its links to every size.
- Placeholder names ("Unknown", "Unspecified unreleased", ...) name no entity.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import re
import unicodedata
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from ontology import mint, normalise_key
from tests.conftest import BUILD_DATE

DATA = Path(__file__).resolve().parents[2] / "ingest" / "data"
EPOCH_MODELS = DATA / "epoch" / "all_ai_models_2025-03-14.csv"
EPOCH_NOTABLE = DATA / "epoch" / "notable_ai_models_2025-02-24.csv"
EPOCH_HARDWARE = DATA / "epoch" / "ml_hardware_2026.csv"
HUB_VERSIONS = DATA / "epoch" / "benchmarks" / "model_versions.csv"
HELM_METADATA = DATA / "helm" / "model_metadata.yaml"
BMLIST = DATA / "bmlist" / "all_models.json"
CURATED = DATA / "curated"
SCALE = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
# Kinds of the curated sections whose records may carry aliases.
ALIAS_SECTIONS = {"parts": "part", "topics": "topic", "open_problems": "problem", "techniques": "technique",
                  "systems": "system", "benchmarks": "benchmark", "datasets": "dataset", "tasks": "task",
                  "organizations": "org", "families": "family", "organization_changes": "change"}
# Names sources write where a value is unknown: statements of ignorance, not entities (mapping.py).
PLACEHOLDERS = {"unspecified", "unspecified-unreleased", "unknown", "unreleased", "various", "n-a", "none",
                "other", "proprietary", "private"}
MIXTURE_OF_EXPERTS = "mixture-of-experts"
HOSTED = re.compile(r"[-_](fp8|fp16|bf16|int8|int4|awq|gptq)$", re.IGNORECASE)
# A hub version id's reasoning setting, cut off to give the version (epoch_benchmarks.py).
HUB_SETTING = re.compile(r"_(minimal|low|medium|high|xhigh|\d+[kK]|thinking)$")
# HELM: a deployment platform after a display name, and any parenthesis (a size, a date, a mode).
HELM_PLATFORM = re.compile(r"\s+on\s+(amazon\s+)?bedrock\.?$", re.IGNORECASE)
PARENTHESES = re.compile(r"\s*\([^)]*\)")
ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", re.IGNORECASE)


def clean(text: str) -> str:
    """A cell without control or format characters, with single spaces."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in " \t")
    return " ".join(kept.split())


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
    return [clean(item) for item in items if clean(item)]


def bmlist_count(text: str) -> int:
    text = text.strip().lstrip("~").strip()
    return round(float(text[:-1]) * SCALE[text[-1].upper()])


def whole(cell: str) -> int:
    value = float(cell)
    # The build rejects a row with a count that is not whole; the shipped exports have none.
    assert value > 0 and abs(value - round(value)) <= max(1e-6 * value, 1e-6), cell
    return round(value)


@dataclass
class Model:
    iri: str
    names: set = field(default_factory=set)
    topics: set = field(default_factory=set)
    counts: dict = field(default_factory=lambda: defaultdict(set))  # source graph -> parameter counts
    orgs: set = field(default_factory=set)
    compute: set = field(default_factory=set)
    published: set = field(default_factory=set)  # bm:publicationDate
    years: set = field(default_factory=set)  # bm:publicationYear
    hardware: set = field(default_factory=set)  # from the model's side (Epoch models file, curated)
    datasets: set = field(default_factory=set)
    bases: set = field(default_factory=set)
    accessibility: set = field(default_factory=set)  # Epoch's Model accessibility, as written
    access: set = field(default_factory=set)  # bm:accessLevel: open, limited, closed
    techniques: set = field(default_factory=set)
    tasks: set = field(default_factory=set)
    benchmarks: set = field(default_factory=set)
    introduced_in: set = field(default_factory=set)
    families: set = field(default_factory=set)
    notable: bool = False
    sources: set = field(default_factory=set)  # the graphs that describe the model

    @property
    def size(self) -> int | None:
        values = [v for counts in self.counts.values() for v in counts]
        return max(values) if values else None

    def year(self) -> int | None:
        if self.published:
            return min(d.year for d in self.published)
        return min(self.years) if self.years else None


class Sources:
    def __init__(self):
        self.curated = defaultdict(list)
        for path in sorted(CURATED.glob("*.yaml")):
            for section, records in yaml.safe_load(path.read_text(encoding="utf-8")).items():
                self.curated[section] += records
        self.tables = {t["table"]: t["entries"] for t in self.curated["mappings"]}
        self.aliases = defaultdict(dict)  # kind -> normalised alias -> key
        self.scoped = defaultdict(dict)  # kind -> (source, normalised alias) -> key
        for record in self.curated["aliases"]:
            for alias in record["aliases"]:
                self._alias(record["kind"], str(record["key"]), str(alias), record.get("source"))
        for section, kind in ALIAS_SECTIONS.items():
            for record in self.curated[section]:
                for alias in record.get("aliases") or []:
                    self._alias(kind, str(record["key"]), str(alias))
        for record in self.curated["models"]:
            if record.get("key"):
                for alias in record.get("aliases") or []:
                    self._alias("model", str(record["key"]), str(alias))
        self.corrections = defaultdict(list)  # (source, normalised record name) -> corrections
        for record in self.curated["corrections"]:
            self.corrections[record["source"], normalise_key(str(record["record"]))].append(record)

        self.epoch = self._epoch_rows(EPOCH_MODELS)
        self.notable = self._epoch_rows(EPOCH_NOTABLE)
        with EPOCH_HARDWARE.open(encoding="utf-8") as f:
            self.chips = list(csv.DictReader(f))
        document = json.loads(BMLIST.read_text(encoding="utf-8"))
        self.bmlist = self._bmlist_items(document)
        with HUB_VERSIONS.open(encoding="utf-8-sig", newline="") as f:
            self.hub_versions = [row for row in csv.DictReader(f) if clean(row["id"])]
        self.helm = self._helm_entries()

        self.models: dict[str, Model] = {}
        self.defined = defaultdict(lambda: defaultdict(set))  # kind -> key -> sources naming it
        self.model_orgs = defaultdict(set)  # model key -> org keys, from Epoch and BMList
        self.org_parents = defaultdict(set)
        self.family_sizes = {}  # BMList family key -> its sizes' model keys
        self.hub_model_of = {}  # hub version key -> model key
        self.helm_match = {}  # HELM id -> (outcome, model key)
        self.org_country = defaultdict(set)
        self.org_category = defaultdict(set)
        self.other_developers = defaultdict(set)  # system, dataset, benchmark IRI -> org IRIs
        self.families = defaultdict(set)  # family IRI -> member model IRIs
        self.family_orgs = defaultdict(set)  # family IRI -> developer org IRIs
        self.hardware = {}  # IRI -> the hardware file's row
        self.dropped_dates = defaultdict(set)  # model IRI -> publication dates a correction dropped
        self.chip_class = {}
        self.trained = defaultdict(set)  # hardware IRI -> model IRIs, from the hardware file
        self._register()
        self._read_hardware()
        self._read_epoch()
        self._read_hub()
        self._read_bmlist()
        self._read_helm()
        self._read_curated()
        self._read_trained()

    # -- names -------------------------------------------------------------

    def _alias(self, kind: str, canonical: str, alias: str, source: str | None = None) -> None:
        key = normalise_key(canonical)
        key = self.aliases[kind].get(key, key)
        if normalise_key(alias) == key:
            return
        if source:
            self.scoped[kind][source, normalise_key(alias)] = key
        else:
            self.aliases[kind][normalise_key(alias)] = key

    def key(self, kind: str, name: str, source: str | None = None) -> str:
        if ":" in name and name.split(":", 1)[0] == kind:
            name = name.split(":", 1)[1]
        normal = normalise_key(name)
        if source and (source, normal) in self.scoped[kind]:
            return self.scoped[kind][source, normal]
        return self.aliases[kind].get(normal, normal)

    def iri(self, kind: str, name: str, source: str | None = None) -> str:
        return str(mint(kind, self.key(kind, name, source)))

    def entity(self, kind: str, name: str, source: str | None = None) -> str | None:
        """The IRI of a shared entity a source names, or None for a placeholder name."""
        key = self.key(kind, name, source)
        return None if not key or key in PLACEHOLDERS else str(mint(kind, key))

    @staticmethod
    def publication_key(reference: str) -> str:
        if reference.startswith(("arxiv:", "doi:")):
            scheme, _, value = reference.partition(":")
            return normalise_key(f"{scheme}-{value.strip().lower()}")
        return normalise_key(reference)

    def publication(self, reference: str) -> str:
        return str(mint("publication", self.publication_key(reference)))

    def model(self, name: str, source: str | None = None) -> Model:
        model = self.model_at(self.iri("model", name, source))
        model.names.add(name)
        return model

    def model_at(self, iri: str) -> Model:
        if iri not in self.models:
            self.models[iri] = Model(iri)
        return self.models[iri]

    def known_model(self, name: str) -> bool:
        return self.key("model", name) in self.defined["model"]

    def known(self, kind: str, name: str) -> bool:
        return self.key(kind, name) in self.defined[kind]

    def _define(self, kind: str, name: str, source: str, scope: str | None = None) -> str:
        key = self.key(kind, name, scope)
        if key:
            self.defined[kind][key].add(source)
        return key

    def corrected(self, source: str, name: str, column: str, value):
        """A source's value without what the corrections table says is wrong: None for a
        dropped value, a shorter list for a dropped item."""
        for fix in self.corrections.get((source, normalise_key(name)), []):
            if fix["field"] != column:
                continue
            wrong = fix.get("value")
            if isinstance(value, list):
                value = [] if wrong is None else [v for v in value if v != str(wrong)]
            elif wrong is None or _same(value, wrong):
                value = None
        return value

    # -- reading the files ------------------------------------------------------

    @staticmethod
    def _epoch_rows(path: Path) -> list[dict]:
        """The rows of an Epoch models export; a repeated normalised name is left out."""
        with path.open(encoding="utf-8") as f:
            rows, seen = [], set()
            for row in csv.DictReader(f):
                key = normalise_key(clean(row["Model"]))
                if key and key not in seen:
                    seen.add(key)
                    rows.append(row)
        return rows

    @staticmethod
    def _bmlist_items(document: list) -> list[dict]:
        items = document[1:] if "last_updated" in document[0] else document
        found, seen = [], set()
        for item in items:
            key = normalise_key(clean(item["name"]))
            if key not in seen:
                seen.add(key)
                found.append(item)
        return found

    @staticmethod
    def _helm_entries() -> list[dict]:
        """HELM's model entries, less its template entry and repeated names."""
        entries, seen = [], set()
        for item in yaml.safe_load(HELM_METADATA.read_text(encoding="utf-8"))["models"]:
            creator, _, model_id = item["name"].partition("/")
            if creator == "simple" or item["name"] in seen or item.get("access") not in ("open", "limited", "closed"):
                continue
            seen.add(item["name"])
            released = item.get("release_date", item.get("release"))
            if isinstance(released, str):
                parts = released.strip().split("-")
                try:
                    released = dt.date(*(int(p) for p in parts)) if len(parts) == 3 else None
                except ValueError:
                    released = None
            if released is not None and released > BUILD_DATE:
                released = None
            parameters = item.get("num_parameters")
            entries.append({
                "helm_id": item["name"], "model_id": clean(model_id), "display": clean(item["display_name"]),
                "orgs": [o.strip() for o in item["creator_organization_name"].split("/") if o.strip()],
                "access": item["access"], "parameters": round(parameters) if parameters and parameters > 0 else None,
                "released": released, "tags": item.get("tags") or []})
        return entries

    # -- pass 1: who names what (the order of ingest.mapping.SOURCE_ORDER) -------

    def _register(self) -> None:
        for section, kind in ALIAS_SECTIONS.items():
            for record in self.curated[section]:
                self._define(kind, str(record["key"]), "curated")
        for record in self.curated["models"]:
            if record.get("key"):
                self._define("model", str(record["key"]), "curated")
        for record in self.curated["publications"]:
            self._define("publication", self.publication_key(str(record.get("id") or record["key"])), "curated")
        for record in self.curated["organizations"]:
            for parent in record.get("part_of") or []:
                self.org_parents[self.key("org", str(record["key"]))].add(self.key("org", str(parent)))
        for source, rows in (("epoch-models", self.epoch), ("epoch-notable", self.notable)):
            for row in rows:
                key = self._define("model", clean(row["Model"]), source)
                self.model_orgs[key] |= {self._define("org", o, source) for o in split(row["Organization"])}
                for name in split(row["Training dataset"]):
                    self._define("dataset", name, source)
                for paper in ARXIV.findall(row["Link"]):
                    self._define("publication", f"arxiv-{paper}", source)
        for row in self.chips:
            self._define("hardware", clean(row["Hardware name"]), "epoch-hardware")
        self.hub_models, self.hub_first_release = set(), {}
        for row in self.hub_versions:
            # a version without a model names its own, as its id does; a host's deployment at a precision
            # ("chutes/GLM-4.5-FP8") names the model its last part names (epoch_benchmarks, mapping)
            name = clean(row["Model"]) or clean(row.get("Display name") or "") or HOSTED.sub(
                "", self._hub_version(row).rsplit("/", 1)[-1])
            key = self.key("model", name)
            if key not in self.defined["model"] or key in self.hub_models:
                self._define("model", name, "epoch-benchmarks")
                self.hub_models.add(key)
                if row["Version release date"].strip():
                    day = dt.date.fromisoformat(row["Version release date"].strip())
                    self.hub_first_release[key] = min(day, self.hub_first_release.get(key, day))
            self.hub_model_of.setdefault(normalise_key(self._hub_version(row)), key)
        for item in self.bmlist:
            orgs = {self._define("org", o, "bmlist") for o in item["affiliation"]}
            for paper in ARXIV.findall(item["paper/news"]):
                self._define("publication", f"arxiv-{paper}", "bmlist")
            for name, _count, _moe in self._sizes(item):
                self.model_orgs[self._define("model", name, "bmlist", "bmlist")] |= orgs
            if self._is_family(item):
                self._define("family", clean(item["name"]), "bmlist")
                self.family_sizes[self.key("family", clean(item["name"]))] = [
                    self.key("model", n, "bmlist") for n, _, _ in self._sizes(item)]
        for entry in self.helm:
            outcome, key = self._match_helm(entry)
            self.helm_match[entry["helm_id"]] = (outcome, key)
            if outcome == "new":
                self._define("model", HELM_PLATFORM.sub("", entry["display"]).strip() or entry["display"], "helm")

    @staticmethod
    def _hub_version(row: dict) -> str:
        version = clean(row["id"])
        match = HUB_SETTING.search(version)
        return version[:match.start()] if match and match.start() > 0 else version

    @staticmethod
    def _is_family(item: dict) -> bool:
        return len(item.get("parameters_dense", [])) + len(item.get("parameters_MoE", [])) > 1

    def _sizes(self, item: dict) -> list[tuple[str, int, bool]]:
        """(model name, count, is a mixture-of-experts count) per size of a BMList entry."""
        name = clean(item["name"])
        sizes = [(clean(t).lstrip("~").strip(), False) for t in item.get("parameters_dense", [])]
        sizes += [(clean(t).lstrip("~").strip(), True) for t in item.get("parameters_MoE", [])]
        if not self._is_family(item):
            return [(name, bmlist_count(sizes[0][0]), sizes[0][1])]
        return [(f"{name} {text}", bmlist_count(text), moe) for text, moe in sizes]

    def _company(self, org: str) -> set[str]:
        seen, todo = set(), [org]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.org_parents.get(current, ()))
        return seen

    def _same_company(self, first: str, second: str) -> bool:
        tops = [{o for o in self._company(x) if not self.org_parents.get(o)} for x in (first, second)]
        return first == second or bool(tops[0] & tops[1])

    def _match_helm(self, entry: dict) -> tuple[str, str | None]:
        version = normalise_key(entry["model_id"])
        if version in self.hub_model_of:
            return "version", self.hub_model_of[version]
        orgs = [self.key("org", o) for o in entry["orgs"]]
        plain = HELM_PLATFORM.sub("", entry["display"]).strip()
        names = dict.fromkeys(n for n in (entry["model_id"], entry["display"], plain,
                                          PARENTHESES.sub("", plain).strip()) if n)
        matched, unmatched = set(), set()
        for name in names:
            key = self.key("model", name)
            if key in self.defined["model"] and key not in matched:
                developers = self.model_orgs.get(key, set())
                (matched if any(self._same_company(o, d) for o in orgs for d in developers) else unmatched).add(key)
        if len(matched) == 1:
            return "name", next(iter(matched))
        if matched or unmatched:
            return "ambiguous", None
        return "new", self.key("model", plain or entry["display"])

    # -- pass 2: the facts of each source ---------------------------------------

    def _read_hardware(self) -> None:
        for row in self.chips:
            iri = self.iri("hardware", clean(row["Hardware name"]))
            self.hardware[iri] = row
            entry = self.tables["hardware-type"].get(row["Type"].strip())
            if entry:
                self.chip_class[iri] = entry["class"]

    def _read_epoch(self) -> None:
        for row in self.epoch:
            self._epoch_row(row, "epoch-models")
        for row in self.notable:
            if "epoch-models" in self.defined["model"].get(self.key("model", clean(row["Model"])), ()):
                self.model(clean(row["Model"])).notable = True
            else:
                self._epoch_row(row, "epoch-notable").notable = True

    def _epoch_row(self, row: dict, source: str) -> Model:
        name = clean(row["Model"])
        model = self.model(name)
        model.sources.add(source)
        fix = functools.partial(self.corrected, source, name)
        for domain in split(row["Domain"]):
            entry = self.tables["epoch-domain"].get(domain)
            model.topics |= {self.iri("topic", t) for t in (entry or {}).get("topics", [])}
        orgs = [self.entity("org", o) for o in fix("Organization", split(row["Organization"]))]
        model.orgs |= {o for o in orgs if o}
        categories, countries = split(row["Organization categorization"]), split(row["Country (from Organization)"])
        if len(orgs) == 1:
            aligned = [(orgs[0], categories, countries)]
        elif orgs and len(orgs) == len(categories) == len(countries):
            aligned = [(o, [c], [k]) for o, c, k in zip(orgs, categories, countries)]
        else:
            aligned = []
        for org, org_categories, org_countries in aligned:
            if org:
                self.org_category[org] |= set(org_categories)
                self.org_country[org] |= {c for c in (self.entity("country", k) for k in org_countries) if c}
        if fix("Parameters", row["Parameters"].strip()):
            model.counts[source].add(whole(fix("Parameters", row["Parameters"].strip())))
        if row["Training compute (FLOP)"].strip():
            model.compute.add(float(row["Training compute (FLOP)"]))
        if row["Publication date"].strip():
            model.published.add(_date(row["Publication date"]))
        for name_ in split(row["Training dataset"]):
            dataset = self.entity("dataset", name_)
            if dataset:
                model.datasets.add(dataset)
        model.hardware |= {h for h in (self.entity("hardware", n) for n in split(row["Training hardware"])) if h}
        model.bases |= {b for b in (self.entity("model", n) for n in split(row["Base model"])) if b}
        accessibility = clean(row["Model accessibility"])
        if accessibility:
            model.accessibility.add(accessibility)
            if accessibility in self.tables["epoch-access"]:
                model.access.add(self.tables["epoch-access"][accessibility])
        return model

    def _read_hub(self) -> None:
        for key in self.hub_models:
            model = self.model_at(str(mint("model", key)))
            model.sources.add("epoch-benchmarks")
            if key in self.hub_first_release:
                model.published.add(self.hub_first_release[key])

    def _read_bmlist(self) -> None:
        for item in self.bmlist:
            name = clean(item["name"])
            orgs = {o for o in (self.entity("org", a) for a in item["affiliation"]) if o}
            topics = set()
            for domain in item["domain"]:
                topics |= {self.iri("topic", t) for t in self.tables["bmlist-domain"].get(domain, {}).get("topics", [])}
            released = self.corrected("bmlist", name, "release_date", item["release_date"])
            dropped = None if released else _date(item["release_date"])
            family = str(mint("family", self.key("family", name))) if self._is_family(item) else None
            for size, count, moe in self._sizes(item):
                model = self.model(size, "bmlist")
                model.sources.add("bmlist")
                model.topics |= topics
                model.orgs |= orgs
                model.counts["bmlist"].add(count)
                if moe:
                    model.techniques.add(self.iri("technique", MIXTURE_OF_EXPERTS))
                if released:
                    model.published.add(_date(released))
                else:
                    self.dropped_dates[model.iri].add(dropped)
                if family:
                    model.families.add(family)
                    self.families[family].add(model.iri)
                    self.family_orgs[family] |= orgs

    def _read_helm(self) -> None:
        values = defaultdict(lambda: defaultdict(set))  # model key -> field -> values over its HELM entries
        for entry in self.helm:
            outcome, key = self.helm_match[entry["helm_id"]]
            if outcome != "ambiguous":
                values[key]["access"].add(entry["access"])
                if entry["parameters"]:
                    values[key]["parameters"].add(entry["parameters"])
        for entry in self.helm:
            outcome, key = self.helm_match[entry["helm_id"]]
            if outcome == "ambiguous":
                continue
            model = self.model_at(str(mint("model", key)))
            model.sources.add("helm")
            for tag in entry["tags"]:
                model.topics |= {self.iri("topic", t) for t in self.tables["helm-tag"].get(tag, {}).get("topics", [])}
            if outcome == "new" or not self.model_orgs.get(key):
                model.orgs |= {o for o in (self.entity("org", name) for name in entry["orgs"]) if o}
            if outcome == "new" and entry["released"]:
                model.published.add(entry["released"])
            if len(values[key]["access"]) == 1:
                model.access |= values[key]["access"]
            if len(values[key]["parameters"]) == 1:
                model.counts["helm"] |= values[key]["parameters"]

    def _ref(self, kind: str, reference) -> str | None:
        """A curated reference's IRI, or None when no source defines it (the build drops it)."""
        reference = str(reference).strip()
        if kind == "publication":
            key = self.publication_key(reference)
            return str(mint("publication", key)) if key in self.defined["publication"] else None
        return self.iri(kind, reference) if self.known(kind, reference) else None

    def _refs(self, kind: str, value) -> set[str]:
        items = value if isinstance(value, list) else [value] if value else []
        return {iri for iri in (self._ref(kind, v) for v in items) if iri}

    def developer(self, name: str) -> str | None:
        return self.iri("org", name) if self.known("org", name) else self.entity("org", name)

    def _read_curated(self) -> None:
        for record in self.curated["models"]:
            if record.get("key"):
                targets = [self.model(str(record["key"]))]
            elif self.known_model(str(record["name"])):
                targets = [self.model(str(record["name"]))]
            elif self.key("family", str(record["name"])) in self.family_sizes:
                targets = [self.model_at(str(mint("model", k)))
                           for k in self.family_sizes[self.key("family", str(record["name"]))]]
            else:
                continue
            for model in targets:
                self._curated_model(record, model)
        for record in self.curated["families"]:
            family = self.iri("family", str(record["key"]))
            developers = (self.developer(str(d)) for d in record.get("developers") or [])
            self.family_orgs[family] |= {d for d in developers if d}
            for member in self._refs("model", record["members"]):
                self.families[family].add(member)
                self.model_at(member).families.add(family)
        for record in self.curated["organizations"]:
            org = self.iri("org", record["key"])
            if record.get("category"):
                self.org_category[org].add(record["category"])
            if record.get("country"):
                self.org_country[org].add(self.iri("country", record["country"]))
        for section, kind in (("systems", "system"), ("datasets", "dataset"), ("benchmarks", "benchmark")):
            for record in self.curated[section]:
                self.other_developers[self.iri(kind, record["key"])] |= {
                    d for d in (self.developer(str(d)) for d in record.get("developers") or []) if d}

    def _curated_model(self, record: dict, model: Model) -> None:
        model.sources.add("curated")
        for kind in record.get("kinds") or []:
            entry = self.tables["epoch-domain"].get(kind) or self.tables["bmlist-domain"][kind]
            model.topics |= {self.iri("topic", t) for t in entry["topics"]}
        model.topics |= self._refs("topic", record.get("topics"))
        model.orgs |= {d for d in (self.developer(str(d)) for d in record.get("developers") or []) if d}
        for figure in ("parameters", "moe_parameters"):
            if record.get(figure):
                model.counts["curated"].add(int(record[figure]))
        if record.get("moe_parameters"):
            model.techniques.add(self.iri("technique", MIXTURE_OF_EXPERTS))
        if record.get("training_compute_flop"):
            model.compute.add(float(record["training_compute_flop"]))
        if record.get("date"):
            model.published.add(_date(str(record["date"])))
        if record.get("year"):
            model.years.add(int(record["year"]))
        model.techniques |= self._refs("technique", record.get("techniques"))
        model.tasks |= self._refs("task", record.get("tasks"))
        model.benchmarks |= self._refs("benchmark", record.get("benchmarks"))
        model.datasets |= self._refs("dataset", record.get("datasets"))
        model.hardware |= self._refs("hardware", record.get("hardware"))
        model.bases |= self._refs("model", record.get("base_model"))
        model.introduced_in |= self._refs("publication", record.get("introduced_in"))
        for family in self._refs("family", record.get("family")):
            model.families.add(family)
            self.families[family].add(model.iri)

    def _read_trained(self) -> None:
        # The hardware file's "ML models" link only models that some source describes.
        for row in self.chips:
            chip = self.iri("hardware", clean(row["Hardware name"]))
            self.trained[chip] = {self.iri("model", name) for name in split(row["ML models"])
                                  if self.known_model(name)}

    # -- derived views ---------------------------------------------------------

    @contextmanager
    def with_dropped_dates(self):
        """The models as if the corrections had not dropped any publication date: what the
        build states while it fails to apply a date correction (see DATE_CORRECTION_BUG)."""
        saved = {iri: set(self.models[iri].published) for iri in self.dropped_dates}
        for iri, dates in self.dropped_dates.items():
            self.models[iri].published |= dates
        try:
            yield self
        finally:
            for iri, dates in saved.items():
                self.models[iri].published = dates

    def training_links(self, asserted_only: bool = False) -> set[tuple[str, str]]:
        """(model, hardware) pairs. Without inference, the hardware file's links stay on
        the hardware's side (bm:trained) and do not count as bm:trainingHardware."""
        links = {(m.iri, h) for m in self.models.values() for h in m.hardware}
        if not asserted_only:
            links |= {(m, h) for h, models in self.trained.items() for m in models}
        return links

    def records(self, section: str) -> dict[str, dict]:
        kind = {"techniques": "technique", "systems": "system", "datasets": "dataset", "families": "family",
                "benchmarks": "benchmark", "tasks": "task", "open_problems": "problem", "topics": "topic"}[section]
        return {self.iri(kind, str(r["key"])): r for r in self.curated[section]}

    @functools.cache
    def topics_of(self, section: str) -> dict[str, set[str]]:
        return {iri: {self.iri("topic", t) for t in r.get("topics") or []} for iri, r in self.records(section).items()}

    @functools.cache
    def implied_by(self, section: str) -> dict[str, set[str]]:
        """The topics a technique, task or dataset implies (bm:impliesTopic, curated implies_topics)."""
        return {iri: {self.iri("topic", t) for t in r.get("implies_topics") or []}
                for iri, r in self.records(section).items()}

    def related_topics(self, model: Model) -> set[str]:
        """What bm:relatedTopic's property chains derive: the topics that the model's techniques,
        tasks and training datasets imply."""
        related = set()
        for group, section in ((model.techniques, "techniques"), (model.tasks, "tasks"), (model.datasets, "datasets")):
            implied = self.implied_by(section)
            for entity in group:
                related |= implied.get(entity, set())
        return related

    def developed(self, org: str) -> set[str]:
        made = {m.iri for m in self.models.values() if org in m.orgs}
        made |= {f for f, orgs in self.family_orgs.items() if org in orgs}
        return made | {e for e, orgs in self.other_developers.items() if org in orgs}

    def manufacturer(self, chip: str) -> str | None:
        row = self.hardware.get(chip)
        return self.entity("org", row["Manufacturer"]) if row and row["Manufacturer"].strip() else None


def _same(value, wrong) -> bool:
    """Whether a source's value is the one a correction names, as the source writes it."""
    if isinstance(wrong, (int, float)) and not isinstance(wrong, bool):
        try:
            return float(value) == float(wrong)
        except (TypeError, ValueError):
            return False
    return str(value).strip() == str(wrong).strip()


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip().replace("/", "-"))


@pytest.fixture(scope="session")
def sources() -> Sources:
    return Sources()
