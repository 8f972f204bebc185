"""bmkg ingest: reads the sources, maps them to RDF and builds the store.

It depends on the ``ontology`` handle and never on ``server``.
"""
