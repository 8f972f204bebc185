"""The build's artefacts: the ontology documentation is made once per ontology and reused."""

import pytest

from ingest import artefacts
from ontology import generate


def test_docs_are_made_once_then_taken_from_the_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = artefacts.write_docs(tmp_path / "one", previous=None, cache=cache)
    assert "bmkg ontology" in first.read_text(encoding="utf-8")
    assert len(list(cache.glob("ontology-*.html"))) == 1

    def no_pylode(_out_dir):
        raise AssertionError("pyLODE ran although the cache holds this ontology's documentation")

    monkeypatch.setattr(generate, "write_docs", no_pylode)
    second = artefacts.write_docs(tmp_path / "two", previous=None, cache=cache)
    assert second.read_bytes() == first.read_bytes()
    # a changed ontology is another digest: the cache does not answer for it
    monkeypatch.setattr(artefacts.paths, "ONTOLOGY", tmp_path / "changed.ttl")
    (tmp_path / "changed.ttl").write_text("# another ontology\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="pyLODE ran"):
        artefacts.write_docs(tmp_path / "three", previous=None, cache=cache)


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BMKG_CACHE_DIR", str(tmp_path / "mine"))
    assert artefacts.docs_cache() == tmp_path / "mine"
    monkeypatch.delenv("BMKG_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert artefacts.docs_cache() == tmp_path / "xdg" / "bmkg"
