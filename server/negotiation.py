"""Table-driven content negotiation.

Each kind of response has a table of formats, the default first. A request
gets the format its ``Accept`` header rates highest; ties go to the more
specific media range, then to the client's order, then to the table's order.
406 is only for a present, non-empty ``Accept`` that no format meets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    key: str  # the name the query worker knows the format by
    media_type: str  # what the response's Content-Type says
    aliases: tuple[str, ...] = ()  # other media types that ask for it
    names: tuple[str, ...] = ()  # short names for the ``format`` parameter
    iri: str | None = None  # the W3C format IRI, for the service description

    def media_types(self) -> tuple[str, ...]:
        return (self.media_type.split(";")[0].strip(),) + self.aliases


_F = "http://www.w3.org/ns/formats/"
RESULTS_JSON = Format("json", "application/sparql-results+json", ("application/json",), ("json",), _F + "SPARQL_Results_JSON")
RESULTS_XML = Format("xml", "application/sparql-results+xml", (), ("xml",), _F + "SPARQL_Results_XML")
RESULTS_CSV = Format("csv", "text/csv; charset=utf-8", (), ("csv",), _F + "SPARQL_Results_CSV")
RESULTS_TSV = Format("tsv", "text/tab-separated-values; charset=utf-8", (), ("tsv",), _F + "SPARQL_Results_TSV")
TURTLE = Format("turtle", "text/turtle; charset=utf-8", ("application/turtle", "application/x-turtle"), ("turtle", "ttl"), _F + "Turtle")
N_TRIPLES = Format("ntriples", "application/n-triples", ("text/plain",), ("ntriples", "nt"), _F + "N-Triples")
JSON_LD = Format("jsonld", "application/ld+json", ("application/x-json+ld",), ("jsonld", "json-ld"), _F + "JSON-LD")
RDF_XML = Format("rdfxml", "application/rdf+xml", (), ("rdfxml", "rdf", "rdf+xml", "xml"), _F + "RDF_XML")
N3 = Format("n3", "text/n3; charset=utf-8", ("text/rdf+n3", "application/n3"), ("n3",), _F + "N3")
TRIG = Format("trig", "application/trig", (), ("trig",), _F + "TriG")
N_QUADS = Format("nquads", "application/n-quads", (), ("nquads", "nq"), _F + "N-Quads")
HTML = Format("html", "text/html; charset=utf-8", ("application/xhtml+xml",), ("html",))

SOLUTIONS = (RESULTS_JSON, RESULTS_XML, RESULTS_CSV, RESULTS_TSV)
BOOLEAN = (RESULTS_JSON, RESULTS_XML, RESULTS_CSV, RESULTS_TSV)
GRAPH = (TURTLE, N_TRIPLES, JSON_LD, RDF_XML, N3, TRIG, N_QUADS)
DESCRIPTION = (TURTLE, JSON_LD, RDF_XML, N_TRIPLES, TRIG, N_QUADS, HTML)
BY_FORM = {"SELECT": SOLUTIONS, "ASK": BOOLEAN, "CONSTRUCT": GRAPH, "DESCRIBE": GRAPH}


class NotAcceptable(Exception):
    """The Accept header rules out every format on offer."""

    def __init__(self, accept: str, offered: tuple[Format, ...]):
        self.offered = offered
        kinds = ", ".join(f.media_type.split(";")[0] for f in offered)
        super().__init__(f"cannot produce any type in Accept: {accept!r}; available: {kinds}")


def parse_accept(header: str) -> list[tuple[str, float, int]]:
    """The media ranges of an Accept header as (range, q, position).

    >>> parse_accept("text/turtle;q=0.5, application/ld+json")
    [('text/turtle', 0.5, 0), ('application/ld+json', 1.0, 1)]
    >>> parse_accept("text/csv;q=abc, */*")  # a broken q counts as 0
    [('text/csv', 0.0, 0), ('*/*', 1.0, 1)]
    """
    ranges = []
    for position, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        if media == "*":  # seen from some old clients
            media = "*/*"
        q = 1.0
        for field in fields[1:]:
            name, _, value = field.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media, q, position))
    return ranges


def _match(media: str, ranges: list[tuple[str, float, int]]) -> tuple[float, int, int] | None:
    """The (q, specificity, position) of the most specific range that covers media."""
    kind = media.split("/")[0]
    best = None
    for pattern, q, position in ranges:
        if pattern == media:
            specificity = 2
        elif pattern == f"{kind}/*":
            specificity = 1
        elif pattern == "*/*":
            specificity = 0
        else:
            continue
        if best is None or specificity > best[1]:
            best = (q, specificity, position)
    return best


def negotiate(accept: str | None, offered: tuple[Format, ...]) -> Format:
    """Choose a format from ``offered`` for an Accept header.

    >>> negotiate(None, SOLUTIONS).key
    'json'
    >>> negotiate("*/*", GRAPH).key
    'turtle'
    >>> negotiate("text/csv;q=0.9, application/sparql-results+xml", SOLUTIONS).key
    'xml'
    >>> negotiate("application/sparql-results+xml, application/sparql-results+json", SOLUTIONS).key
    'xml'
    >>> negotiate("text/*", SOLUTIONS).key
    'csv'
    >>> negotiate("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", DESCRIPTION).key
    'html'
    >>> negotiate("image/png", SOLUTIONS)
    Traceback (most recent call last):
    ...
    server.negotiation.NotAcceptable: cannot produce any type in Accept: 'image/png'; available: application/sparql-results+json, application/sparql-results+xml, text/csv, text/tab-separated-values
    """
    if accept is None or not accept.strip():
        return offered[0]
    ranges = parse_accept(accept)
    best = None
    for order, fmt in enumerate(offered):
        for media in fmt.media_types():
            found = _match(media, ranges)
            if found is None or found[0] <= 0:
                continue
            q, specificity, position = found
            rank = (q, specificity, -position, -order)
            if best is None or rank > best[0]:
                best = (rank, fmt)
    if best is None:
        raise NotAcceptable(accept, offered)
    return best[1]


def by_name(values: list[str], offered: tuple[Format, ...]) -> Format | None:
    """The first ``format``/``output`` parameter value naming an offered format.

    Values that name nothing on offer are ignored, so that they never turn a
    good Accept header into a 406.

    >>> by_name(["json", "application/sparql-results+json"], GRAPH) is None
    True
    >>> by_name(["xml"], GRAPH).key, by_name(["xml"], SOLUTIONS).key
    ('rdfxml', 'xml')
    >>> by_name(["text/tab-separated-values"], SOLUTIONS).key
    'tsv'
    """
    for value in values:
        wanted = value.strip().lower()
        for fmt in offered:
            if wanted in fmt.names or wanted in fmt.media_types():
                return fmt
    return None
