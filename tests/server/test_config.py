"""Settings: defaults in code, BMKG_* variables on top, junk rejected."""

from __future__ import annotations

import pytest

from ontology.store import StoreError
from server.app import create_app
from server.config import ConfigError


def test_environment_variables_override_the_defaults(store_root, monkeypatch):
    monkeypatch.setenv("BMKG_STORE", str(store_root))
    monkeypatch.setenv("BMKG_ROW_CAP", "123")
    monkeypatch.setenv("BMKG_SERVICE_ALLOWLIST", "query.wikidata.org")
    app = create_app()
    settings = app.extensions["bmkg"].settings
    assert settings.row_cap == 123 and settings.service_allowlist == ("query.wikidata.org",)
    assert settings.timeout_s == 30.0  # the default


def test_the_limits_and_the_lane_have_documented_defaults(store_root):
    settings = create_app({"STORE": str(store_root)}).extensions["bmkg"].settings
    assert (settings.max_query_depth, settings.max_subquery_depth, settings.max_query_tokens) == (100, 20, 50_000)
    assert (settings.cheap_workers, settings.cheap_timeout_s) == (1, 5.0)


@pytest.mark.parametrize("name, value, message", [
    ("BMKG_TIMEOUT_S", "-1", "TIMEOUT_S must be > 0"),
    ("BMKG_ROW_CAP", "lots", "ROW_CAP must be a number"),
    ("BMKG_ROW_CAP", "2.5", "ROW_CAP must be a whole number"),
    ("BMKG_ENABLE_UPDATES", "maybe", "ENABLE_UPDATES must be true or false"),
    ("BMKG_ENABLE_UPDATES", "true", "needs UPDATE_TOKEN"),
    ("BMKG_CORS_ORIGINS", "example.org", "must be origins"),
    ("BMKG_SERVICE_ALLOWLIST", "https://example.org/sparql", "host names"),
    ("BMKG_MAX_QUERY_DEPTH", "0", "MAX_QUERY_DEPTH must be >= 1"),
    ("BMKG_MAX_QUERY_TOKENS", "many", "MAX_QUERY_TOKENS must be a number"),
    ("BMKG_MAX_SUBQUERY_DEPTH", "1.5", "MAX_SUBQUERY_DEPTH must be a whole number"),
    ("BMKG_CHEAP_WORKERS", "-1", "CHEAP_WORKERS must be >= 0"),
    ("BMKG_MEMORY_COPY_MAX_TRIPLES", "1.5", "MEMORY_COPY_MAX_TRIPLES must be a whole number"),
    ("BMKG_CHEAP_TIMEOUT_S", "0", "CHEAP_TIMEOUT_S must be > 0"),
])
def test_junk_values_are_rejected_with_the_setting_named(store_root, monkeypatch, name, value, message):
    monkeypatch.setenv("BMKG_STORE", str(store_root))
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_a_short_update_token_is_rejected(store_root):
    with pytest.raises(ConfigError, match="at least 16"):
        create_app({"STORE": str(store_root), "ENABLE_UPDATES": True, "UPDATE_TOKEN": "short"})


def test_a_store_without_a_generation_is_refused(tmp_path):
    with pytest.raises(StoreError, match="no published generation"):
        create_app({"STORE": str(tmp_path)})


def test_test_config_replaces_the_environment(store_root, monkeypatch):
    monkeypatch.setenv("BMKG_ROW_CAP", "not a number")
    app = create_app({"STORE": str(store_root)})
    assert app.extensions["bmkg"].settings.row_cap == 10_000
