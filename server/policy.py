"""What the endpoint refuses to run, whatever the query's syntax.

- ``SERVICE`` reaches out to other servers from ours, so it is allowed only
  to hosts on ``SERVICE_ALLOWLIST`` (empty by default), and only with a
  constant IRI: a variable could be bound to any host.
- ``LOAD`` fetches a URL into the store; data comes in through builds or the
  Graph Store Protocol instead.
- ``file:`` IRIs name the server's own files, which nothing should reach.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from server.lexer import Inspection

NONDETERMINISTIC = frozenset({"RAND", "NOW", "UUID", "STRUUID", "BNODE"})


class Refused(Exception):
    """A request that the server will not run; ``status`` is its HTTP status."""

    def __init__(self, message: str, status: int = 403):
        self.status = status
        super().__init__(message)


def check(inspection: Inspection, allowlist: tuple[str, ...], *, update: bool) -> None:
    """Raise ``Refused`` if the inspected text breaks a rule.

    >>> from server.lexer import inspect
    >>> check(inspect("SELECT * { SERVICE <https://query.wikidata.org/sparql> {} }"), (), update=False)
    Traceback (most recent call last):
    ...
    server.policy.Refused: SERVICE <https://query.wikidata.org/sparql> is refused: host query.wikidata.org is not on this server's SERVICE allowlist (empty by default)
    >>> check(inspect("SELECT * { SERVICE <https://query.wikidata.org/sparql> {} }"), ("query.wikidata.org",), update=False)
    >>> check(inspect("LOAD <http://example.org/data.ttl>"), (), update=True)
    Traceback (most recent call last):
    ...
    server.policy.Refused: LOAD is refused: load data with `bmkg build` or the Graph Store Protocol (/store)
    """
    for iri in inspection.iris:
        if iri[:5].lower() == "file:":
            raise Refused(f"file: IRIs are refused: <{iri}>")
    if update and "LOAD" in inspection.keywords:
        raise Refused("LOAD is refused: load data with `bmkg build` or the Graph Store Protocol (/store)")
    for target in inspection.services:
        if target is None:
            raise Refused("SERVICE is refused unless it names a constant http(s) IRI")
        parts = urlsplit(target)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise Refused(f"SERVICE <{target}> is refused: only http(s) endpoints can be called")
        if host not in allowlist:
            raise Refused(
                f"SERVICE <{target}> is refused: host {host} is not on this server's SERVICE allowlist"
                " (empty by default)"
            )


def cacheable(inspection: Inspection) -> bool:
    """Whether the same text on the same generation always gives the same answer.

    >>> from server.lexer import inspect
    >>> cacheable(inspect("SELECT ?x { BIND(NOW() AS ?x) }")), cacheable(inspect("SELECT * { ?s ?p ?o }"))
    (False, True)
    """
    return not inspection.services and not (inspection.keywords & NONDETERMINISTIC)
