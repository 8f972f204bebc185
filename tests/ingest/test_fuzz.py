"""Property-based fuzzing of every ingest adapter: any input gives records, named
rejections or a SourceError naming the file, and never an unhandled exception."""

import datetime as dt
import json
import string
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.adapters import bmlist, curated, epoch_benchmarks, epoch_hardware, epoch_models, helm, rdf_file
from ingest.records import Record, Rejection, SourceError
from tests.ingest.mapped import graph_triples, map_records

BUILD_DATE = dt.date(2026, 11, 27)
pytestmark = pytest.mark.slow  # 9 x 1,000 generated cases, about a minute
CASES = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])

# Cell values that have broken CSV readers before: numbers in odd notations, dates,
# quotes, separators, control and non-ASCII characters.
TRICKY = ["", "0", "-1", "1.2e", "1e400", "nan", "inf", "175000000000.0", "2.5", "1,2", "2020-02-30", "2020-01-01",
          "2999-01-01", "True", "Language,Vision", "BookCorpus (BooksCorpus, Toronto Book Corpus)", '"', '""',
          "\n", "\r\n", "\x00", "Caf\u00e9", "\u00a0", "NVIDIA A100", "https://arxiv.org/abs/2005.14165",
          "<script>alert(1)</script>", "Unspecified unreleased", "Open weights (unrestricted)", "Confident"]
cells = st.one_of(st.sampled_from(TRICKY), st.text(max_size=30))


def check(items, path) -> list:
    """Every item is a Record or a Rejection that names the file (or a file of the folder) and says what was wrong."""
    names = {p.name for p in path.iterdir()} if path.is_dir() else {path.name}
    out = []
    for item in items:
        assert isinstance(item, (Record, Rejection))
        if isinstance(item, Rejection):
            assert item.reason and item.location.file.name in names and item.location.file.name in str(item)
        out.append(item)
    return out


def run_adapter(read, path):
    try:
        items = check(read(path, BUILD_DATE), path)
    except SourceError as error:
        assert error.file.name in str(error) and error.reason
        assert error.file == path or error.file.parent == path
        return []
    records = [i for i in items if isinstance(i, Record)]
    # Whatever an adapter accepts must map to triples without error.
    if records:
        map_records(records)
    return items



# One scratch folder for the whole module: a folder per generated case costs more than the case.
SCRATCH = Path(tempfile.mkdtemp(prefix="bmkg-fuzz-"))


def scratch(name: str) -> Path:
    return SCRATCH / name


def csv_text(header, rows):
    def quote(value):
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n\r') else value
    return "\n".join(",".join(quote(c) for c in row) for row in [header, *rows]) + "\n"


NOTABLE_COLUMNS = epoch_models.COLUMNS[epoch_models.NOTABLE]
ALL_COLUMNS = epoch_models.COLUMNS[epoch_models.ALL_MODELS]


@CASES
@given(rows=st.lists(st.lists(cells, min_size=len(ALL_COLUMNS), max_size=len(ALL_COLUMNS)), max_size=4),
       drop=st.sampled_from([None, "Parameters", "Model", "Training hardware", "Last modified", "Frontier model"]),
       variant=st.sampled_from(sorted(epoch_models.COLUMNS)))
def test_epoch_models_adapter_on_generated_csv(rows, drop, variant):
    header = [c.header for c in epoch_models.COLUMNS[variant]]
    rows = [r[:len(header)] for r in rows]
    if drop not in header:
        drop = None
    if drop:
        index = header.index(drop)
        header = header[:index] + header[index + 1:]
        rows = [r[:index] + r[index + 1:] for r in rows]
    path = scratch("models.csv")
    path.write_text(csv_text(header, rows), encoding="utf-8")
    run_adapter(epoch_models.read, path)


@CASES
@given(rows=st.lists(st.lists(cells, min_size=len(epoch_hardware.COLUMNS), max_size=len(epoch_hardware.COLUMNS)),
                     max_size=4))
def test_epoch_hardware_adapter_on_generated_csv(rows):
    path = scratch("hardware.csv")
    path.write_text(csv_text([c.header for c in epoch_hardware.COLUMNS], rows), encoding="utf-8")
    run_adapter(epoch_hardware.read, path)


@CASES
@given(data=st.binary(max_size=400))
def test_csv_adapters_on_raw_bytes(data):
    header = ",".join(c.header for c in NOTABLE_COLUMNS).encode() + b"\n"
    path = scratch("models.csv")
    path.write_bytes(header + data)
    run_adapter(epoch_models.read, path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.sampled_from(TRICKY) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=12)
bmlist_items = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.sampled_from(TRICKY), json_values), "release_date": st.sampled_from(["2021/01/11", "2999/01/01", "11-01-2021", ""]),
    "affiliation": st.one_of(st.lists(st.sampled_from(TRICKY), max_size=2), json_values),
    "domain": st.lists(st.sampled_from(["Text", "Vision", "Code", "Protein", "Audio", "Smell"]), max_size=2),
    "parameters_dense": st.lists(st.sampled_from(["175B", "~1.5B", "1.6T", "big", "0B", "-1B", ""]), max_size=2),
    "parameters_MoE": st.lists(st.sampled_from(["1600B", "x"]), max_size=1),
    "paper/news": st.sampled_from(["https://arxiv.org/abs/2005.14165", "not a url", ""]),
    "code": st.sampled_from(["https://github.com/x/y", "ftp://x"]), "extra": json_values,
})


@CASES
@given(items=st.lists(st.one_of(bmlist_items, json_values), max_size=4), header=st.booleans())
def test_bmlist_adapter_on_generated_json(items, header):
    path = scratch("all_models.json")
    document = ([{"last_updated": "2023/06/01"}] if header else []) + items
    path.write_text(json.dumps(document), encoding="utf-8")
    run_adapter(bmlist.read, path)


@CASES
@given(text=st.text(alphabet=string.printable + "[]{}\u00e9", max_size=300))
def test_bmlist_adapter_on_raw_text(text):
    path = scratch("all_models.json")
    path.write_text(text, encoding="utf-8")
    run_adapter(bmlist.read, path)


sections = st.sampled_from(sorted(curated.SCHEMA) + ["unknown"])
fields = st.sampled_from(["key", "label", "title", "topics", "definition", "description", "publications", "id",
                          "year", "modality", "techniques", "part", "order", "subtopics", "name", "kind",
                          "aliases", "table", "entries", "parameters", "source", "status", "nonsense"])


@CASES
@given(document=st.dictionaries(sections, st.lists(st.dictionaries(fields, json_values, max_size=6), max_size=3),
                                max_size=3))
def test_curated_adapter_on_generated_yaml(document):
    folder = SCRATCH
    (folder / "data.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    run_adapter(curated.read, folder / "data.yaml")


@CASES
@given(text=st.text(alphabet=string.printable + "\u00e9", max_size=300))
def test_curated_and_rdf_adapters_on_raw_text(text):
    folder = SCRATCH
    (folder / "data.yaml").write_text(text, encoding="utf-8")
    run_adapter(curated.read, folder / "data.yaml")
    (folder / "extra.ttl").write_text(text, encoding="utf-8")
    run_adapter(rdf_file.read, folder / "extra.ttl")


def test_a_curated_key_without_letters_is_a_named_rejection():
    folder = SCRATCH / "keys"
    folder.mkdir(exist_ok=True)
    (folder / "data.yaml").write_text('tasks:\n  - {key: "?!", label: Odd, topics: [dialogue]}\n', encoding="utf-8")
    [rejection] = run_adapter(curated.read, folder / "data.yaml")
    assert rejection.field == "key" and "letters or digits" in rejection.reason


SCORES = ["", "77.0%", "0.850", "88.000", "120%", "-1", "1e400", "few", "25-shot", "24/1/2025", "31/2/2025",
          "17 November 2025 4:28pm", "$0.13", "gpt-5.1_medium", "x_16K", "https://arxiv.org/abs/2005.14165"]
hub_cells = st.one_of(st.sampled_from(SCORES + TRICKY), st.text(max_size=12))
HUB_VERSIONS = "id,Model,Version release date,Hugging Face developer id,Link\nx,X,2025-01-01,,\n"
HUB_RUNS = ("id,task,model,Best score (across scorers),Scores,log viewer,logs,started_at,Status,task version\n"
            "r1,GPQA diamond,x,0.5,choice:0.5±0.1,,,1 July 2025 1:05pm,Success,1.0.0\n")


@CASES
@given(name=st.sampled_from(sorted(epoch_benchmarks.FILES) + [epoch_benchmarks.RUNS_FILE]),
       rows=st.lists(st.lists(hub_cells, min_size=40, max_size=40), max_size=3))
def test_benchmark_hub_adapter_on_generated_files(name, rows):
    folder = SCRATCH / "hub"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    (folder / epoch_benchmarks.VERSIONS_FILE).write_text(HUB_VERSIONS, encoding="utf-8")
    (folder / epoch_benchmarks.RUNS_FILE).write_text(HUB_RUNS, encoding="utf-8")
    spec = epoch_benchmarks.FILES.get(name)
    header = list(dict.fromkeys(spec.columns())) if spec else epoch_benchmarks.RUN_COLUMNS
    (folder / name).write_text(csv_text(header, [r[:len(header)] for r in rows]), encoding="utf-8")
    run_adapter(epoch_benchmarks.read, folder)


helm_models = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.sampled_from(["meta/llama-3-8b", "simple/model1", "a/b/c", "nocreator", "/x"]), json_values),
    "display_name": json_values, "creator_organization_name": st.one_of(st.just("Meta"), json_values),
    "access": st.sampled_from(["open", "limited", "closed", "semi-open", "", None]),
    "num_parameters": st.one_of(st.integers(min_value=-5, max_value=10**12), json_values),
    "release_date": st.sampled_from(["2024-04-18", "2024-6-5", "2024-18-4", "2999-01-01", dt.date(2024, 1, 1), 5]),
    "tags": st.one_of(st.lists(st.sampled_from(["TEXT_MODEL_TAG", "DEPRECATED_MODEL_TAG"])), json_values),
    "extra": json_values})
helm_deployments = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.sampled_from(["together/llama-3-8b", ""]), json_values),
    "model_name": st.one_of(st.sampled_from(["meta/llama-3-8b", "simple/model1", "missing/model"]), json_values),
    "tokenizer_name": json_values, "max_sequence_length": st.one_of(st.integers(min_value=-1), json_values),
    "deprecated": json_values})


@CASES
@given(models=st.lists(st.one_of(helm_models, json_values), max_size=4),
       deployments=st.lists(st.one_of(helm_deployments, json_values), max_size=4))
def test_helm_adapter_on_generated_yaml(models, deployments):
    folder = SCRATCH / "helm"
    folder.mkdir(exist_ok=True)
    (folder / helm.METADATA_FILE).write_text(yaml.safe_dump({"models": models}), encoding="utf-8")
    (folder / helm.DEPLOYMENTS_FILE).write_text(yaml.safe_dump({"model_deployments": deployments}), encoding="utf-8")
    run_adapter(helm.read, folder)


@pytest.mark.parametrize("display_name", ["-", "( )", "- on Bedrock"])
def test_a_helm_model_named_by_punctuation_alone_is_rejected_not_a_crash(display_name):
    """Found by the generated test above: such a name gave the mapping an empty key to mint an IRI from."""
    folder = SCRATCH / "helm-punctuation"
    folder.mkdir(exist_ok=True)
    model = {"name": "meta/llama-3-8b", "display_name": display_name, "creator_organization_name": "Meta",
             "access": "open", "release_date": "2024-04-18"}
    (folder / helm.METADATA_FILE).write_text(yaml.safe_dump({"models": [model]}), encoding="utf-8")
    (folder / helm.DEPLOYMENTS_FILE).write_text(yaml.safe_dump({"model_deployments": []}), encoding="utf-8")
    (record,) = [item for item in helm.read(folder, BUILD_DATE) if isinstance(item, Record)]
    store = map_records([record])
    assert graph_triples(store, "helm") == set()  # nothing mapped from it
