"""RDF terms for the build, as pyoxigraph objects.

The build writes millions of triples straight into Oxigraph; making them as
rdflib terms first and converting them cost more than everything else in the
mapping. Vocabulary terms come from namespaces that check every name against
the ontology (``ontology.terms.BM``) or a fixed list, so a typo fails loudly.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad

from ontology import BM, ID_BASE, mint
from ontology.terms import BM as _BM_TERMS

__all__ = ["BlankNode", "DefaultGraph", "Literal", "NamedNode", "Quad"]

_XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = NamedNode(_XSD + "string")
XSD_INTEGER = NamedNode(_XSD + "integer")
XSD_DOUBLE = NamedNode(_XSD + "double")
XSD_DATE = NamedNode(_XSD + "date")
XSD_GYEAR = NamedNode(_XSD + "gYear")
XSD_BOOLEAN = NamedNode(_XSD + "boolean")
XSD_ANYURI = NamedNode(_XSD + "anyURI")


class Vocabulary:
    """Named nodes of one namespace, made once per term; unknown names raise AttributeError.

    >>> RDFS.label
    <NamedNode value=http://www.w3.org/2000/01/rdf-schema#label>
    >>> RDFS.lable
    Traceback (most recent call last):
    ...
    AttributeError: rdfs has no term 'lable'
    """

    def __init__(self, prefix: str, base: str, terms):
        self._prefix, self._base, self._terms = prefix, base, frozenset(terms)

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("_") or name not in self._terms:
            raise AttributeError(f"{self._prefix} has no term {name!r}")
        node = NamedNode(self._base + name)
        setattr(self, name, node)  # the next lookup is a plain attribute
        return node


BMX = Vocabulary("bm", str(BM), _BM_TERMS.__annotations__)
RDF = Vocabulary("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#", ["type"])
RDFS = Vocabulary("rdfs", "http://www.w3.org/2000/01/rdf-schema#", ["label", "subClassOf"])
SKOS = Vocabulary("skos", "http://www.w3.org/2004/02/skos/core#",
                  ["prefLabel", "altLabel", "definition", "inScheme", "topConceptOf", "hasTopConcept",
                   "broader", "ConceptScheme", "exactMatch", "closeMatch"])
DCTERMS = Vocabulary("dcterms", "http://purl.org/dc/terms/", ["title", "source", "license", "date", "identifier"])
ORG = Vocabulary("org", "http://www.w3.org/ns/org#",
                 ["subOrganizationOf", "ChangeEvent", "originalOrganization", "resultingOrganization"])
PROV = Vocabulary("prov", "http://www.w3.org/ns/prov#", ["wasDerivedFrom"])
SCHEMA = Vocabulary("schema", "https://schema.org/", ["lastReviewed"])
UNIT = Vocabulary("unit", "http://qudt.org/vocab/unit/", ["FRACTION", "MIN", "UNITLESS"])

TYPE = RDF.type
LABEL = RDFS.label


@lru_cache(maxsize=1 << 16)  # bounded: 300,000 cached IRIs held 87 MB of Python memory alone (tracemalloc)
def entity(kind: str, key: str) -> NamedNode:
    """The IRI of an entity, minted and checked by ``ontology.mint``."""
    return NamedNode(str(mint(kind, key)))


def graph(iri: str) -> NamedNode:
    return NamedNode(str(iri))


def text(value: str, language: str | None = None) -> Literal:
    return Literal(value, language=language) if language else Literal(value)


def integer(value: int) -> Literal:
    return Literal(str(int(value)), datatype=XSD_INTEGER)


def double(value: float) -> Literal:
    """An xsd:double; sources never give infinities (the adapters reject them).

    >>> double(1.0692e25).value, double(0.5).value
    ('1.0692e+25', '0.5')
    """
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"not a finite number: {value!r}")
    return Literal(repr(number), datatype=XSD_DOUBLE)


def date(value: dt.date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD_DATE)


def year(value: int) -> Literal:
    return Literal(f"{value:04d}", datatype=XSD_GYEAR)


def boolean(value: bool) -> Literal:
    return Literal("true" if value else "false", datatype=XSD_BOOLEAN)


def uri(value: str) -> Literal:
    """A web address as an xsd:anyURI literal (a page, not an entity of the graph)."""
    return Literal(value, datatype=XSD_ANYURI)


def is_entity(node) -> bool:
    return isinstance(node, NamedNode) and node.value.startswith(ID_BASE)
