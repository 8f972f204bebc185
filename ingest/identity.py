"""One IRI per real-world entity across sources: the alias table and the merge report.

Names are normalised with ``ontology.normalise_key``; a normalised name found in
the alias table is replaced by its canonical key. Renamed entities keep their
old name as an alias, so their IRI does not change.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import URIRef

from ontology import mint, normalise_key


class AliasConflict(ValueError):
    """One alias names two different canonical entities."""


@dataclass
class Resolver:
    # kind -> normalised alias -> canonical key
    aliases: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    # kind -> canonical key -> source -> names used by that source
    seen: dict[str, dict[str, dict[str, set[str]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    )

    def add_alias(self, kind: str, canonical: str, alias: str) -> None:
        key, other = normalise_key(canonical), normalise_key(alias)
        key = self.aliases[kind].get(key, key)
        if not other or other == key:
            return
        existing = self.aliases[kind].get(other)
        if existing is not None and existing != key:
            raise AliasConflict(f"{kind} alias {alias!r} names both {existing!r} and {key!r}")
        self.aliases[kind][other] = key

    def key(self, kind: str, name: str) -> str:
        normal = normalise_key(name)
        return self.aliases[kind].get(normal, normal)

    def iri(self, kind: str, name: str, source: str | None = None) -> URIRef:
        """The IRI for ``name``; with ``source``, also note who named it (for the merge report)."""
        key = self.key(kind, name)
        if source is not None:
            self.seen[kind][key][source].add(name)
        return mint(kind, key)

    def known(self, kind: str, name: str) -> bool:
        return self.key(kind, name) in self.seen[kind]

    def merge_report(self, kind: str = "model", threshold: float = 0.85) -> dict:
        """What was merged across sources, and near-misses that were not."""
        entities = self.seen[kind]
        merged = [
            {"key": key, "sources": {s: sorted(n) for s, n in sorted(by_source.items())}}
            for key, by_source in sorted(entities.items())
            if len(by_source) > 1
        ]
        single = defaultdict(list)
        for key, by_source in entities.items():
            if len(by_source) == 1:
                single[next(iter(by_source))].append(key)
        near = []
        sources = sorted(single)
        for i, first in enumerate(sources):
            for second in sources[i + 1:]:
                by_length: dict[int, list[str]] = defaultdict(list)
                for candidate in single[second]:
                    by_length[len(candidate)].append(candidate)
                for key in sorted(single[first]):
                    candidates = _within_length(key, by_length, threshold)
                    for match in difflib.get_close_matches(key, candidates, n=3, cutoff=threshold):
                        near.append({"keys": [key, match], "sources": [first, second],
                                     "similarity": round(difflib.SequenceMatcher(None, key, match).ratio(), 3)})
        return {"kind": kind, "merged": merged, "near_misses": near}


def _within_length(key: str, by_length: dict[int, list[str]], cutoff: float) -> list[str]:
    """The candidates whose length alone allows a similarity of ``cutoff`` with ``key``.

    This is difflib's own first test (``real_quick_ratio``, an upper bound of the
    ratio), applied per length rather than per candidate, so ``get_close_matches``
    over these returns exactly what it returns over all candidates.

    >>> _within_length("abcd", {2: ["xy"], 4: ["abce"], 5: ["abcde"], 9: ["abcdefghi"]}, 0.8)
    ['abce', 'abcde']
    """
    size = len(key)
    return [candidate for length, group in by_length.items()
            if (2.0 * min(length, size) / (length + size) if length + size else 1.0) >= cutoff
            for candidate in group]
