"""Any RDF file (Turtle, N-Triples, JSON-LD, RDF/XML) added to a build with ``--add``.

The whole file is one record holding its parsed graph; it goes through the same
SHACL gate as every other source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from rdflib import Graph
from rdflib.util import guess_format

from ingest.adapters.tabular import read_text
from ingest.records import Location, Record, Rejection, SourceError
from ontology import normalise_key

FORMATS = {"turtle", "nt", "json-ld", "xml", "n3"}


def graph_name(path: Path) -> str:
    """
    >>> graph_name(Path("extra/My Models.ttl"))
    'added-my-models'
    """
    return "added-" + normalise_key(path.stem).replace(".", "-")


def read(path: Path, build_date: dt.date) -> Iterator[Record | Rejection]:
    rdf_format = guess_format(str(path)) or ""
    if rdf_format not in FORMATS:
        raise SourceError(path, f"unknown RDF file extension {path.suffix!r}; use .ttl, .nt, .jsonld or .rdf")
    text = read_text(path)
    if not text.strip():
        raise SourceError(path, "the file is empty")
    graph = Graph()
    try:
        graph.parse(data=text, format=rdf_format, publicID=path.resolve().as_uri())
    except Exception as error:  # rdflib's parsers raise many unrelated types
        line = getattr(error, "lines", None) or getattr(error, "line", None)
        raise SourceError(path, f"{rdf_format} syntax error: {_first_line(error)}",
                          line if isinstance(line, int) else None) from error
    yield Record(graph_name(path), Location(path, "whole file"), {"graph": graph})


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
