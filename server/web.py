"""What every HTML response shares: security headers, template helpers, rendering.

Labels come from the sources and may hold markup, so templates only ever
print them through Jinja's autoescaping, and only http(s) values become links.
"""

from __future__ import annotations

import math
import re
from urllib.parse import quote

import pyoxigraph as ox
from flask import Flask, Response, render_template, request, url_for
from markupsafe import Markup, escape

from ontology import GRAPH_BASE
from server import entities, responses
from server.entities import KIND_NAMES, KIND_SINGULAR, XSD

#: No third-party origins, no inline script or style: pages work with only their own CSS (and a little JS).
CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self';"
       " base-uri 'none'; frame-ancestors 'none'")
#: The pyLODE document carries its own inline styles and icons; it has no script to run.
CSP_ONTOLOGY_DOCS = ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'none';"
                     " form-action 'none'; base-uri 'none'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    app.after_request(security_headers)
    app.jinja_env.filters.update(href=href, label=label, show=show, kind_name=kind_name, kind_singular=kind_singular,
                                 graph_name=entities.graph_name, number=number, external=external,
                                 badge=badge, badges=badges, term=term, reason=reason)
    app.jinja_env.globals.update(INFERRED=entities.INFERRED)
    app.jinja_env.tests.update(iri=lambda t: isinstance(t, ox.NamedNode), bnode=lambda t: isinstance(t, ox.BlankNode))


def security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype in ("text/html", "application/xhtml+xml", "image/svg+xml"):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def page(template: str, status: int = 200, headers: dict | None = None, **context) -> Response:
    response = Response(render_template(template, **context), status=status, content_type="text/html; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def description_page(title: str, intro: str, triples, root: str | None, alternates: list[tuple[str, str]]) -> Response:
    """RDF statements as a page for people: one section per subject (``root`` first), blank nodes linked.

    For the descriptions that are data first (``/dataset``, ``/.well-known/void``):
    a browser gets this rather than a 406; ``alternates`` are (media type, URL).
    """
    by_subject: dict[object, dict[str, list]] = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, {}).setdefault(triple.predicate.value, []).append(triple.object)
    named = sorted((s for s in by_subject if isinstance(s, ox.NamedNode)),
                   key=lambda s: (s.value != root, s.value))
    # A blank node is named by the property that leads to it, numbered when several share it.
    leads: dict[str, list[str]] = {}
    seen: set[str] = set()
    for subject, rows in by_subject.items():
        for predicate, objects in rows.items():
            for o in objects:
                if isinstance(o, ox.BlankNode) and o.value not in seen:
                    seen.add(o.value)
                    leads.setdefault(label(predicate), []).append(o.value)
    blank_names: dict[str, str] = {}
    order: dict[str, int] = {}
    for name, values in leads.items():
        for number, value in enumerate(values, 1):
            blank_names[value] = f"{name} {number}" if len(values) > 1 else name
            order[value] = len(order)
    blanks = sorted((s for s in by_subject if isinstance(s, ox.BlankNode)), key=lambda s: order.get(s.value, len(order)))
    subjects = []
    for subject in named + blanks:
        blank = isinstance(subject, ox.BlankNode)
        subjects.append({
            "iri": subject.value, "blank": blank, "anchor": f"b-{subject.value}" if blank else None,
            "heading": blank_names.get(subject.value, "(unnamed node)") if blank else None,
            "rows": sorted(by_subject[subject].items(), key=lambda r: label(r[0]).lower()),
        })
    return page("description.html", title=title, intro=intro, subjects=subjects, blank_names=blank_names,
                alternates=alternates)


def cached_page(tag_parts: tuple, build) -> Response:
    """A page with a per-generation ETag: a 304 before any query runs when the client has it."""
    from flask import request

    from server.runtime import get_runtime

    generation = get_runtime().generation()
    tag = responses.etag(generation, *tag_parts)
    if responses.not_modified(request, tag, generation):
        response = Response(status=304)
    else:
        response = build()
        if response.status_code != 200:
            return response
    return responses.validators(response, tag, generation)


# -- filters -------------------------------------------------------------------------


def href(iri: str) -> str:
    """Where a link to ``iri`` goes: this server's page for bmkg IRIs, the IRI itself for the web."""
    found = entities.kind_and_key(iri)
    if found:
        # Built by hand rather than with url_for: pages hold thousands of these links.
        return f"{request.script_root}/page/{found[0]}/{quote(found[1], safe='')}"
    if iri.startswith(entities.ONTOLOGY_IRI + "#"):
        return f"{request.script_root}/ontology#{quote(iri.split('#', 1)[1])}"
    if iri == entities.ONTOLOGY_IRI or iri.startswith(entities.ONTOLOGY_IRI + "/"):
        return f"{request.script_root}/ontology"
    if iri == "https://w3id.org/bmkg/":
        return url_for("pages.home")
    if external(iri):
        return iri
    return "#"


def external(value: str) -> bool:
    """Whether a value may become a link: only http(s), never javascript: or data:."""
    return bool(re.match(r"^https?://[^\s\"<>]+$", value or ""))


def label(iri: str) -> str:
    if iri.startswith(GRAPH_BASE):
        found = entities.graphs().get(iri)
        return (found.title if found and found.title else entities.graph_name(iri))
    if iri.startswith(entities.BM_NS) or iri.startswith(entities.ONTOLOGY_IRI):
        return entities.vocabulary().label(iri)
    found = entities.index().label(iri)
    if found:
        return found
    if iri.startswith(entities.WIKIDATA_ENTITY):
        return "Wikidata " + iri[len(entities.WIKIDATA_ENTITY):]
    vocab = entities.vocabulary().labels.get(iri)
    return vocab or entities.local_name(iri)


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind)


def kind_singular(kind: str) -> str:
    return KIND_SINGULAR.get(kind, kind)


_INTEGER = {XSD + t for t in ("integer", "int", "long", "nonNegativeInteger", "positiveInteger", "short")}
_FLOAT = {XSD + "double", XSD + "float", XSD + "decimal"}


def number(value, digits: int = 3) -> str:
    """A number for people: separators for integers, 3 significant digits and powers of ten for big floats.

    >>> number(175000000000), number(3.14e23), number(0.1968), number(1095.0)
    ('175,000,000,000', '3.14 × 10²³', '0.197', '1,095')
    """
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            value = float(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        superscript = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
        return f"{mantissa} × 10{superscript}"
    return f"{value:.{digits}g}"


def show(term) -> str:
    """The text a page shows for a literal (or the label of an IRI)."""
    kind = type(term).__name__
    if kind == "NamedNode":
        return label(term.value)
    if kind == "BlankNode":
        return "(blank node)"
    datatype = term.datatype.value if term.datatype is not None else None
    if datatype in _INTEGER or datatype in _FLOAT:
        try:
            return number(float(term.value) if datatype in _FLOAT else int(term.value))
        except ValueError:
            return term.value
    if datatype == XSD + "boolean":
        return "yes" if term.value == "true" else "no"
    return term.value


# -- HTML fragments ----------------------------------------------------------------------
# Written in Python because entity pages hold thousands of them. Every value that comes from
# the data passes through markupsafe's escape, so labels from the sources stay inert.


def badge(graph: str) -> Markup:
    """A link to the graph a value comes from; the reasoner's graph reads "inferred"."""
    if graph == entities.INFERRED:
        return Markup(f'<a class="src inferred" href="{escape(href(graph))}" title="{escape(label(graph))}">inferred</a>')
    return Markup(f'<a class="src" href="{escape(href(graph))}" title="{escape(label(graph))}">'
                  f'{escape(entities.graph_name(graph))}</a>')


def badges(graphs) -> Markup:
    return Markup('<span class="srcs">' + "".join(badge(g) for g in graphs) + "</span>")


def term(t) -> Markup:
    """A value as HTML: bmkg IRIs link to their pages, web IRIs out, literals as text."""
    if t is None:
        return Markup('<span class="none">–</span>')
    if isinstance(t, ox.NamedNode):
        target = href(t.value)
        outside = ' rel="nofollow noopener" class="ext"' if not target.startswith(("/", "#")) else ""
        return Markup(f'<a href="{escape(target)}"{outside}>{escape(label(t.value))}</a>')
    if isinstance(t, ox.BlankNode):
        return Markup(f'<span class="bnode">_:{escape(t.value)}</span>')
    if t.datatype is not None and t.datatype.value == XSD + "anyURI" and external(t.value):
        return Markup(f'<a class="ext" rel="nofollow noopener" href="{escape(t.value)}">{escape(t.value)}</a>')
    language = f' lang="{escape(t.language)}"' if t.language else ""
    return Markup(f'<span class="lit"{language}>{escape(show(t))}</span>')


def reason(parts) -> Markup:
    """One "why" path: text, entities ("e"), properties ("p"), graph badges ("g") and a link ("w")."""
    out = []
    for kind, text in parts:
        if kind == "t":
            out.append(str(escape(text)))
        elif kind == "e":
            out.append(f'<a href="{escape(href(text))}">{escape(label(text))}</a>')
        elif kind == "p":
            out.append(f"<em>{escape(label(text))}</em>")
        elif kind == "g":
            out.append(" " + badge(text))
        elif kind == "w":
            out.append(f'<a href="{escape(text)}">the paths</a>')
    return Markup('<span class="why">' + "".join(out) + "</span>")
