"""Reading a CSV file the way Epoch publishes it, with structural checks.

Structural problems (bytes that are not UTF-8, a missing column, a quoted
cell that never closes, no rows at all) raise SourceError naming the file and
line. Rows come back as dicts with their line numbers; parsing the cells is the
adapter's business.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest import values
from ingest.records import FieldError, Location, Record, Rejection, SourceError
from ontology import normalise_key


def read_text(path: Path) -> str:
    """The file's text, strictly UTF-8 (a BOM is allowed)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(path, f"cannot read the file: {error.strerror or error}") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SourceError(
            path, f"not UTF-8: byte 0x{data[error.start]:02x} at offset {error.start} cannot be decoded", line
        ) from error


def check_utf8(path: Path) -> bool:
    """Whether the file holds anything but white space; SourceError naming the line of the first
    byte that is not UTF-8. Reads the file in chunks, so a large source is never held whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = lines = 0
    content = False
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    line = lines + chunk.count(b"\n", 0, error.start) + 1
                    raise SourceError(path, f"not UTF-8: byte 0x{chunk[error.start]:02x} at offset "
                                            f"{offset + error.start} cannot be decoded", line) from error
                content = content or bool(text.strip().strip("\ufeff"))
                offset += len(chunk)
                lines += chunk.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise SourceError(path, "not UTF-8: the file ends inside a character", lines + 1) from error
    except OSError as error:
        raise SourceError(path, f"cannot read the file: {error.strerror or error}") from error
    return content


def read_rows(path: Path, required: list[str]) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Check the header and return it with an iterator of (line, row) pairs.

    The file is read as it is iterated, never whole. The iterator raises SourceError
    when the CSV structure breaks part-way.
    """
    if not check_utf8(path):
        raise SourceError(path, "the file is empty: expected a header row and data rows")
    handle = path.open(encoding="utf-8-sig", newline="")
    try:
        header = _checked_header(path, csv.reader(handle, strict=True), required)
    except BaseException:
        handle.close()
        raise
    # a second reader on the same handle counts lines from the first data row
    return header, _rows(path, handle, csv.reader(handle, strict=True), header)


def _checked_header(path: Path, reader, required: list[str]) -> list[str]:
    try:
        header = next(reader)
    except csv.Error as error:
        raise SourceError(path, f"malformed CSV header: {error}", 1) from error
    header = [name.strip() for name in header]
    missing = [name for name in required if name not in header]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, header, n=1, cutoff=0.6)
            hints.append(f"{name!r}" + (f" (found {close[0]!r}: renamed?)" if close else ""))
        raise SourceError(path, "missing required column(s): " + ", ".join(hints), 1)
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise SourceError(path, f"column(s) appear twice in the header: {', '.join(duplicated)}", 1)
    return header


def _rows(path: Path, handle, reader, header: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows with their first line numbers; the file closes when they are read or dropped."""
    with handle:
        count = 0
        start = 2
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise SourceError(
                    path, f"malformed CSV (an unclosed quote or stray character?): {error}", start
                ) from error
            line, start = start, reader.line_num + 2  # reader counts from the second line
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise SourceError(path, f"expected {len(header)} cells, found {len(cells)}", line)
            count += 1
            yield line, dict(zip(header, cells))
        if count == 0:
            raise SourceError(path, "the file has a header but no data rows")


# Date parsers get the build day, after which no date may lie.
_DATED = (values.parse_date, values.parse_timestamp_date, values.parse_day_first_date)


@dataclass(frozen=True)
class Column:
    """How one CSV column becomes one record field."""

    header: str
    field: str
    parse: Callable[[str], Any]
    zero_is_unknown: bool = False  # a zero is dropped and reported, the record kept
    drop_on_error: bool = False  # a bad value is dropped and reported, the record kept


def read_records(
    path: Path,
    source: str,
    columns: list[Column],
    build_date: dt.date,
    optional: list[Column] = (),
) -> Iterator[Record | Rejection]:
    """Parse every row into a Record, or Rejections naming row, column and value.

    The first column is the record's name; a second row with the same
    normalised name is rejected as a duplicate.
    """
    header, rows = read_rows(path, [c.header for c in columns])
    columns = list(columns) + [c for c in optional if c.header in header]
    name_column = columns[0].header
    seen: dict[str, int] = {}
    for number, (line, row) in enumerate(rows, start=1):
        name = values.clean_text(row[name_column])
        location = Location(path, f"row {number}", line, name or None)
        key = normalise_key(name) if name else ""
        if not key:
            yield Rejection(source, location, name_column, row[name_column], "expected a name with letters or digits")
            continue
        if key in seen:
            yield Rejection(source, location, name_column, name, f"duplicate of row {seen[key]}: same name")
            continue
        record = Record(source, location)
        problems: list[Rejection] = []
        for column in columns:
            cell = row[column.header]
            if not cell.strip():
                continue
            try:
                if column.parse in _DATED:
                    value = column.parse(cell, latest=build_date)
                else:
                    value = column.parse(cell)
            except FieldError as error:
                zero = column.zero_is_unknown and _is_zero(cell)
                dropped = zero or column.drop_on_error
                reason = "zero is not a meaningful value here" if zero else str(error)
                problems.append(Rejection(source, location, column.header, cell.strip(), reason,
                                          whole_record=not dropped))
                continue
            record.fields[column.field] = value
        if any(p.whole_record for p in problems):
            yield from (p for p in problems if p.whole_record)
            continue
        seen[key] = number
        yield from problems
        yield record


def _is_zero(cell: str) -> bool:
    try:
        return float(cell) == 0
    except ValueError:
        return False
