"""Files a build publishes beside its store: dumps and the ontology's HTML documentation.

Dumps are gzip files written with a fixed timestamp, so unchanged inputs give
byte-identical dumps; ``dumps/index.json`` lists each file's size and sha256.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import multiprocessing
import os
import shutil
from pathlib import Path

import pyoxigraph

from ontology import GRAPH_BASE, paths

DUMPS_DIR = "dumps"
DUMP_INDEX = "index.json"
DOCS_DIR = "docs"
DOCS_FILE = "ontology.html"
DOCS_STAMP = "ontology.sha256"


def write_dumps(oxigraph_dir: Path, out_dir: Path, jobs: int = 1) -> list[dict]:
    """All named graphs as one N-Quads file, and each named graph as Turtle, gzipped.

    Each file is serialised straight into its gzip stream, so no dump is ever held in
    memory whole (the N-Quads dump is some 45 bytes a statement before compression).
    With ``jobs`` > 1 the files are written by that many processes, each reading the
    store itself: the N-Quads dump takes about as long as all the Turtle ones.
    """
    store = pyoxigraph.Store.read_only(str(oxigraph_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    # The named graphs only: the store's default graph is their union, which a consumer's store makes.
    names = [g.value for g in sorted(store.named_graphs(), key=lambda g: g.value)]
    del store
    tasks = [(str(oxigraph_dir), str(out_dir), None, names)] + [(str(oxigraph_dir), str(out_dir), name, [name])
                                                                  for name in names]
    if jobs <= 1:
        files = [_dump(*task) for task in tasks]
    else:
        from concurrent.futures import ProcessPoolExecutor

        from ontology.lifeline import follow_parent

        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("forkserver"),
                                 initializer=follow_parent) as pool:  # a killed build leaves none behind
            files = list(pool.map(_dump, *zip(*tasks)))
    (out_dir / DUMP_INDEX).write_text(json.dumps(files, indent=2) + "\n", encoding="utf-8")
    return files


def _dump(oxigraph_dir: str, out_dir: str, graph: str | None, graphs: list[str]) -> dict:
    """One dump: every graph of ``graphs`` as N-Quads (``graph`` None), or ``graph`` as Turtle."""
    store = pyoxigraph.Store.read_only(oxigraph_dir)
    if graph is None:
        nodes = [pyoxigraph.NamedNode(name) for name in graphs]
        return _write(Path(out_dir) / "bmkg.nq.gz", "all named graphs", "application/n-quads", lambda out: (
            pyoxigraph.serialize((q for g in nodes for q in store.quads_for_pattern(None, None, None, g)), out,
                                 pyoxigraph.RdfFormat.N_QUADS)))
    name = graph.removeprefix(GRAPH_BASE)
    return _write(Path(out_dir) / f"{name}.ttl.gz", graph, "text/turtle", lambda out: store.dump(
        out, pyoxigraph.RdfFormat.TURTLE, from_graph=pyoxigraph.NamedNode(graph),
        prefixes={"bm": "https://w3id.org/bmkg/ontology#", "id": "https://w3id.org/bmkg/id/"}))


class _Counted(io.RawIOBase):
    """A writable stream that counts the bytes passed on to another."""

    def __init__(self, target):
        self.target, self.count = target, 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.count += len(data)
        return self.target.write(data)


def _write(path: Path, graph: str, media_type: str, serialise) -> dict:
    # level 6, gzip's own default: on the x1 N-Quads dump (65 MB) level 9 took 2.6 times as long (median of 3,
    # 1.28 s against 0.49 s) for a file 3.4 % smaller
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="", compresslevel=6) as handle:
        counted = _Counted(handle)
        serialise(counted)
    digest = hashlib.sha256()
    with open(path, "rb") as written:
        for chunk in iter(lambda: written.read(1 << 20), b""):
            digest.update(chunk)
    return {"file": path.name, "graph": graph, "media_type": media_type, "encoding": "gzip",
            "bytes": path.stat().st_size, "uncompressed_bytes": counted.count, "sha256": digest.hexdigest()}


def write_docs(out_dir: Path, previous: Path | None, cache: Path | None = None) -> Path:
    """pyLODE documentation of the ontology, made only when no copy for this ontology exists: in the
    previous generation, or in ``cache`` (default ``docs_cache()``), where a new one is also kept."""
    digest = hashlib.sha256(paths.ONTOLOGY.read_bytes()).hexdigest()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / DOCS_FILE
    cached = (cache if cache is not None else docs_cache()) / f"ontology-{digest}.html"
    if previous is not None and (previous / DOCS_STAMP).is_file() \
            and (previous / DOCS_STAMP).read_text().strip() == digest and (previous / DOCS_FILE).is_file():
        shutil.copy(previous / DOCS_FILE, target)
    elif cached.is_file():
        shutil.copy(cached, target)
    else:
        from ontology import generate  # pyLODE is slow to import; only when the docs must be made

        generate.write_docs(out_dir)
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(target, cached.with_suffix(".partial"))
            cached.with_suffix(".partial").replace(cached)
        except OSError:
            pass  # a cache that cannot be written only costs the next build the same two seconds
    (out_dir / DOCS_STAMP).write_text(digest + "\n", encoding="utf-8")
    return target


def docs_cache() -> Path:
    """Where builds keep the ontology's documentation between stores: ``$BMKG_CACHE_DIR``, else the
    user's cache folder (``$XDG_CACHE_HOME/bmkg``, ``~/.cache/bmkg``). pyLODE takes about two seconds."""
    if os.environ.get("BMKG_CACHE_DIR"):
        return Path(os.environ["BMKG_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bmkg"
