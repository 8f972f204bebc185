"""Materialise what the ontology lets a reasoner derive, inside the store, into the graph ``inferred``.

The ontology is small and fixed, so its axioms are compiled once into tables with
their closures (``Axioms``). The OWL 2 RL rules covered:

- cax-sco / cax-eqc: class membership, through the transitive closure of
  ``rdfs:subClassOf``, named ``owl:equivalentClass`` and the named members of an
  equivalent ``owl:intersectionOf``;
- prp-spo1: sub-properties (transitively closed); prp-inv1/2: inverses;
- prp-dom / prp-rng: named domains and ranges;
- prp-trp: transitive properties; prp-symp: symmetric ones;
- prp-spo2: the two-step property chains of ``owl:propertyChainAxiom``;
- ``bm:BigModel``, defined by a datatype restriction beyond OWL 2 RL: the
  threshold is read from that restriction.

The rules with one premise go first, in one pass over the store's default graph
(the distinct union of the asserted graphs), one entity at a time: what they
derive about an entity follows from the statements naming it, through templates
computed once per predicate (``Consequences``). The rules that join two
statements then run as SPARQL queries over the default graph plus ``inferred``,
each new statement with its one-premise closure, until a round adds nothing.
Only statements about bmkg entities are derived, and never one that is already
asserted, so ``inferred`` and the default graph are disjoint. Derived statements
go to the store a batch at a time, and the build holds one entity's statements at
a time, never the closure.

Consistency (disjoint classes, functional properties) is checked with queries
afterwards, naming the offending entities. Distinct bmkg IRIs name distinct
entities, as the one minting function guarantees, so two values of a functional
property are a conflict. HermiT (owlready2) checks the ontology itself and
samples: ``ontology.quality``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

import pyoxigraph
from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, URIRef
from rdflib.collection import Collection

from ontology import BM, ID_BASE, graph_iri

log = logging.getLogger(__name__)

INFERRED = str(graph_iri("inferred"))
_TYPE = str(RDF.type)
_MAX_ROUNDS = 20  # the closure of this ontology settles in a few; more means a rule feeds itself


@dataclass
class Inference:
    triples: int
    rounds: int
    conflicts: list[str] = field(default_factory=list)
    threshold: int | None = None
    models_with_derived_topic: int = 0


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


@dataclass
class Axioms:
    """The ontology's axioms that data-level rules use, with their closures computed."""

    superclasses: dict[str, set[str]]
    superproperties: dict[str, set[str]]
    inverses: dict[str, set[str]]
    domains: dict[str, set[str]]
    ranges: dict[str, set[str]]
    transitive: set[str]
    symmetric: set[str]
    chains: list[tuple[str, str, str]]  # (property, first, second)
    threshold: int
    disjoint: list[tuple[str, str]]
    functional: set[str]

    @classmethod
    def of(cls, ontology: Graph) -> "Axioms":
        named = lambda node: isinstance(node, URIRef)  # noqa: E731
        direct: dict[str, set[str]] = defaultdict(set)
        for sub, sup in ontology.subject_objects(RDFS.subClassOf):
            if named(sub) and named(sup):
                direct[str(sub)].add(str(sup))
        for first, second in ontology.subject_objects(OWL.equivalentClass):
            if named(first) and named(second):
                direct[str(first)].add(str(second))
                direct[str(second)].add(str(first))
            elif named(first) and isinstance(second, BNode):
                for head in ontology.objects(second, OWL.intersectionOf):
                    direct[str(first)] |= {str(m) for m in Collection(ontology, head) if named(m)}
        props: dict[str, set[str]] = defaultdict(set)
        for sub, sup in ontology.subject_objects(RDFS.subPropertyOf):
            if named(sub) and named(sup):
                props[str(sub)].add(str(sup))
        for first, second in ontology.subject_objects(OWL.equivalentProperty):
            props[str(first)].add(str(second))
            props[str(second)].add(str(first))
        inverses: dict[str, set[str]] = defaultdict(set)
        for first, second in ontology.subject_objects(OWL.inverseOf):
            if named(first) and named(second):
                inverses[str(first)].add(str(second))
                inverses[str(second)].add(str(first))
        domains, ranges = defaultdict(set), defaultdict(set)
        for table, predicate in ((domains, RDFS.domain), (ranges, RDFS.range)):
            for prop, cls_ in ontology.subject_objects(predicate):
                if named(prop) and named(cls_) and cls_ != OWL.Thing and not str(cls_).startswith(str(XSD)) \
                        and cls_ != RDFS.Literal:
                    table[str(prop)].add(str(cls_))
        chains = []
        for prop, head in ontology.subject_objects(OWL.propertyChainAxiom):
            steps = [str(s) for s in Collection(ontology, head)]
            if len(steps) != 2:
                raise ValueError(f"{prop}: only two-step property chains are supported, got {len(steps)} steps")
            chains.append((str(prop), steps[0], steps[1]))
        disjoint = []
        for group in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
            members = [str(m) for m in Collection(ontology, ontology.value(group, OWL.members))]
            disjoint += [(a, b) for i, a in enumerate(members) for b in members[i + 1:]]
        for first, second in ontology.subject_objects(OWL.disjointWith):
            disjoint.append((str(first), str(second)))
        return cls(
            superclasses={c: _closure(c, direct) - {c, str(OWL.Thing)} for c in list(direct)},
            superproperties={p: _closure(p, props) - {p} for p in list(props)},
            inverses=dict(inverses), domains=dict(domains), ranges=dict(ranges),
            transitive={str(p) for p in ontology.subjects(RDF.type, OWL.TransitiveProperty)},
            symmetric={str(p) for p in ontology.subjects(RDF.type, OWL.SymmetricProperty)},
            chains=sorted(chains), threshold=big_model_threshold(ontology), disjoint=sorted(set(disjoint)),
            functional={str(p) for p in ontology.subjects(RDF.type, OWL.FunctionalProperty)},
        )


def _closure(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen


# -- the rules as SPARQL ------------------------------------------------------------

def _in_data(s: str, p: str, o: str) -> str:
    """A pattern matched in the asserted union (the default graph) or in what was inferred."""
    return f"{{ {s} {p} {o} }} UNION {{ GRAPH <{INFERRED}> {{ {s} {p} {o} }} }}"


def _new(s: str, p: str, o: str) -> str:
    """Keep only solutions whose head is neither asserted nor inferred yet; a lookup per solution,
    where MINUS would scan every statement of the store for each rule."""
    return (f"FILTER NOT EXISTS {{ {s} {p} {o} }} "
            f"FILTER NOT EXISTS {{ GRAPH <{INFERRED}> {{ {s} {p} {o} }} }}")


def _entity(var: str) -> str:
    return f'FILTER(isIRI({var}) && STRSTARTS(STR({var}), "{ID_BASE}"))'


def _values(names: str, rows) -> str:
    body = " ".join("(" + " ".join(f"<{v}>" for v in row) + ")" for row in rows)
    return f"VALUES ({names}) {{ {body} }}"


def _prop(p: str) -> str:
    return "prop " + p


def _cls(c: str) -> str:
    return "type " + c


@dataclass
class Rule:
    """One OWL 2 RL rule with two premises, for all the axioms (rows) of its kind.

    ``reads`` gives, for an axiom row, the statements its body matches (a property,
    or membership of a class), so a later round runs only the rows whose inputs grew.
    ``select`` gives the query whose solutions ?s ?p ?o are the new statements.
    """

    name: str
    rows: list[tuple[str, ...]]
    reads: Callable[[tuple[str, ...]], set[str]]
    select: Callable[[list[tuple[str, ...]]], str]


_TYPE_BIND = f"BIND(<{_TYPE}> AS ?p)"


def compile_rules(axioms: Axioms) -> list[Rule]:
    """The rules that join two statements: transitivity, property chains and bm:BigModel."""
    a = axioms
    rules = [
        Rule("prp-trp", sorted((p,) for p in a.transitive),
             lambda row: {_prop(row[0])},
             lambda rows: f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_values('?p', rows)} {_in_data('?s', '?p', '?y')} "
                          f"{_in_data('?y', '?p', '?o')} {_entity('?s')} FILTER(isIRI(?o)) "
                          f"{_new('?s', '?p', '?o')} }}"),
        Rule("prp-spo2", list(a.chains),
             lambda row: {_prop(row[1]), _prop(row[2])},
             lambda rows: f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_values('?p ?p1 ?p2', rows)} "
                          f"{_in_data('?s', '?p1', '?y')} {_in_data('?y', '?p2', '?o')} {_entity('?s')} "
                          f"FILTER(isIRI(?o)) {_new('?s', '?p', '?o')} }}"),
        Rule("big-model", [(str(BM.BigModel),)],
             lambda row: {_cls(str(BM.Model)), _prop(str(BM.parameterCount))},
             lambda rows: f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_values('?o', rows)} "
                          f"{_in_data('?s', 'a', f'<{BM.Model}>')} {_in_data('?s', f'<{BM.parameterCount}>', '?n')} "
                          f"FILTER(DATATYPE(?n) = <{XSD.integer}> && ?n >= {a.threshold}) {_entity('?s')} "
                          f"{_TYPE_BIND} {_new('?s', '?p', '?o')} }}"),
    ]
    return [rule for rule in rules if rule.rows]


# -- the rules with one premise, in Python --------------------------------------------

_S, _O = "s", "o"  # a template's reference to the subject or the object of the statement it came from


def _kind(term) -> str:
    """``e`` a bmkg entity, ``i`` another IRI, ``b`` a blank node, ``l`` a literal or a quoted triple."""
    if isinstance(term, pyoxigraph.NamedNode):
        return "e" if term.value.startswith(ID_BASE) else "i"
    return "b" if isinstance(term, pyoxigraph.BlankNode) else "l"


class Consequences:
    """The closure of one statement under the rules with one premise: prp-spo1, prp-inv1/2,
    prp-symp, prp-dom, prp-rng and cax-sco, with the restrictions of the whole build (a rule
    derives statements about bmkg entities only, and none with a blank object).

    That closure depends only on the predicate, on the kinds of term (``_kind``) of the subject and
    the object, and for a class membership on the class. So it is computed once per such key, as
    templates over the statement's two terms, and the closure of the union of statements is the
    union of their closures.
    """

    def __init__(self, axioms: Axioms):
        self.axioms = axioms
        # predicates of class membership: rdf:type and any sub-property of it, whose object (a class) is in the key
        self._membership = {pyoxigraph.NamedNode(p) for p, supers in axioms.superproperties.items() if _TYPE in supers}
        self._membership.add(pyoxigraph.NamedNode(_TYPE))
        self._memo: dict[tuple, dict[str, list[tuple]]] = {}

    def templates(self, p, o, subject_kind: str, object_kind: str) -> dict[str, list[tuple]]:
        """For a statement ``? p o`` whose terms are of these kinds, its consequences by the role
        (``_S`` or ``_O``) of their subject, as ``(predicate, object)`` pairs whose object is a role
        or a class (a NamedNode)."""
        key = (p, subject_kind, object_kind, o if object_kind == "i" and p in self._membership else None)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._close(p.value, subject_kind, object_kind,
                                                  None if key[3] is None else o.value)
        return found

    def _close(self, predicate: str, subject_kind: str, object_kind: str, cls: str | None) -> dict:
        a = self.axioms
        kinds = {_S: subject_kind, _O: object_kind}
        start = (_S, predicate, ("class", cls) if cls is not None else _O)
        seen, todo = {start}, [start]

        def add(x, q, y, object_may_be_blank: bool):
            if kinds.get(x) != "e" or (not object_may_be_blank and kinds.get(y) == "b"):
                return
            if (x, q, y) not in seen:
                seen.add((x, q, y))
                todo.append((x, q, y))

        while todo:
            x, q, y = todo.pop()
            for sup in a.superproperties.get(q, ()):  # prp-spo1
                add(x, sup, y, False)
            if isinstance(y, str):  # prp-inv, prp-symp: the object is a term of the statement, not a class
                for inverse in a.inverses.get(q, ()):
                    add(y, inverse, x, False)
                if q in a.symmetric:
                    add(y, q, x, False)
                for c in a.ranges.get(q, ()):  # prp-rng
                    add(y, _TYPE, ("class", c), True)
            for c in a.domains.get(q, ()):  # prp-dom
                add(x, _TYPE, ("class", c), True)
            if q == _TYPE and not isinstance(y, str):  # cax-sco
                for c in a.superclasses.get(y[1], ()):
                    add(x, _TYPE, ("class", c), True)
        seen.discard(start)
        by_role: dict[str, list[tuple]] = {_S: [], _O: []}
        for x, q, y in sorted(seen, key=repr):
            by_role[x].append((pyoxigraph.NamedNode(q), pyoxigraph.NamedNode(y[1]) if isinstance(y, tuple) else y))
        return by_role

    def of(self, s, p, o) -> list[tuple]:
        """Every consequence of ``s p o`` as ``(subject, predicate, object)`` terms."""
        templates = self.templates(p, o, _kind(s), _kind(o))
        return [(subject, q, s if y is _S else o if y is _O else y)
                for role, subject in ((_S, s), (_O, o)) for q, y in templates[role]]


class _Output:
    """Derived statements on their way into ``inferred``, bulk-loaded a batch at a time
    (a transactional INSERT was ten times slower)."""

    def __init__(self, store: pyoxigraph.Store, batch: int, progress):
        self.store, self.batch, self.progress = store, batch, progress
        self.graph = pyoxigraph.NamedNode(INFERRED)
        self.quads: list = []
        self.pending: set = set()  # the batch's statements, for ``add_new``
        self.count = 0

    def add(self, s, p, o) -> None:
        """Write a statement known to be new."""
        self.quads.append(pyoxigraph.Quad(s, p, o, self.graph))
        self.count += 1
        if len(self.quads) >= self.batch:
            self.flush()

    def add_new(self, s, p, o) -> bool:
        """Write a statement unless it is asserted, already inferred or waiting in this batch."""
        key = (s, p, o)
        if key in self.pending or pyoxigraph.Quad(s, p, o) in self.store \
                or pyoxigraph.Quad(s, p, o, self.graph) in self.store:
            return False
        self.pending.add(key)
        self.add(s, p, o)
        return True

    def flush(self) -> None:
        if self.quads:
            self.store.bulk_extend(self.quads)
            self.quads = []
            self.pending = set()
            if self.progress is not None:
                self.progress(self.count)


def _about(entity, outgoing: list[tuple], incoming, consequences: Consequences, out: _Output) -> None:
    """Write what the one-premise rules derive about ``entity`` and is not asserted: every such
    statement comes from a statement with ``entity`` as its subject or its object, and the ones
    asserted about it are all in ``outgoing`` (its ``(predicate, object, kind of object)``), so no
    lookup is needed."""
    asserted = {(p, o) for p, o, _ in outgoing}
    templates = consequences.templates

    def seeds():  # (templates about ``entity``, the statement's subject, its object)
        for p, o, object_kind in outgoing:
            yield templates(p, o, "e", object_kind)[_S], entity, o
        for quad in incoming:
            s = quad.subject
            yield templates(quad.predicate, entity, _kind(s), "e")[_O], s, entity

    derived: set = set()
    for found, s, o in seeds():
        for q, y in found:
            pair = (q, s if y is _S else o if y is _O else y)
            if pair not in asserted and pair not in derived:
                derived.add(pair)
                out.add(entity, *pair)


def _one_premise(store: pyoxigraph.Store, consequences: Consequences, out: _Output) -> None:
    """The one-premise rules over the asserted statements, one entity at a time: its statements come
    together in the store's subject-first index, and the ones naming it as object by a lookup.
    An entity that is no statement's subject is found from the statements naming it."""
    default = pyoxigraph.DefaultGraph()
    is_subject: dict = {}  # recent answers, cleared when large: most objects recur in nearby statements
    object_only: set = set()  # few, each handled once
    templates = consequences.templates
    for subject, group in groupby(store.quads_for_pattern(None, None, None, default), key=lambda q: q.subject):
        # each attribute read of a quad builds a new Python object: read them once
        outgoing = [(p, o, _kind(o)) for p, o in ((quad.predicate, quad.object) for quad in group)]
        subject_kind = _kind(subject)
        if subject_kind == "e":
            _about(subject, outgoing, store.quads_for_pattern(None, None, subject, default), consequences, out)
        for p, o, object_kind in outgoing:
            if object_kind != "e" or is_subject.get(o) or o == subject or not templates(p, o, subject_kind, "e")[_O]:
                continue
            if o not in is_subject:
                if len(is_subject) >= 100_000:
                    is_subject.clear()
                is_subject[o] = next(store.quads_for_pattern(o, None, None, default), None) is not None
                if not is_subject[o] and o not in object_only:
                    object_only.add(o)
                    _about(o, [], store.quads_for_pattern(None, None, o, default), consequences, out)


def _count(store: pyoxigraph.Store) -> int:
    rows = list(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED}> {{ ?s ?p ?o }} }}"))
    return int(rows[0]["n"].value)


def materialise(store: pyoxigraph.Store, ontology: Graph, batch: int = 100_000, progress=None) -> Inference:
    """Derive, into ``inferred``, every entailment of the rules about bmkg entities not already asserted.

    First the one-premise rules, in Python over the asserted statements entity by entity
    (``Consequences``); then the rules that join two statements, as queries in the store, each
    new statement with its one-premise closure, until a round adds nothing. A two-premise rule
    runs again only for the axioms whose input statements grew since it last ran.
    ``progress`` hears the number of statements derived so far.
    """
    axioms = Axioms.of(ontology)
    consequences = Consequences(axioms)
    out = _Output(store, batch, progress)
    _one_premise(store, consequences, out)
    out.flush()
    rules = compile_rules(axioms)
    dirty: list[set[str] | None] = [None] * len(rules)  # None: every axiom row (the first round)
    rounds = 1
    while any(d is None or d for d in dirty):
        rounds += 1
        if rounds > _MAX_ROUNDS:
            raise RuntimeError(f"reasoning did not settle after {_MAX_ROUNDS} rounds")
        for index, rule in enumerate(rules):
            grown = dirty[index]
            rows = rule.rows if grown is None else [row for row in rule.rows if rule.reads(row) & grown]
            dirty[index] = set()
            if not rows:
                continue
            written = _apply(store, rule.select(rows), consequences, out)
            log.debug("round %d: rule %s derived %d kinds of statement", rounds, rule.name, len(written))
            for other in range(len(rules)):
                if dirty[other] is not None:
                    dirty[other] |= written
    inference = Inference(_count(store), rounds, threshold=axioms.threshold)
    inference.conflicts = consistency(store, axioms)
    rows = list(store.query(f"""SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{
        GRAPH <{INFERRED}> {{ ?m <{BM.relatedTopic}> ?t }} }}"""))
    inference.models_with_derived_topic = int(rows[0]["n"].value)
    return inference


def _apply(store: pyoxigraph.Store, query: str, consequences: Consequences, out: _Output) -> set[str]:
    """Write a two-premise rule's solutions and their one-premise closures; the kinds of statement
    (property or class) that were new."""
    written: set[str] = set()
    for solution in store.query(query):
        s, p, o = solution["s"], solution["p"], solution["o"]
        for statement in [(s, p, o), *consequences.of(s, p, o)]:
            if out.add_new(*statement):
                q, y = statement[1], statement[2]
                written.add(_cls(y.value) if q.value == _TYPE else _prop(q.value))
    out.flush()
    return written


def consistency(store: pyoxigraph.Store, axioms: Axioms) -> list[str]:
    """Violations of disjointness and functional axioms, each naming the entities."""
    problems = []
    if axioms.disjoint:
        # Each pair is looked up from its smaller class, and pairs with an empty class not at all:
        # the query checks the other class for every member (x1: 0.6 -> 0.2 s).
        sizes = {r["c"].value: int(r["n"].value) for r in store.query(
            f"SELECT ?c (COUNT(*) AS ?n) WHERE {{ {_in_data('?x', 'a', '?c')} }} GROUP BY ?c")}
        pairs = [(a, b) if sizes.get(a, 0) <= sizes.get(b, 0) else (b, a) for a, b in axioms.disjoint
                 if sizes.get(a, 0) and sizes.get(b, 0)]
        declared = set(axioms.disjoint)
        found = []
        if pairs:
            for r in store.query(f"""SELECT ?x ?a ?b WHERE {{ {_values('?a ?b', pairs)}
                    {_in_data('?x', 'a', '?a')} {_in_data('?x', 'a', '?b')} }}"""):
                a, b = r["a"].value, r["b"].value
                found.append((r["x"].value, *((a, b) if (a, b) in declared else (b, a))))
        problems += [f"{x} is both {_local(a)} and {_local(b)}, which are disjoint" for x, a, b in sorted(found)]
    for prop in sorted(axioms.functional):
        rows = store.query(f"""SELECT ?s (GROUP_CONCAT(DISTINCT STR(?o); SEPARATOR=", ") AS ?values)
            (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {_in_data('?s', f'<{prop}>', '?o')} }}
            GROUP BY ?s HAVING (COUNT(DISTINCT ?o) > 1) ORDER BY ?s""")
        problems += [f"{r['s'].value} has {r['n'].value} values of functional property {_local(prop)}: "
                     f"{', '.join(sorted(r['values'].value.split(', ')))}" for r in rows]
    return problems


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]
