"""Materialise what the ontology lets a reasoner derive, inside the store, into the graph ``inferred``.

The ontology is small and fixed, so its axioms are compiled once into a handful
of SPARQL updates, each covering one OWL 2 RL rule for every axiom of its kind
(the axioms go in as a VALUES table):

- cax-sco / cax-eqc: class membership, through the transitive closure of
  ``rdfs:subClassOf``, named ``owl:equivalentClass`` and the named members of an
  equivalent ``owl:intersectionOf``;
- prp-spo1: sub-properties (transitively closed); prp-inv1/2: inverses;
- prp-dom / prp-rng: named domains and ranges;
- prp-trp: transitive properties; prp-symp: symmetric ones;
- prp-spo2: the two-step property chains of ``owl:propertyChainAxiom``;
- ``bm:BigModel``, defined by a datatype restriction beyond OWL 2 RL: the
  threshold is read from that restriction.

The updates run against the store's default graph (the distinct union of the
asserted graphs) plus ``inferred``, and are repeated until a round adds nothing.
Only statements about bmkg entities are derived, and never one that is already
asserted, so ``inferred`` and the default graph are disjoint. The data never
leaves the store: the build's memory does not grow with the closure.

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
    """One OWL 2 RL rule for all the axioms (rows) of its kind.

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
    """The rules in an order where each one mostly sees what the ones before it derived."""
    a = axioms
    rules = [
        Rule("prp-spo1", sorted((p, q) for p, supers in a.superproperties.items() for q in supers),
             lambda row: {_prop(row[0])},
             lambda rows: f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_values('?b ?p', rows)} {_in_data('?s', '?b', '?o')} "
                          f"{_entity('?s')} FILTER(!isBlank(?o)) {_new('?s', '?p', '?o')} }}"),
        Rule("prp-inv", sorted((p, q) for p, inverses in a.inverses.items() for q in inverses),
             lambda row: {_prop(row[0])},
             lambda rows: f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_values('?b ?p', rows)} {_in_data('?o', '?b', '?s')} "
                          f"{_entity('?s')} FILTER(!isBlank(?o)) {_new('?s', '?p', '?o')} }}"),
        Rule("prp-symp", sorted((p,) for p in a.symmetric),
             lambda row: {_prop(row[0])},
             lambda rows: f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_values('?p', rows)} {_in_data('?o', '?p', '?s')} "
                          f"{_entity('?s')} FILTER(!isBlank(?o)) {_new('?s', '?p', '?o')} }}"),
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
        # Domains and ranges: the distinct (entity, class) pairs first, then the lookups that drop the
        # pairs already known. Almost every statement's subject already has its domain class, so checking
        # each statement cost a lookup per statement for a few dozen new types.
        Rule("prp-dom", sorted((p, c) for p, classes in a.domains.items() for c in classes),
             lambda row: {_prop(row[0])},
             lambda rows: f"SELECT ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?s ?o WHERE {{ {_values('?b ?o', rows)} "
                          f"{_in_data('?s', '?b', '?y')} }} }} {_entity('?s')} {_TYPE_BIND} "
                          f"{_new('?s', '?p', '?o')} }}"),
        Rule("prp-rng", sorted((p, c) for p, classes in a.ranges.items() for c in classes),
             lambda row: {_prop(row[0])},
             lambda rows: f"SELECT ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?s ?o WHERE {{ {_values('?b ?o', rows)} "
                          f"{_in_data('?x', '?b', '?s')} }} }} {_entity('?s')} {_TYPE_BIND} "
                          f"{_new('?s', '?p', '?o')} }}"),
        Rule("big-model", [(str(BM.BigModel),)],
             lambda row: {_cls(str(BM.Model)), _prop(str(BM.parameterCount))},
             lambda rows: f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_values('?o', rows)} "
                          f"{_in_data('?s', 'a', f'<{BM.Model}>')} {_in_data('?s', f'<{BM.parameterCount}>', '?n')} "
                          f"FILTER(DATATYPE(?n) = <{XSD.integer}> && ?n >= {a.threshold}) {_entity('?s')} "
                          f"{_TYPE_BIND} {_new('?s', '?p', '?o')} }}"),
        Rule("cax-sco", sorted((c, d) for c, supers in a.superclasses.items() for d in supers),
             lambda row: {_cls(row[0])},
             lambda rows: f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_values('?c ?o', rows)} {_in_data('?s', 'a', '?c')} "
                          f"{_entity('?s')} {_TYPE_BIND} {_new('?s', '?p', '?o')} }}"),
    ]
    return [rule for rule in rules if rule.rows]


def _count(store: pyoxigraph.Store) -> int:
    rows = list(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED}> {{ ?s ?p ?o }} }}"))
    return int(rows[0]["n"].value)


def materialise(store: pyoxigraph.Store, ontology: Graph, batch: int = 100_000, progress=None) -> Inference:
    """Derive, into ``inferred``, every entailment of the rules about bmkg entities not already asserted.

    Queries run in the store; their solutions are bulk-loaded into ``inferred`` a batch
    at a time (a transactional INSERT was ten times slower). A rule runs again only for
    the axioms whose input statements grew since it last ran, until nothing grows.
    ``progress`` hears the number of statements derived so far.
    """
    axioms = Axioms.of(ontology)
    rules = compile_rules(axioms)
    graph = pyoxigraph.NamedNode(INFERRED)
    dirty: list[set[str] | None] = [None] * len(rules)  # None: every axiom row (the first round)
    rounds = derived = 0
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
            written, count = _apply(store, rule.select(rows), graph, batch)
            derived += count
            if progress is not None:
                progress(derived)
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


def _apply(store: pyoxigraph.Store, query: str, graph, batch: int) -> tuple[set[str], int]:
    """Load a rule's solutions into ``graph``; the kinds of statement (property or class) it added,
    and how many statements."""
    written: set[str] = set()
    quads = []
    count = 0
    for count, solution in enumerate(store.query(query), start=1):
        s, p, o = solution["s"], solution["p"], solution["o"]
        quads.append(pyoxigraph.Quad(s, p, o, graph))
        written.add(_cls(o.value) if p.value == _TYPE else _prop(p.value))
        if len(quads) >= batch:
            store.bulk_extend(quads)
            quads = []
    if quads:
        store.bulk_extend(quads)
    return written, count


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
