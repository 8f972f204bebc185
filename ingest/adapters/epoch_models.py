"""Epoch AI's model exports: the All AI models export and the Notable AI models export.

Both are read by column name. ``variant(path)`` tells them apart by the columns only
one of them has, and every record carries the variant it came from. A variant's own
columns are required in that variant and never looked for in the other.

Columns never read, in either variant, because they hold free text written by others
or text that does not line up with its header: Authors, Abstract, every "... notes"
column, Benchmark data, Archived links, Training data center.

Fields of every record (absent when the cell is empty):

| field | column | value |
|---|---|---|
| ``variant`` | (the header) | "all-models" or "notable-models" |
| ``name`` | Model | text; the record's name, unique per file |
| ``domains`` | Domain | list of texts |
| ``organizations`` | Organization | list of texts |
| ``organization_categories`` | Organization categorization | list of texts |
| ``countries`` | Country (from Organization) | list of texts |
| ``publication_date`` | Publication date | date |
| ``reference`` | Reference | text (a title) |
| ``links`` | Link | list of URLs; a cell with none drops only this field |
| ``citations`` | Citations | int, 0 or more |
| ``notability`` | Notability criteria | list of texts |
| ``parameters`` | Parameters | int |
| ``training_compute_flop`` | Training compute (FLOP) | float |
| ``training_datasets`` | Training dataset | list of texts |
| ``training_dataset_size`` | Training dataset size (datapoints) | float; a zero drops only this field |
| ``epochs`` | Epochs | float |
| ``training_time_hours`` | Training time (hours) | float |
| ``training_hardware`` | Training hardware | list of hardware names |
| ``hardware_quantity`` | Hardware quantity | int |
| ``hardware_utilization`` | Hardware utilization | float |
| ``confidence`` | Confidence | text |
| ``base_models`` | Base model | list of model names |
| ``finetune_compute_flop`` | Finetune compute (FLOP) | float; a zero drops only this field |
| ``batch_size`` | Batch size | float |
| ``model_accessibility`` | Model accessibility | text |
| ``tasks`` | Task (newer exports only; optional in both) | list of texts |

Notable export only:

| field | column | value |
|---|---|---|
| ``training_cost_usd_2023`` | Training compute cost (2023 USD) | float |
| ``training_code_accessibility`` | Training code accessibility | text |
| ``inference_code_accessibility`` | Inference code accessibility | text |
| ``frontier`` | Frontier model | bool |
| ``training_power_draw_w`` | Training power draw (W) | float |
| ``compute_estimation_methods`` | Training compute estimation method | list of texts |

All-models export only:

| field | column | value |
|---|---|---|
| ``training_compute_flop_low`` | Training compute lower bound | float |
| ``training_compute_flop_high`` | Training compute upper bound | float |
| ``approaches`` | Approach | list of texts (Supervised, Self-supervised learning, ...) |
| ``foundation`` | Foundation model | bool (the export writes only True) |
| ``cloud_vendors`` | Training cloud compute vendor | list of organisation names |
| ``last_modified`` | Last modified | date (the day of Epoch's timestamp) |

A lower bound above the upper bound, or a bound on the wrong side of the training
compute itself, drops that bound (reported), and keeps the record.

The shipped copies (``ingest/data/epoch/``), read with the build day 2026-11-27:
- all-models: 2,228 rows -> 2,222 records; 6 rows rejected: 3 without a name (only Confidence
  and Last modified filled), 3 whose normalised name repeats an earlier row's (AMPLIFY, listed
  twice; SigLIP, a second size; CaLM, a different model from CALM); 3 fields dropped (FunSearch's
  zero dataset size and zero fine-tune compute, ConvS2S's lower bound above its compute).
- notable-models: 895 rows -> 895 records; 2 fields dropped (FunSearch's zeros).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from ingest import values
from ingest.adapters.tabular import Column, read_records, read_rows
from ingest.records import Record, Rejection, SourceError

SOURCE = "epoch-models"
ALL_MODELS = "all-models"
NOTABLE = "notable-models"


def _citations(text: str) -> int:
    return values.parse_count(text, allow_zero=True)


# The first column is the record's name (tabular.read_records).
COMMON = [
    Column("Model", "name", values.clean_text),
    Column("Domain", "domains", values.split_list),
    Column("Organization", "organizations", values.split_list),
    Column("Organization categorization", "organization_categories", values.split_list),
    Column("Country (from Organization)", "countries", values.split_list),
    Column("Publication date", "publication_date", values.parse_date),
    Column("Reference", "reference", values.clean_text),
    Column("Link", "links", values.find_urls, drop_on_error=True),
    Column("Citations", "citations", _citations),
    Column("Notability criteria", "notability", values.split_list),
    Column("Parameters", "parameters", values.parse_count),
    Column("Training compute (FLOP)", "training_compute_flop", values.parse_number),
    Column("Training dataset", "training_datasets", values.split_list),
    Column("Training dataset size (datapoints)", "training_dataset_size", values.parse_number, zero_is_unknown=True),
    Column("Epochs", "epochs", values.parse_number),
    Column("Training time (hours)", "training_time_hours", values.parse_number),
    Column("Training hardware", "training_hardware", values.split_list),
    Column("Hardware quantity", "hardware_quantity", values.parse_count),
    Column("Hardware utilization", "hardware_utilization", values.parse_number),
    Column("Confidence", "confidence", values.clean_text),
    Column("Base model", "base_models", values.split_list),
    Column("Finetune compute (FLOP)", "finetune_compute_flop", values.parse_number, zero_is_unknown=True),
    Column("Batch size", "batch_size", values.parse_number),
    Column("Model accessibility", "model_accessibility", values.clean_text),
]
NOTABLE_ONLY = [
    Column("Training compute cost (2023 USD)", "training_cost_usd_2023", values.parse_number),
    Column("Training code accessibility", "training_code_accessibility", values.clean_text),
    Column("Inference code accessibility", "inference_code_accessibility", values.clean_text),
    Column("Frontier model", "frontier", values.parse_bool),
    Column("Training power draw (W)", "training_power_draw_w", values.parse_number),
    Column("Training compute estimation method", "compute_estimation_methods", values.split_list),
]
ALL_ONLY = [
    Column("Training compute lower bound", "training_compute_flop_low", values.parse_number),
    Column("Training compute upper bound", "training_compute_flop_high", values.parse_number),
    Column("Approach", "approaches", values.split_list),
    Column("Foundation model", "foundation", values.parse_bool),
    Column("Training cloud compute vendor", "cloud_vendors", values.split_list),
    Column("Last modified", "last_modified", values.parse_timestamp_date),
]
COLUMNS: dict[str, list[Column]] = {ALL_MODELS: COMMON + ALL_ONLY, NOTABLE: COMMON + NOTABLE_ONLY}
OPTIONAL = [Column("Task", "tasks", values.split_list)]


def variant(path: Path) -> str:
    """Which export ``path`` is, from its header: "all-models" or "notable-models".

    A header with columns of only one variant is that variant (its other columns are
    then checked as required); a header with none, or with some of each, is neither.
    """
    header, _rows = read_rows(path, [])
    found = {name: [c.header for c in only if c.header in header]
             for name, only in ((ALL_MODELS, ALL_ONLY), (NOTABLE, NOTABLE_ONLY))}
    if found[ALL_MODELS] and found[NOTABLE]:
        raise SourceError(path, "the header has columns of both Epoch model exports: "
                          f"{', '.join(map(repr, found[ALL_MODELS]))} (all models) and "
                          f"{', '.join(map(repr, found[NOTABLE]))} (notable models)", 1)
    for name, columns in found.items():
        if columns:
            return name
    raise SourceError(path, "neither Epoch model export: expected the All AI models header (with "
                      f"{', '.join(repr(c.header) for c in ALL_ONLY)}) or the Notable AI models header (with "
                      f"{', '.join(repr(c.header) for c in NOTABLE_ONLY)})", 1)


def read(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    found = variant(path)
    for item in read_records(path, SOURCE, COLUMNS[found], build_date, OPTIONAL):
        if isinstance(item, Record):
            item.fields["variant"] = found
            yield from _check_bounds(item)
        yield item


def read_as(source: str) -> Callable[[Path, dt.date], Iterator[Record | Rejection]]:
    """The reader for another registry source that reads an Epoch models export (``epoch-notable``)."""
    def read_source(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
        for item in read(path, build_date):
            yield _renamed(item, source)
    return read_source


def _renamed(item: Record | Rejection, source: str) -> Record | Rejection:
    if isinstance(item, Record):
        item.source = source
        return item
    return Rejection(source, item.location, item.field, item.value, item.reason, item.whole_record)


def _check_bounds(record: Record) -> Iterator[Rejection]:
    """Drop a compute bound that contradicts the other bound or the estimate itself."""
    fields = record.fields
    low, high = fields.get("training_compute_flop_low"), fields.get("training_compute_flop_high")
    value = fields.get("training_compute_flop")
    problems = []
    if low is not None and high is not None and low > high:
        problems.append(("training_compute_flop_low", "Training compute lower bound", low,
                         f"lower bound above the upper bound {high!r}"))
    elif value is not None:
        if low is not None and low > value:
            problems.append(("training_compute_flop_low", "Training compute lower bound", low,
                             f"lower bound above the training compute {value!r}"))
        if high is not None and high < value:
            problems.append(("training_compute_flop_high", "Training compute upper bound", high,
                             f"upper bound below the training compute {value!r}"))
    for field, column, bound, reason in problems:
        del fields[field]
        yield Rejection(record.source, record.location, column, bound, reason, whole_record=False)
