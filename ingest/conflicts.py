"""Disagreements between sources, found in the store and recorded, never resolved.

The ontology marks the properties whose values sources should agree on with
``bm:comparedAcrossSources``. An entity with two different values of one of them
(compared as values, so 1.0e9 and 1000000000.0 agree) gets a ``bm:ValueConflict``
in the graph ``conflicts``: the entity, the property, and one claim per source
graph and value. Numbers that agree at the coarsest claim's precision (BMList's
1.3B and Epoch's 1,320,000,000) are still recorded, marked ``bm:withinRounding``,
so that every entity with several values has its conflict record. Every source's
statement stays where it is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyoxigraph
from rdflib import Graph, Literal as RdfLiteral

from ingest import nodes
from ingest.nodes import BMX, LABEL, PROV, SKOS, TYPE, BlankNode, NamedNode
from ingest.writer import StoreWriter
from ontology import BM, graph_iri, split

GRAPH = graph_iri("conflicts")
INFERRED = graph_iri("inferred")


@dataclass(frozen=True)
class Conflict:
    entity: str
    prop: str
    claims: tuple[tuple[str, pyoxigraph.Literal], ...]  # (source graph, value), sorted
    within_rounding: bool = False  # the numbers agree at the coarsest claim's precision

    @property
    def iri(self) -> NamedNode:
        kind, key = split(self.entity) or ("x", self.entity)
        return nodes.entity("conflict", f"{kind}-{key}-{self.prop.rsplit('#', 1)[-1]}")

    def as_dict(self) -> dict:
        return {"entity": self.entity, "property": self.prop, "within_rounding": self.within_rounding,
                "claims": [{"graph": g, "value": v.value} for g, v in self.claims]}


def compared_properties(ontology: Graph) -> list[str]:
    return sorted(str(p) for p in ontology.subjects(BM.comparedAcrossSources, RdfLiteral(True)))


def find(store: pyoxigraph.Store, properties: list[str]) -> list[Conflict]:
    """Every entity whose asserted values of one of ``properties`` differ, with each source's values."""
    found = []
    for prop in properties:
        # The default graph is the distinct union of the asserted graphs.
        disagreeing = store.query(f"""
            SELECT ?s WHERE {{ ?s <{prop}> ?v }} GROUP BY ?s HAVING (MIN(?v) != MAX(?v))""")
        for row in disagreeing:
            subject = row["s"]
            claims = sorted({(r["g"].value, r["v"]) for r in store.query(
                f"SELECT ?g ?v WHERE {{ GRAPH ?g {{ <{subject.value}> <{prop}> ?v }} }}")
                if r["g"].value != str(INFERRED)}, key=lambda c: (c[0], str(c[1])))
            found.append(Conflict(subject.value, prop, tuple(claims),
                                  _same_when_rounded([value for _graph, value in claims])))
    return sorted(found, key=lambda c: (c.entity, c.prop))


_NUMERIC = {"http://www.w3.org/2001/XMLSchema#" + t for t in ("integer", "double", "decimal")}


def _same_when_rounded(values) -> bool:
    """Whether numbers agree once each is rounded to the precision of the coarsest one: BMList's
    "1.3B" and Epoch's 1,320,000,000 state one count, at different precisions.

    >>> from pyoxigraph import Literal, NamedNode
    >>> i = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    >>> _same_when_rounded([Literal("1300000000", datatype=i), Literal("1320000000", datatype=i)])
    True
    >>> _same_when_rounded([Literal("6700000000", datatype=i), Literal("6860000000", datatype=i)])
    False
    """
    if not values or any(v.datatype.value not in _NUMERIC for v in values):
        return False
    numbers = [float(v.value) for v in values]
    if any(n == 0 for n in numbers):
        return len(set(numbers)) == 1
    digits = min(_significant_digits(v.value) for v in values)
    return len({float(f"{n:.{digits - 1}e}") for n in numbers}) == 1


def _significant_digits(lexical: str) -> int:
    """
    >>> _significant_digits("1300000000"), _significant_digits("1.0692e+25"), _significant_digits("175.0")
    (2, 5, 3)
    """
    mantissa = lexical.lower().split("e")[0].lstrip("+-")
    if "." in mantissa:
        whole, fraction = mantissa.split(".")
        digits = (whole.lstrip("0") + fraction).rstrip("0") if whole.strip("0") else fraction.lstrip("0").rstrip("0")
    else:
        digits = mantissa.lstrip("0").rstrip("0")
    return max(len(digits), 1)


def write(writer: StoreWriter, store: pyoxigraph.Store, conflicts: list[Conflict]) -> None:
    graph = nodes.graph(GRAPH)
    for conflict in conflicts:
        node, entity, prop = conflict.iri, NamedNode(conflict.entity), NamedNode(conflict.prop)
        label = nodes.text(f"{_label(store, conflict.entity)}: sources disagree on {_local(conflict.prop)}", "en")
        for p, o in [(TYPE, BMX.ValueConflict), (LABEL, label), (SKOS.prefLabel, label), (BMX.conflictOn, entity),
                     (BMX.conflictProperty, prop), (BMX.withinRounding, nodes.boolean(conflict.within_rounding))]:
            writer.add(graph, node, p, o)
        for source, value in conflict.claims:
            # a label made from the claim itself keeps the dumps identical from one build to the next
            claim = BlankNode("claim" + hashlib.sha1(f"{node} {source} {value}".encode()).hexdigest()[:20])
            writer.add(graph, node, BMX.claim, claim)
            writer.add(graph, claim, TYPE, BMX.SourceClaim)
            writer.add(graph, claim, BMX.claimedValue, value)
            writer.add(graph, claim, PROV.wasDerivedFrom, NamedNode(source))


def _label(store: pyoxigraph.Store, iri: str) -> str:
    for quad in store.quads_for_pattern(NamedNode(iri), SKOS.prefLabel, None, nodes.DefaultGraph()):
        return quad.object.value
    return iri


def _local(iri: str) -> str:
    """
    >>> _local("https://w3id.org/bmkg/ontology#parameterCount")
    'parameter count'
    """
    name = iri.rsplit("#", 1)[-1]
    return "".join(" " + c.lower() if c.isupper() else c for c in name).strip()

