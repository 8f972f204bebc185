"""Make the facts-only copy of an Epoch CSV that bmkg ships.

Epoch's exports mix fact columns with free text written by others (Abstract,
Authors, every "... notes" column). The shipped copy keeps the header names and
every fact column, and drops the free text, which may not be redistributed here.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ingest.adapters.tabular import read_text
from ingest.records import SourceError

_FREE_TEXT = re.compile(r"^(abstract|authors|notes|.+ notes)$", re.IGNORECASE)


def is_free_text(column: str) -> bool:
    """
    >>> [c for c in ["Model", "Abstract", "Parameters notes", "Notes", "Authors", "Link"] if is_free_text(c)]
    ['Abstract', 'Parameters notes', 'Notes', 'Authors']
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
