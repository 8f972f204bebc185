"""OpenBMB's BMList ``all_models.json``: a header object, then one object per model."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

from ingest import values
from ingest.adapters.tabular import read_text
from ingest.records import FieldError, Location, Record, Rejection, SourceError
from ontology import normalise_key

SOURCE = "bmlist"

KNOWN_FIELDS = {"name", "release_date", "affiliation", "language", "domain", "parameters_dense",
                "parameters_MoE", "paper/news", "model", "code", "api"}


def read_document(path: Path) -> list:
    text = read_text(path)
    if not text.strip():
        raise SourceError(path, "the file is empty: expected a JSON list of models")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SourceError(path, f"JSON syntax error: {error.msg} (column {error.colno})", error.lineno) from error
    if not isinstance(document, list) or not document:
        raise SourceError(path, "expected a JSON list: a header object, then one object per model")
    return document


def snapshot_date(document: list) -> str | None:
    header = document[0]
    if isinstance(header, dict) and "last_updated" in header:
        return str(header["last_updated"]).replace("/", "-")
    return None


def read(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    document = read_document(path)
    items = document[1:] if snapshot_date(document) is not None else document
    if not items:
        raise SourceError(path, "the list holds no model records")
    seen: dict[str, int] = {}
    for index, item in enumerate(items, start=1):
        name = item.get("name") if isinstance(item, dict) else None
        name = values.clean_text(name) if isinstance(name, str) else ""
        location = Location(path, f"item {index}", None, name or None)
        if not isinstance(item, dict):
            yield Rejection(SOURCE, location, None, item, "expected a JSON object for a model")
            continue
        try:
            record = _record(item, location, build_date)
        except FieldError as error:
            value = item.get(error.field) if error.field else None
            yield Rejection(SOURCE, location, error.field, value, str(error))
            continue
        key = normalise_key(record.fields["name"])
        if key in seen:
            yield Rejection(SOURCE, location, "name", name, f"duplicate of item {seen[key]}: same name")
            continue
        seen[key] = index
        yield record


def _record(item: dict, location: Location, build_date: dt.date) -> Record:
    unknown = sorted(set(item) - KNOWN_FIELDS)
    if unknown:
        raise FieldError(f"unknown field (known: {', '.join(sorted(KNOWN_FIELDS))})", unknown[0])
    fields: dict = {}
    for required in ("name", "release_date", "affiliation", "domain", "paper/news"):
        if not item.get(required):
            raise FieldError("required field is missing or empty", required)
    fields["name"] = _checked("name", item["name"], values.clean_text)
    if not normalise_key(fields["name"]):
        raise FieldError("expected a name with letters or digits", "name")
    fields["release_date"] = _checked("release_date", item["release_date"],
                                      lambda t: values.parse_date(t, latest=build_date))
    for field, target in (("affiliation", "organizations"), ("language", "languages"), ("domain", "domains")):
        fields[target] = [_checked(field, v, values.clean_text) for v in _as_list(field, item.get(field, []))]
    if not item.get("parameters_dense") and not item.get("parameters_MoE"):
        raise FieldError("one of parameters_dense and parameters_MoE is required", "parameters_dense")
    for field, target in (("parameters_dense", "parameters"), ("parameters_MoE", "moe_parameters")):
        sizes = _as_list(field, item.get(field, []))
        fields[target] = [_checked(field, v, values.parse_parameter_text) for v in sizes]
        # the sizes as written ("175B"), which name each size of a family's models
        fields[target.removesuffix("s") + "_texts"] = [values.clean_text(v).lstrip("~").strip() for v in sizes]
    for field, target in (("paper/news", "paper"), ("model", "weights"), ("code", "code"), ("api", "api")):
        if item.get(field):
            fields[target] = _checked(field, item[field], values.parse_url)
    return Record(SOURCE, location, fields)


def _as_list(field: str, value) -> list:
    if isinstance(value, list):
        return value
    raise FieldError(f"expected a list, got {type(value).__name__}", field)


def _checked(field: str, value, parse):
    if not isinstance(value, str):
        raise FieldError(f"expected text, got {type(value).__name__} {value!r}", field)
    try:
        return parse(value)
    except FieldError as error:
        raise FieldError(str(error), field) from error
