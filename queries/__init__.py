"""bmkg's SPARQL files: the quality rules in ``qc/`` and the query library.

This package holds data, not code; ``ontology.paths.QUERIES`` locates it.
"""
