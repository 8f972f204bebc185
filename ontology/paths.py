"""Where the ontology's files live, whether bmkg runs from a checkout or is installed."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_HERE = Path(str(files("ontology")))

ONTOLOGY = _HERE / "bmkg.ttl"
SHAPES = _HERE / "shapes.ttl"
TERMS_MODULE = _HERE / "terms.py"
JSONLD_CONTEXT = _HERE / "context.jsonld"
EXAMPLES = _HERE / "examples"
QUERIES = Path(str(files("queries")))
QUALITY_RULES = QUERIES / "qc"
