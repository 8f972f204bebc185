"""The sources bmkg builds from: one entry per source, with what a user needs to trust it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest import snapshot
from ingest.adapters import (bmlist, curated, epoch_benchmarks, epoch_hardware, epoch_models, helm, rdf_file,
                             wikidata)
from ingest.records import Record, Rejection

DATA = Path(__file__).resolve().parent.parent / "data"

Reader = Callable[[Path, dt.date], Iterator[Record | Rejection]]


@dataclass(frozen=True)
class Source:
    name: str  # also the named graph: https://w3id.org/bmkg/graph/{name}
    read: Reader
    default_path: Path | None
    title: str
    url: str
    licence: str
    attribution: str
    snapshot: Callable[[Path], str | None]


def _date_in_name(path: Path) -> str | None:
    match = re.search(r"(\d{4}-\d{2}-\d{2})", path.name)
    return match.group(1) if match else None


def _hardware_snapshot(path: Path) -> str | None:
    """The latest 'Last modified' day in Epoch's hardware file."""
    dates = re.findall(r",(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}:\d{2}\+00:00,", path.read_text(encoding="utf-8", errors="replace"))
    return max(dates) if dates else None


def _bmlist_snapshot(path: Path) -> str | None:
    return bmlist.snapshot_date(bmlist.read_document(path))


def _wikidata_snapshot(path: Path) -> str | None:
    """The day the linker last queried Wikidata, from the links file's provenance."""
    links = path / wikidata.LINKS_FILE if path.is_dir() else path
    if not links.is_file() or links.suffix == ".yaml":
        return None
    text = links.read_text(encoding="utf-8", errors="replace")
    times = re.findall(r'"(\d{4}-\d{2}-\d{2})T[^"]*"\^\^xsd:dateTime', text)
    return max(times) if times else None


def _manifest_snapshot(path: Path) -> str | None:
    """The snapshot day in a shipped folder copy's snapshot.json (a raw download has none)."""
    return snapshot.manifest_date(path) if path.is_dir() else None


_EPOCH_LICENCE = "https://creativecommons.org/licenses/by/4.0/"
_EPOCH_ATTRIBUTION = ("Data: Epoch AI, Notable AI Models and Machine Learning Hardware databases (epoch.ai), "
                      "CC BY 4.0")
_EPOCH_MODELS_ATTRIBUTION = "Data: Epoch AI, All AI Models and Notable AI Models databases (epoch.ai), CC BY 4.0"

SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("epoch-hardware", epoch_hardware.read, DATA / "epoch" / "ml_hardware_2026.csv",
               "Epoch AI: Machine Learning Hardware", "https://epoch.ai/data/machine-learning-hardware",
               _EPOCH_LICENCE, _EPOCH_ATTRIBUTION, _hardware_snapshot),
        Source("epoch-models", epoch_models.read, DATA / "epoch" / "all_ai_models_2025-03-14.csv",
               "Epoch AI: All AI Models", "https://epoch.ai/data/ai-models",
               _EPOCH_LICENCE, _EPOCH_MODELS_ATTRIBUTION, _date_in_name),
        Source("epoch-notable", epoch_models.read_as("epoch-notable"),
               DATA / "epoch" / "notable_ai_models_2025-02-24.csv",
               "Epoch AI: Notable AI Models", "https://epoch.ai/data/notable-ai-models",
               _EPOCH_LICENCE, _EPOCH_MODELS_ATTRIBUTION, _date_in_name),
        Source("epoch-benchmarks", epoch_benchmarks.read, DATA / "epoch" / "benchmarks",
               "Epoch AI: AI Benchmarking Hub", "https://epoch.ai/benchmarks",
               _EPOCH_LICENCE, "Benchmark data: Epoch AI, AI Benchmarking Hub (epoch.ai), CC BY 4.0",
               _manifest_snapshot),
        Source("helm", helm.read, DATA / "helm",
               "Stanford CRFM HELM: model registry (crfm-helm 0.5.16)", "https://github.com/stanford-crfm/helm",
               "https://www.apache.org/licenses/LICENSE-2.0",
               "Model metadata: Stanford CRFM HELM (crfm-helm 0.5.16), Apache-2.0", _manifest_snapshot),
        Source("bmlist", bmlist.read, DATA / "bmlist" / "all_models.json",
               "OpenBMB BMList", "https://github.com/OpenBMB/BMList",
               "https://www.apache.org/licenses/LICENSE-2.0",
               "BMList by the OpenBMB/BMList contributors, Apache License 2.0", _bmlist_snapshot),
        Source("curated", curated.read, DATA / "curated",
               "bmkg curated roadmap content", "https://w3id.org/bmkg/",
               "https://creativecommons.org/licenses/by/4.0/",
               "bmkg curated data, CC BY 4.0", lambda _path: None),
        Source("wikidata", wikidata.read, DATA / "wikidata",
               "Links from bmkg entities to Wikidata items", "https://www.wikidata.org/",
               "https://creativecommons.org/licenses/by/4.0/",
               "bmkg Wikidata links, CC BY 4.0; item identifiers from Wikidata (CC0)", _wikidata_snapshot),
    )
}


def added_rdf(path: Path) -> Source:
    """A source for an RDF file given with ``bmkg build --add``: its own named graph."""
    return Source(rdf_file.graph_name(path), rdf_file.read, path, f"Added RDF file {path.name}",
                  path.resolve().as_uri(), "", "", lambda _path: None)
