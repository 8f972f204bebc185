"""Quality checks of the ontology itself.

- Quality rules: each file in ``queries/qc/`` is a SPARQL SELECT over the
  ontology and shapes graphs; any row it returns is a failure.
- Consistency: the ontology (optionally with sample data) is classified by
  HermiT through owlready2. HermiT does not know ``xsd:date`` or ``xsd:gYear``
  (they are outside the OWL 2 datatype map), so it is told to ignore
  unsupported datatypes; SHACL checks those values instead.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, URIRef

from ontology import paths
from ontology.iri import graph_iri

log = logging.getLogger(__name__)

ONTOLOGY_GRAPH = graph_iri("ontology")
SHAPES_GRAPH = graph_iri("shapes")


@dataclass(frozen=True)
class RuleResult:
    name: str
    title: str
    rows: list[dict[str, str]]

    @property
    def passed(self) -> bool:
        return not self.rows


def rule_files(directory: Path = paths.QUALITY_RULES) -> list[Path]:
    return sorted(directory.glob("*.rq"))


def rule_title(query: str) -> str:
    for line in query.splitlines():
        if line.startswith("# title:"):
            return line.removeprefix("# title:").strip()
    return ""


def quality_dataset(ontology: Path = paths.ONTOLOGY, shapes: Path = paths.SHAPES) -> Dataset:
    dataset = Dataset()
    dataset.graph(ONTOLOGY_GRAPH).parse(ontology, format="turtle")
    dataset.graph(SHAPES_GRAPH).parse(shapes, format="turtle")
    return dataset


def run_rules(dataset: Dataset | None = None, rules: list[Path] | None = None) -> list[RuleResult]:
    dataset = dataset if dataset is not None else quality_dataset()
    results = []
    for rule in rules if rules is not None else rule_files():
        query = rule.read_text(encoding="utf-8")
        rows = [
            {str(var): str(row[var]) for var in row.labels if row[var] is not None}
            for row in dataset.query(query)
        ]
        results.append(RuleResult(rule.stem, rule_title(query), rows))
        log.debug("rule %s: %d rows", rule.stem, len(rows))
    return results


class InconsistentOntology(Exception):
    """The reasoner found the ontology (with its sample data) inconsistent."""


@dataclass(frozen=True)
class Classification:
    unsatisfiable: list[str]
    inferred_types: dict[str, set[str]]


def classify(extra: Graph | None = None) -> Classification:
    """Run HermiT over the ontology plus ``extra`` data.

    Raises InconsistentOntology when no model exists. Returns the unsatisfiable
    classes and the classes HermiT inferred for each individual of ``extra``.
    """
    import owlready2  # imported here: it starts slowly and needs Java only for this

    graph = Graph().parse(paths.ONTOLOGY, format="turtle")
    if extra is not None:
        graph += extra
    with tempfile.TemporaryDirectory(prefix="bmkg-hermit-") as tmp:
        source = Path(tmp) / "input.nt"
        graph.serialize(source, format="nt", encoding="utf-8")
        world = owlready2.World()
        onto = world.get_ontology(source.as_uri()).load()
        try:
            with onto:
                owlready2.sync_reasoner_hermit(
                    world, infer_property_values=False, debug=0, ignore_unsupported_datatypes=True
                )
        except owlready2.OwlReadyInconsistentOntologyError as error:
            raise InconsistentOntology("HermiT found no model of the ontology and data") from error
        unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c.iri != str(_NOTHING))
        inferred: dict[str, set[str]] = {}
        if extra is not None:
            for subject in set(extra.subjects()):
                if not isinstance(subject, URIRef):
                    continue
                individual = world[str(subject)]
                if individual is not None and hasattr(individual, "is_a"):
                    inferred[str(subject)] = {
                        c.iri for c in individual.INDIRECT_is_a if hasattr(c, "iri")
                    }
        return Classification(unsatisfiable, inferred)


_NOTHING = URIRef("http://www.w3.org/2002/07/owl#Nothing")
