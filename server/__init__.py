"""bmkg server: the SPARQL endpoint and linked-data pages over a built store.

It depends on the ``ontology`` handle and never on ``ingest``.
"""
