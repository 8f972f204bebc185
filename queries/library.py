"""Named SPARQL queries: their headers, typed parameters and execution on a pyoxigraph store.

A query file starts with comment lines that describe it::

    # title: Why a model relates to a topic
    # question: Which paths connect this model to this topic?
    # param: model model : the model, by IRI, key or name
    # param: limit integer = 10 : at most this many rows
    # topics: language-model, evaluation
    # inference: yes

Parameters are bound as typed RDF terms in a VALUES block, written
from pyoxigraph terms (which escape themselves), never by splicing raw text into
the query. pyoxigraph's own substitutions would need every parameter in the
projection. The block sits first in the outermost WHERE group, so a parameter
must appear there: a sub-SELECT does not see it unless it projects the variable.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from ontology import ID_BASE, mint, paths
from ontology import store as layout

XSD = "http://www.w3.org/2001/XMLSchema#"
ENTITY_TYPES = {"model", "topic", "org", "hardware", "dataset", "technique", "system", "benchmark", "task",
                "problem", "publication", "part", "country"}
SCALAR_TYPES = {"iri", "string", "integer", "double", "date", "boolean"}


class QueryError(ValueError):
    """A query file or a parameter value that cannot be used; the message says which."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: str | None
    description: str

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    text: str
    title: str
    question: str
    parameters: tuple[Parameter, ...] = ()
    topics: tuple[str, ...] = ()
    uses_inference: bool = False
    extra: dict = field(default_factory=dict)

    def metadata(self) -> dict:
        return {
            "name": self.name, "title": self.title, "question": self.question,
            "parameters": [{"name": p.name, "type": p.type, "default": p.default, "required": p.required,
                            "description": p.description} for p in self.parameters],
            "topics": list(self.topics), "uses_inference": self.uses_inference,
        }


_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)(?:\s*=\s*(?P<default>[^:]*?))?\s*(?::\s*(?P<desc>.*))?$")


def parse(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        header.setdefault(key.strip().lower(), []).append(value.strip())
    if "title" not in header:
        raise QueryError(f"{path.name}: the header has no '# title:' line")
    parameters = []
    for spec in header.get("param", []):
        match = _PARAM.match(spec)
        if not match or match["type"] not in ENTITY_TYPES | SCALAR_TYPES:
            raise QueryError(f"{path.name}: cannot read parameter {spec!r}: expected 'NAME TYPE [= DEFAULT] : text'"
                             f" with TYPE one of {', '.join(sorted(ENTITY_TYPES | SCALAR_TYPES))}")
        parameters.append(Parameter(match["name"], match["type"], match["default"], (match["desc"] or "").strip()))
    topics = tuple(t.strip() for value in header.get("topics", []) for t in value.split(",") if t.strip())
    return NamedQuery(
        name=path.stem, path=path, text=text, title=header["title"][0],
        question=(header.get("question") or [""])[0], parameters=tuple(parameters), topics=topics,
        uses_inference=(header.get("inference") or ["no"])[0].lower() in ("yes", "true"),
    )


def library(directory: Path = paths.QUERIES) -> dict[str, NamedQuery]:
    """Every named query of the library folder (not the quality rules)."""
    return {query.name: query for query in (parse(p) for p in sorted(directory.glob("*.rq")))}


def explanation(name: str) -> NamedQuery:
    return parse(paths.QUERIES / "explain" / f"{name}.rq")


def bind(query: NamedQuery, values: dict[str, str], store: pyoxigraph.Store | None = None) -> dict:
    """Typed terms for ``values``, by variable name; unknown or missing parameters are errors."""
    known = {p.name: p for p in query.parameters}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise QueryError(f"{query.name}: unknown parameter(s) {', '.join(unknown)}; "
                         f"known: {', '.join(known) or 'none'}")
    substitutions = {}
    for parameter in query.parameters:
        raw = values.get(parameter.name, parameter.default)
        if raw is None:
            raise QueryError(f"{query.name}: parameter {parameter.name!r} ({parameter.type}) is required")
        substitutions[parameter.name] = term(parameter, str(raw), store)
    return substitutions


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def with_values(text: str, bound: dict) -> str:
    r"""The query with a VALUES block binding each parameter, placed first inside
    the outermost WHERE group, so that every pattern and FILTER of the query
    sees the bound values.

    >>> with_values("SELECT ?x WHERE { ?x ?p ?o }", {"o": pyoxigraph.Literal('say "hi"')})
    'SELECT ?x WHERE { VALUES (?o) { ("say \\"hi\\"") }\n ?x ?p ?o }'
    """
    if not bound:
        return text
    names = " ".join(f"?{name}" for name in bound)
    terms = " ".join(str(value) for value in bound.values())
    offset = 0
    for line in text.splitlines(keepends=True):
        match = None if line.lstrip().startswith("#") else _WHERE.search(line)
        if match:
            cut = offset + match.end()
            return f"{text[:cut]} VALUES ({names}) {{ ({terms}) }}\n{text[cut:]}"
        offset += len(line)
    raise QueryError("the query has no WHERE clause to bind parameters in")


def term(parameter: Parameter, raw: str, store: pyoxigraph.Store | None = None):
    """The RDF term for one parameter value, checked against its type."""
    kind, name = parameter.type, parameter.name
    try:
        if kind == "iri":
            if not re.match(r"^https?://\S+$", raw):
                raise ValueError("expected an http(s) IRI")
            return pyoxigraph.NamedNode(raw)
        if kind == "string":
            return pyoxigraph.Literal(raw)
        if kind == "integer":
            return pyoxigraph.Literal(str(int(raw)), datatype=pyoxigraph.NamedNode(XSD + "integer"))
        if kind == "double":
            return pyoxigraph.Literal(repr(float(raw)), datatype=pyoxigraph.NamedNode(XSD + "double"))
        if kind == "date":
            return pyoxigraph.Literal(dt.date.fromisoformat(raw).isoformat(), datatype=pyoxigraph.NamedNode(XSD + "date"))
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError("expected true or false")
            return pyoxigraph.Literal(raw.lower(), datatype=pyoxigraph.NamedNode(XSD + "boolean"))
        return entity(kind, raw, store)
    except ValueError as error:
        raise QueryError(f"parameter {name!r} ({kind}): {error}: got {raw!r}") from error


def entity(kind: str, raw: str, store: pyoxigraph.Store | None) -> pyoxigraph.NamedNode:
    """An entity of ``kind`` by IRI, by key, or by label or alias in the store."""
    if raw.startswith(ID_BASE):
        return pyoxigraph.NamedNode(raw)
    node = pyoxigraph.NamedNode(str(mint(kind, raw)))
    if store is None or next(store.quads_for_pattern(node, None, None), None) is not None:
        return node
    matches = store.query(with_values(
        """SELECT DISTINCT ?e WHERE {
             ?e (<http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#altLabel>) ?l .
             FILTER(STRSTARTS(STR(?e), ?prefix) && LCASE(STR(?l)) = LCASE(?name))
           } ORDER BY ?e LIMIT 2""",
        {"prefix": pyoxigraph.Literal(f"{ID_BASE}{kind}/"), "name": pyoxigraph.Literal(raw)}),
        default_graph=layout.union_graphs(),
    )
    found = [row["e"] for row in matches]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ValueError(f"the name matches several {kind} entities ({found[0].value}, {found[1].value}, ...); give an IRI")
    raise ValueError(f"no {kind} has this IRI, key, label or alias")


def run(store: pyoxigraph.Store, query: NamedQuery, values: dict[str, str] | None = None,
        asserted_only: bool = False, graphs: list[str] | None = None):
    """Execute a named query over the whole build, each statement once.

    ``asserted_only`` leaves out the inferred graph, so a caller can show what
    the reasoner adds; ``graphs`` names the graphs whose merge is the default graph.
    """
    text = with_values(query.text, bind(query, values or {}, store))
    if graphs is not None:
        return store.query(text, default_graph=[pyoxigraph.NamedNode(g) for g in graphs])
    return store.query(text, default_graph=layout.union_graphs(inferred=not asserted_only))
