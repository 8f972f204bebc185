"""Records read from sources, and the problems found while reading them.

An adapter yields ``Record`` objects. A problem with one record becomes a
``Rejection`` (the record, or one of its fields, is left out and reported); a
problem with the whole file raises ``SourceError`` and rejects the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Location:
    """Where a record sits in its file: a CSV row, a JSON list index, a YAML item."""

    file: Path
    record: str  # e.g. "row 17", "item 42", "topics[3]"
    line: int | None = None
    name: str | None = None  # the record's own name, when it has one

    def __str__(self) -> str:
        text = f"{self.file.name}, {self.record}"
        if self.line is not None:
            text += f" (line {self.line})"
        if self.name:
            text += f" {self.name!r}"
        return text


@dataclass
class Record:
    """One source record: parsed field values plus where they came from."""

    source: str
    location: Location
    fields: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


@dataclass(frozen=True)
class Rejection:
    """A record or field that was left out, and why."""

    source: str
    location: Location
    field: str | None
    value: Any
    reason: str
    whole_record: bool = True

    def __str__(self) -> str:
        scope = "record rejected" if self.whole_record else "field dropped"
        where = f"{self.location}" + (f", field {self.field!r}" if self.field else "")
        value = "" if self.value is None else f": value {self.value!r}"
        return f"{where}{value}: {self.reason} ({scope})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": str(self.location.file),
            "record": self.location.record,
            "line": self.location.line,
            "name": self.location.name,
            "field": self.field,
            "value": None if self.value is None else str(self.value),
            "reason": self.reason,
            "whole_record": self.whole_record,
        }


class IngestError(Exception):
    """Base of the errors that stop a build."""


class SourceError(IngestError):
    """A whole source cannot be read: missing column, bad encoding, syntax error."""

    def __init__(self, file: Path, reason: str, line: int | None = None):
        self.file = file
        self.reason = reason
        self.line = line
        where = f"{file}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {reason}")


class FieldError(ValueError):
    """A value that does not parse as its field requires; the message says what was expected."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
