"""Generated files match the ontology; the HTML docs cover every term."""

from rdflib import Graph

from ontology import BM, generate, paths


def test_terms_module_is_up_to_date():
    expected = generate.terms_module(generate.load())
    assert paths.TERMS_MODULE.read_text(encoding="utf-8") == expected, "run: bmkg ontology generate"


def test_jsonld_context_is_up_to_date():
    expected = generate.context_document(generate.load())
    assert paths.JSONLD_CONTEXT.read_text(encoding="utf-8") == expected, "run: bmkg ontology generate"


def test_defined_namespace_rejects_unknown_terms():
    assert str(BM.Model) == "https://w3id.org/bmkg/ontology#Model"
    try:
        BM.Modle
    except AttributeError:
        pass
    else:
        raise AssertionError("BM.Modle should not exist")


def test_context_round_trips_data(tmp_path):
    data = Graph().parse(paths.EXAMPLES / "valid" / "roadmap-slice.ttl")
    import json

    context = json.loads(paths.JSONLD_CONTEXT.read_text(encoding="utf-8"))
    text = data.serialize(format="json-ld", context=context["@context"])
    again = Graph().parse(data=text, format="json-ld")
    assert set(again) == set(data)
    assert '"parameterCount"' in text


def test_docs_cover_every_term(tmp_path):
    html = generate.write_docs(tmp_path).read_text(encoding="utf-8")
    graph = generate.load()
    missing = [name for name in generate.declared_terms(graph) if name not in html]
    assert missing == []
    assert "bmkg ontology" in html
