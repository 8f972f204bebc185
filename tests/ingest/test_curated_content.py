"""The roadmap's curated content, counted and spot-checked with SPARQL on the built store."""

import pytest

TOPICS = ["data", "knowledge", "computing-system", "parallel-training-system", "language-model",
          "vision-model", "multi-modal-model", "theory-and-interpretability", "commonsense-reasoning",
          "reliability-and-security", "governance", "evaluation", "machine-translation", "text-generation",
          "dialogue", "protein-research"]
PARTS = {"resource": TOPICS[0:4], "models": TOPICS[4:8], "key-technologies": TOPICS[8:12],
         "application": TOPICS[12:16]}
# A technique whose origin is spread over many papers, so no single introducing paper is named.
WITHOUT_ORIGIN = {"https://w3id.org/bmkg/id/technique/data-parallelism"}


def count(sparql, pattern: str) -> int:
    return int(sparql(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }}")[0]["n"])


def test_four_parts_and_sixteen_topics_in_the_roadmaps_order(sparql):
    rows = sparql("""
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?topic ?part ?order WHERE {
          ?topic a bm:Topic ; bm:roadmapOrder ?order ; skos:broader ?part ; skos:inScheme ?scheme .
          ?part a bm:Part ; skos:topConceptOf ?scheme .
        } ORDER BY ?order""")
    assert [r["topic"].rsplit("/", 1)[1] for r in rows] == TOPICS
    for row in rows:
        key = row["topic"].rsplit("/", 1)[1]
        assert key in PARTS[row["part"].rsplit("/", 1)[1]]
    assert count(sparql, "?x a bm:Part") == 4


def test_every_topic_has_a_definition_and_three_subtopics(sparql):
    rows = sparql("""
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?topic (COUNT(DISTINCT ?sub) AS ?subs) (COUNT(DISTINCT ?definition) AS ?defs) WHERE {
          ?topic a bm:Topic ; skos:definition ?definition .
          ?sub a bm:Subtopic ; skos:broader ?topic .
        } GROUP BY ?topic""")
    assert len(rows) == 16
    assert all(int(r["subs"]) >= 3 and int(r["defs"]) >= 1 for r in rows)


def test_open_problems_cover_every_topic(sparql):
    assert count(sparql, "?x a bm:OpenProblem") >= 80
    rows = sparql("""
        SELECT ?topic (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a bm:OpenProblem ; bm:hasTopic ?topic }
        GROUP BY ?topic""")
    per_topic = {r["topic"].rsplit("/", 1)[1]: int(r["n"]) for r in rows}
    assert set(per_topic) == set(TOPICS)
    assert min(per_topic.values()) >= 5, per_topic


def test_every_open_problem_cites_a_publication_other_than_the_withdrawn_roadmap(sparql):
    assert count(sparql, "?x a bm:OpenProblem FILTER NOT EXISTS { ?x bm:discussedIn ?p }") == 0
    assert count(sparql, "?x bm:discussedIn <https://w3id.org/bmkg/id/publication/arxiv-2203.14101>") == 0
    assert count(sparql, """?x a bm:OpenProblem ; bm:problemStatus ?s FILTER(?s NOT IN ("open", "partly addressed"))""") == 0


def test_techniques_systems_benchmarks_datasets_and_knowledge_resources(sparql):
    assert count(sparql, "?x a bm:Technique ; bm:hasTopic ?t") >= 40
    without = {r["x"] for r in sparql("SELECT ?x WHERE { ?x a bm:Technique FILTER NOT EXISTS { ?x bm:introducedIn ?p } }")}
    assert without <= WITHOUT_ORIGIN
    assert count(sparql, "?x a bm:SoftwareSystem ; bm:implementsTechnique ?t") >= 15
    assert count(sparql, "?x a bm:Benchmark ; bm:hasTopic ?t") >= 20
    assert count(sparql, """GRAPH <https://w3id.org/bmkg/graph/curated> { ?x a bm:Dataset ; bm:modality ?m }""") >= 30
    knowledge = {r["x"].rsplit("/", 1)[1] for r in sparql("SELECT ?x WHERE { ?x a bm:KnowledgeResource }")}
    assert {"wikidata", "conceptnet", "atomic"} <= knowledge


def test_publications_have_identifiers_and_introduce_something(sparql):
    curated = "GRAPH <https://w3id.org/bmkg/graph/curated> { ?x a bm:Publication ; bm:publicationYear ?y ; <http://purl.org/dc/terms/title> ?t }"
    assert count(sparql, curated) >= 100
    assert count(sparql, curated + " FILTER NOT EXISTS { ?x bm:arxivId|bm:doi|bm:homepage ?id }") == 0
    linked = count(sparql, curated + " FILTER EXISTS { ?e bm:introducedIn|bm:discussedIn|<http://purl.org/dc/terms/source> ?x }")
    assert linked >= 100


def test_the_roadmap_paper_is_recorded_as_withdrawn(sparql):
    rows = sparql("""
        SELECT ?withdrawn ?reason WHERE {
          <https://w3id.org/bmkg/id/publication/arxiv-2203.14101> bm:withdrawn ?withdrawn ; bm:withdrawalReason ?reason .
        }""")
    assert rows and rows[0]["withdrawn"] == "true" and "fourth" in rows[0]["reason"]


def test_roadmap_era_models_and_technique_links(sparql):
    for key in ("cpm-large", "cpm-2", "ernie-3.0-titan", "yuan-1.0", "cogview", "alphafold-2", "esm1b", "m6"):
        assert count(sparql, f"<https://w3id.org/bmkg/id/model/{key}> a bm:Model . BIND(1 AS ?x)") == 1, key
    assert count(sparql, "?x a bm:Model ; bm:usesTechnique ?t") >= 60


@pytest.mark.parametrize("pattern", [
    # language models and parallel training
    "id:model\\/switch bm:usesTechnique id:technique\\/mixture-of-experts",
    "id:model\\/gpt-3-175b-davinci bm:usesTechnique id:technique\\/transformer",
    "id:technique\\/transformer bm:introducedIn id:publication\\/arxiv-1706.03762",
    "id:system\\/megatron-lm bm:implementsTechnique id:technique\\/tensor-parallelism",
    "id:system\\/deepspeed bm:implementsTechnique id:technique\\/zero-redundancy-optimizer",
    # application, data and knowledge
    "id:topic\\/machine-translation bm:broaderTopic id:part\\/application",
    "id:benchmark\\/wmt bm:hasTopic id:topic\\/machine-translation",
    "id:dataset\\/laion-5b bm:hasTopic id:topic\\/multi-modal-model",
    "id:dataset\\/conceptnet bm:hasTopic id:topic\\/commonsense-reasoning",
    # proteins and evaluation
    "id:model\\/alphafold-2 bm:evaluatedOn id:benchmark\\/casp",
    "id:model\\/alphafold-2 bm:hasTopic id:topic\\/protein-research",
    "id:system\\/deepspeed bm:developedBy id:org\\/microsoft",
])
def test_specific_curated_facts(sparql, pattern):
    query = "ASK { " + pattern.replace("id:", "<https://w3id.org/bmkg/id/").replace("\\/", "/") + " }"
    query = query.replace(" bm:", "> bm:").replace("> bm:", "> bm:", 1)
    subject, predicate, obj = pattern.split()
    iri = lambda t: "<https://w3id.org/bmkg/id/" + t.removeprefix("id:").replace("\\/", "/") + ">"
    rows = sparql(f"SELECT ?g WHERE {{ GRAPH ?g {{ {iri(subject)} {predicate} {iri(obj)} }} }}")
    assert "https://w3id.org/bmkg/graph/curated" in {r["g"] for r in rows}


def test_curated_arxiv_ids_agree_with_epochs_titles():
    """An independent check of the curated arXiv ids: where Epoch links a model to the same
    arXiv id, its Reference column must name the same paper."""
    import csv
    import difflib
    import re

    import yaml

    from ingest.adapters.registry import DATA, SOURCES

    curated = {p["id"].removeprefix("arxiv:"): p["title"]
               for p in yaml.safe_load((DATA / "curated" / "publications.yaml").read_text(encoding="utf-8"))["publications"]
               if str(p.get("id", "")).startswith("arxiv:")}
    epoch = {}
    with SOURCES["epoch-models"].default_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for match in re.finditer(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", row["Link"]):
                epoch.setdefault(match.group(1), row["Reference"])
    # Papers whose arXiv title changed between versions: Epoch cites the first one.
    renamed = {"1912.11370"}
    shared = set(curated) & set(epoch) - renamed
    assert len(shared) >= 50
    words = lambda title: re.sub(r"[^a-z0-9 ]", "", title.lower())
    disagree = [(i, curated[i], epoch[i]) for i in sorted(shared)
                if difflib.SequenceMatcher(None, words(curated[i]), words(epoch[i])).ratio() < 0.75]
    assert disagree == []
