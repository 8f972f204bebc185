"""What the endpoint refuses to run, whatever the query's syntax.

- ``SERVICE`` reaches out to other servers from ours, so it is allowed only
  to hosts on ``SERVICE_ALLOWLIST`` (empty by default), and only with a
  constant IRI: a variable could be bound to any host.
- ``LOAD`` fetches a URL into the store; data comes in through builds or the
  Graph Store Protocol instead.
- ``file:`` IRIs name the server's own files, which nothing should reach,
  whether in the text or in a dataset parameter (``default-graph-uri``, ...).

Limits (``check_limits``, 400): how deeply brackets and subqueries nest and
how many tokens a text has, measured by the lexer before the engine sees it.
Oxigraph's parser and optimiser recurse on both, and a few thousand levels
used to overflow a query worker's stack (SIGSEGV).

Lanes (``cheap``): queries that look like lookups may use the query workers
kept for them when the others are busy (``server.executor.Admission``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from server.lexer import Inspection, Token

NONDETERMINISTIC = frozenset({"RAND", "NOW", "UUID", "STRUUID", "BNODE"})
#: Words that make a query's work grow with the data rather than with its answer: sorting, grouping,
#: aggregates, regular expressions, negation. A query using one is never taken for cheap.
COSTLY = frozenset({"ORDER", "GROUP", "HAVING", "DISTINCT", "REDUCED", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE",
                    "GROUP_CONCAT", "REGEX", "REPLACE", "MINUS", "EXISTS", "SERVICE", "LOAD"})
CHEAP_TOKENS = 200  # at most this many tokens,
CHEAP_DEPTH = 6  # brackets nested at most this deep,
CHEAP_VARIABLES = 4  # and at most this many variables (a cross product needs more)


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
        try:
            parts = urlsplit(target)
            host = (parts.hostname or "").lower()
        except ValueError as error:  # such as "http://[::1:8/" or a host that NFKC-normalises to "#"
            raise Refused(f"SERVICE <{target}> is not a well-formed IRI: {error}", status=400) from None
        if parts.scheme not in ("http", "https") or not host:
            raise Refused(f"SERVICE <{target}> is refused: only http(s) endpoints can be called")
        if host not in allowlist:
            raise Refused(
                f"SERVICE <{target}> is refused: host {host} is not on this server's SERVICE allowlist"
                " (empty by default)"
            )


def check_dataset(name: str, iri: str) -> None:
    """A dataset parameter (``default-graph-uri``, ``using-graph-uri``, ...) obeys the rule for IRIs in the text.

    >>> check_dataset("default-graph-uri", "FILE:///etc/passwd")
    Traceback (most recent call last):
    ...
    server.policy.Refused: file: IRIs are refused: default-graph-uri <FILE:///etc/passwd>
    """
    if iri[:5].lower() == "file:":
        raise Refused(f"file: IRIs are refused: {name} <{iri}>")


@dataclass(frozen=True)
class Limits:
    depth: int  # MAX_QUERY_DEPTH
    subqueries: int  # MAX_SUBQUERY_DEPTH
    tokens: int  # MAX_QUERY_TOKENS

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(settings.max_query_depth, settings.max_subquery_depth, settings.max_query_tokens)


def check_limits(inspection: Inspection, limits: Limits, what: str = "query") -> None:
    """Raise ``Refused`` (400) for a text past the nesting or size limits.

    >>> from server.lexer import inspect
    >>> check_limits(inspect("ASK " + "{" * 101 + "}" * 101), Limits(100, 20, 50_000))
    Traceback (most recent call last):
    ...
    server.policy.Refused: the query nests brackets 101 deep (braces, parentheses and square brackets together); this server takes at most 100
    >>> check_limits(inspect("ASK { FILTER(" + "!" * 60 + "true) }"), Limits(100, 20, 50))
    Traceback (most recent call last):
    ...
    server.policy.Refused: the query has 67 tokens; this server takes at most 50
    """
    if inspection.depth > limits.depth:
        raise Refused(f"the {what} nests brackets {inspection.depth} deep (braces, parentheses and square brackets"
                      f" together); this server takes at most {limits.depth}", status=400)
    if inspection.subqueries > limits.subqueries:
        raise Refused(f"the {what} nests subqueries {inspection.subqueries} deep; this server takes at most"
                      f" {limits.subqueries}", status=400)
    if inspection.size > limits.tokens:
        raise Refused(f"the {what} has {inspection.size} tokens; this server takes at most {limits.tokens}",
                      status=400)


def cheap(inspection: Inspection) -> bool:
    """Whether a query looks like a lookup, whose work is bounded by its answer (and the row cap).

    A heuristic, read from the tokens: a short, shallow query with no subquery,
    no SERVICE, no path walked to any length, none of the ``COSTLY`` words and
    few variables. A query that looks cheap but is not holds a kept worker for at
    most ``CHEAP_TIMEOUT_S``.

    >>> from server.lexer import inspect
    >>> cheap(inspect("SELECT ?p ?o { <https://w3id.org/bmkg/id/model/gpt-3> ?p ?o } LIMIT 100"))
    True
    >>> cheap(inspect("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"))
    False
    >>> cheap(inspect("ASK { ?a <http://x/p>+ ?b }")), cheap(inspect("INSERT DATA { <a:b> <a:c> 1 }"))
    (False, False)
    """
    return (inspection.form is not None and inspection.size <= CHEAP_TOKENS and inspection.depth <= CHEAP_DEPTH
            and inspection.subqueries == 0 and not inspection.services and not inspection.repeated_path
            and not (inspection.keywords & COSTLY) and inspection.variables <= CHEAP_VARIABLES)


#: The most triple patterns a point lookup may have (``point_lookup``).
LOOKUP_PATTERNS = 8
_CONSTANT = ("iri", "pname")


def point_lookup(toks: list[Token], row_cap: int) -> bool:
    """Whether a query is a point lookup, whose work is bounded by one subject's statements.

    Unlike ``cheap``, a rule of grammar rather than a guess, because such a query
    runs in the web process (``server.fastlane``), where no timeout can stop it:
    ``SELECT`` (variables or ``*``, no ``DISTINCT``, at most a ``LIMIT``) or
    ``ASK`` over one group of triple patterns that all share one constant
    subject, with plain terms only (no paths, filters, blank nodes or
    subgroups). One pattern reads that subject's statements; several, each
    with a constant predicate, read that many of its property values and are
    joined; with several patterns the answer must be capped (``row_cap``) so
    that a cross product stops early.

    >>> from server.lexer import tokens
    >>> point_lookup(tokens("SELECT ?p ?o WHERE { <https://w3id.org/bmkg/id/model/gpt-3> ?p ?o }"), 0)
    True
    >>> point_lookup(tokens("PREFIX b: <https://w3id.org/bmkg/id/> ASK { b:x a ?c ; b:y 1, 'z'@en . }"), 10)
    True
    >>> point_lookup(tokens("SELECT * { <a:x> <a:p> ?o ; <a:q> ?o2 }"), 0)  # two patterns need a row cap
    False
    >>> [point_lookup(tokens(q), 10) for q in ("SELECT * { ?s ?p ?o }", "SELECT * { <a:x> ?p ?o ; ?q ?r }",
    ...     "SELECT DISTINCT ?p { <a:x> ?p ?o }", "SELECT * { <a:x> <a:p>* ?o }", "SELECT * { <a:x> ?p ?o } OFFSET 9",
    ...     "SELECT * { <a:x> ?p ?o FILTER(?o) }", "SELECT * { <a:x> ?p ?o . <a:y> ?p ?o }")]
    [False, False, False, False, False, False, False]
    """
    at = _Cursor(toks)
    while True:  # the prologue
        if at.skip("PREFIX"):
            if not at.take("pname"):
                return False
        elif not at.skip("BASE"):
            break
        if not at.take("iri"):
            return False
    form = next((word for word in ("SELECT", "ASK") if at.skip(word)), None)
    if form is None:
        return False
    if form == "SELECT" and not at.skip("*"):
        if not at.take("var"):
            return False
        while at.take("var"):
            pass
    at.skip("WHERE")
    if not at.skip("{") or not at.take(*_CONSTANT):  # then the subject
        return False
    patterns, variable_predicate = 0, False
    while True:
        predicate = at.take("iri", "pname", "var", "name")
        if predicate is None or predicate.kind == "name" and predicate.text != "a":
            return False
        variable_predicate |= predicate.kind == "var"
        while True:
            if not _object(at):
                return False
            patterns += 1
            if not at.skip(","):
                break
        if not at.skip(";"):
            break
        while at.skip(";"):
            pass
        if at.text() in (".", "}"):
            break
    at.skip(".")
    if not at.skip("}"):
        return False
    if form == "SELECT" and at.skip("LIMIT"):
        limit = at.take("number")
        if limit is None or not limit.text.isdigit():
            return False
    if not at.done():
        return False
    return patterns == 1 or (row_cap > 0 and not variable_predicate and patterns <= LOOKUP_PATTERNS)


class _Cursor:
    """Reads tokens one at a time for ``point_lookup``."""

    def __init__(self, toks: list[Token]):
        self.toks = toks
        self.index = 0

    def peek(self) -> Token | None:
        return self.toks[self.index] if self.index < len(self.toks) else None

    def text(self) -> str | None:
        token = self.peek()
        return token.text if token else None

    def skip(self, text: str) -> bool:
        """Move past the next token if it is ``text`` (a keyword in any case); whether it was."""
        token = self.peek()
        if token is None or (token.keyword() or token.text) != text:
            return False
        self.index += 1
        return True

    def take(self, *kinds: str) -> Token | None:
        """The next token, moving past it; if ``kinds`` are given, only a token of one of them."""
        token = self.peek()
        if token is None or kinds and token.kind not in kinds:
            return None
        self.index += 1
        return token

    def done(self) -> bool:
        return self.index == len(self.toks)


def _object(at: _Cursor) -> bool:
    """Move past one plain object term: a constant, a variable, a literal with its tag or datatype."""
    token = at.take("iri", "pname", "var", "number", "string", "name")
    if token is None:
        return False
    if token.kind == "name":
        return token.text in ("true", "false")
    if token.kind == "string":
        if at.take("langtag"):
            return True
        if at.skip("^^"):
            return at.take(*_CONSTANT) is not None
    return True


def cacheable(inspection: Inspection) -> bool:
    """Whether the same text on the same generation always gives the same answer.

    >>> from server.lexer import inspect
    >>> cacheable(inspect("SELECT ?x { BIND(NOW() AS ?x) }")), cacheable(inspect("SELECT * { ?s ?p ?o }"))
    (False, True)
    """
    return not inspection.services and not (inspection.keywords & NONDETERMINISTIC)
