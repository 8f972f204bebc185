"""Just enough of SPARQL's lexical grammar to inspect a request before it runs.

The server needs a few facts about a query or update without parsing it fully:
its form (to negotiate the result format before running it), whether it names
its own dataset, which ``SERVICE`` endpoints it would call, and where an
update's ``WHERE`` clauses are (to apply the protocol's ``using-*``
parameters). pyoxigraph does the real parsing when the query runs.

What matters for safety is that strings, IRIs and comments are recognised
exactly, so that a keyword can never hide inside one: the regular expressions
follow the SPARQL 1.1 terminals for those. Oxigraph applies ``\\u`` escapes
inside IRIs and strings only, never to keywords, so neither does this module.

The inspection also measures the text for the server's limits (how deeply
brackets and subqueries nest, how many tokens it has) and for the lane a
query runs in (``server.policy.cheap``), and raises ``MalformedIRI`` for an IRI
that cannot be resolved, so that no request reaches the engine, or the policy,
with one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

# Oxigraph applies \u and \U escapes inside IRIs, so they belong to the IRI token.
_IRIREF = r'<(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>'
_STRING_LONG1 = r"'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
_STRING_LONG2 = r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
_STRING1 = r"'(?:[^'\\\n\r]|\\.)*'"
_STRING2 = r'"(?:[^"\\\n\r]|\\.)*"'
_PN_LOCAL_CHAR = r"(?:[\w:\-]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PNAME = rf"(?:[^\W\d_](?:[\w.\-]*[\w\-])?)?:(?:{_PN_LOCAL_CHAR}(?:(?:{_PN_LOCAL_CHAR}|\.)*{_PN_LOCAL_CHAR})?)?"

_TOKEN = re.compile(
    "|".join(
        [
            r"(?P<ws>\s+)",
            r"(?P<comment>#[^\n\r]*)",
            rf"(?P<iri>{_IRIREF})",
            rf"(?P<string>{_STRING_LONG1}|{_STRING_LONG2}|{_STRING1}|{_STRING2})",
            r"(?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)",
            r"(?P<bnode>_:[\w.\-]*[\w\-]|_:\w)",
            rf"(?P<pname>{_PNAME})",
            # A word takes the whole run of letters, digits, dots and hyphens the prefixed-name rule
            # above just scanned (less trailing dots): left at "a", a text like "a.a.a.a..." would be
            # scanned again from every "a", which costs minutes for a long query. No keyword is ever
            # followed by "." or "-" and a letter in SPARQL, so keywords still stand alone.
            r"(?P<name>[^\W\d](?:[\w.\-]*[\w\-])?)",
            r"(?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)",
            r"(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",
            r"(?P<punct>\^\^|\|\||&&|!=|<=|>=|<<|>>|[{}()\[\].,;*+\-/!=<>|^?@&])",
            r"(?P<other>.)",
        ]
    ),
    re.DOTALL,
)

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def keyword(self) -> str | None:
        """The upper-cased word, if this token is a bare word."""
        return self.text.upper() if self.kind == "name" else None


def tokens(text: str) -> list[Token]:
    """Split SPARQL text into tokens, dropping whitespace and comments.

    >>> [t.text for t in tokens('ASK { <http://x#y> ?p "a } # b" } # done')]
    ['ASK', '{', '<http://x#y>', '?p', '"a } # b"', '}']
    >>> [t.kind for t in tokens("SELECT * { ?s a ex:Thing. FILTER(?n<3) }")]
    ['name', 'punct', 'punct', 'var', 'name', 'pname', 'punct', 'name', 'punct', 'var', 'punct', 'number', 'punct', 'punct']
    """
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        found.append(Token(kind, match.group(), match.start()))
    return found


def iri_value(token: Token) -> str:
    """The IRI inside an IRIREF token, with its ``\\u`` escapes applied.

    >>> iri_value(Token("iri", r"<\\u0066ile:///etc/passwd>", 0))
    'file:///etc/passwd'
    """
    return _UCHAR.sub(_uchar, token.text[1:-1])


def _uchar(match: re.Match) -> str:
    return chr(int(match.group(1) or match.group(2), 16))


class MalformedIRI(ValueError):
    """An IRI in the text that cannot be read or resolved against the base."""


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass
class Prologue:
    """The BASE and PREFIX declarations seen so far, to resolve IRIs."""

    base: str | None
    prefixes: dict[str, str]

    def resolve(self, token: Token) -> str | None:
        """The absolute IRI a token stands for, or None if it is not an IRI.

        >>> p = Prologue("http://example.org/sparql", {"ex": "http://example.com/ns#"})
        >>> p.resolve(Token("iri", "<other>", 0))
        'http://example.org/other'
        >>> p.resolve(Token("pname", "ex:Thing", 0))
        'http://example.com/ns#Thing'
        >>> p.resolve(Token("var", "?x", 0)) is None
        True
        """
        if token.kind == "iri":
            value = iri_value(token)
            if not self.base or _SCHEME.match(value):  # absolute: nothing to resolve
                return value
            try:
                return urljoin(self.base, value)
            except ValueError as error:  # urllib cannot read the base or the reference
                raise MalformedIRI(f"the IRI {token.text} cannot be resolved against the base <{self.base}>:"
                                   f" {error}") from None
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            if prefix not in self.prefixes:
                return None
            return self.prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        return None


@dataclass
class Inspection:
    """What the server needs to know about a query or an update."""

    form: str | None  # SELECT, CONSTRUCT, DESCRIBE or ASK for queries
    has_dataset: bool  # FROM / FROM NAMED in a query
    has_using: bool  # USING / USING NAMED / WITH in an update
    services: list[str | None]  # SERVICE targets; None when not a constant IRI
    iris: list[str]  # every IRI written in the text, resolved
    keywords: frozenset[str]  # every bare word, upper-cased
    tokens: list[Token]
    size: int = 0  # tokens, comments and whitespace left out
    depth: int = 0  # the most brackets ({, ( and [) open at once
    subqueries: int = 0  # the most subqueries (SELECT inside braces) open at once
    variables: int = 0  # distinct variable names
    repeated_path: bool = False  # a property path with *, + or ? (a path walked to any length)


def inspect(text: str, base: str | None = None) -> Inspection:
    """Inspect a query or update.

    >>> i = inspect("PREFIX s: <http://x/> SELECT * FROM <g> { SERVICE s:e { ?a ?b ?c } }")
    >>> i.form, i.has_dataset, i.services
    ('SELECT', True, ['http://x/e'])
    >>> inspect("ASK { SERVICE SILENT ?where { } }").services
    [None]
    >>> inspect("# SELECT\\nCONSTRUCT WHERE { ?s ?p ?o }").form
    'CONSTRUCT'
    >>> i = inspect("SELECT * { { SELECT ?s { ?s ?p (1 (2)) } } FILTER(?s) }")
    >>> i.depth, i.subqueries, i.size, i.variables
    (5, 1, 22, 2)
    >>> inspect("ASK { ?s <p>* ?o }").repeated_path, inspect("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }").repeated_path
    (True, False)
    """
    toks = tokens(text)
    prologue = Prologue(base, {})
    form = None
    has_dataset = has_using = False
    services: list[str | None] = []
    iris: list[str] = []
    keywords = set()
    variables = set()
    depth = 0  # braces open: what the dataset and form rules look at
    open_brackets: list[bool] = []  # every bracket open, True where a subquery started inside it
    deepest, subqueries, open_subqueries, repeated_path = 0, 0, 0, False
    for index, token in enumerate(toks):
        word = token.keyword()
        if word:
            keywords.add(word)
        kind, text_ = token.kind, token.text
        if kind == "var":
            variables.add(text_[1:])
        elif kind == "iri":
            iris.append(prologue.resolve(token) or iri_value(token))
        elif kind == "punct":
            if text_ in _OPENING:
                open_brackets.append(False)
                deepest = max(deepest, len(open_brackets))
            elif text_ in _CLOSING and open_brackets:
                open_subqueries -= open_brackets.pop()
            elif text_ in "*+?" and _repeats_path(toks, index):
                repeated_path = True
        if word == "SELECT" and open_brackets and not open_brackets[-1]:
            open_brackets[-1] = True
            open_subqueries += 1
            subqueries = max(subqueries, open_subqueries)
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif word == "BASE" and _kind_at(toks, index + 1) == "iri":
            prologue.base = prologue.resolve(toks[index + 1])
        elif word == "PREFIX" and _kind_at(toks, index + 1) == "pname" and _kind_at(toks, index + 2) == "iri":
            prologue.prefixes[toks[index + 1].text[:-1]] = prologue.resolve(toks[index + 2]) or ""
        elif word in QUERY_FORMS and form is None and depth == 0:
            form = word
        elif word == "FROM" and depth == 0:
            has_dataset = True
        elif word in ("USING", "WITH") and depth == 0:
            has_using = True
        elif word == "SERVICE":
            target = index + 1
            if _keyword_at(toks, target) == "SILENT":
                target += 1
            services.append(prologue.resolve(toks[target]) if target < len(toks) else None)
    return Inspection(form, has_dataset, has_using, services, iris, frozenset(keywords), toks, size=len(toks),
                      depth=deepest, subqueries=subqueries, variables=len(variables),
                      repeated_path=repeated_path)


_OPENING = ("{", "(", "[")
_CLOSING = ("}", ")", "]")
#: What may stand before a path modifier: an IRI, a prefixed name, ``a``, or a closed group.
_PATH_ELEMENT = ("iri", "pname")


def _repeats_path(toks: list[Token], index: int) -> bool:
    """Whether the ``*``, ``+`` or ``?`` at ``index`` modifies a property path element.

    ``SELECT *``, ``COUNT(*)`` and arithmetic put it after a keyword, a bracket, a
    variable or a number; a path puts it right after an IRI, a prefixed name,
    ``a`` or ``)``. A ``)`` is ambiguous (``(?a + ?b) * 2``): it counts, which at
    worst takes a query out of the cheap lane.
    """
    before = toks[index - 1] if index > 0 else None
    if before is None or before.end != toks[index].start and toks[index].text == "?":
        return False  # "? " with a space is not a modifier; "?x" is a variable token anyway
    return before.kind in _PATH_ELEMENT or before.text == ")" or before.keyword() == "A" and before.text == "a"


def add_using(text: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """Apply the protocol's ``using-graph-uri``/``using-named-graph-uri`` to an update.

    SPARQL 1.1 Protocol 2.2.3 says they act as USING / USING NAMED clauses on
    every operation that has a WHERE clause. ``DELETE WHERE`` cannot carry
    USING, so it is first written in its long form.

    >>> add_using("INSERT { ?s a <x> } WHERE { ?s ?p ?o }", ["http://g"], [])
    'INSERT { ?s a <x> } USING <http://g> WHERE { ?s ?p ?o }'
    >>> add_using("DELETE WHERE { ?s ?p ?o }", [], ["http://n"])
    'DELETE { ?s ?p ?o } USING NAMED <http://n> WHERE { ?s ?p ?o }'
    >>> add_using("INSERT DATA { <a> <b> 'WHERE' }", ["http://g"], [])
    "INSERT DATA { <a> <b> 'WHERE' }"
    """
    clause = " ".join([f"USING <{g}>" for g in default_graphs] + [f"USING NAMED <{g}>" for g in named_graphs])
    toks = tokens(text)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), in text order
    depth = 0
    for index, token in enumerate(toks):
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif depth == 0 and token.keyword() == "WHERE":
            if _keyword_at(toks, index - 1) == "DELETE":
                close = _matching_brace(toks, index + 1)
                pattern = text[toks[index + 1].start:toks[close].end]
                edits.append((token.start, token.end, f"{pattern} {clause} WHERE"))
            else:
                edits.append((token.start, token.start, f"{clause} "))
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text


def _kind_at(toks: list[Token], index: int) -> str | None:
    return toks[index].kind if 0 <= index < len(toks) else None


def _keyword_at(toks: list[Token], index: int) -> str | None:
    return toks[index].keyword() if 0 <= index < len(toks) else None


def _matching_brace(toks: list[Token], index: int) -> int:
    if _kind_at(toks, index) != "punct" or toks[index].text != "{":
        raise ValueError("expected '{' after DELETE WHERE")
    depth = 0
    for position in range(index, len(toks)):
        if toks[position].text == "{":
            depth += 1
        elif toks[position].text == "}":
            depth -= 1
            if depth == 0:
                return position
    raise ValueError("unbalanced braces after DELETE WHERE")
