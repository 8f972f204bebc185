"""Model versions belong to their own model, and HELM entries are matched, new or kept back (issue 17)."""

import json

import pytest

ID = "https://w3id.org/bmkg/id/"


@pytest.mark.parametrize("version, model", [
    ("o4-mini-2025-04-16", "o4-mini"), ("o3-2025-04-16", "o3"),
    ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"), ("gpt-4o-2024-08-06", "gpt-4o"),
])
def test_a_version_belongs_to_its_own_model_never_to_a_sibling(sparql, version, model):
    rows = sparql(f"SELECT ?m WHERE {{ <{ID}version/{version}> bm:versionOf ?m }}")
    assert [r["m"] for r in rows] == [f"{ID}model/{model}"]


def test_every_version_has_one_model(sparql):
    rows = sparql("""SELECT ?v WHERE { ?v a bm:ModelVersion . OPTIONAL { ?v bm:versionOf ?m } }
                     GROUP BY ?v HAVING (COUNT(DISTINCT ?m) != 1)""")
    assert rows == []


def test_helm_versions_carry_access_level_and_context_length(sparql):
    [row] = sparql(f"""SELECT ?access ?context WHERE {{
        GRAPH <https://w3id.org/bmkg/graph/helm> {{
          <{ID}version/o3-2025-04-16> bm:accessLevel ?access ; bm:contextLengthTokens ?context }} }}""")
    assert row == {"access": "limited", "context": "200000"}


def test_the_helm_matching_is_counted_and_ambiguous_entries_are_listed_not_merged(shipped_build, sparql):
    _root, result = shipped_build
    counts = result.summary["helm_matching"]
    report = json.loads((result.generation.path / "merge-report.json").read_text(encoding="utf-8"))["helm"]
    read = result.summary["sources"]["helm"]["records"]
    assert counts["matched_by_version"] + counts["matched_by_name_and_organisation"] + counts["new"] \
        + counts["ambiguous"] == read
    assert counts["matched_by_name_and_organisation"] > 0 and counts["new"] > 0
    assert len(report["ambiguous_entries"]) == counts["ambiguous"] > 0
    for entry in report["ambiguous_entries"]:
        assert entry["candidates"]
        # kept back: no version node carries the ambiguous entry's HELM id
        rows = sparql(f"""SELECT ?v WHERE {{ ?v bm:helmId "{entry['helm_id']}" }}""")
        assert rows == [], entry
