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
from collections.abc import Callable, Iterable
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


def materialise(data: Iterable[Triple], ontology: Graph) -> Inference:
    """Derive every entailment about bmkg entities that is not already asserted."""
    return prepare(data, ontology).run()


def prepare(data: Iterable[Triple], ontology: Graph) -> "Prepared":
    """Encode ``data`` for the reasoner; the caller may then drop ``data`` before ``run``.

    Reasoning at x100 held the data graph, its copy as a set and the reasoner's
    closure as new rdflib terms (about 1 KB per triple) at once. Here the asserted
    triples become integer ids, and the terms the reasoner need not understand
    (entity IRIs and data literals, which no ontology axiom names) go to it as
    short opaque IRIs: its output then costs a fraction of the memory and decodes
    back to the original term objects.
    """
    return Prepared(data, ontology)


class Prepared:
    def __init__(self, data: Iterable[Triple], ontology: Graph):
        self.ontology = ontology
        self.terms: list[Node] = []  # id -> term
        self.known: dict[Node, int] = {}  # ids of the terms the reasoner sees as themselves
        for triple in ontology:
            for term in triple:
                self._id(term)
        opaque: dict[Node, int] = {}
        self.asserted: set[int] = set()
        self.internal: list[Triple] = []
        for s, p, o in data:
            ids = [self.known.get(term) for term in (s, p, o)]
            for position, term in enumerate((s, p, o)):
                if ids[position] is None:
                    if _reasoner_reads(term):
                        ids[position] = self._id(term)
                    else:
                        ids[position] = opaque.get(term)
                        if ids[position] is None:
                            ids[position] = opaque[term] = len(self.terms)
                            self.terms.append(term)
            key = _pack(*ids)
            if key in self.asserted:
                continue
            self.asserted.add(key)
            # owl:sameAs links to other datasets (Wikidata) are a crosswalk for consumers;
            # copying bmkg's statements onto the outside IRI would only make duplicates.
            if not (p == _SAME_AS and not str(o).startswith(ID_BASE)):
                self.internal.append(tuple(self._encoded(i) for i in ids))

    def _id(self, term: Node) -> int:
        found = self.known.get(term)
        if found is None:
            found = self.known[term] = len(self.terms)
            self.terms.append(term)
        return found

    def _encoded(self, i: int) -> Node:
        term = self.terms[i]
        return term if self.known.get(term) == i else URIRef(f"{_OPAQUE}{i:x}")

    def _decoded(self, term: Node) -> int:
        if isinstance(term, URIRef) and term.startswith(_OPAQUE):
            return int(term[len(_OPAQUE):], 16)
        return self._id(_plain(term))

    def run(self) -> Inference:
        ontology, T = self.ontology, self.terms
        reasoner = reasonable.PyReasoner()
        reasoner.from_graph(self.internal + list(ontology))
        self.internal = []
        output = reasoner.reason()
        del reasoner

        ident = self._id
        type_, model, count = ident(_TYPE), ident(BM.Model), ident(BM.parameterCount)
        chains = []
        for prop, chain_list in ontology.subject_objects(OWL.propertyChainAxiom):
            first, second = list(Collection(ontology, chain_list))
            chains.append((ident(prop), ident(first), ident(second)))
        # Only what later steps read is kept from the closure, indexed by predicate.
        wanted = {p for _, first, second in chains for p in (first, second)} | {count}
        by_predicate: dict[int, set[tuple[int, int]]] = {p: set() for p in wanted}
        models: set[int] = set()
        check = _Consistency(ontology, ident)
        inferred: set[int] = set()
        keep = self._keeper()

        def visit(s: int, p: int, o: int, key: int) -> None:
            if p in by_predicate:
                by_predicate[p].add((s, o))
            elif p == type_ and o == model:
                models.add(s)
            check.add(s, p, o)
            if key not in self.asserted and keep(s, p, o):
                inferred.add(key)

        decode = self._decoded
        # Popping frees each output triple once read: the list never coexists with its decoding.
        while output:
            s, p, o = output.pop()
            s, p, o = decode(s), decode(p), decode(o)
            visit(s, p, o, _pack(s, p, o))
        for key in self.asserted:
            visit(*_unpack(key), key)

        derived: set[tuple[int, int, int]] = set()
        for prop, first, second in chains:
            targets: dict[int, list[int]] = defaultdict(list)
            for y, z in by_predicate[second]:
                targets[y].append(z)
            derived |= {(x, prop, z) for x, y in by_predicate[first] for z in targets.get(y, ())}
        threshold = big_model_threshold(ontology)
        big_model = ident(BM.BigModel)
        derived |= {(s, type_, big_model) for s, o in by_predicate[count]
                    if s in models and _is_integer(T[o]) and int(T[o]) >= threshold}
        inverses = {ident(a): {ident(b) for b in bs} for a, bs in _inverses(ontology).items()}
        derived |= {(o, inverse, s) for s, p, o in derived for inverse in inverses.get(p, ())}
        for s, p, o in derived:
            visit(s, p, o, _pack(s, p, o))
        triples = {(T[s], T[p], T[o]) for s, p, o in map(_unpack, inferred)}
        return Inference(triples, check.problems(T), threshold)

    def _keeper(self) -> Callable[[int, int, int], bool]:
        """Kept: statements about bmkg entities. Memberships in anonymous classes (unions,
        restrictions), owl:Thing and x owl:sameAs x say nothing to a user."""
        T = self.terms
        entity: dict[int, bool] = {}
        thing, same_as = self._id(_THING), self._id(_SAME_AS)

        def keep(s: int, p: int, o: int) -> bool:
            is_entity = entity.get(s)
            if is_entity is None:
                term = T[s]
                is_entity = entity[s] = isinstance(term, URIRef) and str(term).startswith(ID_BASE)
            return is_entity and o != thing and not (p == same_as and o == s) and not isinstance(T[o], BNode)
        return keep


class _Consistency:
    """Collects what the disjointness and functional axioms constrain, as ids."""

    def __init__(self, ontology: Graph, ident: Callable[[Node], int]):
        self.ontology = ontology
        self.groups = []
        for group in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
            self.groups.append(list(Collection(ontology, ontology.value(group, OWL.members))))
        self.disjoint = {ident(c): c for classes in self.groups for c in classes}
        self.functional = {ident(p) for p in ontology.subjects(RDF.type, OWL.FunctionalProperty)}
        self.type = ident(_TYPE)
        self.members_of: dict[int, set[int]] = defaultdict(set)
        self.values: dict[tuple[int, int], set[int]] = defaultdict(set)

    def add(self, s: int, p: int, o: int) -> None:
        if p == self.type:
            if o in self.disjoint:
                self.members_of[o].add(s)
        elif p in self.functional:
            self.values[(s, p)].add(o)

    def problems(self, T: list[Node]) -> list[str]:
        members_of = {T[c]: {T[s] for s in members} for c, members in self.members_of.items()}
        values = {(T[s], T[p]): {T[o] for o in v} for (s, p), v in self.values.items() if len(v) > 1}
        return _problems(self.groups, members_of, values)


def conflicts(triples: Iterable[Triple], ontology: Graph) -> list[str]:
    """Violations of disjointness and functional axioms, each naming the entities."""
    functional = set(ontology.subjects(RDF.type, OWL.FunctionalProperty))
    members_of: dict[Node, set[Node]] = defaultdict(set)
    values: dict[tuple[Node, Node], set[Node]] = defaultdict(set)
    for s, p, o in triples:
        if p == _TYPE:
            members_of[o].add(s)
        elif p in functional:
            values[(s, p)].add(o)
    groups = [list(Collection(ontology, ontology.value(group, OWL.members)))
              for group in ontology.subjects(RDF.type, OWL.AllDisjointClasses)]
    return _problems(groups, members_of, values)


def _problems(groups, members_of, values) -> list[str]:
    problems = []
    for classes in groups:
        for i, first in enumerate(classes):
            for second in classes[i + 1:]:
                problems += [f"{entity} is both {_local(first)} and {_local(second)}, which are disjoint"
                             for entity in sorted(members_of.get(first, set()) & members_of.get(second, set()))]
    problems += [f"{s} has {len(v)} values of functional property {_local(p)}: " + ", ".join(sorted(map(str, v)))
                 for (s, p), v in sorted(values.items()) if len(v) > 1]
    return problems


# Ids of a triple's terms packed into one int: a set of these costs a third of a set of tuples.
_BITS = 32
_MASK = (1 << _BITS) - 1


def _pack(s: int, p: int, o: int) -> int:
    return (s << 2 * _BITS) | (p << _BITS) | o


def _unpack(key: int) -> tuple[int, int, int]:
    return key >> 2 * _BITS, (key >> _BITS) & _MASK, key & _MASK


# An IRI scheme no source uses; the reasoner treats these as plain individuals.
_OPAQUE = "x-bmkg:"
_W3C = "http://www.w3.org/"


def _reasoner_reads(term: Node) -> bool:
    """Whether the reasoner must see ``term`` itself: W3C vocabulary it has rules for,
    and xsd:string literals, which it merges with plain ones."""
    if isinstance(term, URIRef):
        return term.startswith(_W3C)
    return isinstance(term, Literal) and term.datatype == _STRING


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
