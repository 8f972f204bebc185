"""Streaming triples into the store: batches, the union default graph and entity digests.

Each asserted triple is written twice: into its source's named graph, and into the
store's default graph, which is therefore the distinct union of every asserted
graph (the store keeps sets, so a triple that several sources state is stored
there once). Queries over the default graph plus ``inferred`` see each triple
once, while ``GRAPH ?g`` still shows every source's copy. Nothing is held beyond
one batch, so the mapping's memory does not grow with the data.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph

from ingest.nodes import DefaultGraph, NamedNode, Quad
from ontology import ID_BASE

BATCH = 100_000  # quads per bulk load: large enough to amortise it, small next to the data

_DEFAULT = DefaultGraph()


class StoreWriter:
    """Adds triples to named graphs of one store, in batches."""

    def __init__(self, store: pyoxigraph.Store, batch: int = BATCH):
        self.store = store
        self.batch = batch
        self._quads: list[Quad] = []
        self.digests = EntityDigests()
        self.written = 0

    def add(self, graph: NamedNode, subject, predicate, obj, *, asserted: bool = True) -> None:
        """One triple of ``graph``; an asserted one also joins the union default graph."""
        quads = self._quads
        quads.append(Quad(subject, predicate, obj, graph))
        if asserted:
            quads.append(Quad(subject, predicate, obj, _DEFAULT))
        self.digests.add(graph, subject, predicate, obj)
        if len(quads) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self._quads:
            self.store.bulk_extend(self._quads)
            self.written += len(self._quads)
            self._quads = []


class EntityDigests:
    """A digest of every entity's statements across graphs, to tell what changed between builds.

    Each statement ("graph predicate object", in N-Triples) is hashed on its own and
    the hashes of an entity are summed, so the digest does not depend on the order in
    which statements come, and a statement written twice (by a source that repeats
    itself) is counted once per write: the build writes each statement once.

    >>> from ingest.nodes import Literal
    >>> a, b = EntityDigests(), EntityDigests()
    >>> m, p, g = NamedNode(ID_BASE + "model/m"), NamedNode("urn:p"), NamedNode("urn:g")
    >>> a.add(g, m, p, Literal("x")); a.add(g, m, p, Literal("y"))
    >>> b.add(g, m, p, Literal("y")); b.add(g, m, p, Literal("x"))
    >>> a.hexdigests() == b.hexdigests() and list(a.hexdigests()) == [ID_BASE + "model/m"]
    True
    """

    _MODULUS = 1 << 64

    def __init__(self):
        # keyed by the IRI without the common prefix: a tenth of the memory at scale
        self._sums: dict[str, int] = defaultdict(int)

    def add(self, graph, subject, predicate, obj) -> None:
        if isinstance(subject, NamedNode):
            iri = subject.value
            if iri.startswith(ID_BASE):
                line = f"{graph} {predicate} {obj}".encode()
                key = iri[len(ID_BASE):]
                self._sums[key] = (self._sums[key] + int.from_bytes(hashlib.blake2b(line, digest_size=8).digest(),
                                                                    "big")) % self._MODULUS

    def hexdigests(self) -> dict[str, str]:
        return dict(self.items())

    def items(self) -> Iterator[tuple[str, str]]:
        """(entity IRI, hex digest) in IRI order, made one at a time: at scale a dict of them all
        took more memory than the sums."""
        sums = self._sums
        for key in sorted(sums):
            yield ID_BASE + key, f"{sums[key]:016x}"

    def write_json(self, path: Path) -> None:
        """The digests as one JSON object, an entity a line, written as they are made.

        >>> import json, tempfile
        >>> d = EntityDigests(); d.add("urn:g", NamedNode(ID_BASE + "org/a"), "urn:p", "x")
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     d.write_json(Path(folder, "e.json")); json.loads(Path(folder, "e.json").read_text()) == d.hexdigests()
        True
        """
        with path.open("w", encoding="utf-8") as out:
            out.write("{")
            separator = "\n"
            for iri, digest in self.items():
                out.write(f"{separator}  {json.dumps(iri, ensure_ascii=False)}: \"{digest}\"")
                separator = ",\n"
            out.write("\n}\n" if separator != "\n" else "}\n")

    def changes(self, previous: Path, examples: int = 10) -> dict | None:
        """How many entities were added, removed and changed since the digests in ``previous`` (a file
        of ``write_json``), with the first ``examples`` IRIs of each, found by walking both in IRI order;
        None if that file cannot be read."""
        found = {"added": [0, []], "removed": [0, []], "changed": [0, []]}

        def count(kind: str, iri: str) -> None:
            tally = found[kind]
            tally[0] += 1
            if len(tally[1]) < examples:
                tally[1].append(iri)

        try:
            before = iter(_read_digests(previous))
            old = next(before, None)
            for iri, digest in self.items():
                while old is not None and old[0] < iri:
                    count("removed", old[0])
                    old = next(before, None)
                if old is not None and old[0] == iri:
                    if old[1] != digest:
                        count("changed", iri)
                    old = next(before, None)
                else:
                    count("added", iri)
            while old is not None:
                count("removed", old[0])
                old = next(before, None)
        except (OSError, ValueError):
            return None
        return {**{kind: n for kind, (n, _) in found.items()},
                "examples": {kind: iris for kind, (_, iris) in found.items()}}

    def __len__(self) -> int:
        return len(self._sums)


def _read_digests(path: Path) -> Iterator[tuple[str, str]]:
    """The (IRI, digest) pairs of a digests file, in IRI order. A file of ``write_json`` is read a
    line at a time; any other JSON object (an older build's) is read whole and sorted."""
    with path.open(encoding="utf-8") as lines:
        first = lines.readline().strip()
        if first == "{":
            for line in lines:
                line = line.strip().rstrip(",")
                if not line:
                    continue
                if line == "}":
                    return
                yield next(iter(json.loads("{" + line + "}").items()))
            raise ValueError(f"{path}: the digests end without a closing brace")
    yield from sorted(json.loads(path.read_text(encoding="utf-8")).items())
