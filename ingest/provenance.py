"""The metadata graph: a DCAT/VoID description of bmkg and PROV-O provenance of each named graph.

Everything here is derived from the inputs, never from the clock, so two builds
of the same inputs describe themselves identically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from rdflib import DCAT, DCTERMS, PROV, RDF, RDFS, VOID, XSD, Graph, Literal, URIRef

from ontology import BM, ONTOLOGY_IRI, graph_iri

DATASET = URIRef("https://w3id.org/bmkg/")
METADATA_GRAPH = graph_iri("metadata")
ONTOLOGY_GRAPH = graph_iri("ontology")
INFERRED_GRAPH = graph_iri("inferred")
SOFTWARE = URIRef("https://w3id.org/bmkg/software")
BMKG_LICENCE = "https://creativecommons.org/licenses/by/4.0/"
BMKG_ATTRIBUTION = "bmkg, the Big Model knowledge graph, CC BY 4.0"
# The graphs a build makes itself: title, and whether it is derived from the source graphs.
DERIVED_GRAPHS = {
    "ontology": ("The bmkg ontology", False),
    "inferred": ("Statements derived by the bmkg reasoner from the asserted graphs", True),
    "conflicts": ("Values on which the sources disagree, each claim with its source", True),
}


@dataclass(frozen=True)
class SourceFacts:
    name: str
    title: str
    url: str
    licence: str
    attribution: str
    snapshot: str | None
    sha256: str
    records_read: int
    records_rejected: int
    triples: int
    entities: int
    variant: str | None = None  # the export variant an adapter recognised, such as Epoch's all-models export


def sha256_of(path: Path) -> str:
    """The digest of a file, or of every file of a folder in name order."""
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if file.is_file():
            digest.update(file.relative_to(path).as_posix().encode() if path.is_dir() else b"")
            with file.open("rb") as handle:  # in chunks: a scaled source runs to hundreds of MB
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


def describe(sources: list[SourceFacts], other_graphs: dict[URIRef, int], mapping_version: str) -> Graph:
    graph = Graph()
    graph.add((DATASET, RDF.type, DCAT.Dataset))
    graph.add((DATASET, RDF.type, VOID.Dataset))
    graph.add((DATASET, DCTERMS.title, Literal("bmkg: the Big Model knowledge graph", lang="en")))
    graph.add((DATASET, DCTERMS.description, Literal(
        "Models, datasets, hardware, techniques, organisations, publications and open problems of the "
        "big-model field, organised by the four parts and sixteen topics of a research roadmap.", lang="en")))
    graph.add((DATASET, VOID.vocabulary, URIRef(str(ONTOLOGY_IRI))))
    graph.add((DATASET, VOID.uriSpace, Literal("https://w3id.org/bmkg/id/")))
    graph.add((DATASET, VOID.sparqlEndpoint, URIRef("https://w3id.org/bmkg/sparql")))
    graph.add((SOFTWARE, RDF.type, PROV.SoftwareAgent))
    graph.add((SOFTWARE, RDFS.label, Literal(f"bmkg ingest, mapping version {mapping_version}")))
    total = 0
    for facts in sources:
        node = graph_iri(facts.name)
        activity = URIRef(f"{node}/ingest")
        graph.add((DATASET, VOID.subset, node))
        graph.add((DATASET, DCTERMS.source, URIRef(facts.url)))
        for rdf_type in (VOID.Dataset, DCAT.Dataset, PROV.Entity):
            graph.add((node, RDF.type, rdf_type))
        graph.add((node, DCTERMS.title, Literal(facts.title, lang="en")))
        graph.add((node, DCTERMS.source, URIRef(facts.url)))
        if facts.licence:
            graph.add((node, DCTERMS.license, URIRef(facts.licence)))
        if facts.attribution:
            graph.add((node, DCTERMS.bibliographicCitation, Literal(facts.attribution)))
        if facts.snapshot:
            graph.add((node, BM.snapshotDate, Literal(dt.date.fromisoformat(facts.snapshot))))
        graph.add((node, BM.inputSha256, Literal(facts.sha256)))
        graph.add((node, BM.recordsRead, Literal(facts.records_read)))
        graph.add((node, BM.recordsRejected, Literal(facts.records_rejected)))
        graph.add((node, BM.mappingVersion, Literal(mapping_version)))
        if facts.variant:
            graph.add((node, BM.sourceVariant, Literal(facts.variant)))
        graph.add((node, VOID.triples, Literal(facts.triples)))
        graph.add((node, VOID.entities, Literal(facts.entities)))
        graph.add((node, PROV.wasGeneratedBy, activity))
        graph.add((node, PROV.wasDerivedFrom, URIRef(facts.url)))
        graph.add((activity, RDF.type, PROV.Activity))
        graph.add((activity, PROV.used, URIRef(facts.url)))
        graph.add((activity, PROV.wasAssociatedWith, SOFTWARE))
        total += facts.triples
    for node, triples in other_graphs.items():
        graph.add((DATASET, VOID.subset, node))
        graph.add((node, RDF.type, VOID.Dataset))
        graph.add((node, VOID.triples, Literal(triples)))
        made = DERIVED_GRAPHS.get(node.rsplit("/", 1)[-1])
        if made is not None:
            title, source_graphs = made
            graph.add((node, DCTERMS.title, Literal(title, lang="en")))
            graph.add((node, DCTERMS.license, URIRef(BMKG_LICENCE)))
            graph.add((node, DCTERMS.bibliographicCitation, Literal(BMKG_ATTRIBUTION)))
            graph.add((node, DCTERMS.creator, SOFTWARE))
            if source_graphs:  # derived from every source graph
                for facts in sources:
                    graph.add((node, PROV.wasDerivedFrom, graph_iri(facts.name)))
        total += triples
    graph.add((ONTOLOGY_GRAPH, DCTERMS.source, URIRef(str(ONTOLOGY_IRI))))
    graph.add((DATASET, VOID.triples, Literal(total, datatype=XSD.integer)))
    return graph
