"""Epoch AI's Notable AI Models CSV, as downloaded from epoch.ai or as the facts-only copy.

Free-text columns (Abstract, Authors, every "... notes" column) are never read.
A newer export's Task column is read when present.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from ingest import values
from ingest.adapters.tabular import Column, read_records
from ingest.records import Record, Rejection

SOURCE = "epoch-models"


def _citations(text: str) -> int:
    return values.parse_count(text, allow_zero=True)


COLUMNS = [
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
    Column("Training compute cost (2023 USD)", "training_cost_usd_2023", values.parse_number),
    Column("Confidence", "confidence", values.clean_text),
    Column("Base model", "base_models", values.split_list),
    Column("Finetune compute (FLOP)", "finetune_compute_flop", values.parse_number, zero_is_unknown=True),
    Column("Batch size", "batch_size", values.parse_number),
    Column("Model accessibility", "model_accessibility", values.clean_text),
    Column("Training code accessibility", "training_code_accessibility", values.clean_text),
    Column("Inference code accessibility", "inference_code_accessibility", values.clean_text),
    Column("Frontier model", "frontier", values.parse_bool),
    Column("Training power draw (W)", "training_power_draw_w", values.parse_number),
    Column("Training compute estimation method", "compute_estimation_methods", values.split_list),
]
OPTIONAL = [Column("Task", "tasks", values.split_list)]


def read(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    return read_records(path, SOURCE, COLUMNS, build_date, OPTIONAL)
