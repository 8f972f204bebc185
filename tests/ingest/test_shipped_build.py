"""The shipped sources, built end to end and read back with SPARQL."""

import csv
import datetime as dt
import json

from ingest.adapters.registry import SOURCES
from ontology import mint, normalise_key


def test_build_publishes_a_generation_without_violations(shipped_build):
    root, result = shipped_build
    summary = result.summary
    assert summary["violations"] == 0
    assert (root / "current").resolve() == result.generation.path
    assert summary["graphs"]["https://w3id.org/bmkg/graph/epoch-models"] > 10000
    assert set(summary["graphs"]) >= {
        "https://w3id.org/bmkg/graph/" + name
        for name in ("epoch-models", "epoch-hardware", "bmlist", "curated", "ontology", "metadata")
    }
    on_disk = json.loads(result.generation.summary_path.read_text())
    assert on_disk["triples"] == summary["triples"]


def test_gpt3_parameters_and_organization(sparql):
    rows = sparql("""
        SELECT DISTINCT ?params ?org WHERE {
          GRAPH <https://w3id.org/bmkg/graph/epoch-models> {
            <https://w3id.org/bmkg/id/model/gpt-3-175b-davinci> bm:parameterCount ?params ; bm:developedBy ?o .
          }
          ?o rdfs:label ?org .
        }""")
    assert rows == [{"params": "175000000000", "org": "OpenAI"}]


def test_a_tpu_trained_model_links_to_its_chip_and_the_chips_fp16_throughput(sparql):
    rows = sparql("""
        SELECT ?chip ?flops WHERE {
          <https://w3id.org/bmkg/id/model/palm-540b> bm:trainingHardware ?chip .
          ?chip a bm:TPU ; bm:fp16TensorFlopPerSecond ?flops .
        }""")
    assert [(r["chip"], float(r["flops"])) for r in rows] == [("https://w3id.org/bmkg/id/hardware/google-tpu-v4", 2.75e14)]


def test_a_bmlist_only_model(sparql):
    rows = sparql("""
        SELECT ?g ?date ?params WHERE {
          GRAPH ?g { <https://w3id.org/bmkg/id/model/blenderbot-2> bm:publicationDate ?date ; bm:parameterCount ?params }
        }""")
    # BMList: "release_date": "2021/07/16", "parameters_dense": ["2.7B"]
    assert rows == [{"g": "https://w3id.org/bmkg/graph/bmlist", "date": "2021-07-16", "params": "2700000000"}]
    graphs = sparql("""SELECT DISTINCT ?g WHERE { GRAPH ?g { <https://w3id.org/bmkg/id/model/blenderbot-2> ?p ?o } }""")
    asserted = {r["g"] for r in graphs} - {"https://w3id.org/bmkg/graph/curated", "https://w3id.org/bmkg/graph/inferred"}
    assert asserted == {"https://w3id.org/bmkg/graph/bmlist"}


def test_a_family_in_bmlist_is_one_model_per_size_each_with_its_own_count(sparql):
    rows = sparql("""
        SELECT ?m ?g ?params WHERE {
          <https://w3id.org/bmkg/id/family/gpt-3> bm:familyMember ?m .
          GRAPH ?g { ?m bm:parameterCount ?params }
        } ORDER BY ?m ?g""")
    bmlist = sorted((int(r["params"]) for r in rows if r["g"].endswith("/bmlist")))
    # BMList's GPT-3 entry lists 1.3B, 2.7B, 6.7B, 13B and 175B: five models of the family
    assert bmlist == [1_300_000_000, 2_700_000_000, 6_700_000_000, 13_000_000_000, 175_000_000_000]
    flagship = [r for r in rows if r["m"].endswith("/gpt-3-175b-davinci")]
    assert {"bmlist", "epoch-models"} <= {r["g"].rsplit("/", 1)[1] for r in flagship}  # and HELM's davinci
    assert {r["params"] for r in flagship} == {"175000000000"}
    assert not sparql("SELECT ?p WHERE { <https://w3id.org/bmkg/id/model/gpt-3> ?p ?o }")


def bmlist_model_names() -> list[str]:
    """BMList's model names as the graph labels them: the entry, or "{entry} {size}" per size of a family."""
    names = []
    for item in json.loads(SOURCES["bmlist"].default_path.read_text(encoding="utf-8"))[1:]:
        name = item["name"].replace("\xa0", " ").strip()
        sizes = item.get("parameters_dense", []) + item.get("parameters_MoE", [])
        names += [f"{name} {size.lstrip('~').strip()}" for size in sizes] if len(sizes) > 1 else [name]
    return names


def test_every_epoch_and_bmlist_record_is_in_the_graph_or_rejected(shipped_build, sparql):
    _root, result = shipped_build
    rejected = {(r.source, r.location.name) for r in result.rejections if r.whole_record}
    # every name a model has in any graph: a merged model keeps each source's name as a label
    in_graph = {r["label"] for r in sparql("""
        SELECT DISTINCT ?label WHERE { ?m a bm:Model ; rdfs:label|skos:altLabel ?label }""".replace(
        "skos:altLabel", "<http://www.w3.org/2004/02/skos/core#altLabel>"))}
    with SOURCES["epoch-models"].default_path.open(encoding="utf-8") as handle:
        epoch_names = [row["Model"].strip() for row in csv.DictReader(handle)]
    bmlist_names = bmlist_model_names()
    assert len(epoch_names) == 2228 and len(bmlist_names) > 159
    folded = {normalise_key(label) for label in in_graph}
    missing = [(source, name) for source, names in (("epoch-models", epoch_names), ("bmlist", bmlist_names))
               for name in names if normalise_key(name) not in folded
               and (source, name) not in rejected and name.strip()]
    assert missing == []


def test_rejections_name_file_record_field_and_reason(shipped_build):
    _root, result = shipped_build
    duplicates = [r for r in result.rejections if "duplicate" in r.reason]
    # Epoch lists "DeepLabV3" and "DeepLabV3+" as different rows: both must survive.
    assert not [r for r in duplicates if r.location.name in ("DeepLabV3", "PointNet")]
    for rejection in result.rejections:
        text = str(rejection)
        assert rejection.location.file.name in text and rejection.reason in text


def test_hardware_names_that_match_nothing_are_reported(shipped_build):
    root, result = shipped_build
    notes = json.loads((result.generation.path / "notes.json").read_text())
    unmatched = {n["value"] for n in notes if n["field"] == "Training hardware"}
    # Computed from the files: Epoch's training-hardware names that are no hardware name of the
    # hardware file, nor an alias of one in the curated alias table.
    import yaml

    from ingest.adapters.registry import DATA

    with SOURCES["epoch-hardware"].default_path.open(encoding="utf-8") as handle:
        chips = {normalise_key(row["Hardware name"]) for row in csv.DictReader(handle)}
    aliases = yaml.safe_load((DATA / "curated" / "aliases.yaml").read_text(encoding="utf-8"))["aliases"]
    chips |= {normalise_key(a) for r in aliases if r["kind"] == "hardware" for a in r["aliases"]}
    with SOURCES["epoch-models"].default_path.open(encoding="utf-8") as handle:
        named = {name.strip() for row in csv.DictReader(handle) for name in row["Training hardware"].split(",")
                 if name.strip()}
    assert unmatched == {name for name in named if normalise_key(name) not in chips} != set()


def test_graph_metadata_carries_provenance(sparql):
    rows = sparql("""
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX void: <http://rdfs.org/ns/void#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?snapshot ?sha ?read ?rejected ?licence ?citation ?triples WHERE {
          GRAPH <https://w3id.org/bmkg/graph/metadata> {
            <https://w3id.org/bmkg/graph/epoch-models> bm:snapshotDate ?snapshot ; bm:inputSha256 ?sha ;
                bm:recordsRead ?read ; bm:recordsRejected ?rejected ; dcterms:license ?licence ;
                dcterms:bibliographicCitation ?citation ; void:triples ?triples ;
                prov:wasGeneratedBy ?activity ; bm:mappingVersion ?version .
          }
        }""")
    assert len(rows) == 1
    row = rows[0]
    assert row["snapshot"] == "2025-03-14"
    assert len(row["sha"]) == 64
    assert row["read"] == "2228"
    assert row["licence"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "Epoch AI" in row["citation"]


def test_iris_are_minted_from_names_never_rows(sparql):
    models = sparql("SELECT DISTINCT ?m WHERE { ?m a bm:Model }")
    assert all(not r["m"].endswith(".") for r in models)
    assert mint("model", "GPT-3 175B (davinci)") == mint("model", normalise_key("gpt-3 175b davinci"))


def test_a_second_build_of_the_same_inputs_is_identical(shipped_build, tmp_path):
    import shutil

    from ingest.pipeline import Inputs, build

    root, first = shipped_build
    copy = tmp_path / "store"
    shutil.copytree(root, copy, symlinks=True)
    second = build(copy, Inputs.shipped(), dt.date(2026, 11, 27))
    assert second.summary["changes"] == {"previous": first.generation.id, "added": 0, "removed": 0, "changed": 0,
                                         "examples": {"added": [], "removed": [], "changed": []}}
    assert [d["sha256"] for d in second.summary["dumps"]] == [d["sha256"] for d in first.summary["dumps"]]
    assert second.generation.id != first.generation.id


def test_dumps_hold_every_graph_and_parse(shipped_build):
    import gzip

    from rdflib import Dataset, Graph

    _root, result = shipped_build
    folder = result.generation.path / "dumps"
    index = json.loads((folder / "index.json").read_text())
    assert {d["file"] for d in index} >= {"bmkg.nq.gz", "epoch-models.ttl.gz", "inferred.ttl.gz", "ontology.ttl.gz"}
    for entry in index:
        assert (folder / entry["file"]).stat().st_size == entry["bytes"]
    dataset = Dataset()
    dataset.parse(data=gzip.decompress((folder / "bmkg.nq.gz").read_bytes()), format="nquads")
    assert len(list(dataset.quads())) == sum(result.summary["graphs"].values())
    curated = Graph().parse(data=gzip.decompress((folder / "curated.ttl.gz").read_bytes()), format="turtle")
    assert len(curated) == result.summary["graphs"]["https://w3id.org/bmkg/graph/curated"]


def test_the_graph_holds_the_models_results_and_recent_releases_users_ask_about(sparql):
    """Issue 17's floor: 2,800 models, 3,000 results on 40 benchmarks, 150 models released from 2025."""
    [counts] = sparql("""
        SELECT (COUNT(DISTINCT ?m) AS ?models) WHERE { ?m a bm:Model }""")
    [results] = sparql("""
        SELECT (COUNT(DISTINCT ?r) AS ?results) (COUNT(DISTINCT ?b) AS ?benchmarks) WHERE {
          ?r a bm:EvaluationResult ; bm:onBenchmark ?b ; bm:resultFor ?m ; bm:scoreValue ?v }""")
    [recent] = sparql("""
        SELECT (COUNT(DISTINCT ?m) AS ?models) WHERE {
          ?m a bm:Model .
          { ?m bm:publicationDate ?day } UNION { ?version bm:versionOf ?m ; bm:releaseDate ?day }
          FILTER(?day >= "2025-01-01"^^xsd:date) }""")
    assert int(counts["models"]) >= 2800
    assert int(results["results"]) >= 3000 and int(results["benchmarks"]) >= 40
    assert int(recent["models"]) >= 150
