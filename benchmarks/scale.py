"""Larger inputs by deterministic replication of the real records.

Size xN holds the shipped records of the replicated sources (Epoch's all-models and
notable exports, Epoch hardware, BMList) unchanged, plus N-1 replicas of each, whose names carry a
suffix such as `` [r7]``. A replica's references follow it into its own replica:
an Epoch model row of replica 7 names the hardware, base models and datasets of
replica 7 (``"NVIDIA A100 [r7]"``), and an Epoch hardware row's ``ML models``
names the models of replica 7, so every replica has the shape of the real data.
References to what a replicated source does not define stay as written: curated
datasets and models, names that match nothing (they stay unmatched), and
organisations, countries, domains and tasks, which the replicas share, as new
models of the same labs would. Curated data, the Benchmarking Hub and HELM stay as
they are: their results keep naming the shipped models.

BMList rows that the curated alias table merges with an Epoch row (``GPT-3`` with
``GPT-3 175B (davinci)``) take that Epoch row's suffixed name in their replica, so
the merges replicate as well; a row that merges by its own name keeps it.

The output is deterministic: the same size gives byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from ingest import values
from ingest.adapters.registry import SOURCES
from ingest.mapping import PLACEHOLDERS, Mapper
from ingest.records import Record
from ingest.reports import Reporter
from ingest.writer import StoreWriter
from ontology import normalise_key

REPLICATED = ("epoch-models", "epoch-notable", "epoch-hardware", "bmlist")


def suffix(name: str, replica: int) -> str:
    return f"{name} [r{replica}]"


@dataclass
class Names:
    """What the shipped records define, as the build's own resolver sees it."""

    mapper: Mapper
    hardware: dict[str, str]  # hardware key -> the Epoch hardware row's name
    models: dict[str, str]  # model key -> the name its replicas take

    @classmethod
    def load(cls, build_date: dt.date | None = None, reports: Path | None = None) -> "Names":
        day = build_date or dt.date.today()
        records: dict[str, list[Record]] = defaultdict(list)
        for name in (*REPLICATED, "curated"):
            source = SOURCES[name]
            records[name] = [r for r in source.read(source.default_path, day) if isinstance(r, Record)]
        # the build's first mapping pass: aliases, and the entities each source defines
        reporter = Reporter(reports or Path(tempfile.mkdtemp(prefix="bmkg-scale-")))
        mapper = Mapper(StoreWriter(pyoxigraph.Store()), reporter, day)
        mapper.prepare(records["curated"])
        for name in REPLICATED:
            for record in records[name]:
                mapper.register(record)
        reporter.close()
        resolver = mapper.resolver
        hardware = {}
        for record in records["epoch-hardware"]:
            hardware.setdefault(resolver.key("hardware", record.get("name")), record.get("name"))
        models: dict[str, str] = {}
        # An exact spelling of the key first (Epoch before BMList), then any row resolving to it.
        for exact in (True, False):
            for name in ("epoch-models", "bmlist"):
                for record in records[name]:
                    own = record.get("name")
                    key = resolver.key("model", own)
                    if exact == (normalise_key(own) == key):
                        models.setdefault(key, own)
        return cls(mapper, hardware, models)

    def hardware_ref(self, name: str, replica: int) -> str:
        key = self.mapper.resolver.key("hardware", name)
        return suffix(self.hardware[key], replica) if key in self.hardware else name

    def model_ref(self, name: str, replica: int) -> str:
        key = self.mapper.resolver.key("model", name)
        return suffix(self.models[key], replica) if key in self.models else name

    def dataset_ref(self, name: str, replica: int) -> str:
        resolver = self.mapper.resolver
        key = resolver.key("dataset", name)
        if key in PLACEHOLDERS or "curated" in resolver.definers("dataset", key):
            return name
        return suffix(name, replica)

    def bmlist_name(self, name: str, replica: int) -> str:
        key = self.mapper.resolver.key("model", name)
        epoch_name = self.models.get(key)
        if epoch_name is not None and normalise_key(name) != key:
            return suffix(epoch_name, replica)
        return suffix(name, replica)


def _list_cell(cell: str, rename, replica: int) -> str:
    items = values.split_list(cell)
    if not items:
        return cell
    renamed = [rename(item, replica) for item in items]
    return cell if renamed == items else ",".join(renamed)


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    return rows[0], [row for row in rows[1:] if any(cell.strip() for cell in row)]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _replicate_csv(source: str, factor: int, target: Path, rules: dict) -> int:
    """Rows of the shipped CSV, then each replica's; ``rules`` maps a column to how it renames."""
    header, rows = _csv_rows(SOURCES[source].default_path)
    index = {column: header.index(column) for column in rules}
    out = [list(row) for row in rows]
    for replica in range(1, factor):
        for row in rows:
            copy = list(row)
            for column, rename in rules.items():
                position = index[column]
                copy[position] = rename(copy[position], replica)
            out.append(copy)
    _write_csv(target, header, out)
    return len(out)


def replicate(factor: int, directory: Path, build_date: dt.date | None = None) -> dict[str, Path]:
    """Write the xN inputs under ``directory``; the ``--source`` overrides that select them.

    ``factor`` 1 returns no overrides: x1 is the shipped sources themselves.
    """
    if factor < 1:
        raise ValueError(f"the size factor must be 1 or more, got {factor}")
    if factor == 1:
        return {}
    directory.mkdir(parents=True, exist_ok=True)
    names = Names.load(build_date, directory / "name-reports")
    paths = {"epoch-models": directory / f"all_ai_models_x{factor}.csv",
             "epoch-notable": directory / f"notable_ai_models_x{factor}.csv",
             "epoch-hardware": directory / f"ml_hardware_x{factor}.csv",
             "bmlist": directory / f"bmlist_x{factor}.json"}

    def name_cell(cell: str, replica: int) -> str:
        return suffix(values.clean_text(cell), replica) if values.clean_text(cell) else cell

    epoch_rules = {
        "Model": name_cell,
        "Training hardware": lambda cell, r: _list_cell(cell, names.hardware_ref, r),
        "Base model": lambda cell, r: _list_cell(cell, names.model_ref, r),
        "Training dataset": lambda cell, r: _list_cell(cell, names.dataset_ref, r),
    }
    for source in ("epoch-models", "epoch-notable"):
        _replicate_csv(source, factor, paths[source], epoch_rules)
    _replicate_csv("epoch-hardware", factor, paths["epoch-hardware"], {
        "Hardware name": name_cell,
        "ML models": lambda cell, r: _list_cell(cell, names.model_ref, r),
    })
    document = json.loads(SOURCES["bmlist"].default_path.read_text(encoding="utf-8"))
    header, items = document[0], document[1:]
    out = [header] + items
    for replica in range(1, factor):
        for item in items:
            copy = dict(item)
            if isinstance(copy.get("name"), str) and values.clean_text(copy["name"]):
                copy["name"] = names.bmlist_name(values.clean_text(copy["name"]), replica)
            out.append(copy)
    paths["bmlist"].write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths
