"""The build: sources -> records -> triples -> SHACL gate -> reasoning -> a new store generation.

A build writes a partial generation beside the current one and publishes it
only when every stage has passed; any failure discards it and leaves the
served generation as it was.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import os
import resource
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.compare import to_canonical_graph

from ingest import artefacts, provenance, reasoning
from ingest.adapters.registry import SOURCES, Source
from ingest.mapping import MAPPING_VERSION, Mapper
from ingest.records import IngestError, Record, Rejection, SourceError
from ontology import BM, ID_BASE, graph_iri, store, validation

log = logging.getLogger(__name__)

ENTITIES_FILE = "entities.json"
REJECTIONS_FILE = "rejections.json"
MERGE_FILE = "merge-report.json"
NOTES_FILE = "notes.json"


class BuildFailed(IngestError):
    """A stage failed; the current generation is untouched."""

    def __init__(self, stage: str, problems: list[str]):
        self.stage = stage
        self.problems = problems
        super().__init__(f"{stage} failed: {len(problems)} problem(s)")


@dataclass
class Inputs:
    sources: list[Source]
    paths: dict[str, Path]

    @classmethod
    def shipped(cls, overrides: dict[str, Path] | None = None, added: list[Source] = ()) -> "Inputs":
        sources = list(SOURCES.values()) + list(added)
        chosen = {s.name: s.default_path for s in sources}
        chosen.update(overrides or {})
        return cls(sources, chosen)


@dataclass
class BuildResult:
    generation: store.Generation
    summary: dict
    rejections: list[Rejection] = field(default_factory=list)


Progress = Callable[[str], None]


def build(root: Path, inputs: Inputs, build_date: dt.date | None = None,
          on_stage: Progress = lambda _stage: None) -> BuildResult:
    """Run every stage; publish a new generation under ``root`` only if all pass."""
    build_date = build_date or dt.date.today()
    started = time.perf_counter()
    timings: dict[str, float] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        on_stage(name)
        t0 = time.perf_counter()
        yield
        # What a stage leaves (records, graphs, the report, inferences) lives to the end of
        # the build. Frozen, it is no longer re-scanned by every full collection of the
        # cyclic GC (a fifth of the build's time at x10), and forked SHACL workers do not
        # copy its pages by touching it.
        gc.freeze()
        timings[name] = round(time.perf_counter() - t0, 3)
        log.info("stage %s took %.2f s", name, timings[name])

    try:
        return _build(root, inputs, build_date, started, timings, stage)
    finally:
        gc.unfreeze()  # a long-lived caller (the tests) can collect all of it again


def _build(root: Path, inputs: Inputs, build_date: dt.date, started: float, timings: dict,
           stage: Callable) -> BuildResult:
    with store.build_lock(root):
        previous = store.current(root)
        with stage("read"):
            records, rejections, facts = _read(inputs, build_date)
        partial = store.start_generation(root)
        try:
            with stage("map"):
                mapper = Mapper(records)
                graphs = mapper.run()
                rejections += mapper.rejections
                del records
                mapper.records = {}  # read only by run(); at x100 the records take 0.5 GB
                for source in inputs.sources:
                    graphs.setdefault(source.name, Graph())
                # Each source's graph goes to the store now, leaving only its figures; the
                # union needed by the gate and the reasoner is then built from the graphs
                # themselves rather than beside them (each rdflib copy costs ~1 KB a triple).
                sources_facts = [_facts(s, inputs.paths[s.name], facts, rejections, graphs[s.name])
                                 for s in inputs.sources]
                sizes = {graph_iri(name): len(g) for name, g in graphs.items()}
                digests = EntityDigests()
                _write_store(partial.oxigraph, {graph_iri(name): g for name, g in graphs.items()}, digests,
                             finish=False)
                data = _union(list(graphs.values()))
                del graphs
                mapper.graphs.clear()
                gc.collect()
            with stage("validate"):
                # Canonical blank-node labels make the ontology graph, and so the dumps,
                # byte-identical from one build of the same inputs to the next.
                ontology = to_canonical_graph(validation.ontology_graph())
                report = validation.validate(data, build_date, ontology=ontology,
                                             jobs=min(2, os.cpu_count() or 1), in_place=True)
                if report.violations:
                    raise BuildFailed("SHACL validation", [_locate(f, mapper) for f in report.violations])
            with stage("reason"):
                classes = Counter(_local(o) for o in data.objects(None, RDF.type))
                prepared = reasoning.prepare(data, ontology)
                _release(data)
                del data
                inference = prepared.run()
                del prepared
                if inference.conflicts:
                    raise BuildFailed("consistency", inference.conflicts)
            with stage("write"):
                named = {provenance.ONTOLOGY_GRAPH: ontology, provenance.INFERRED_GRAPH: inference.triples}
                named[provenance.METADATA_GRAPH] = provenance.describe(
                    sources_facts, {provenance.ONTOLOGY_GRAPH: len(ontology),
                                    provenance.INFERRED_GRAPH: len(inference.triples)}, MAPPING_VERSION)
                sizes.update((iri, len(g)) for iri, g in named.items())
                _write_store(partial.oxigraph, named, digests)
                entities = digests.hexdigests()
            with stage("artefacts"):
                dumps = artefacts.write_dumps(partial.oxigraph, partial.path / artefacts.DUMPS_DIR)
                artefacts.write_docs(partial.path / artefacts.DOCS_DIR,
                                     previous.path / artefacts.DOCS_DIR if previous else None)
            changes = _changes(previous, entities)
            merges = mapper.resolver.merge_report("model")  # once: its near-miss search is quadratic
            summary = _summary(partial, sizes, inference.triples, classes, report, rejections, mapper, merges,
                               timings, changes, build_date, time.perf_counter() - started)
            summary["dumps"] = dumps
            _write_json(partial.path / ENTITIES_FILE, entities)
            _write_json(partial.path / REJECTIONS_FILE, [r.as_dict() for r in rejections])
            _write_json(partial.path / MERGE_FILE, merges)
            _write_json(partial.path / NOTES_FILE, [n.as_dict() for n in mapper.notes])
            _write_json(partial.summary_path, summary)
            generation = store.publish(root, partial)
        except BaseException:
            store.discard(partial)
            raise
    return BuildResult(generation, summary, rejections)


def _read(inputs: Inputs, build_date: dt.date):
    records: dict[str, list[Record]] = defaultdict(list)
    rejections: list[Rejection] = []
    facts: dict[str, tuple[int, set[str]]] = {}
    structural: list[str] = []
    for source in inputs.sources:
        path = inputs.paths[source.name]
        if path is None:
            continue
        names: set[str] = set()
        count = 0
        try:
            for item in source.read(path, build_date):
                if isinstance(item, Rejection):
                    rejections.append(item)
                    if item.whole_record:
                        names.add(item.location.record)
                else:
                    records[source.name].append(item)
                    count += 1
        except SourceError as error:
            structural.append(f"source {source.name!r} rejected: {error}")
            continue
        facts[source.name] = (count + len(names), names)
    if structural:
        raise BuildFailed("reading sources", structural)
    return records, rejections, facts


def _locate(finding: validation.Finding, mapper: Mapper) -> str:
    origins = mapper.origin.get(finding.focus, [])
    where = "; ".join(str(o) for o in origins[:3]) or "no source record"
    return f"{where}: {finding.describe()}"


def _facts(source: Source, path: Path, facts, rejections: list[Rejection], graph: Graph):
    read, rejected = facts.get(source.name, (0, set()))
    subjects = {s for s in graph.subjects(RDF.type, None) if str(s).startswith(ID_BASE)}
    return provenance.SourceFacts(
        name=source.name, title=source.title, url=source.url, licence=source.licence,
        attribution=source.attribution, snapshot=source.snapshot(path), sha256=provenance.sha256_of(path),
        records_read=read, records_rejected=len(rejected), triples=len(graph), entities=len(subjects),
    )


def _write_store(directory: Path, graphs: dict[URIRef, Graph | set], digests: "EntityDigests",
                 finish: bool = True) -> None:
    """Add the graphs to the store in ``directory``, and their statements to ``digests``;
    ``finish`` compacts the store once all graphs are in."""
    oxigraph = pyoxigraph.Store(str(directory))
    for iri, triples in sorted(graphs.items()):
        graph = pyoxigraph.NamedNode(str(iri))
        oxigraph.bulk_extend(pyoxigraph.Quad(_term(s), _term(p), _term(o), graph)
                             for s, p, o in digests.passing(iri, triples))
    oxigraph.flush()
    if finish:
        oxigraph.optimize()
    del oxigraph


class EntityDigests:
    """A digest of every entity's statements across graphs, to tell what changed between builds.

    Each statement ("graph predicate object", in N3) is hashed on its own and the
    hashes of an entity are added up, so the digest does not depend on the order
    in which graphs and triples come, and it is taken while the triples are
    written: the graphs are dropped early to save memory.

    >>> a, b = EntityDigests(), EntityDigests()
    >>> m, p = URIRef(ID_BASE + "model/m"), URIRef("urn:p")
    >>> _ = list(a.passing(URIRef("urn:g"), [(m, p, URIRef("urn:x")), (m, p, URIRef("urn:y"))]))
    >>> _ = list(b.passing(URIRef("urn:g"), [(m, p, URIRef("urn:y"))]))
    >>> _ = list(b.passing(URIRef("urn:g"), [(m, p, URIRef("urn:x"))]))
    >>> a.hexdigests() == b.hexdigests() and len(a.hexdigests()) == 1
    True
    """

    _MODULUS = 1 << 160

    def __init__(self):
        self._sums: dict[str, int] = defaultdict(int)

    def passing(self, graph: URIRef, triples):
        """``triples``, unchanged, after adding those about bmkg entities to the digests."""
        prefix = f"{graph} "
        for triple in triples:
            s, p, o = triple
            if isinstance(s, URIRef) and s.startswith(ID_BASE):
                line = f"{prefix}{p.n3()} {o.n3()}".encode()
                self._sums[str(s)] += int.from_bytes(hashlib.sha1(line).digest(), "big")
            yield triple

    def hexdigests(self) -> dict[str, str]:
        return {s: f"{total % self._MODULUS:040x}" for s, total in sorted(self._sums.items())}


def _union(graphs: list[Graph]) -> Graph:
    """All ``graphs`` in one: the largest one, grown in place; the others are emptied."""
    graphs = sorted(graphs, key=len, reverse=True)
    union = graphs[0]
    for graph in graphs[1:]:
        union += graph
        _release(graph)
    return union


def _release(graph: Graph) -> None:
    """Free a memory-backed graph's triples now: its store and the graph refer to each
    other, and the cycle would wait for a full collection, which gc.freeze() defers."""
    graph.store.__init__()


def _term(term):
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, BNode):
        return pyoxigraph.BlankNode(str(term))
    if term.language:
        return pyoxigraph.Literal(str(term), language=term.language)
    if term.datatype:
        return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(str(term.datatype)))
    return pyoxigraph.Literal(str(term))


def _changes(previous: store.Generation | None, entities: dict[str, str]) -> dict:
    if previous is None:
        return {"previous": None, "added": len(entities), "removed": 0, "changed": 0}
    try:
        before = json.loads((previous.path / ENTITIES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"previous": previous.id, "added": None, "removed": None, "changed": None}
    added = sorted(set(entities) - set(before))
    removed = sorted(set(before) - set(entities))
    changed = sorted(k for k in set(entities) & set(before) if entities[k] != before[k])
    return {"previous": previous.id, "added": len(added), "removed": len(removed), "changed": len(changed),
            "examples": {"added": added[:10], "removed": removed[:10], "changed": changed[:10]}}


def _summary(partial, sizes, inferred, classes, report, rejections, mapper, merges, timings, changes,
             build_date, seconds):
    return {
        "generation": partial.id,
        "build_date": build_date.isoformat(),
        "duration_s": round(seconds, 3),
        "graphs": {str(iri): n for iri, n in sorted(sizes.items())},
        "triples": sum(sizes.values()),
        "entities_per_class": dict(sorted(classes.items())),
        "violations": len(report.violations),
        "warnings": len(report.warnings),
        "warning_examples": [w.describe() for w in report.warnings[:5]],
        "rejections": len(rejections),
        "rejected_records": len({(r.source, r.location.record) for r in rejections if r.whole_record}),
        "notes": len(mapper.notes),
        "merged_models": len(merges["merged"]),
        "inferred_triples": len(inferred),
        "models_with_derived_topic": len({s for s, p, _ in inferred if p == BM.relatedTopic}),
        "changes": changes,
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "timings_s": timings,
    }


def _local(iri) -> str:
    text = str(iri)
    for separator in ("#", "/"):
        if separator in text:
            text = text.rsplit(separator, 1)[-1]
    return text


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
