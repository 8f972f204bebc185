"""bmkg's curated YAML (``ingest/data/curated/*.yaml``); the format is in that folder's README."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import yaml

from ingest.adapters.tabular import read_text
from ingest.records import Location, Record, Rejection, SourceError
from ontology import normalise_key

SOURCE = "curated"

# section -> (required fields, optional fields)
SCHEMA: dict[str, tuple[set[str], set[str]]] = {
    "parts": ({"key", "label", "order", "definition"}, set()),
    "topics": ({"key", "label", "part", "order", "definition", "subtopics"}, set()),
    "open_problems": ({"key", "title", "description", "topics", "publications"},
                      {"concerns", "model_kinds", "status"}),
    "techniques": ({"key", "label", "definition", "topics"}, {"aliases", "introduced_in", "subtopics"}),
    "systems": ({"key", "label", "techniques"},
                {"aliases", "definition", "topics", "developers", "introduced_in", "code_url", "homepage"}),
    "benchmarks": ({"key", "label", "topics"},
                   {"aliases", "definition", "modality", "introduced_in", "developers", "homepage"}),
    "datasets": ({"key", "label", "modality"},
                 {"aliases", "definition", "topics", "knowledge", "size_tokens", "size_bytes", "size_items",
                  "size_source", "licence", "year", "introduced_in", "developers", "homepage"}),
    "tasks": ({"key", "label", "topics"}, set()),
    "publications": ({"title", "year"}, {"id", "key", "url", "date", "withdrawn", "withdrawal_reason", "topics"}),
    "models": (set(), {"key", "name", "label", "aliases", "kinds", "developers", "date", "year", "parameters",
                       "moe_parameters", "training_compute_flop", "techniques", "datasets", "tasks", "benchmarks",
                       "hardware", "base_model", "introduced_in", "topics", "source"}),
    "organizations": ({"key", "label"}, {"aliases", "category", "country"}),
    "aliases": ({"kind", "key", "aliases"}, set()),
    "mappings": ({"table", "entries"}, set()),
}
SUBTOPIC_FIELDS = ({"key", "label"}, {"definition"})

# The type each field must have; a value of another type rejects the record.
_TEXT = {"key", "label", "title", "description", "definition", "part", "id", "url", "withdrawal_reason",
         "modality", "licence", "homepage", "code_url", "name", "kind", "table", "category", "country", "status",
         "size_source"}
_TEXTS = {"topics", "publications", "concerns", "model_kinds", "aliases", "techniques", "developers", "kinds",
          "datasets", "tasks", "benchmarks", "hardware"}
_TEXT_OR_TEXTS = {"introduced_in", "source", "base_model"}
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
    if field == "date" and not isinstance(value, (str, dt.date)):
        return "expected a date as YYYY-MM-DD"
    if field == "entries" and not isinstance(value, dict):
        return "expected a mapping"
    if field == "subtopics" and not isinstance(value, list):
        return "expected a list of subtopics"
    return None


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, for error reports."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def files(directory: Path) -> list[Path]:
    if directory.is_file():
        return [directory]
    found = sorted(directory.glob("*.yaml"))
    if not found:
        raise SourceError(directory, "no *.yaml files in the curated data folder")
    return found


def load(path: Path) -> dict:
    text = read_text(path)
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error)
        raise SourceError(path, f"YAML syntax error: {reason}", mark.line + 1 if mark else None) from error
    if document is None:
        raise SourceError(path, "the file is empty: expected a mapping of sections to lists")
    if not isinstance(document, dict):
        raise SourceError(path, "expected a mapping of section names to lists of records")
    document.pop("__line__", None)
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
    line = item.pop("__line__", None)
    item = _without_lines(item)
    name = item.get("key") or item.get("name") or item.get("id") or item.get("table")
    location = Location(file, f"{section}[{index}]", line, str(name) if name is not None else None)
    required, optional = SCHEMA[section]
    problems = _check_fields(item, required, optional)
    if section == "models" and not ({"key", "name"} & set(item)):
        problems.append(("key", "a model record needs a key (a new model) or a name (an existing one)"))
    if section == "publications" and not ({"id", "key"} & set(item)):
        problems.append(("id", "a publication needs an id (arxiv:... or doi:...) or a key with a url"))
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


def _check_fields(item: dict, required: set[str], optional: set[str]) -> list[tuple[str, str]]:
    problems = [(f, "required field is missing or empty") for f in sorted(required)
                if item.get(f) in (None, "", [], {})]
    problems += [(f, f"unknown field (known: {', '.join(sorted(required | optional))})")
                 for f in sorted(set(item) - required - optional)]
    problems += [(f, reason) for f in sorted(set(item) & (required | optional))
                 if item[f] is not None and (reason := _type_problem(f, item[f]))]
    return problems


def _without_lines(value):
    if isinstance(value, dict):
        return {k: _without_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_without_lines(v) for v in value]
    return value
