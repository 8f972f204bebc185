"""Materialise what the ontology lets a reasoner derive, into the graph ``inferred``.

Division of labour (measured figures in DESIGN.md):
- ``reasonable`` computes the OWL 2 RL closure (class hierarchy, inverses,
  transitivity, sub-properties, domains and ranges) in about a second;
- the property chains, which ``reasonable`` skips, run as one SPARQL-shaped
  join per ``owl:propertyChainAxiom`` read from the ontology;
- ``bm:BigModel`` is defined by a datatype restriction, beyond OWL 2 RL; an
  explicit rule applies the threshold read from that same restriction;
- consistency (disjoint classes, functional properties) is checked here with
  queries over asserted plus inferred triples, naming the offending entities.
  Distinct bmkg IRIs are taken to name distinct entities, as the one minting
  function guarantees, so two values of a functional property are a conflict.
HermiT (owlready2) checks the ontology itself and samples: ``ontology.quality``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

import reasonable
from rdflib import OWL, RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from ontology import BM, ID_BASE

log = logging.getLogger(__name__)


Triple = tuple[Node, Node, Node]

# Terms used in per-triple loops, looked up once: rdflib's namespace attributes
# (DefinedNamespace) check the name on every access, which cost seconds at x10.
_TYPE, _SAME_AS, _THING = RDF.type, OWL.sameAs, OWL.Thing
_STRING, _INTEGER = XSD.string, XSD.integer


@dataclass
class Inference:
    triples: set[Triple]
    conflicts: list[str] = field(default_factory=list)
    threshold: int | None = None

    def graph(self) -> Graph:
        graph = Graph()
        for triple in self.triples:
            graph.add(triple)
        return graph


def big_model_threshold(ontology: Graph) -> int:
    """The minimum parameter count in bm:BigModel's definition."""
    rows = list(ontology.query("""
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?min WHERE {
          <https://w3id.org/bmkg/ontology#BigModel> owl:equivalentClass/owl:intersectionOf/rdf:rest*/rdf:first ?r .
          ?r owl:onProperty <https://w3id.org/bmkg/ontology#parameterCount> ;
             owl:someValuesFrom/owl:withRestrictions/rdf:rest*/rdf:first/xsd:minInclusive ?min .
        }"""))
    if len(rows) != 1:
        raise ValueError("the ontology must define bm:BigModel with exactly one xsd:minInclusive on bm:parameterCount")
    return int(rows[0][0])


def materialise(data: Graph, ontology: Graph) -> Inference:
    """Derive every entailment about bmkg entities that is not already asserted.

    Works on Python sets and indexes rather than rdflib Graphs: adding tens of
    thousands of triples to an in-memory Graph costs seconds.
    """
    asserted = set(data)
    reasoner = reasonable.PyReasoner()
    # owl:sameAs links to other datasets (Wikidata) are a crosswalk for consumers;
    # copying bmkg's statements onto the outside IRI would only make duplicates.
    internal = [t for t in asserted if not (t[1] == _SAME_AS and not str(t[2]).startswith(ID_BASE))]
    reasoner.from_graph(internal + list(ontology))
    closure = {(_plain(s), _plain(p), _plain(o)) for s, p, o in reasoner.reason()}
    closure |= asserted
    by_predicate: dict[Node, list[tuple[Node, Node]]] = defaultdict(list)
    for s, p, o in closure:
        by_predicate[p].append((s, o))

    derived: set[Triple] = set()
    for prop, chain_list in ontology.subject_objects(OWL.propertyChainAxiom):
        first, second = list(Collection(ontology, chain_list))
        targets: dict[Node, list[Node]] = defaultdict(list)
        for y, z in by_predicate[second]:
            targets[y].append(z)
        derived |= {(x, prop, z) for x, y in by_predicate[first] for z in targets.get(y, ())}

    threshold = big_model_threshold(ontology)
    model, big_model = BM.Model, BM.BigModel
    models = {s for s, o in by_predicate[_TYPE] if o == model}
    derived |= {(s, _TYPE, big_model) for s, o in by_predicate[BM.parameterCount]
                if s in models and _is_integer(o) and int(o) >= threshold}
    inverses = _inverses(ontology)
    derived |= {(o, inverse, s) for s, p, o in derived for inverse in inverses.get(p, ())}
    closure |= derived

    # Kept: statements about bmkg entities that were not asserted. Memberships in
    # anonymous classes (unions, restrictions), owl:Thing and x owl:sameAs x say
    # nothing to a user.
    inferred = {
        (s, p, o) for s, p, o in closure
        if isinstance(s, URIRef) and str(s).startswith(ID_BASE) and not isinstance(o, BNode)
        and o != _THING and not (p == _SAME_AS and o == s) and (s, p, o) not in asserted
    }
    return Inference(inferred, conflicts(closure, ontology), threshold)


def conflicts(triples: set[Triple], ontology: Graph) -> list[str]:
    """Violations of disjointness and functional axioms, each naming the entities."""
    functional = set(ontology.subjects(RDF.type, OWL.FunctionalProperty))
    members_of: dict[Node, set[Node]] = defaultdict(set)
    values: dict[tuple[Node, Node], set[Node]] = defaultdict(set)
    for s, p, o in triples:
        if p == _TYPE:
            members_of[o].add(s)
        elif p in functional:
            values[(s, p)].add(o)
    problems = []
    for group in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        classes = list(Collection(ontology, ontology.value(group, OWL.members)))
        for i, first in enumerate(classes):
            for second in classes[i + 1:]:
                problems += [f"{entity} is both {_local(first)} and {_local(second)}, which are disjoint"
                             for entity in sorted(members_of[first] & members_of[second])]
    problems += [f"{s} has {len(v)} values of functional property {_local(p)}: " + ", ".join(sorted(map(str, v)))
                 for (s, p), v in sorted(values.items()) if len(v) > 1]
    return problems


def _inverses(ontology: Graph) -> dict[Node, set[Node]]:
    pairs: dict[Node, set[Node]] = defaultdict(set)
    for a, b in ontology.subject_objects(OWL.inverseOf):
        pairs[a].add(b)
        pairs[b].add(a)
    return pairs


def _plain(term: Node) -> Node:
    # reasonable types plain literals as xsd:string; RDF 1.1 says they are the same.
    if isinstance(term, Literal) and term.datatype == _STRING:
        return Literal(str(term))
    return term


def _is_integer(value: Node) -> bool:
    return isinstance(value, Literal) and value.datatype == _INTEGER


def _local(iri: Node) -> str:
    return str(iri).rsplit("#", 1)[-1]
