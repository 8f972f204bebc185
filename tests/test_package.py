"""The installed distribution imports the way the README says (layout option a)."""

import subprocess
import sys
from importlib.metadata import distribution, entry_points


def test_distribution_declares_the_console_script():
    scripts = {e.name: e.value for e in entry_points(group="console_scripts") if e.name == "bmkg"}
    assert scripts == {"bmkg": "ontology.cli:main"}
    assert distribution("bmkg").metadata["Name"] == "bmkg"


def test_card_folders_import_as_top_level_packages_outside_the_checkout(tmp_path):
    # Run from an empty directory, so nothing but the installed package can answer.
    code = (
        "import ontology, ingest, server, queries, pathlib;"
        "from ontology import BM, mint, paths;"
        "assert paths.ONTOLOGY.is_file() and paths.SHAPES.is_file();"
        "assert list(paths.QUALITY_RULES.glob('*.rq'));"
        "print(mint('model', 'GPT-3'))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "https://w3id.org/bmkg/id/model/gpt-3"


def test_ingest_and_server_never_import_each_other():
    import pathlib

    import ingest
    import server

    for package, other in ((ingest, "server"), (server, "ingest")):
        for source in pathlib.Path(package.__file__).parent.rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            assert f"import {other}" not in text and f"from {other}" not in text, source


def test_console_script_runs(tmp_path):
    bmkg = pathlib_bin("bmkg")
    out = subprocess.run([bmkg, "--help"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "ontology" in out.stdout and "validate" in out.stdout


def pathlib_bin(name: str) -> str:
    import pathlib

    return str(pathlib.Path(sys.executable).parent / name)
