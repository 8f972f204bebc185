"""bmkg's curated YAML (``ingest/data/curated/*.yaml``); the format is in that folder's README."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from ingest.adapters import yaml_lines
from ingest.records import Location, Record, Rejection, SourceError
from ontology import normalise_key

SOURCE = "curated"

# section -> (required fields, optional fields)
SCHEMA: dict[str, tuple[set[str], set[str]]] = {
    "parts": ({"key", "label", "order", "definition"}, set()),
    "topics": ({"key", "label", "part", "order", "definition", "subtopics"}, set()),
    "open_problems": ({"key", "title", "description", "why_open", "topics", "publications", "status",
                       "last_reviewed"},
                      {"concerns", "model_kinds", "addressed_by"}),
    "techniques": ({"key", "label", "definition", "topics"}, {"aliases", "introduced_in", "subtopics", "implies_topics"}),
    "systems": ({"key", "label", "techniques"},
                {"aliases", "definition", "topics", "developers", "introduced_in", "code_url", "homepage"}),
    "benchmarks": ({"key", "label", "topics"},
                   {"aliases", "definition", "modality", "introduced_in", "developers", "homepage", "tasks",
                    "dataset", "part_of"}),
    "datasets": ({"key", "label", "modality"},
                 {"aliases", "definition", "topics", "knowledge", "size_tokens", "size_bytes", "size_items",
                  "size_source", "licence", "year", "introduced_in", "developers", "homepage", "implies_topics"}),
    "tasks": ({"key", "label", "topics"}, {"implies_topics"}),
    "publications": ({"title", "year"}, {"id", "key", "url", "date", "withdrawn", "withdrawal_reason", "topics"}),
    "models": (set(), {"key", "name", "label", "aliases", "kinds", "developers", "date", "year", "parameters",
                       "moe_parameters", "training_compute_flop", "techniques", "datasets", "tasks", "benchmarks",
                       "hardware", "base_model", "introduced_in", "topics", "source", "family"}),
    "organizations": ({"key", "label"}, {"aliases", "category", "country", "country_source", "part_of"}),
    "organization_changes": ({"key", "label", "date", "original", "resulting", "source"}, set()),
    "families": ({"key", "label", "members", "source"}, {"aliases", "developers", "introduced_in"}),
    "corrections": ({"source", "record", "field", "reason", "evidence"}, {"value"}),
    "aliases": ({"kind", "key", "aliases"}, {"source"}),
    "mappings": ({"table", "entries"}, set()),
}
SUBTOPIC_FIELDS = ({"key", "label"}, {"definition"})

# The type each field must have; a value of another type rejects the record.
_TEXT = {"key", "label", "title", "description", "definition", "part", "id", "url", "withdrawal_reason",
         "modality", "licence", "homepage", "code_url", "name", "kind", "table", "category", "country", "status",
         "size_source", "country_source", "record", "field", "reason", "evidence", "why_open"}
_TEXTS = {"topics", "publications", "concerns", "model_kinds", "aliases", "techniques", "developers", "kinds",
          "datasets", "tasks", "benchmarks", "hardware", "implies_topics", "original", "resulting", "members",
          "addressed_by"}
# Fields that must be a web address.
_URL = {"country_source", "evidence"}
# Sections whose ``source`` is one text: a source name (aliases, corrections), a URL (changes),
# or a publication reference or URL (families).
_ONE_SOURCE = {"aliases", "corrections", "families", "organization_changes"}
_TEXT_OR_TEXTS = {"introduced_in", "source", "base_model", "dataset", "family", "part_of"}
_WHOLE = {"order", "year", "parameters", "moe_parameters"}
_NUMBER = {"size_tokens", "size_bytes", "size_items", "training_compute_flop"}
_FLAG = {"withdrawn", "knowledge"}


def _type_problem(field: str, value) -> str | None:
    """What is wrong with a field value's type, or None. Keys and names may be written as numbers."""
    scalar = (str, int, float) if field in ("key", "name") else (str,)
    if field in _TEXT and not (isinstance(value, scalar) and not isinstance(value, bool)):
        return "expected text"
    if field == "key" and not normalise_key(str(value)):
        return "expected a key with letters or digits, such as mixture-of-experts"
    if field in _TEXTS and not (isinstance(value, list) and all(isinstance(v, (str, int, float)) and
                                                                not isinstance(v, bool) for v in value)):
        return "expected a list of texts"
    if field in _TEXT_OR_TEXTS and not (isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value))):
        return "expected a text or a list of texts"
    if field in _WHOLE and (isinstance(value, bool) or not isinstance(value, int)):
        return "expected a whole number"
    if field in _NUMBER and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return "expected a number"
    if field in _FLAG and not isinstance(value, bool):
        return "expected true or false"
    if field in _URL and isinstance(value, str) and not value.startswith(("http://", "https://")):
        return "expected a URL (http:// or https://)"
    if field == "value" and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
        return "expected a text or a number: the value as the source writes it"
    if field == "date" and not isinstance(value, (str, dt.date)) and not _is_year(value):
        return "expected a date as YYYY-MM-DD"
    if field == "last_reviewed" and not isinstance(value, (str, dt.date)):
        return "expected a date as YYYY-MM-DD"
    if field == "entries" and not isinstance(value, dict):
        return "expected a mapping"
    if field == "subtopics" and not isinstance(value, list):
        return "expected a list of subtopics"
    return None


def files(directory: Path) -> list[Path]:
    if directory.is_file():
        return [directory]
    found = sorted(directory.glob("*.yaml"))
    if not found:
        raise SourceError(directory, "no *.yaml files in the curated data folder")
    return found


def load(path: Path) -> dict:
    document = yaml_lines.load(path)
    if document is None:
        raise SourceError(path, "the file is empty: expected a mapping of sections to lists")
    if not isinstance(document, dict):
        raise SourceError(path, "expected a mapping of section names to lists of records")
    document.pop(yaml_lines.LINE, None)
    unknown = sorted(set(document) - set(SCHEMA))
    if unknown:
        raise SourceError(path, f"unknown section(s) {', '.join(map(repr, unknown))}; known: {', '.join(SCHEMA)}")
    for section, items in document.items():
        if not isinstance(items, list):
            raise SourceError(path, f"section {section!r} must be a list of records")
    return document


def read(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    for file in files(path):
        for section, items in load(file).items():
            for index, item in enumerate(items):
                yield from _record(file, section, index, item)


def _record(file: Path, section: str, index: int, item) -> Iterator[Record | Rejection]:
    if not isinstance(item, dict):
        yield Rejection(SOURCE, Location(file, f"{section}[{index}]"), None, item, "expected a mapping of fields")
        return
    line = item.pop(yaml_lines.LINE, None)
    item = yaml_lines.without_lines(item)
    name = item.get("key") or item.get("name") or item.get("id") or item.get("table") or item.get("record")
    location = Location(file, f"{section}[{index}]", line, str(name) if name is not None else None)
    required, optional = SCHEMA[section]
    problems = _check_fields(item, required, optional)
    if section == "models" and not ({"key", "name"} & set(item)):
        problems.append(("key", "a model record needs a key (a new model) or a name (an existing one)"))
    if section == "publications" and not ({"id", "key"} & set(item)):
        problems.append(("id", "a publication needs an id (arxiv:... or doi:...) or a key with a url"))
    problems += _section_problems(section, item)
    if section == "topics" and isinstance(item.get("subtopics"), list):
        for position, sub in enumerate(item["subtopics"]):
            if not isinstance(sub, dict):
                problems.append((f"subtopics[{position}]", "expected a mapping"))
                continue
            problems += [(f"subtopics[{position}].{f}", r) for f, r in _check_fields(sub, *SUBTOPIC_FIELDS)]
    if problems:
        for field, reason in problems:
            yield Rejection(SOURCE, location, field, item.get(field), reason)
        return
    yield Record(SOURCE, location, {"section": section, **item})


def _section_problems(section: str, item: dict) -> list[tuple[str, str]]:
    """Rules for a field that differ by section."""
    problems = []
    source = item.get("source")
    if section in _ONE_SOURCE and source is not None and not isinstance(source, str):
        problems.append(("source", "expected one text"))
    when = item.get("date")
    if section == "organization_changes":
        if when is not None and not (isinstance(when, dt.date) or _is_year(when) or _is_iso_date(when)):
            problems.append(("date", "expected a date as YYYY-MM-DD, or a year"))
        if isinstance(source, str) and not source.startswith(("http://", "https://")):
            problems.append(("source", "expected a URL (http:// or https://) that states the change"))
    elif _is_year(when):
        problems.append(("date", "expected a date as YYYY-MM-DD"))
    return problems


def _is_year(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999


def _is_iso_date(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_fields(item: dict, required: set[str], optional: set[str]) -> list[tuple[str, str]]:
    problems = [(f, "required field is missing or empty") for f in sorted(required)
                if item.get(f) in (None, "", [], {})]
    problems += [(f, f"unknown field (known: {', '.join(sorted(required | optional))})")
                 for f in sorted(set(item) - required - optional)]
    problems += [(f, reason) for f in sorted(set(item) & (required | optional))
                 if item[f] is not None and (reason := _type_problem(f, item[f]))]
    return problems
