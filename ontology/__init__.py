"""The bmkg ontology's Python handle, shared by ``ingest`` and ``server``.

It gives the namespaces, the function that mints every IRI, and the paths of
the ontology, the shapes and the queries. Ingest and server depend on this
package and never on each other.
"""

from rdflib import URIRef

from ontology import paths
from ontology.iri import GRAPH_BASE, ID_BASE, IRIError, graph_iri, mint, normalise_key, split
from ontology.terms import BM

ONTOLOGY_IRI = URIRef("https://w3id.org/bmkg/ontology")
SHAPES_NS = "https://w3id.org/bmkg/shapes#"

__all__ = [
    "BM",
    "GRAPH_BASE",
    "ID_BASE",
    "IRIError",
    "ONTOLOGY_IRI",
    "SHAPES_NS",
    "graph_iri",
    "mint",
    "normalise_key",
    "paths",
    "split",
]
