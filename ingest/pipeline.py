"""The build: sources -> records -> triples -> SHACL gate beside reasoning -> a new store generation.

Every stage streams: records go from the adapters through the mapping into the
store in batches, validation reads the store a batch of subjects at a time, and
reasoning runs inside the store. The gate validates a checkpoint of the asserted
store in its own processes while reasoning writes the store itself, so the two
stages overlap (each one's time is its own wall time). A build writes a partial
generation beside the current one and publishes it only when every stage has
passed; any failure discards it and leaves the served generation as it was.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import json
import logging
import multiprocessing
import os
import resource
import shutil
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
from rdflib import Graph

from ingest import artefacts, conflicts, provenance, reasoning
from ingest.adapters.registry import SOURCES, Source
from ingest.identity import near_misses
from ingest.mapping import MAPPING_VERSION, SOURCE_ORDER, Mapper, _from_rdflib
from ingest.records import IngestError, Record, Rejection, SourceError
from ingest.reports import Reporter
from ingest.writer import EntityDigests, StoreWriter
from ontology import BM, ID_BASE, graph_iri, store, validation

log = logging.getLogger(__name__)

ENTITIES_FILE = "entities.json"
REJECTIONS_FILE = "rejections.json"
MERGE_FILE = "merge-report.json"
NOTES_FILE = "notes.json"
CONFLICTS_FILE = "conflicts.json"
STAGES = ["read", "map", "validate", "reason", "write", "artefacts"]
BESIDE = {"reason": "validate"}  # a stage that starts while another still runs
GATE_CHECKPOINT = "gate-checkpoint"  # the asserted store as the SHACL gate reads it


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

    def ordered(self) -> list[Source]:
        """The sources in order of precedence (mapping.SOURCE_ORDER), added files last."""
        rank = {name: i for i, name in enumerate(SOURCE_ORDER)}
        return sorted(self.sources, key=lambda s: rank.get(s.name, len(rank)))


@dataclass
class BuildResult:
    generation: store.Generation
    summary: dict
    rejections: list[Rejection] = field(default_factory=list)


Progress = Callable[[str], None]


class Stages:
    """Times each stage and notes the peak memory reached by its end."""

    def __init__(self, on_stage: Progress):
        self.on_stage = on_stage
        self.timings: dict[str, float] = {}
        self.peaks: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = self.begin(name)
        yield
        self.end(name, started)

    def begin(self, name: str) -> float:
        self.on_stage(name)
        return time.perf_counter()

    def end(self, name: str, started: float) -> None:
        self.timings[name] = round(time.perf_counter() - started, 3)
        self.peaks[name] = _peak_mb()
        log.info("stage %s took %.2f s (peak %.0f MB so far)", name, self.timings[name], self.peaks[name])


class Gate:
    """The SHACL gate over a checkpoint of the asserted store, run in a thread that waits on its
    worker processes, so that reasoning can write the store meanwhile."""

    def __init__(self, checkpoint: Path, build_date, ontology: Graph, stages: Stages, tick, pool, jobs: int):
        self.checkpoint, self.stop = checkpoint, threading.Event()
        self.report: validation.Report | None = None
        self.error: BaseException | None = None
        started = stages.begin("validate")

        def run() -> None:
            try:
                self.report = validation.validate_store(checkpoint, build_date, ontology=ontology, jobs=jobs,
                                                        pool=pool, stop=self.stop,
                                                        progress=lambda count: tick("validate", count))
                stages.end("validate", started)
            except BaseException as error:  # handed to the build's thread by result()
                self.error = error

        self.thread = threading.Thread(target=run, name="shacl-gate", daemon=True)
        self.thread.start()

    def result(self) -> validation.Report:
        self.thread.join()
        shutil.rmtree(self.checkpoint, ignore_errors=True)
        if self.error is not None:
            raise self.error
        return self.report

    def cancel(self) -> None:
        """Stop after the batches in flight; the partial generation, checkpoint included, is discarded."""
        self.stop.set()
        self.thread.join()


def build(root: Path, inputs: Inputs, build_date: dt.date | None = None,
          on_stage: Progress = lambda _stage: None, progress: Callable[[str, int], None] | None = None) -> BuildResult:
    """Run every stage; publish a new generation under ``root`` only if all pass.

    ``on_stage`` hears each stage's name as it starts; ``progress`` hears
    (stage, records or triples so far) while a stage runs.
    """
    build_date = build_date or dt.date.today()
    started = time.perf_counter()
    stages = Stages(on_stage)
    tick = progress or (lambda _stage, _count: None)
    with store.build_lock(root):
        previous = store.current(root)
        partial = store.start_generation(root)
        reporter = Reporter(partial.path / "reports")
        try:
            result = _build(root, inputs, build_date, stages, tick, partial, previous, reporter, started)
        except BaseException:
            reporter.close()
            store.discard(partial)
            raise
    return result


def _build(root, inputs, build_date, stages, tick, partial, previous, reporter, started) -> BuildResult:
    jobs = min(2, os.cpu_count() or 1)
    # The gate's processes start now and get ready (imports, shapes) on the core that reading and
    # mapping leave idle, where they also do two jobs for the build; they open the checkpoint
    # when the first batch comes.
    multiprocessing.get_context("forkserver").set_forkserver_preload(["ontology.validation", "ingest.artefacts"])
    with validation.worker_pool(partial.path / GATE_CHECKPOINT, build_date, None, jobs) as pool:
        return _build_with(root, inputs, build_date, stages, tick, partial, previous, reporter, started, pool,
                           jobs)


def _build_with(root, inputs, build_date, stages, tick, partial, previous, reporter, started, pool,
                jobs) -> BuildResult:
    oxigraph = pyoxigraph.Store(str(partial.oxigraph))
    writer = StoreWriter(oxigraph)
    mapper = Mapper(writer, reporter, build_date)
    sources = [s for s in inputs.ordered() if inputs.paths.get(s.name) is not None]
    read: dict[str, dict] = {}
    canonical = pool.submit(validation.canonical_ontology)

    with stages("read"):
        structural: list[str] = []
        curated = [r for r in _records(sources, inputs, "curated", build_date, reporter, read, structural)]
        mapper.prepare(curated)
        for source in sources:
            if source.name == "curated":
                continue
            for count, record in enumerate(_records([source], inputs, source.name, build_date, reporter, read,
                                                    structural), start=1):
                mapper.register(record)
                if count % 10_000 == 0:
                    tick("read", count)
        if structural:
            raise BuildFailed("reading sources", structural)
        # Every name is known once the sources are read: a gate process compares them meanwhile.
        misses = pool.submit(near_misses, _single_definers(mapper))

    with stages("map"):
        mapper.scheme()
        for record in curated:
            mapper.map(record)
        mapped = len(curated)
        for source in sources:
            if source.name == "curated":
                continue
            for item in source.read(inputs.paths[source.name], build_date):
                if isinstance(item, Record):
                    mapper.map(item)
                    mapped += 1
                    if mapped % 10_000 == 0:
                        tick("map", mapped)
        ontology = Graph()
        for triple in canonical.result():
            ontology.add(triple)
        _write_graph(writer, provenance.ONTOLOGY_GRAPH, ontology)
        writer.flush()
        found = conflicts.find(oxigraph, conflicts.compared_properties(ontology))
        conflicts.write(writer, oxigraph, found)
        _write_json(partial.path / CONFLICTS_FILE, [c.as_dict() for c in found])
        conflict_counts = {"conflicts": len(found), "conflicts_within_rounding": sum(c.within_rounding for c in found)}
        found = None  # a conflict per replicated entity at scale: not carried through reasoning
        writer.flush()
        oxigraph.flush()
        _trim_heap()  # the grouping queries' memory, freed but kept by the C heap
        # The gate reads a checkpoint (hard links to the store's files) that nothing writes: a read-only
        # handle beside the writing one may find files that the writer's compaction has just removed.
        oxigraph.backup(str(partial.path / GATE_CHECKPOINT))
        mapper.writer = None

    gate = Gate(partial.path / GATE_CHECKPOINT, build_date, ontology, stages, tick, pool, jobs)
    try:
        with stages("reason"):
            inference = reasoning.materialise(oxigraph, ontology, progress=lambda count: tick("reason", count))
    except BaseException:
        gate.cancel()
        raise
    report = gate.result()
    near = misses.result()
    pool.shutdown()  # its processes hold a store's worth of caches each; nothing more runs there
    if report.violations:
        raise BuildFailed("SHACL validation", _locate(report.violations, sources, inputs, build_date, mapper))
    if inference.conflicts:
        raise BuildFailed("consistency", inference.conflicts)

    with stages("write"):
        sizes, entities = _graph_figures(oxigraph)
        facts = [_facts(s, inputs.paths[s.name], read.get(s.name, {}), reporter, sizes, entities) for s in sources]
        metadata = provenance.describe(facts, {iri: sizes.get(str(iri), 0) for iri in
                                               (provenance.ONTOLOGY_GRAPH, provenance.INFERRED_GRAPH,
                                                conflicts.GRAPH)}, MAPPING_VERSION)
        _write_graph(writer, provenance.METADATA_GRAPH, metadata)
        writer.flush()
        sizes[str(provenance.METADATA_GRAPH)] = len(metadata)
        digests = writer.digests
        classes = _classes(oxigraph)
        oxigraph.flush()
        oxigraph.optimize()
        oxigraph = writer = None
        _closed()
        changes = _changes(previous, digests)
        digests.write_json(partial.path / ENTITIES_FILE)
        merges = _merge_report(mapper, near)
        evaluation_results = mapper.counts["results"]
        # The mapper's per-entity tables are done with: freed before the dumps fork their processes.
        mapper = digests = None
        _closed()
        _trim_heap()

    with stages("artefacts"):
        dumps = artefacts.write_dumps(partial.oxigraph, partial.path / artefacts.DUMPS_DIR, jobs=jobs)
        artefacts.write_docs(partial.path / artefacts.DOCS_DIR, previous.path / artefacts.DOCS_DIR if previous else None)

    summary = _summary(partial, sizes, classes, report, reporter, evaluation_results, merges, conflict_counts,
                       inference, read, stages, changes, build_date, time.perf_counter() - started)
    summary["dumps"] = dumps
    reporter.close()
    reporter.write_json("rejections", partial.path / REJECTIONS_FILE)
    reporter.write_json("notes", partial.path / NOTES_FILE)
    _write_json(partial.path / MERGE_FILE, merges)
    _write_json(partial.summary_path, summary)
    generation = store.publish(root, partial)
    return BuildResult(generation, summary, list(reporter.rejections))


def _records(sources, inputs, name, build_date, reporter, read, structural) -> Iterator[Record]:
    """The records of source ``name``, reporting its rejections; a structural problem is collected."""
    for source in sources:
        if source.name != name:
            continue
        path = inputs.paths[name]
        figures = read.setdefault(name, {"records": 0, "rejected": set(), "variant": None})
        try:
            for item in source.read(path, build_date):
                if isinstance(item, Rejection):
                    reporter.reject(item)
                    if item.whole_record:
                        figures["rejected"].add(item.location.record)
                else:
                    figures["records"] += 1
                    figures["variant"] = figures["variant"] or item.get("variant")
                    yield item
        except SourceError as error:
            structural.append(f"source {name!r} rejected: {error}")


def _closed() -> None:
    """Collect unreachable cycles so that a dropped store really closes: pyoxigraph has no close(),
    and a finished frame kept by a cycle would hold the writer open under a read-only reader."""
    gc.collect()


def _trim_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc keeps them for reuse), so that the
    process does not carry reasoning's and the per-entity tables' high-water mark into the dumps."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to hand back this way
        pass


def _write_graph(writer: StoreWriter, iri, graph: Graph) -> None:
    target = pyoxigraph.NamedNode(str(iri))
    for triple in graph:
        writer.add(target, *(_from_rdflib(term) for term in triple))


def _locate(violations, sources, inputs, build_date, mapper: Mapper) -> list[str]:
    """Each violation with the source records that describe its focus node, found by reading
    the sources again: nothing per entity is kept during the build for this rare case."""
    wanted = {str(v.focus) for v in violations}
    origins: dict[str, list[str]] = defaultdict(list)
    for source in sources:
        try:
            for item in source.read(inputs.paths[source.name], build_date):
                if isinstance(item, Record):
                    subject = mapper.subject_of(item)
                    if subject in wanted and len(origins[subject]) < 3:
                        origins[subject].append(str(item.location))
        except SourceError:
            continue
    return [f"{'; '.join(origins.get(str(v.focus), [])) or 'no source record'}: {v.describe()}" for v in violations]


def _graph_figures(oxigraph: pyoxigraph.Store) -> tuple[dict[str, int], dict[str, int]]:
    sizes = {r["g"].value: int(r["n"].value) for r in oxigraph.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    entities = {r["g"].value: int(r["n"].value) for r in oxigraph.query(f"""
        SELECT ?g (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }}
          FILTER(STRSTARTS(STR(?s), "{ID_BASE}")) }} GROUP BY ?g""")}
    return sizes, entities


def _classes(oxigraph: pyoxigraph.Store) -> dict[str, int]:
    """Entities per bm: class, asserted or inferred."""
    rows = oxigraph.query(f"""
        SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{
          {{ ?s a ?c }} UNION {{ GRAPH <{provenance.INFERRED_GRAPH}> {{ ?s a ?c }} }}
          FILTER(STRSTARTS(STR(?c), "{BM}") && STRSTARTS(STR(?s), "{ID_BASE}"))
        }} GROUP BY ?c""")
    return dict(sorted((r["c"].value.removeprefix(str(BM)), int(r["n"].value)) for r in rows))


def _facts(source: Source, path: Path, figures: dict, reporter: Reporter, sizes, entities):
    iri = str(graph_iri(source.name))
    return provenance.SourceFacts(
        name=source.name, title=source.title, url=source.url, licence=source.licence,
        attribution=source.attribution, snapshot=source.snapshot(path), sha256=provenance.sha256_of(path),
        records_read=figures.get("records", 0) + len(figures.get("rejected", ())),
        records_rejected=len(figures.get("rejected", ())), triples=sizes.get(iri, 0),
        entities=entities.get(iri, 0), variant=figures.get("variant"),
    )


def _single_definers(mapper: Mapper) -> dict[str, list[str]]:
    """The model keys that one source alone defines, by source."""
    resolver = mapper.resolver
    single: dict[str, list[str]] = defaultdict(list)
    for key, mask in resolver.seen["model"].items():
        if mask and not mask & (mask - 1):
            single[resolver.sources[mask.bit_length() - 1]].append(key)
    return dict(single)


def _merge_report(mapper: Mapper, misses: list[dict]) -> dict:
    resolver = mapper.resolver
    # The notable export is a second snapshot of Epoch's own list: a model in both is not a merge.
    merged = [{"key": key, "sources": {s: sorted(mapper.merge_names[key].get(s, ())) for s in definers}}
              for key in resolver.merged("model")
              if len(definers := [s for s in resolver.definers("model", key) if s != "epoch-notable"]) > 1]
    helm = Counter(m.outcome for m in mapper.helm.values())
    ambiguous = [{"helm_id": helm_id, "candidates": m.candidates}
                 for helm_id, m in sorted(mapper.helm.items()) if m.outcome == "ambiguous"]
    return {"kind": "model", "merged": merged, "near_misses": misses,
            "helm": {"matched_by_version": helm["version"], "matched_by_name_and_organisation": helm["name"],
                     "new": helm["new"], "ambiguous": helm["ambiguous"], "ambiguous_entries": ambiguous}}


def _changes(previous: store.Generation | None, entities: EntityDigests) -> dict:
    if previous is None:
        return {"previous": None, "added": len(entities), "removed": 0, "changed": 0}
    found = entities.changes(previous.path / ENTITIES_FILE)
    if found is None:
        return {"previous": previous.id, "added": None, "removed": None, "changed": None}
    return {"previous": previous.id, **found}


def _summary(partial, sizes, classes, report, reporter, evaluation_results, merges, conflict_counts, inference,
             read, stages, changes, build_date, seconds):
    return {
        "generation": partial.id,
        "build_date": build_date.isoformat(),
        "duration_s": round(seconds, 3),
        "graphs": dict(sorted(sizes.items())),
        "triples": sum(sizes.values()),
        "entities_per_class": classes,
        "sources": {name: {"records": f["records"], "rejected_records": len(f["rejected"]),
                           **({"variant": f["variant"]} if f.get("variant") else {})}
                    for name, f in sorted(read.items())},
        "violations": len(report.violations),
        "warnings": len(report.warnings),
        "warning_lines": [w.describe() for w in report.warnings[:200]],
        "rejections": reporter.counts["rejections"],
        "rejected_records": sum(reporter.rejected_records.values()),
        "notes": reporter.counts["notes"],
        "merged_models": len(merges["merged"]),
        "helm_matching": {k: v for k, v in merges["helm"].items() if k != "ambiguous_entries"},
        "evaluation_results": evaluation_results,
        **conflict_counts,
        "inferred_triples": inference.triples,
        "reasoning_rounds": inference.rounds,
        "models_with_derived_topic": inference.models_with_derived_topic,
        "changes": changes,
        "peak_memory_mb": _peak_mb(),
        # in the stages' order: the gate's thread ends validate after reason has started
        "peak_memory_mb_by_stage": {s: stages.peaks[s] for s in STAGES if s in stages.peaks},
        "timings_s": {s: stages.timings[s] for s in STAGES if s in stages.timings},
    }


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")

