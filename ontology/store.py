"""The on-disk layout of built graphs: the contract between ``ingest`` (which
writes generations) and ``server`` (which reads the current one).

::

    STORE/
      current -> generations/<id>      symlink, replaced atomically
      generations/<id>/                a complete build
        oxigraph/                      the pyoxigraph store
        summary.json                   what the build measured
      generations/<id>.partial/        a build in progress, or one that died
      .build.lock                      held by the one build allowed at a time

A build writes ``<id>.partial``, renames it to ``<id>`` when every stage has
passed, then points ``current`` at it. Readers only ever see complete
generations, and a failed or killed build leaves ``current`` untouched.

Inside a store, each source's statements are in its named graph, and the store's
default graph holds the distinct union of every graph but ``inferred`` (RDF's merge
is a set, and Oxigraph's union of several graphs repeats a statement once per graph
that holds it). The reasoner never derives a statement that is asserted, so the
default graph plus ``inferred`` (``union_dataset``) is the whole build with each
statement once, while ``GRAPH ?g`` still shows every source's copy.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CURRENT = "current"
GENERATIONS = "generations"
PARTIAL_SUFFIX = ".partial"
OXIGRAPH_DIR = "oxigraph"
SUMMARY_FILE = "summary.json"
LOCK_FILE = ".build.lock"
DEFAULT_ROOT = Path("store")


INFERRED_GRAPH = "https://w3id.org/bmkg/graph/inferred"
# Where a write to the default graph (SPARQL Update without GRAPH, the Graph Store's ?default) is kept:
# the default graph itself is remade from the named graphs after every write.
LOCAL_GRAPH = "https://w3id.org/bmkg/graph/local"


def union_dataset(inferred: bool = True) -> list[str | None]:
    """The default graph of a query over the whole build, as graph names for a query's dataset:
    None stands for the store's default graph (the asserted union), then ``inferred`` when asked.

    >>> union_dataset(), union_dataset(inferred=False)
    ([None, 'https://w3id.org/bmkg/graph/inferred'], [None])
    """
    return [None, INFERRED_GRAPH] if inferred else [None]


def union_graphs(inferred: bool = True) -> list:
    """``union_dataset`` as pyoxigraph graph names, for ``Store.query(default_graph=...)``."""
    import pyoxigraph

    return [pyoxigraph.DefaultGraph() if name is None else pyoxigraph.NamedNode(name)
            for name in union_dataset(inferred)]


def refresh_union(db) -> None:
    """Make a pyoxigraph store's default graph the distinct union of its named graphs but ``inferred``."""
    db.update(f"""CLEAR DEFAULT ;
        INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{INFERRED_GRAPH}>) }}""")


class StoreError(Exception):
    """The store directory is missing, damaged or busy."""


@dataclass(frozen=True)
class Generation:
    path: Path

    @property
    def id(self) -> str:
        return self.path.name.removesuffix(PARTIAL_SUFFIX)

    @property
    def oxigraph(self) -> Path:
        return self.path / OXIGRAPH_DIR

    @property
    def summary_path(self) -> Path:
        return self.path / SUMMARY_FILE

    def summary(self) -> dict:
        try:
            return json.loads(self.summary_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}


def root_from_env(explicit: str | os.PathLike | None = None) -> Path:
    """The store root: an explicit path, else $BMKG_STORE, else ./store."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("BMKG_STORE") or DEFAULT_ROOT)


def current(root: Path) -> Generation | None:
    """The generation ``current`` points to, or None before the first build."""
    link = root / CURRENT
    if not link.is_symlink():
        if link.exists():
            raise StoreError(f"{link} exists but is not a symlink to a generation")
        return None
    target = (root / os.readlink(link)).resolve()
    if not target.is_dir() or not (target / OXIGRAPH_DIR).is_dir():
        raise StoreError(f"{link} points to {target}, which is not a complete generation")
    return Generation(target)


def generations(root: Path) -> list[Generation]:
    """Complete generations, oldest first."""
    folder = root / GENERATIONS
    if not folder.is_dir():
        return []
    return [Generation(p) for p in sorted(folder.iterdir())
            if p.is_dir() and not p.name.endswith(PARTIAL_SUFFIX)]


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold the store's build lock, so two builds never interleave."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise StoreError(f"another build holds {root / LOCK_FILE}") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start_generation(root: Path, now: dt.datetime | None = None) -> Generation:
    """Create an empty partial generation. Call under ``build_lock``."""
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")
    folder = root / GENERATIONS
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*" + PARTIAL_SUFFIX):  # left by a build that died
        shutil.rmtree(stale, ignore_errors=True)
    path = folder / f"{stamp}{PARTIAL_SUFFIX}"
    path.mkdir()
    return Generation(path)


def publish(root: Path, partial: Generation, keep: int = 2) -> Generation:
    """Complete ``partial`` and make it current, atomically; prune old generations.

    ``keep`` complete generations stay on disk (the new one and its
    predecessor), so a server still reading the previous one is not cut off.
    """
    final = partial.path.with_name(partial.id)
    os.rename(partial.path, final)
    _fsync_dir(final.parent)
    link = root / CURRENT
    temporary = root / f".{CURRENT}.{os.getpid()}"
    if temporary.is_symlink():
        temporary.unlink()
    os.symlink(os.path.relpath(final, root), temporary)
    os.replace(temporary, link)
    _fsync_dir(root)
    for old in generations(root)[:-keep]:
        shutil.rmtree(old.path, ignore_errors=True)
    return Generation(final)


def discard(partial: Generation) -> None:
    shutil.rmtree(partial.path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
