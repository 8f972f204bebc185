"""The HELM model registry (Stanford CRFM): ``model_metadata.yaml`` and ``model_deployments.yaml``.

The source is a folder holding both files (the crfm-helm package's ``helm/config/``, or the
facts-only copy in ``ingest/data/helm/``). One record per model of the metadata file, with
the deployments of the deployments file that name it. Model descriptions (text by others) and
the deployments' client and window-service specifications (code configuration) are never read.

Fields of a model record:

| field | key | value |
|---|---|---|
| ``helm_id`` | name | "creator/model", e.g. ``anthropic/claude-3-5-sonnet-20241022``; unique |
| ``creator``, ``model_id`` | name | the parts before and after the ``/`` |
| ``display_name`` | display_name | text |
| ``organization`` | creator_organization_name | text |
| ``access`` | access | "open", "limited" or "closed"; anything else rejects the model |
| ``parameters`` | num_parameters | int above 0 (optional) |
| ``release_date`` | release_date, else release | date, not after the build day (optional) |
| ``tags`` | tags | list of HELM's tag names (``TEXT_MODEL_TAG``, ...) |
| ``deprecated`` | tags | True when the tags hold ``DEPRECATED_MODEL_TAG`` |
| ``deployments`` | (deployments file) | list of {``name``, ``tokenizer``, ``max_sequence_length`` (int), ``deprecated`` (True)}, the keys present only when given; ``max_sequence_length`` is the context length |

17 models write their date under ``release`` instead of ``release_date``; it is read as the
release date. ``simple/model1`` (creator organisation "Helm") is the configuration's template
entry, not a model: it is rejected, and so is its deployment. A deployment naming a model the
metadata lacks (or one that was rejected), or repeating an earlier deployment's name, is
rejected; a bad context length drops only that value.

Counts on the shipped copy (crfm-helm 0.5.16, build day 2026-11-27): 623 entries -> 621 models
(the template and one duplicate entry, ``inceptionai/jais-family-6p7b-chat``, rejected);
609 deployments -> 590 attached (the template's and 18 repeated names rejected); 5 values
dropped: the four DALL-E 3 entries' num_parameters of 0, and ibm/granite-20b-code-instruct-8k's
release 2024-18-4.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest import values
from ingest.adapters import yaml_lines
from ingest.records import FieldError, Location, Record, Rejection, SourceError

SOURCE = "helm"
METADATA_FILE = "model_metadata.yaml"
DEPLOYMENTS_FILE = "model_deployments.yaml"
ACCESS = ("open", "limited", "closed")
DEPRECATED_TAG = "DEPRECATED_MODEL_TAG"
TEMPLATE_CREATORS = ("simple",)  # HELM's placeholder namespace for its template entries
MODEL_KEYS = {"name", "display_name", "description", "creator_organization_name", "access", "num_parameters",
              "release_date", "release", "tags"}


def files(folder: Path) -> tuple[Path, Path]:
    if not folder.is_dir():
        raise SourceError(folder, f"expected the HELM registry folder ({METADATA_FILE}, {DEPLOYMENTS_FILE})")
    for name in (METADATA_FILE, DEPLOYMENTS_FILE):
        if not (folder / name).is_file():
            raise SourceError(folder / name, "missing: the HELM registry folder must hold this file")
    return folder / METADATA_FILE, folder / DEPLOYMENTS_FILE


def entries(path: Path, key: str) -> list:
    """The list under ``key`` in one of HELM's files (each mapping with its line)."""
    document = yaml_lines.load(path)
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise SourceError(path, f"expected a mapping with a list under {key!r}")
    return document[key]


def read(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    metadata, deployments_path = files(path)
    records: dict[str, Record] = {}
    rejected: dict[str, str] = {}  # model name -> why it was rejected
    for index, item in enumerate(entries(metadata, "models")):
        name = item.get("name") if isinstance(item, dict) else None
        location = Location(metadata, f"models[{index}]", item.get(yaml_lines.LINE) if isinstance(item, dict) else None,
                            name if isinstance(name, str) else None)
        outcome = _model(item, location, build_date)
        problems = [o for o in outcome if isinstance(o, Rejection)]
        record = next((o for o in outcome if isinstance(o, Record)), None)
        if record is not None and record.fields["helm_id"] in records:
            first = records[record.fields["helm_id"]].location.record
            problems.append(Rejection(SOURCE, location, "name", name, f"duplicate of {first}: same name"))
            record = None
        yield from problems
        if record is not None:
            records[record.fields["helm_id"]] = record
        elif isinstance(name, str) and name not in records:
            rejected.setdefault(name, next((p.reason for p in problems if p.whole_record), "rejected"))
    yield from _attach(deployments_path, records, rejected)
    yield from records.values()


def _model(item: Any, location: Location, build_date: dt.date) -> list[Record | Rejection]:
    if not isinstance(item, dict):
        return [Rejection(SOURCE, location, None, item, "expected a mapping of model fields")]
    name = item.get("name")
    if not isinstance(name, str) or name.count("/") != 1 or not all(p.strip() for p in name.split("/")):
        return [Rejection(SOURCE, location, "name", name, "expected a model name as creator/model")]
    creator, model_id = (values.clean_text(p) for p in name.split("/"))
    if creator in TEMPLATE_CREATORS:
        return [Rejection(SOURCE, location, "name", name,
                          f"a template entry of HELM's configuration (creator organisation "
                          f"{item.get('creator_organization_name')!r}), not a model")]
    out: list[Record | Rejection] = []
    fields: dict[str, Any] = {"helm_id": values.clean_text(name), "creator": creator, "model_id": model_id}
    try:
        fields["display_name"] = _text(item, "display_name")
        fields["organization"] = _text(item, "creator_organization_name")
        access = item.get("access")
        if access not in ACCESS:
            raise FieldError(f"expected one of {', '.join(ACCESS)}", "access")
        fields["access"] = access
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise FieldError("expected a list of tag names", "tags")
    except FieldError as error:
        return [Rejection(SOURCE, location, error.field, item.get(error.field), str(error))]
    fields["tags"] = [values.clean_text(t) for t in tags]
    fields["deprecated"] = DEPRECATED_TAG in fields["tags"]
    for key, parse, target in (("num_parameters", _parameters, "parameters"),
                               ("release_date" if "release_date" in item else "release",
                                lambda v: _date(v, build_date), "release_date")):
        if item.get(key) is None:
            continue
        try:
            fields[target] = parse(item[key])
        except FieldError as error:
            out.append(Rejection(SOURCE, location, key, item[key], str(error), whole_record=False))
    for key in sorted(set(item) - MODEL_KEYS - {yaml_lines.LINE}):
        out.append(Rejection(SOURCE, location, key, item[key],
                             f"unknown key (known: {', '.join(sorted(MODEL_KEYS))})", whole_record=False))
    fields["deployments"] = []
    out.append(Record(SOURCE, location, fields))
    return out


def _attach(path: Path, records: dict[str, Record], rejected: dict[str, str]) -> Iterator[Rejection]:
    """Add each deployment to its model's record; report the ones that cannot be added."""
    seen: dict[str, str] = {}
    for index, item in enumerate(entries(path, "model_deployments")):
        line = item.get(yaml_lines.LINE) if isinstance(item, dict) else None
        name = item.get("name") if isinstance(item, dict) else None
        location = Location(path, f"model_deployments[{index}]", line, name if isinstance(name, str) else None)
        if not isinstance(item, dict) or not isinstance(name, str) or not name.strip():
            yield Rejection(SOURCE, location, "name", name, "expected a deployment with a name")
            continue
        model = item.get("model_name")
        if name in seen:
            yield Rejection(SOURCE, location, "name", name, f"duplicate of {seen[name]}: same deployment name")
            continue
        if not isinstance(model, str) or model not in records:
            reason = (f"names model {model!r}, which was rejected ({rejected[model]})" if model in rejected
                      else f"names model {model!r}, which {METADATA_FILE} does not list") if isinstance(
                model, str) else "expected the name of the deployed model"
            yield Rejection(SOURCE, location, "model_name", model, reason)
            continue
        seen[name] = location.record
        deployment: dict[str, Any] = {"name": values.clean_text(name)}
        if isinstance(item.get("tokenizer_name"), str):
            deployment["tokenizer"] = values.clean_text(item["tokenizer_name"])
        length = item.get("max_sequence_length")
        if length is not None:
            if isinstance(length, int) and not isinstance(length, bool) and length > 0:
                deployment["max_sequence_length"] = length
            else:
                yield Rejection(SOURCE, location, "max_sequence_length", length,
                                "expected a whole number of tokens above 0", whole_record=False)
        if item.get("deprecated") is True:
            deployment["deprecated"] = True
        records[model].fields["deployments"].append(deployment)


def _text(item: dict, key: str) -> str:
    value = item.get(key)
    text = values.clean_text(value) if isinstance(value, str) else ""
    if not text:
        raise FieldError("expected text", key)
    return text


def _parameters(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise FieldError(f"expected a parameter count above 0, got {value!r}")
    return values.parse_count(repr(value))


def _date(value: Any, build_date: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if value > build_date:
            raise FieldError(f"expected a date not after {build_date.isoformat()}, got {value.isoformat()!r}")
        return value
    if isinstance(value, str):  # YAML leaves dates without leading zeros (2024-6-5) as text
        match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", value.strip())
        if match:
            try:
                return values.parse_date("-".join(g.zfill(2) for g in match.groups()), latest=build_date)
            except FieldError as error:
                raise FieldError(str(error).replace("-".join(g.zfill(2) for g in match.groups()), value)) from None
        return values.parse_date(value, latest=build_date)
    raise FieldError(f"expected a date as YYYY-MM-DD, got {value!r}")
