"""How right the derived model-to-topic links are, on a sample a curator checked by hand (issue 18).

The sample (``data/inference-sample.yaml``) holds 100 of the links the build derives with
bm:relatedTopic for a model that no source already places in the topic: the links a user could
not have read off the sources. Each carries the curator's verdict and the reason for it.
"""

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from queries.cli import why

SAMPLE = Path(__file__).parent / "data" / "inference-sample.yaml"
INFERRED = "https://w3id.org/bmkg/graph/inferred"
ID = "https://w3id.org/bmkg/id/"


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))["links"]


@pytest.fixture(scope="module")
def new_links(sparql) -> set[tuple[str, str]]:
    """Every derived model-topic link that no source asserts, as (model key, topic key)."""
    rows = sparql(f"""
        SELECT ?m ?t WHERE {{
          GRAPH <{INFERRED}> {{ ?m bm:relatedTopic ?t }}
          FILTER NOT EXISTS {{ ?m bm:hasTopic ?t }}
        }}""")
    return {(r["m"].removeprefix(ID + "model/"), r["t"].removeprefix(ID + "topic/")) for r in rows}


def test_the_sample_is_100_distinct_links_that_the_build_still_derives(sample, new_links):
    links = [(s["model"], s["topic"]) for s in sample]
    assert len(links) == len(set(links)) == 100
    # A link that is no longer derived (or is now asserted) means the rules or the data changed:
    # draw and judge the sample again, as its header says.
    assert sorted(set(links) - new_links) == []
    assert all(isinstance(s["correct"], bool) and s["why"] for s in sample)


def test_derived_links_are_at_least_90_percent_precise(sample):
    wrong = [(s["model"], s["topic"], s["why"]) for s in sample if not s["correct"]]
    assert (100 - len(wrong)) / 100 >= 0.9, wrong


def test_every_asserted_model_topic_link_is_still_answered(sparql):
    """Recall of the asserted links: whatever a source states about a model's topics, a query over
    the whole build still finds, whatever the reasoner adds."""
    asserted = sparql("""
        SELECT (COUNT(*) AS ?n) WHERE {
          { SELECT DISTINCT ?m ?t WHERE { GRAPH ?g { ?m a bm:Model ; bm:hasTopic ?t }
                                          FILTER(?g != <https://w3id.org/bmkg/graph/inferred>) } }
        }""")
    answered = sparql("SELECT (COUNT(*) AS ?n) WHERE { { SELECT DISTINCT ?m ?t WHERE { "
                      "?m a bm:Model ; bm:hasTopic ?t } } }")
    assert int(asserted[0]["n"]) == int(answered[0]["n"]) > 2000


@pytest.mark.parametrize("model, topic, via", [
    ("blenderbot-3", "knowledge", "technique/retrieval-augmented-generation"),
    ("show-1", "multi-modal-model", "dataset/webvid-10m"),
    ("gshard-50b", "machine-translation", "task/machine-translation"),
])
def test_why_names_the_path_and_the_rule_of_a_derived_link(shipped_build, model, topic, via):
    root, _result = shipped_build
    result = CliRunner().invoke(why, [model, topic, "--store", str(root)])
    assert result.exit_code == 0, result.output
    assert f"{ID}{via}" in result.output
    assert f"--implies topic--> {ID}topic/{topic}   [curated]" in result.output
    assert "rule: related topic = " in result.output
