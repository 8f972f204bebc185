"""Make the facts-only copies of the sources that bmkg ships.

Epoch's exports mix fact columns with free text written by others (Abstract, Authors,
every "... notes" column, and in the All AI models export Benchmark data, Archived links
and Training data center, whose cells are text that does not line up with the header).
A shipped CSV copy keeps the header names and every fact column, and drops the rest,
which may not be redistributed here. HELM's registry loses its model descriptions and
the deployments' client configuration.

A folder copy (the Benchmarking Hub, HELM) gets a ``snapshot.json`` manifest: the
upstream release and snapshot day, and per file the rows kept, the columns or keys
dropped and the sha256 of the downloaded file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import yaml

from ingest.adapters.tabular import read_text
from ingest.records import SourceError

MANIFEST = "snapshot.json"
_FREE_TEXT = re.compile(r"^(abstract|authors|notes|notes \(.*\)|.+ notes|benchmark data|archived links|"
                        r"training data center)$", re.IGNORECASE)
HELM_FILES = {"model_metadata.yaml": ("models", {"description"}),
              "model_deployments.yaml": ("model_deployments", {"client_spec", "window_service_spec"})}


def is_free_text(column: str) -> bool:
    """
    >>> [c for c in ["Model", "Abstract", "Parameters notes", "Notes", "Notes (details)", "Authors", "Link",
    ...              "Training data center", "Training dataset"] if is_free_text(c)]
    ['Abstract', 'Parameters notes', 'Notes', 'Notes (details)', 'Authors', 'Training data center']
    """
    return bool(_FREE_TEXT.match(column.strip()))


def facts_only(source: Path, target: Path) -> tuple[int, list[str]]:
    """Write ``source`` without its free-text columns; return the row count and the dropped columns."""
    reader = csv.reader(io.StringIO(read_text(source), newline=""), strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as error:
        raise SourceError(source, f"no readable CSV header: {error}", 1) from error
    keep = [i for i, name in enumerate(header) if not is_free_text(name)]
    dropped = [name for name in header if is_free_text(name)]
    rows = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([header[i] for i in keep])
        try:
            for cells in reader:
                if len(cells) != len(header):
                    raise SourceError(source, f"expected {len(header)} cells, found {len(cells)}", reader.line_num)
                writer.writerow([cells[i] for i in keep])
                rows += 1
        except csv.Error as error:
            raise SourceError(source, f"malformed CSV: {error}", reader.line_num) from error
    return rows, dropped


def benchmark_hub(download: Path, target: Path, snapshot_date: dt.date, upstream: str) -> dict:
    """Copy every CSV of Epoch's Benchmarking Hub folder without its free-text columns."""
    sources = sorted(download.glob("*.csv"))
    if not sources:
        raise SourceError(download, "no *.csv files: expected the Benchmarking Hub folder")
    files = {}
    for source in sources:
        rows, dropped = facts_only(source, target / source.name)
        files[source.name] = {"rows": rows, "dropped": dropped, "download_sha256": _sha256(source)}
    return _manifest(target, upstream, snapshot_date, files)


def helm_registry(download: Path, target: Path, snapshot_date: dt.date, upstream: str) -> dict:
    """Copy HELM's two registry files without descriptions and client configuration, and its licence."""
    files = {}
    target.mkdir(parents=True, exist_ok=True)
    for name, (key, drop) in HELM_FILES.items():
        source = download / name
        if not source.is_file():
            raise SourceError(source, "missing: the HELM download folder must hold this file")
        try:
            document = yaml.safe_load(read_text(source))
        except yaml.YAMLError as error:
            raise SourceError(source, f"YAML syntax error: {error}") from error
        if not isinstance(document, dict) or not isinstance(document.get(key), list):
            raise SourceError(source, f"expected a mapping with a list under {key!r}")
        entries = [{k: v for k, v in entry.items() if k not in drop} if isinstance(entry, dict) else entry
                   for entry in document[key]]
        dropped = sorted({k for entry in document[key] if isinstance(entry, dict) for k in entry} & drop)
        with (target / name).open("w", encoding="utf-8") as out:
            yaml.safe_dump({key: entries}, out, sort_keys=False, allow_unicode=True, width=120)
        files[name] = {"rows": len(entries), "dropped": dropped, "download_sha256": _sha256(source)}
    for licence in sorted(download.glob("LICENSE*")):
        shutil.copyfile(licence, target / licence.name)
        files[licence.name] = {"copied": True, "download_sha256": _sha256(licence)}
    return _manifest(target, upstream, snapshot_date, files)


def manifest_date(folder: Path) -> str | None:
    """The snapshot day a copy's manifest states, or None (a raw download has no manifest)."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        day = json.loads(path.read_text(encoding="utf-8")).get("snapshot_date")
        return dt.date.fromisoformat(day).isoformat()
    except (ValueError, TypeError, AttributeError):
        return None


def _manifest(target: Path, upstream: str, snapshot_date: dt.date, files: dict) -> dict:
    manifest = {"upstream": upstream, "snapshot_date": snapshot_date.isoformat(), "files": files}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
