"""pySHACL (the build's gate) against rudof on a built store: the same findings, and how long each takes.

``python -m benchmarks.shacl_engines STORE [--repeats 3]`` validates the store's default graph (the
asserted union the gate validates) with ``ontology.validation.validate_store`` and with rudof's
native engine on the same data, ontology and shapes, and prints the medians and the findings that
only one engine reports. rudof is not a bmkg dependency: ``pip install pyrudof`` first.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import statistics
import time
from pathlib import Path

import pyoxigraph

from ontology import store as stores
from ontology import validation


def _component(iri: str) -> str:
    return iri.rstrip(">").rsplit("#", 1)[-1].rsplit("/", 1)[-1].replace("ConstraintComponent", "")


def _path(text: str | None) -> str | None:
    """A single property IRI, or None for a path that is no single property (as the gate reports it)."""
    if not text:
        return None
    text = text.strip("<>")
    return None if text.startswith("(") or " " in text else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--build-date", type=dt.date.fromisoformat, default=dt.date.today())
    options = parser.parse_args(argv)
    import pyrudof

    location = str(stores.current(options.store).oxigraph)
    data = pyoxigraph.Store.read_only(location).dump(format=pyoxigraph.RdfFormat.N_TRIPLES,
                                                      from_graph=pyoxigraph.DefaultGraph()).decode()
    ontology = validation.ontology_graph().serialize(format="nt")
    shapes = validation.shapes_graph(options.build_date).serialize(format="turtle")
    gate_times, rudof_times = [], []
    for _ in range(options.repeats):
        started = time.perf_counter()
        report = validation.validate_store(location, options.build_date, jobs=1)
        gate_times.append(time.perf_counter() - started)
        engine = pyrudof.Rudof(pyrudof.RudofConfig())
        started = time.perf_counter()
        engine.read_data(data + ontology, format=pyrudof.RDFFormat.NTriples)
        engine.read_shacl(shapes, format=pyrudof.ShaclFormat.Turtle)
        result = engine.validate_shacl()
        rudof_times.append(time.perf_counter() - started)
    gate = collections.Counter((str(f.focus), str(f.path) if f.path is not None else None, _component(f.component))
                               for f in report.findings)
    rudof = collections.Counter((str(v.focus_node).strip("<>"), _path(v.path), _component(str(v.constraint_component)))
                                for v in result.violations)
    print(f"statements {data.count(chr(10))}; pySHACL gate (one process) median {statistics.median(gate_times):.2f} s, "
          f"{sum(gate.values())} findings; rudof median {statistics.median(rudof_times):.2f} s, "
          f"{sum(rudof.values())} findings; ratio {statistics.median(gate_times) / statistics.median(rudof_times):.2f}")
    print("only pySHACL:", sorted((gate - rudof).items())[:10])
    print("only rudof:", sorted((rudof - gate).items())[:10])
    return 0 if gate == rudof else 1


if __name__ == "__main__":
    raise SystemExit(main())
