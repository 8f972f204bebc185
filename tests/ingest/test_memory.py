"""The build's memory-saving steps keep results: encoded reasoning, early-written graphs, entity digests."""

import pyoxigraph
import reasonable
from rdflib import OWL, RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph

from ingest import pipeline, reasoning
from ontology import BM, ID_BASE, validation


def _small() -> Graph:
    model, org, chip = (URIRef(ID_BASE + k) for k in ("model/m", "org/o", "hardware/h"))
    data = Graph()
    data.add((model, RDF.type, BM.LanguageModel))
    data.add((model, BM.developedBy, org))
    data.add((model, BM.trainingHardware, chip))
    data.add((model, BM.parameterCount, Literal(2 * 10**9, datatype=XSD.integer)))
    data.add((chip, RDF.type, BM.GPU))
    data.add((org, RDF.type, BM.Organization))
    data.add((model, URIRef("http://purl.org/dc/terms/description"), Literal("plain text")))
    return data


def test_encoded_reasoning_returns_the_original_terms():
    ontology = to_canonical_graph(validation.ontology_graph())
    data = _small()
    inference = reasoning.materialise(data, ontology)
    model, org = URIRef(ID_BASE + "model/m"), URIRef(ID_BASE + "org/o")
    assert (model, RDF.type, BM.Model) in inference.triples
    assert (model, RDF.type, BM.BigModel) in inference.triples
    assert (org, BM.developed, model) in inference.triples
    assert not any(str(t).startswith(reasoning._OPAQUE) for triple in inference.triples for t in triple)
    assert not inference.triples & set(data)
    # The reasoner sees opaque stand-ins, but what comes back are the asserted objects themselves.
    terms = {id(t) for triple in data for t in triple}
    assert any(id(s) in terms for s, _p, _o in inference.triples if s == model)


def test_encoded_reasoning_matches_reasoning_on_the_terms_themselves():
    ontology = to_canonical_graph(validation.ontology_graph())
    data = _small()
    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(list(data) + list(ontology))
    direct = {tuple(reasoning._plain(t) for t in triple) for triple in reasoner.reason()}
    encoded = reasoning.materialise(data, ontology).triples
    # Everything the direct closure says about entities, minus the assertions and the
    # chain/threshold rules applied afterwards, is found by the encoded run too.
    about_entities = {(s, p, o) for s, p, o in direct - set(data)
                      if str(s).startswith(ID_BASE) and o != OWL.Thing and not isinstance(o, BNode)
                      and not (p == OWL.sameAs and o == s)}
    assert about_entities and about_entities <= encoded
    extra = encoded - about_entities
    assert {p for _s, p, _o in extra} <= {RDF.type, BM.relatedTopic, BM.relatedModel} | set(
        ontology.objects(None, OWL.inverseOf)) | set(ontology.subjects(OWL.inverseOf, None))


def test_packed_ids_round_trip():
    for ids in [(0, 0, 0), (1, 2, 3), (2**31, 7, 2**32 - 1)]:
        assert reasoning._unpack(reasoning._pack(*ids)) == ids


def test_union_grows_the_largest_graph_and_empties_the_others():
    a, b, c = Graph(), Graph(), Graph()
    for i in range(5):
        a.add((URIRef(f"urn:s{i}"), RDF.type, URIRef("urn:A")))
    b.add((URIRef("urn:s0"), RDF.type, URIRef("urn:A")))
    b.add((URIRef("urn:x"), RDF.type, URIRef("urn:B")))
    expected = set(a) | set(b) | set(c)
    union = pipeline._union([b, a, c])
    assert union is a and set(union) == expected
    assert len(b) == 0


def test_entity_digests_are_taken_while_writing_and_ignore_order(tmp_path):
    entity, other = URIRef(ID_BASE + "dataset/d"), URIRef("http://example.org/not-ours")
    a, b = URIRef("https://w3id.org/bmkg/graph/a"), URIRef("https://w3id.org/bmkg/graph/b")
    first, second = Graph(), Graph()
    first.add((entity, BM.datasetSizeItems, Literal(877000.0)))
    first.add((entity, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("D", lang="en")))
    first.add((other, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("not an entity of ours")))
    second.add((entity, URIRef("http://www.w3.org/2004/02/skos/core#altLabel"), Literal('say "d"\nnow')))
    second.add((entity, BM.parameterCount, Literal(10, datatype=XSD.integer)))

    in_two_steps = pipeline.EntityDigests()
    pipeline._write_store(tmp_path / "one", {a: first}, in_two_steps, finish=False)
    pipeline._write_store(tmp_path / "one", {b: set(second)}, in_two_steps)
    reversed_order = pipeline.EntityDigests()
    pipeline._write_store(tmp_path / "two", {b: second, a: set(reversed(list(first)))}, reversed_order)
    digests = in_two_steps.hexdigests()
    assert list(digests) == [str(entity)] and digests == reversed_order.hexdigests()
    stored = pyoxigraph.Store.read_only(str(tmp_path / "one"))
    assert len(list(stored.quads_for_pattern(None, None, None))) == 5  # the digests pass every triple on

    # A statement moved to another graph, or a changed value, changes the digest.
    changed_value = Graph()
    for s, p, o in second:
        changed_value.add((s, p, Literal(11, datatype=XSD.integer) if p == BM.parameterCount else o))
    for name, graphs in (("moved", {a: first + second}), ("value", {a: first, b: changed_value})):
        changed = pipeline.EntityDigests()
        pipeline._write_store(tmp_path / name, graphs, changed)
        assert changed.hexdigests()[str(entity)] != digests[str(entity)], name
