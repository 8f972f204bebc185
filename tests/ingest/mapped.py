"""Records of one or more sources through both mapping passes, into a store in memory."""

import datetime as dt
import tempfile
from pathlib import Path

import pyoxigraph

from ingest.mapping import Mapper
from ingest.records import Record
from ingest.reports import Reporter
from ingest.writer import StoreWriter

BUILD_DATE = dt.date(2026, 11, 27)


def map_records(records: list[Record]) -> pyoxigraph.Store:
    """The store the mapping writes for ``records``; curated records are prepared first, as in a build."""
    store = pyoxigraph.Store()
    with tempfile.TemporaryDirectory(prefix="bmkg-mapped-") as reports:
        reporter = Reporter(Path(reports))
        writer = StoreWriter(store)
        mapper = Mapper(writer, reporter, BUILD_DATE)
        curated = [r for r in records if r.source == "curated"]
        others = [r for r in records if r.source != "curated"]
        mapper.prepare(curated)
        for record in others:
            mapper.register(record)
        mapper.scheme()
        for record in curated + others:
            mapper.map(record)
        writer.flush()
        reporter.close()
    return store


def graph_triples(store: pyoxigraph.Store, source: str) -> set[tuple[str, str, str]]:
    """The triples of one source's named graph, as strings."""
    graph = pyoxigraph.NamedNode(f"https://w3id.org/bmkg/graph/{source}")
    return {(q.subject.value, q.predicate.value, q.object.value)
            for q in store.quads_for_pattern(None, None, None, graph)}
