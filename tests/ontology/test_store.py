"""The generation layout shared by ingest (writer) and server (reader)."""

import datetime as dt
import os

import pytest

from ontology import store


def complete(root, when):
    partial = store.start_generation(root, now=when)
    partial.oxigraph.mkdir()
    return partial


def test_no_current_before_the_first_build(tmp_path):
    assert store.current(tmp_path) is None
    assert store.generations(tmp_path) == []


def test_publish_switches_current_and_keeps_one_predecessor(tmp_path):
    times = [dt.datetime(2026, 1, d, tzinfo=dt.timezone.utc) for d in (1, 2, 3)]
    published = []
    for when in times:
        with store.build_lock(tmp_path):
            published.append(store.publish(tmp_path, complete(tmp_path, when)))
        assert store.current(tmp_path) == published[-1]
    assert [g.id for g in store.generations(tmp_path)] == [published[1].id, published[2].id]
    assert not published[0].path.exists()
    assert os.path.islink(tmp_path / store.CURRENT)


def test_a_partial_generation_is_never_current_and_is_cleaned_up(tmp_path):
    first = store.publish(tmp_path, complete(tmp_path, dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)))
    dying = complete(tmp_path, dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
    assert store.current(tmp_path) == first
    assert dying.path.name.endswith(store.PARTIAL_SUFFIX)
    store.start_generation(tmp_path, now=dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc))
    assert not dying.path.exists()


def test_only_one_build_at_a_time(tmp_path):
    with store.build_lock(tmp_path):
        with pytest.raises(store.StoreError, match="another build"):
            with store.build_lock(tmp_path):
                pass


def test_a_damaged_current_link_is_a_clear_error(tmp_path):
    (tmp_path / store.CURRENT).symlink_to("generations/missing")
    with pytest.raises(store.StoreError, match="not a complete generation"):
        store.current(tmp_path)
