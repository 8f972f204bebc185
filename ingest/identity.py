"""One IRI per real-world entity across sources: the alias table, who names what, and the merge report.

Names are normalised with ``ontology.normalise_key``; a normalised name found in
the alias table is replaced by its canonical key. Renamed entities keep their
old name as an alias, so their IRI does not change.

The resolver keeps, per entity, only what later steps need: which sources name it
(a bit per source) and the name that becomes its preferred label (the first one
given, as sources are read in order of precedence). That is a few dozen bytes an
entity, so it scales with the data where per-entity sets of names did not.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.nodes import NamedNode, entity
from ontology import normalise_key


class AliasConflict(ValueError):
    """One alias names two different canonical entities."""


@lru_cache(maxsize=1 << 16)  # bounded, as ingest.nodes.entity
def _normal(name: str) -> str:
    return normalise_key(name)


@dataclass
class Resolver:
    # kind -> normalised alias -> canonical key
    aliases: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    # kind -> (source, normalised alias) -> canonical key: an alias that holds for one source's
    # names only, where another source uses the same name for a different entity
    scoped: dict[str, dict[tuple[str, str], str]] = field(default_factory=lambda: defaultdict(dict))
    # kind -> key -> bit mask of the sources that define the entity
    seen: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    # kind -> key -> (preferred name, index of the source that gave it)
    preferred: dict[str, dict[str, tuple[str, int]]] = field(default_factory=lambda: defaultdict(dict))
    sources: list[str] = field(default_factory=list)

    def add_alias(self, kind: str, canonical: str, alias: str, source: str | None = None) -> None:
        """Make ``alias`` name ``canonical``; with ``source``, only in that source's records.

        >>> r = Resolver()
        >>> r.add_alias("model", "GLM-10B", "GLM", source="bmlist")
        >>> r.key("model", "GLM", "bmlist"), r.key("model", "gLM", "epoch-models"), r.key("model", "GLM")
        ('glm-10b', 'glm', 'glm')
        """
        key, other = _normal(canonical), _normal(alias)
        key = self.aliases[kind].get(key, key)
        if not other or other == key:
            return
        if source is not None:
            existing = self.scoped[kind].get((source, other))
            if existing is not None and existing != key:
                raise AliasConflict(f"{kind} alias {alias!r} of {source} names both {existing!r} and {key!r}")
            self.scoped[kind][(source, other)] = key
            return
        existing = self.aliases[kind].get(other)
        if existing is not None and existing != key:
            raise AliasConflict(f"{kind} alias {alias!r} names both {existing!r} and {key!r}")
        self.aliases[kind][other] = key

    def key(self, kind: str, name: str, source: str | None = None) -> str:
        """The canonical key of ``name``; ``source`` is the source whose record gives the name."""
        normal = _normal(name)
        if source is not None and self.scoped:
            scoped = self.scoped[kind].get((source, normal))
            if scoped is not None:
                return scoped
        return self.aliases[kind].get(normal, normal)

    def iri(self, kind: str, name: str, source: str | None = None) -> NamedNode:
        return entity(kind, self.key(kind, name, source))

    def source_index(self, source: str) -> int:
        if source not in self.sources:
            self.sources.append(source)
        return self.sources.index(source)

    def define(self, kind: str, name: str, source: str) -> str:
        """Note that ``source`` defines the entity called ``name``; its key."""
        key = self.key(kind, name, source)
        bit = 1 << self.source_index(source)
        table = self.seen[kind]
        table[key] = table.get(key, 0) | bit
        return key

    def known(self, kind: str, name: str) -> bool:
        return self.key(kind, name) in self.seen[kind]

    def known_key(self, kind: str, key: str) -> bool:
        return key in self.seen[kind]

    def definers(self, kind: str, key: str) -> list[str]:
        mask = self.seen[kind].get(key, 0)
        return [s for i, s in enumerate(self.sources) if mask >> i & 1]

    def prefer(self, kind: str, key: str, name: str, source: str) -> tuple[str, int]:
        """The preferred name of an entity: the first given, by the sources in the order they are read."""
        table = self.preferred[kind]
        chosen = table.get(key)
        if chosen is None:
            chosen = table[key] = (name, self.source_index(source))
        return chosen

    def merged(self, kind: str) -> list[str]:
        """Keys that two or more sources define."""
        return sorted(k for k, mask in self.seen[kind].items() if mask & (mask - 1))


def near_misses(single: dict[str, list[str]], threshold: float = 0.85, window: int = 8) -> list[dict]:
    """Keys that only one source defines and that look like a key only another source defines.

    Candidates come from a sorted neighbourhood: each key is compared with the
    ``window`` keys after it in sorted order, from other sources. Unlike comparing
    every pair, this grows as n log n with the data; misses whose keys differ in
    their first characters are not found.

    >>> near_misses({"a": ["megatron-turing-nlg", "xyz"], "b": ["megatron-turing-nlg-530b"]})
    [{'keys': ['megatron-turing-nlg', 'megatron-turing-nlg-530b'], 'sources': ['a', 'b'], 'similarity': 0.884}]
    """
    rows = sorted((key, source) for source, keys in single.items() for key in keys)
    found = []
    for i, (key, source) in enumerate(rows):
        for other, other_source in rows[i + 1:i + 1 + window]:
            if other_source == source:
                continue
            ratio = difflib.SequenceMatcher(None, key, other).ratio()
            if ratio >= threshold:
                pair = sorted([(source, key), (other_source, other)])
                found.append({"keys": [pair[0][1], pair[1][1]], "sources": [pair[0][0], pair[1][0]],
                              "similarity": round(ratio, 3)})
    return found
