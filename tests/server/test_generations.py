"""Following STORE/current from one generation to the next."""

from __future__ import annotations

import os

import pytest

from ontology import store
from server.generations import GenerationWatcher


def test_the_watcher_follows_a_new_generation(store_root, publish_generation, tiny):
    watcher = GenerationWatcher(store_root)
    first = watcher.current()
    second = publish_generation(store_root, tiny.quads()[:1])
    assert watcher.current() == second != first


def test_with_an_interval_the_link_is_read_at_most_that_often(store_root, publish_generation, tiny):
    watcher = GenerationWatcher(store_root, interval=3600)
    first = watcher.current()
    publish_generation(store_root, tiny.quads()[:1])
    assert watcher.current() == first
    assert watcher.refresh() != first


def test_a_broken_link_keeps_the_last_good_generation(store_root):
    watcher = GenerationWatcher(store_root)
    good = watcher.current()
    link = store_root / store.CURRENT
    link.unlink()
    os.symlink("generations/vanished", link)
    assert watcher.current() == good


def test_a_store_without_a_generation_is_an_error(tmp_path):
    with pytest.raises(store.StoreError, match="no published generation"):
        GenerationWatcher(tmp_path)


def test_queries_move_to_a_new_generation_without_a_restart(app, client, store_root, publish_generation, tiny):
    assert client.get("/sparql", query_string={"query": "ASK { ?s a ?c }"}).get_json(force=True)["boolean"] is True
    old = app.extensions["bmkg"].generation().id
    publish_generation(store_root, [])
    response = client.get("/sparql", query_string={"query": "ASK { ?s a ?c }"})
    assert response.get_json(force=True)["boolean"] is False
    assert old not in response.headers["ETag"]
