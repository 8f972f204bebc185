"""Epoch AI's Machine Learning Hardware CSV.

Every specification column is read as a typed value. Epoch's derived columns
(Max performance, Energy efficiency, Price-performance, ...) are computed from
the others and are not read; neither is the free-text Notes column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from ingest import values
from ingest.adapters.tabular import Column, read_records
from ingest.records import Record, Rejection

SOURCE = "epoch-hardware"


COLUMNS = [
    Column("Hardware name", "name", values.clean_text),
    Column("Manufacturer", "manufacturer", values.clean_text),
    Column("Type", "type", values.clean_text),
    Column("Release date", "release_date", values.parse_date),
    Column("Release price (USD)", "release_price_usd", values.parse_number),
    Column("Tensor-FP16/BF16 performance (FLOP/s)", "fp16_tensor_flops", values.parse_number),
    Column("FP8 performance (FLOP/s)", "fp8_flops", values.parse_number),
    Column("FP4 performance (FLOP/s)", "fp4_flops", values.parse_number),
    Column("Memory (bytes)", "memory_bytes", values.parse_number),
    Column("Memory bandwidth (byte/s)", "memory_bandwidth", values.parse_number),
    Column("Intranode bandwidth (byte/s)", "intranode_bandwidth", values.parse_number),
    Column("Internode bandwidth (bit/s)", "internode_bandwidth", values.parse_number),
    Column("TDP (W)", "tdp_watts", values.parse_number),
    Column("FP64 (double precision) performance (FLOP/s)", "fp64_flops", values.parse_number),
    Column("FP32 (single precision) performance (FLOP/s)", "fp32_flops", values.parse_number),
    Column("TF32 (TensorFloat-32) performance (FLOP/s)", "tf32_flops", values.parse_number),
    Column("FP16 (half precision) performance (FLOP/s)", "fp16_flops", values.parse_number),
    Column("INT16 performance (OP/s)", "int16_ops", values.parse_number),
    Column("INT8 performance (OP/s)", "int8_ops", values.parse_number),
    Column("INT4 performance (OP/s)", "int4_ops", values.parse_number),
    Column("Foundry", "foundries", values.split_list),
    Column("Die Size (mm^2)", "die_size_mm2", values.parse_number),
    Column("Base clock (MHz)", "base_clock_mhz", values.parse_number),
    Column("Boost clock (MHz)", "boost_clock_mhz", values.parse_number),
    Column("Memory clock (MHz)", "memory_clock_mhz", values.parse_number),
    Column("Memory bus (bit)", "memory_bus_bits", values.parse_count),
    Column("Tensor cores", "tensor_cores", values.parse_count),
    Column("Process size (nm)", "process_nm", values.parse_number),
    Column("Transistors (millions)", "transistors_millions", values.parse_number),
    Column("Link to datasheet", "datasheets", values.find_urls, drop_on_error=True),
    Column("ML models", "models", values.split_list),
]


def read(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    return read_records(path, SOURCE, COLUMNS, build_date)
