"""A reference for the in-store reasoner: the OWL 2 RL engine ``reasonable`` over the asserted
graph in memory, with the two things it does not cover (two-step property chains and the
bm:BigModel threshold) applied by hand, repeated until nothing new appears.

It holds the whole closure as Python objects, which is why the build does not use it;
the tests compare its answer with the build's on the shipped sources.
"""

from __future__ import annotations

import reasonable
from rdflib import OWL, RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from ingest.reasoning import big_model_threshold
from ontology import BM, ID_BASE


def _plain(term):
    # reasonable types plain literals as xsd:string; RDF 1.1 says they are the same.
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def closure(asserted: set, ontology: Graph) -> set:
    """Everything the rules entail from ``asserted`` with ``ontology``, asserted statements included."""
    chains = [(p, *Collection(ontology, head)) for p, head in ontology.subject_objects(OWL.propertyChainAxiom)]
    threshold = big_model_threshold(ontology)
    known = set(asserted)
    while True:
        reasoner = reasonable.PyReasoner()
        reasoner.from_graph(list(known) + list(ontology))
        result = {tuple(_plain(t) for t in triple) for triple in reasoner.reason()} | known
        extra = set()
        by_predicate: dict = {}
        for s, p, o in result:
            by_predicate.setdefault(p, []).append((s, o))
        for prop, first, second in chains:
            targets: dict = {}
            for y, z in by_predicate.get(second, ()):
                targets.setdefault(y, []).append(z)
            extra |= {(x, prop, z) for x, y in by_predicate.get(first, ()) for z in targets.get(y, ())}
        models = {s for s, o in by_predicate.get(RDF.type, ()) if o == BM.Model}
        extra |= {(s, RDF.type, BM.BigModel) for s, o in by_predicate.get(BM.parameterCount, ())
                  if s in models and isinstance(o, Literal) and o.datatype == XSD.integer and int(o) >= threshold}
        if extra <= result:
            return result
        known = result | extra


def inferred(asserted: set, ontology: Graph) -> set:
    """What the build should write to ``inferred``: entailments about bmkg entities, not asserted.
    Memberships of anonymous classes, owl:Thing and reflexive owl:sameAs say nothing to a user;
    owl:sameAs links to other datasets are a crosswalk, not an input."""
    internal = {t for t in asserted if not (t[1] == OWL.sameAs and not str(t[2]).startswith(ID_BASE))}
    return {(s, p, o) for s, p, o in closure(internal, ontology) - asserted
            if isinstance(s, URIRef) and str(s).startswith(ID_BASE) and o != OWL.Thing
            and not isinstance(o, BNode) and not (p == OWL.sameAs and o == s)}
