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
    assert count(sparql, "?x a bm:OpenProblem") >= 120
    rows = sparql("""
        SELECT ?topic (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a bm:OpenProblem ; bm:hasTopic ?topic }
        GROUP BY ?topic""")
    per_topic = {r["topic"].rsplit("/", 1)[1]: int(r["n"]) for r in rows}
    assert set(per_topic) == set(TOPICS)
    assert min(per_topic.values()) >= 8, per_topic


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
    for key in ("cpm-large", "cpm-2", "ernie-3.0-titan", "yuan-1.0", "cogview", "alphafold-2", "esm1b", "m6-10b",
                "m6-100b"):
        assert count(sparql, f"<https://w3id.org/bmkg/id/model/{key}> a bm:Model . BIND(1 AS ?x)") == 1, key
    # BMList's M6 lists two sizes: a family whose sizes take the curated record's links
    assert count(sparql, "<https://w3id.org/bmkg/id/family/m6> bm:familyMember ?x ; a bm:ModelFamily . "
                         "?x bm:trainingDataset <https://w3id.org/bmkg/id/dataset/m6-corpus>") == 2
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
    epoch = {}  # arXiv id -> the References of every Epoch row that links it
    with SOURCES["epoch-models"].default_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for match in re.finditer(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", row["Link"]):
                epoch.setdefault(match.group(1), set()).add(row["Reference"])
    # Papers whose arXiv title changed between versions: Epoch cites the first one.
    renamed = {"1912.11370"}
    shared = set(curated) & set(epoch) - renamed
    assert len(shared) >= 50
    words = lambda title: re.sub(r"[^a-z0-9 ]", "", title.lower())
    # A row may cite an announcement beside the paper (Flan-UL2's blog post links UL2's arXiv id),
    # so one of the rows that link the id must name the curated title.
    disagree = [(i, curated[i], sorted(epoch[i])) for i in sorted(shared)
                if max(difflib.SequenceMatcher(None, words(curated[i]), words(r)).ratio() for r in epoch[i]) < 0.75]
    assert disagree == []


# ---------------------------------------------------------------------------
# Open problems current to 2026 (issue 19), read from the YAML and from the store
# ---------------------------------------------------------------------------

# Each theme the review had to cover, with the problems that cover it (keys of problems.yaml).
THEMES = {
    "jailbreaks": {"jailbreak-robustness-evaluation", "shallow-safety-alignment"},
    "prompt injection": {"indirect-prompt-injection"},
    "reward hacking": {"reward-tampering"},
    "reasoning models and chain-of-thought faithfulness": {
        "faithfulness-of-reasoning-chains", "reinforcement-learning-for-reasoning",
        "overthinking-in-reasoning-models", "reasoning-collapse-at-high-complexity"},
    "agents and tool use": {"indirect-prompt-injection", "consistency-of-tool-using-agents",
                            "long-horizon-agent-tasks", "computer-use-agents"},
    "LLM-as-judge evaluation": {"biases-of-llm-judges"},
    "synthetic data and model collapse": {"model-collapse"},
    "sparse-autoencoder interpretability": {"scaling-sparse-autoencoders", "usefulness-of-sparse-autoencoder-features"},
    "open-weight model safety": {"removing-safeguards-from-open-weight-models", "release-decisions"},
    "mixture-of-experts and KV-cache serving": {"kv-cache-memory-in-serving"},
    "long context": {"effective-use-of-long-context", "long-context-modelling"},
}
REVIEWED = "2026-12-04"


def _curated(section: str) -> list[dict]:
    import yaml

    from ingest.adapters.registry import DATA

    records = []
    for path in sorted((DATA / "curated").glob("*.yaml")):
        records += yaml.safe_load(path.read_text(encoding="utf-8")).get(section) or []
    return records


def _problems() -> dict[str, dict]:
    return {str(p["key"]): p for p in _curated("open_problems")}


def _years() -> dict[str, int]:
    return {p["id"]: int(p["year"]) for p in _curated("publications") if p.get("id")}


def test_at_least_sixty_problems_cite_work_from_2024_to_2026():
    years = _years()
    # cited works only: the work in addressed_by does not count towards the sixty
    recent = {key for key, p in _problems().items()
              if any(2024 <= years[ref] <= 2026 for ref in p["publications"])}
    assert len(recent) >= 60, len(recent)


def test_every_theme_has_its_problems():
    problems = _problems()
    for theme, keys in THEMES.items():
        assert keys <= set(problems), (theme, keys - set(problems))
    # Each theme's problems say what the theme names, in their title or statement.
    words = {"jailbreaks": ("jailbreak", "refusal"), "prompt injection": ("injection",),
             "reward hacking": ("reward",), "LLM-as-judge evaluation": ("judge",),
             "synthetic data and model collapse": ("collapse",), "sparse-autoencoder interpretability": ("autoencoder",),
             "open-weight model safety": ("weight",), "mixture-of-experts and KV-cache serving": ("cache",),
             "long context": ("long",)}
    for theme, needles in words.items():
        for key in THEMES[theme]:
            text = (problems[key]["title"] + " " + problems[key]["description"]).lower()
            assert any(n in text for n in needles), (theme, key)


def test_status_addressing_work_and_review_date_of_every_problem():
    import datetime as dt

    years = _years()
    for key, p in _problems().items():
        assert p["status"] in ("open", "partly addressed"), key
        addressed = p.get("addressed_by") or []
        assert bool(addressed) == (p["status"] == "partly addressed"), key
        assert all(ref in years for ref in p["publications"] + addressed), key
        reviewed = p["last_reviewed"]
        assert isinstance(reviewed, dt.date) and reviewed <= dt.date.today(), key
        assert p["why_open"].strip() and p["description"].strip() and p["title"].strip(), key


def test_problems_were_reviewed_on_the_review_day(sparql):
    rows = sparql("""
        PREFIX schema: <https://schema.org/>
        SELECT ?p ?d WHERE { ?p a bm:OpenProblem . OPTIONAL { ?p schema:lastReviewed ?d } }""")
    assert rows and {r["d"] for r in rows} == {REVIEWED}
    assert count(sparql, "?x a bm:OpenProblem FILTER NOT EXISTS { ?x bm:whyOpen ?w }") == 0


def test_addressing_work_is_in_the_store_as_cited_work(sparql):
    problems = _problems()
    from ontology import mint

    def publication(ref: str) -> str:
        scheme, _, value = ref.partition(":")
        return str(mint("publication", f"{scheme}-{value.strip().lower()}"))

    rows = sparql("SELECT ?p ?w WHERE { ?p bm:addressedBy ?w }")
    found = {(r["p"], r["w"]) for r in rows}
    expected = {(str(mint("problem", key)), publication(ref))
                for key, p in problems.items() for ref in p.get("addressed_by") or []}
    assert found == expected
    assert count(sparql, "?p bm:addressedBy ?w FILTER NOT EXISTS { ?p bm:discussedIn ?w }") == 0
    assert count(sparql, "?p bm:problemStatus \"open\" ; bm:addressedBy ?w") == 0
