"""Files generated from the one hand-edited ontology, never edited by hand.

- ``terms.py``: the ``BM`` DefinedNamespace, so a mistyped term fails at import time;
- ``context.jsonld``: a JSON-LD context for bmkg data;
- HTML documentation, written by pyLODE into a directory of the caller's choice.

Tests check that the committed ``terms.py`` and ``context.jsonld`` match what this
module would write now.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef

log = logging.getLogger(__name__)

BM_NS = "https://w3id.org/bmkg/ontology#"
_HERE = Path(__file__).resolve().parent
_ONTOLOGY = _HERE / "bmkg.ttl"

_PREFIXES = {
    "bm": BM_NS,
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "mls": "http://www.w3.org/ns/mls#",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "qudt": "http://qudt.org/schema/qudt/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "unit": "http://qudt.org/vocab/unit/",
    "void": "http://rdfs.org/ns/void#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "id": "https://w3id.org/bmkg/id/",
}

_KINDS = {
    OWL.Class: "class",
    OWL.ObjectProperty: "object property",
    OWL.DatatypeProperty: "datatype property",
    OWL.AnnotationProperty: "annotation property",
    OWL.NamedIndividual: "individual",
}


def declared_terms(graph: Graph) -> dict[str, tuple[str, object]]:
    """Local names of the terms the ontology declares, with their kind and RDF type."""
    terms: dict[str, tuple[str, object]] = {}
    for rdf_type, kind in _KINDS.items():
        for subject in graph.subjects(RDF.type, rdf_type):
            text = str(subject)
            if text.startswith(BM_NS):
                terms.setdefault(text[len(BM_NS):], (kind, rdf_type))
    return dict(sorted(terms.items()))


def terms_module(graph: Graph) -> str:
    lines = [
        '"""The bmkg ontology\'s terms as an rdflib DefinedNamespace.',
        "",
        "GENERATED from bmkg.ttl by ontology/generate.py: do not edit by hand.",
        '"""',
        "",
        "from rdflib import URIRef",
        "from rdflib.namespace import DefinedNamespace, Namespace",
        "",
        "",
        "class BM(DefinedNamespace):",
        '    _NS = Namespace("https://w3id.org/bmkg/ontology#")',
        "    _fail = True",
        "",
    ]
    for name, (kind, _) in declared_terms(graph).items():
        lines.append(f"    {name}: URIRef  # {kind}")
    return "\n".join(lines) + "\n"


def context_document(graph: Graph) -> str:
    context: dict[str, object] = dict(_PREFIXES)
    for name, (_, rdf_type) in declared_terms(graph).items():
        if rdf_type == OWL.ObjectProperty:
            context[name] = {"@id": f"bm:{name}", "@type": "@id"}
        elif rdf_type == OWL.DatatypeProperty:
            ranges = list(graph.objects(URIRef(BM_NS + name), RDFS.range))
            entry: dict[str, str] = {"@id": f"bm:{name}"}
            if len(ranges) == 1 and str(ranges[0]).startswith(_PREFIXES["xsd"]):
                entry["@type"] = "xsd:" + str(ranges[0])[len(_PREFIXES["xsd"]):]
            context[name] = entry
        else:
            context[name] = f"bm:{name}"
    return json.dumps({"@context": context}, indent=2, ensure_ascii=False) + "\n"


def load(path: Path = _ONTOLOGY) -> Graph:
    return Graph().parse(path, format="turtle")


def write_sources(directory: Path = _HERE) -> list[Path]:
    """Write ``terms.py`` and ``context.jsonld`` beside the ontology."""
    graph = load()
    written = []
    for name, text in (("terms.py", terms_module(graph)), ("context.jsonld", context_document(graph))):
        target = directory / name
        target.write_text(text, encoding="utf-8")
        written.append(target)
        log.info("wrote %s", target)
    return written


def write_docs(out_dir: Path) -> Path:
    """Render the ontology's HTML documentation with pyLODE into ``out_dir``."""
    from pylode import OntPub  # imported here: pyLODE is slow to import

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "ontology.html"
    OntPub(ontology=str(_ONTOLOGY)).make_html(destination=target)
    html = target.read_text(encoding="utf-8")
    section = _individuals_section(load())
    if section:
        # pyLODE 3.3 renders classes and properties but no named individuals (such as bm:EloPoint).
        target.write_text(html.replace("<h2>Namespaces</h2>", section + "<h2>Namespaces</h2>", 1), encoding="utf-8")
    log.info("wrote %s", target)
    return target


def _individuals_section(graph: Graph) -> str:
    """An HTML section listing the bm: named individuals with their label and definition."""
    from html import escape

    rows = []
    for name, (kind, _type) in declared_terms(graph).items():
        if kind != "individual":
            continue
        iri = URIRef(BM_NS + name)
        label = graph.value(iri, RDFS.label) or name
        definition = graph.value(iri, SKOS.definition) or ""
        rows.append(f'<div class="property entity" id="{escape(name)}"><h3>{escape(str(label))} '
                    f'<sup class="sup-c" title="named individual">ni</sup></h3>'
                    f"<table><tr><th>IRI</th><td><code>{escape(str(iri))}</code></td></tr>"
                    f"<tr><th>Local name</th><td><code>{escape(name)}</code></td></tr>"
                    f"<tr><th>Description</th><td>{escape(str(definition))}</td></tr></table></div>")
    return f'<div id="individuals"><h2>Named Individuals</h2>{"".join(rows)}</div>' if rows else ""
