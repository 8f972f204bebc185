"""The one place where bmkg IRIs are minted.

Entity IRIs are ``https://w3id.org/bmkg/id/{kind}/{key}``; named graphs are
``https://w3id.org/bmkg/graph/{source}``. Keys come from stable names or external
ids, never from row numbers, so a rebuild gives the same IRIs.
"""

from __future__ import annotations

import re
import unicodedata

from rdflib import URIRef

ID_BASE = "https://w3id.org/bmkg/id/"
GRAPH_BASE = "https://w3id.org/bmkg/graph/"

#: The kinds of entity that have IRIs, in the path segment they use.
KINDS = frozenset(
    {
        "part",
        "topic",
        "subtopic",
        "problem",
        "model",
        "dataset",
        "benchmark",
        "hardware",
        "system",
        "technique",
        "task",
        "org",
        "country",
        "publication",
        "scheme",
        "family",
        "version",
        "result",
        "metric",
        "conflict",
        "change",
    }
)

_SOURCE = re.compile(r"^[a-z][a-z0-9-]*$")
# Characters a key keeps: letters and digits of any script, and inner dots.
# Everything else (spaces, punctuation, symbols) becomes a single hyphen.
_SEPARATORS = re.compile(r"[^\w.]+|_+")
_DOT_RUN = re.compile(r"\.{2,}")
_LONGEST_KEY = 200
_LONE_DOT = re.compile(r"(?<![\w])\.|\.(?![\w])")
_DASH_RUN = re.compile(r"-{2,}")


class IRIError(ValueError):
    """A key or kind that cannot give a valid, stable bmkg IRI."""


def normalise_key(name: str) -> str:
    """Turn a name or external id into the key used in an IRI.

    The result is stable under case, Unicode normal form and punctuation:

    >>> normalise_key("NVIDIA A100 SXM4 40 GB")
    'nvidia-a100-sxm4-40-gb'
    >>> normalise_key("GPT-3 175B (davinci)")
    'gpt-3-175b-davinci'
    >>> normalise_key("gpt-3  175b / DAVINCI")
    'gpt-3-175b-davinci'
    >>> normalise_key("Wudao(悟道) 2.0")
    'wudao-悟道-2.0'
    >>> normalise_key("ＧＰＴ－３")  # full-width forms fold to ASCII
    'gpt-3'
    >>> normalise_key("Café") == normalise_key("Cafe\\u0301")  # composed or not
    True
    >>> normalise_key("Llama 2-7B.")  # never ends in a dot
    'llama-2-7b'
    >>> normalise_key("arxiv:2005.14165")
    'arxiv-2005.14165'
    >>> normalise_key("DeepLabV3+"), normalise_key("PointNet++")
    ('deeplabv3-plus', 'pointnet-plus-plus')
    >>> normalise_key("Theory & Interpretability")
    'theory-and-interpretability'
    """
    if not isinstance(name, str):
        raise IRIError(f"key must be a string, got {type(name).__name__}")
    text = unicodedata.normalize("NFKC", name).casefold()
    if not text.isprintable():  # a printable string has no character of category C: most skip the scan
        text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    # Symbols that distinguish names (DeepLabV3 and DeepLabV3+) become words.
    text = text.replace("+", " plus ").replace("&", " and ")
    text = _SEPARATORS.sub("-", text)
    text = _DOT_RUN.sub(".", text)
    # Dots only survive between two key characters.
    text = _LONE_DOT.sub("-", text)
    text = _DASH_RUN.sub("-", text).strip("-.")
    return text


def mint(kind: str, key: str) -> URIRef:
    """Mint the IRI of an entity of ``kind`` from its stable ``key``.

    >>> mint("model", "GPT-3")
    rdflib.term.URIRef('https://w3id.org/bmkg/id/model/gpt-3')
    >>> mint("topic", "Language Model")
    rdflib.term.URIRef('https://w3id.org/bmkg/id/topic/language-model')
    >>> mint("hardware", "NVIDIA A100 SXM4 40 GB") == mint("hardware", "nvidia a100 sxm4 40 gb")
    True
    >>> mint("robot", "x")
    Traceback (most recent call last):
    ...
    ontology.iri.IRIError: unknown entity kind 'robot'
    >>> mint("model", " ?! ")
    Traceback (most recent call last):
    ...
    ontology.iri.IRIError: key ' ?! ' has no letters or digits to build an IRI from
    """
    if kind not in KINDS:
        raise IRIError(f"unknown entity kind {kind!r}")
    normal = normalise_key(key)
    if not normal or not any(ch.isalnum() for ch in normal):
        raise IRIError(f"key {key!r} has no letters or digits to build an IRI from")
    if len(normal) > _LONGEST_KEY:
        raise IRIError(f"key {key!r} is longer than {_LONGEST_KEY} characters once normalised")
    iri = f"{ID_BASE}{kind}/{normal}"
    _check(iri)
    return URIRef(iri)


def graph_iri(source: str) -> URIRef:
    """The IRI of the named graph that holds one source's statements.

    >>> graph_iri("epoch-models")
    rdflib.term.URIRef('https://w3id.org/bmkg/graph/epoch-models')
    >>> graph_iri("Epoch Models")
    Traceback (most recent call last):
    ...
    ontology.iri.IRIError: graph name 'Epoch Models' must be lower-case letters, digits and hyphens
    """
    if not _SOURCE.match(source):
        raise IRIError(f"graph name {source!r} must be lower-case letters, digits and hyphens")
    return URIRef(GRAPH_BASE + source)


def split(iri: str) -> tuple[str, str] | None:
    """Return ``(kind, key)`` for a bmkg entity IRI, or None for any other IRI.

    >>> split("https://w3id.org/bmkg/id/model/gpt-3")
    ('model', 'gpt-3')
    >>> split("https://example.org/x") is None
    True
    """
    if not iri.startswith(ID_BASE):
        return None
    kind, _, key = iri[len(ID_BASE):].partition("/")
    if kind not in KINDS or not key:
        return None
    return kind, key


def _check(iri: str) -> None:
    # Characters RFC 3987 forbids in an IRI, plus the final dot that rdflib's
    # Turtle parser rejects in Oxigraph's escaped output (DESIGN.md).
    if re.search(r'[\s<>"{}|\\^`]', iri) or iri.endswith("."):
        raise IRIError(f"minted IRI {iri!r} is not a valid IRI")
