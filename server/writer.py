"""Writes (SPARQL Update, Graph Store Protocol) as new store generations.

Readers open generations read-only, and RocksDB forbids writing a directory
that another process reads. So a write never touches the generation being
served: under the build lock it copies the current generation (a RocksDB
checkpoint, which hard-links the data files and takes milliseconds), applies
the write to the copy opened read-write, and publishes the copy as the new
current generation. Readers move to it on their next request. A write that
fails, or whose worker is killed, leaves a partial generation that the next
build or write removes, and ``current`` untouched.

The store's default graph is the distinct union of the named graphs but
``inferred`` (``ontology.store``). A write to the default graph is kept in the
named graph ``local``, and the default graph is remade after every write, so it
stays that union.

Writes are serialised by the same lock as ``bmkg build``, so a build and a
write never interleave. This runs in a query worker process (it is killable
like a query); only the ``write`` job imports it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox

from ontology import store

# Generations kept on disk after a write: the new one and two predecessors,
# so a reader still finishing a query on an older one is not cut off.
KEEP = 3


def apply(job: dict) -> tuple:
    """Run the write ``job`` and answer ``("ok", generation_id, info)`` or an error."""
    root = Path(job["root"])
    deadline = time.monotonic() + job.get("lock_wait_s", 10.0)
    while True:
        lock = store.build_lock(root)
        try:
            lock.__enter__()
        except store.StoreError as error:
            if time.monotonic() >= deadline:
                return ("error", "busy", str(error))
            time.sleep(0.02)
            continue
        try:
            return _apply_locked(root, job["actions"])
        finally:
            lock.__exit__(None, None, None)


def _apply_locked(root: Path, actions: list[dict]) -> tuple:
    base = store.current(root)
    if base is None:
        return ("error", "store", f"{root} has no current generation to write to")
    # Refuse before copying anything when the write would change nothing.
    for action in actions:
        if action["kind"] == "delete" and action["graph"] is not None:
            reader = ox.Store.read_only(str(base.oxigraph))
            exists = reader.contains_named_graph(ox.NamedNode(action["graph"]))
            del reader
            if not exists:
                return ("error", "not-found", f"no graph named <{action['graph']}>")
    partial = store.start_generation(root)
    try:
        reader = ox.Store.read_only(str(base.oxigraph))
        reader.backup(str(partial.oxigraph))
        del reader
        target = ox.Store(str(partial.oxigraph))
        target.update(f"ADD DEFAULT TO <{_BEFORE}>")
        info = [_run(target, action) for action in actions]
        _keep_default_writes(target)
        target.flush()
        del target  # closes the database before readers may open it
    except SyntaxError as error:
        store.discard(partial)
        return ("error", "syntax", str(error))
    except (OSError, ValueError) as error:
        store.discard(partial)
        return ("error", "evaluation", f"{type(error).__name__}: {error}")
    except BaseException:
        store.discard(partial)
        raise
    published = store.publish(root, partial, keep=KEEP)
    return ("ok", published.id, info)


_BEFORE = "urn:bmkg:default-graph-before-write"  # a scratch copy, dropped before the write is published


def _keep_default_writes(target: ox.Store) -> None:
    """Move what the actions did to the default graph into the graph ``local``, then remake the
    default graph as the union of the named graphs (``ontology.store``): statements added to it
    stay, and one removed from it stays removed unless a source's graph still states it."""
    target.update(f"""
        INSERT {{ GRAPH <{store.LOCAL_GRAPH}> {{ ?s ?p ?o }} }}
        WHERE {{ ?s ?p ?o FILTER NOT EXISTS {{ GRAPH <{_BEFORE}> {{ ?s ?p ?o }} }} }} ;
        DELETE {{ GRAPH <{store.LOCAL_GRAPH}> {{ ?s ?p ?o }} }}
        WHERE {{ GRAPH <{_BEFORE}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ ?s ?p ?o }} }} ;
        DROP SILENT GRAPH <{_BEFORE}>""")
    store.refresh_union(target)


def _graph(iri: str | None):
    return ox.DefaultGraph() if iri is None else ox.NamedNode(iri)


def _run(target: ox.Store, action: dict) -> dict:
    kind = action["kind"]
    if kind == "update":
        target.update(action["text"], base_iri=action.get("base"))
        return {}
    graph = _graph(action.get("graph"))
    existed = isinstance(graph, ox.DefaultGraph) or target.contains_named_graph(graph)
    if kind == "delete":
        target.remove_graph(graph)
        return {"existed": existed}
    if kind == "put":
        target.clear_graph(graph)
    if kind in ("put", "post"):
        fmt = ox.RdfFormat.from_media_type(action["format"])
        target.load(action["data"], format=fmt, base_iri=action.get("base"), to_graph=graph)
        if not existed and not isinstance(graph, ox.DefaultGraph):
            target.add_graph(graph)  # an empty PUT still creates the graph
        return {"created": not existed}
    raise ValueError(f"unknown write action {kind!r}")
