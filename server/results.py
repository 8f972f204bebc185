"""Serialise query results with a row cap, inside the query worker.

pyoxigraph serialises a whole result at once and cannot stop at a row cap.
So SELECT results are first written as TSV, where every solution is exactly
one line (TSV escapes line breaks in literals), into a writer that stops the
serialiser once it has one row more than the cap; the kept lines are then
re-read and written in the requested format, all by pyoxigraph. Graph
results are read up to the cap and written with ``pyoxigraph.serialize``.

Only pyoxigraph and the standard library are imported: this module runs in
the worker processes, which must start fast.
"""

from __future__ import annotations

from itertools import islice

import pyoxigraph as ox

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "n3": ox.RdfFormat.N3,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}
class UnsupportedFormat(ValueError):
    pass


class _Enough(Exception):
    pass


class _LineCap:
    """A binary sink that stops its writer once it holds more than ``limit`` lines (0: never)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[bytes] = []
        self.lines = 0
        self.stopped = False

    def write(self, data) -> int:
        data = bytes(data)
        self.parts.append(data)
        self.lines += data.count(b"\n")
        if self.limit and self.lines > self.limit:
            self.stopped = True
            raise _Enough
        return len(data)

    def flush(self) -> None:
        pass


def _capped_tsv(result: ox.QuerySolutions, cap: int) -> tuple[bytes, bool, int]:
    sink = _LineCap(cap + 1 if cap else 0)  # the header, the cap, and one row to tell a cut
    try:
        result.serialize(sink, format=ox.QueryResultsFormat.TSV)
    except Exception:
        if not sink.stopped:
            raise
    lines = b"".join(sink.parts).split(b"\n")[:-1]  # drop what follows the last line break
    header, rows = lines[0], lines[1:]
    cut = bool(cap) and len(rows) > cap
    if cut:
        rows = rows[:cap]
    return b"\n".join([header, *rows]) + b"\n", cut, len(rows)


#: The fewest bytes one solution can take in each format (an empty one: ``{}``, ``<result/>``, a line break).
_LEAST_ROW_BYTES = {"json": 2, "xml": 9, "csv": 2, "tsv": 1}


def serialize_within_cap(result, fmt: str, cap: int) -> bytes | None:
    """A SELECT or ASK result written as ``fmt`` in one pass, when its size proves that it has at most
    ``cap`` rows; else None, and the result is used up (run the query again for ``serialize``).

    Cheaper than ``serialize`` for small answers, which need neither the TSV pass nor the cut.

    >>> store = ox.Store()
    >>> serialize_within_cap(store.query("SELECT ?n { VALUES ?n { 1 2 } }"), "tsv", 10)
    b'?n\\n1\\n2\\n'
    >>> serialize_within_cap(store.query("SELECT ?n { VALUES ?n { 1 2 3 } }"), "tsv", 2) is None
    True
    """
    if fmt not in RESULT_FORMATS:
        raise UnsupportedFormat(f"a query result cannot be written as {fmt}")
    body = result.serialize(format=RESULT_FORMATS[fmt])
    if isinstance(result, ox.QueryBoolean) or not cap or len(body) < _LEAST_ROW_BYTES[fmt] * (cap + 1):
        return body
    return None


def serialize(result, fmt: str, cap: int, prefixes: dict[str, str] | None = None) -> tuple[bytes, bool, int]:
    """Serialise a pyoxigraph query result as ``fmt``.

    Returns the body, whether rows beyond ``cap`` were dropped (``cap`` 0
    means no cap) and the number of rows or triples written.

    >>> store = ox.Store()
    >>> body, cut, rows = serialize(store.query("SELECT ?n { VALUES ?n { 1 2 3 } }"), "csv", 2)
    >>> body, cut, rows
    (b'n\\r\\n1\\r\\n2\\r\\n', True, 2)
    >>> serialize(store.query("ASK {}"), "json", 2)
    (b'{"head":{},"boolean":true}', False, 1)
    """
    if isinstance(result, ox.QueryBoolean):
        if fmt not in RESULT_FORMATS:
            raise UnsupportedFormat(f"an ASK result cannot be written as {fmt}")
        return result.serialize(format=RESULT_FORMATS[fmt]), False, 1
    if isinstance(result, ox.QuerySolutions):
        if fmt not in RESULT_FORMATS:
            raise UnsupportedFormat(f"a SELECT result cannot be written as {fmt}")
        body, cut, rows = _capped_tsv(result, cap)
        if fmt != "tsv":
            body = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV).serialize(format=RESULT_FORMATS[fmt])
        return body, cut, rows
    # CONSTRUCT and DESCRIBE
    if fmt not in RDF_FORMATS:
        raise UnsupportedFormat(f"a graph result cannot be written as {fmt}")
    triples = list(islice(result, cap + 1)) if cap else list(result)
    cut = bool(cap) and len(triples) > cap
    if cut:
        triples = triples[:cap]
    body = ox.serialize(triples, format=RDF_FORMATS[fmt], prefixes=prefixes if fmt in ("turtle", "trig", "n3", "rdfxml") else None)
    return body, cut, len(triples)
