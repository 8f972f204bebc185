"""The HELM registry adapter: one record per model, with its deployments."""

import datetime as dt

import pytest

from ingest.adapters import helm
from ingest.records import Record, Rejection, SourceError

BUILD_DATE = dt.date(2026, 11, 27)

METADATA = """# comments are allowed
models:
  - name: simple/model1
    display_name: Simple Model 1
    description: A test model.
    creator_organization_name: Helm
    access: open
    release_date: 2023-01-01
    tags: [TEXT_MODEL_TAG]

  - name: anthropic/claude-3-5-sonnet-20241022
    display_name: Claude 3.5 Sonnet (20241022)
    description: Text by others, never read.
    creator_organization_name: Anthropic
    access: limited
    release_date: 2024-10-22
    tags: [TEXT_MODEL_TAG, VISION_LANGUAGE_MODEL_TAG]

  - name: meta/llama-3-8b
    display_name: Llama 3 (8B)
    creator_organization_name: Meta
    access: open
    num_parameters: 8000000000
    release_date: 2024-04-18
    tags: [TEXT_MODEL_TAG]

  - name: openai/davinci
    display_name: davinci (175B)
    creator_organization_name: OpenAI
    access: closed
    num_parameters: 175000000000
    release_date: 2020-05-28
    tags: [DEPRECATED_MODEL_TAG, TEXT_MODEL_TAG]

  - name: ibm/granite-3.0-2b-base
    display_name: Granite 3.0 base (2B)
    creator_organization_name: IBM
    access: open
    release: 2024-10-21
    tags: []

  - name: acme/sort-of-open
    display_name: Sort of open
    creator_organization_name: Acme
    access: semi-open
    tags: []
"""

DEPLOYMENTS = """model_deployments:
  - name: simple/model1
    model_name: simple/model1
    tokenizer_name: simple/tokenizer1
    max_sequence_length: 2048
    client_spec:
      class_name: "helm.clients.simple_client.SimpleClient"

  - name: anthropic/claude-3-5-sonnet-20241022
    model_name: anthropic/claude-3-5-sonnet-20241022
    tokenizer_name: anthropic/claude
    max_sequence_length: 200000
    client_spec:
      class_name: "helm.clients.anthropic_client.AnthropicMessagesClient"

  - name: bedrock/claude-3-5-sonnet-20241022
    model_name: anthropic/claude-3-5-sonnet-20241022
    tokenizer_name: anthropic/claude
    max_sequence_length: 200000

  - name: together/llama-3-8b
    model_name: meta/llama-3-8b
    tokenizer_name: meta/llama-3-8b
    max_sequence_length: many

  - name: together/llama-3-8b
    model_name: meta/llama-3-8b
    tokenizer_name: meta/llama-3-8b
    max_sequence_length: 8192

  - name: mystery/model
    model_name: mystery/model
    max_sequence_length: 4096

  - name: openai/davinci
    model_name: openai/davinci
    deprecated: true
    tokenizer_name: huggingface/gpt2
    max_sequence_length: 2048
"""


def registry(tmp_path, metadata=METADATA, deployments=DEPLOYMENTS):
    root = tmp_path / "helm"
    root.mkdir()
    (root / helm.METADATA_FILE).write_text(metadata, encoding="utf-8")
    (root / helm.DEPLOYMENTS_FILE).write_text(deployments, encoding="utf-8")
    return root


@pytest.fixture
def read(tmp_path):
    items = list(helm.read(registry(tmp_path), BUILD_DATE))
    records = {i.get("helm_id"): i for i in items if isinstance(i, Record)}
    return records, [i for i in items if isinstance(i, Rejection)]


def test_access_levels_and_model_fields(read):
    records, _ = read
    assert {name: r.get("access") for name, r in records.items()} == {
        "anthropic/claude-3-5-sonnet-20241022": "limited", "meta/llama-3-8b": "open", "openai/davinci": "closed",
        "ibm/granite-3.0-2b-base": "open"}
    llama = records["meta/llama-3-8b"].fields
    assert {k: llama[k] for k in ("creator", "model_id", "display_name", "organization", "parameters",
                                  "release_date", "tags", "deprecated")} == {
        "creator": "meta", "model_id": "llama-3-8b", "display_name": "Llama 3 (8B)", "organization": "Meta",
        "parameters": 8_000_000_000, "release_date": dt.date(2024, 4, 18), "tags": ["TEXT_MODEL_TAG"],
        "deprecated": False}
    assert records["openai/davinci"].get("deprecated") is True
    assert "description" not in str(records["anthropic/claude-3-5-sonnet-20241022"].fields)
    # The date some entries write under "release".
    assert records["ibm/granite-3.0-2b-base"].get("release_date") == dt.date(2024, 10, 21)


def test_deployments_are_joined_to_their_model(read):
    records, _ = read
    assert records["anthropic/claude-3-5-sonnet-20241022"].get("deployments") == [
        {"name": "anthropic/claude-3-5-sonnet-20241022", "tokenizer": "anthropic/claude", "max_sequence_length": 200000},
        {"name": "bedrock/claude-3-5-sonnet-20241022", "tokenizer": "anthropic/claude", "max_sequence_length": 200000}]
    assert records["openai/davinci"].get("deployments") == [
        {"name": "openai/davinci", "tokenizer": "huggingface/gpt2", "max_sequence_length": 2048, "deprecated": True}]
    # A bad context length drops only that value; the repeated name is rejected.
    assert records["meta/llama-3-8b"].get("deployments") == [{"name": "together/llama-3-8b",
                                                               "tokenizer": "meta/llama-3-8b"}]
    assert records["ibm/granite-3.0-2b-base"].get("deployments") == []


def test_the_template_entry_unknown_access_and_orphan_deployments_are_rejected(read):
    _, rejections = read
    found = {(r.location.file.name, r.location.record, r.field): r for r in rejections}
    template = found[("model_metadata.yaml", "models[0]", "name")]
    assert "template entry of HELM's configuration (creator organisation 'Helm'), not a model" in template.reason
    assert template.location.line == 3
    access = found[("model_metadata.yaml", "models[5]", "access")]
    assert access.value == "semi-open" and "expected one of open, limited, closed" in access.reason
    assert str(access.location) == "model_metadata.yaml, models[5] (line 42) 'acme/sort-of-open'"
    assert "which was rejected" in found[("model_deployments.yaml", "model_deployments[0]", "model_name")].reason
    orphan = found[("model_deployments.yaml", "model_deployments[5]", "model_name")]
    assert orphan.value == "mystery/model" and "model_metadata.yaml does not list" in orphan.reason
    duplicate = found[("model_deployments.yaml", "model_deployments[4]", "name")]
    assert "duplicate of model_deployments[3]" in duplicate.reason
    length = found[("model_deployments.yaml", "model_deployments[3]", "max_sequence_length")]
    assert not length.whole_record and length.value == "many"
    assert len(rejections) == 6


def test_a_duplicate_model_keeps_the_first(tmp_path):
    metadata = METADATA + """
  - name: meta/llama-3-8b
    display_name: Llama 3 (8B) again
    creator_organization_name: Meta
    access: open
    tags: []
"""
    items = list(helm.read(registry(tmp_path, metadata=metadata), BUILD_DATE))
    [duplicate] = [i for i in items if isinstance(i, Rejection) and "duplicate of models[2]" in i.reason]
    assert duplicate.location.record == "models[6]"
    [llama] = [i for i in items if isinstance(i, Record) and i.get("helm_id") == "meta/llama-3-8b"]
    assert llama.get("display_name") == "Llama 3 (8B)"


@pytest.mark.parametrize("metadata, message", [
    ("models: [\n", "model_metadata.yaml, line"),
    ("models: {}\n", "expected a mapping with a list under 'models'"),
])
def test_a_broken_registry_file_is_a_source_error(tmp_path, metadata, message):
    with pytest.raises(SourceError, match=message):
        list(helm.read(registry(tmp_path, metadata=metadata), BUILD_DATE))
