"""TrackStore: ID allocation, defaults, column views writing through to ``data``, removal."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mottrack.tracks import TrackState, TrackStore

N_DIM = 7


def states(k, n=N_DIM, offset=0.0):
    """k distinguishable means and covariances."""
    mean = offset + np.arange(k * n, dtype=np.float64).reshape(k, n)
    cov = offset + np.arange(k * n * n, dtype=np.float64).reshape(k, n, n) / 10.0
    return mean, cov


def test_track_state_is_int_enum_in_paper_order():
    assert [s.name for s in TrackState] == ["TENTATIVE", "CONFIRMED", "LOST", "DELETED"]
    assert TrackState.CONFIRMED == 2 and isinstance(TrackState.LOST, int)


def test_new_store_is_empty():
    store = TrackStore(N_DIM)
    assert len(store) == 0 and store.next_id == 1
    assert store.data.shape == (0, store.width)
    assert store.mean.shape == (0, N_DIM) and store.covariance.shape == (0, N_DIM, N_DIM)
    assert store.ids.shape == (0,)


def test_add_allocates_consecutive_ids_from_one():
    """First add gets 1..k, the next continues after k; the returned IDs are the stored ones."""
    store = TrackStore(N_DIM)
    ids = store.add(*states(3))
    np.testing.assert_array_equal(ids, [1, 2, 3])
    ids = store.add(*states(2))
    np.testing.assert_array_equal(ids, [4, 5])
    np.testing.assert_array_equal(store.ids, [1, 2, 3, 4, 5])
    assert store.next_id == 6 and len(store) == 5


def test_add_stores_mean_covariance_and_defaults():
    """Given values land in their columns; the rest take the documented defaults."""
    store = TrackStore(N_DIM)
    mean, cov = states(2)
    store.add(mean, cov)
    np.testing.assert_array_equal(store.mean, mean)
    np.testing.assert_array_equal(store.covariance, cov)
    np.testing.assert_array_equal(store.state, [TrackState.TENTATIVE] * 2)
    np.testing.assert_array_equal(store.det_index, [-1, -1])
    np.testing.assert_array_equal(store.cls, [-1, -1])
    for name in ("hits", "hit_streak", "age", "time_since_update", "score"):
        np.testing.assert_array_equal(getattr(store, name), [0, 0], err_msg=name)


def test_add_with_column_values_arrays_and_scalars():
    store = TrackStore(N_DIM)
    store.add(*states(3), hits=1, score=[0.1, 0.2, 0.3], state=TrackState.CONFIRMED)
    np.testing.assert_array_equal(store.hits, [1, 1, 1])
    np.testing.assert_array_equal(store.score, [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(store.state, [2, 2, 2])


def test_add_zero_tracks_is_a_no_op():
    store = TrackStore(N_DIM)
    ids = store.add(np.zeros((0, N_DIM)), np.zeros((0, N_DIM, N_DIM)))
    assert ids.shape == (0,) and len(store) == 0 and store.next_id == 1
    store.add(*states(2))
    ids = store.add(np.zeros((0, N_DIM)), np.zeros((0, N_DIM, N_DIM)), score=np.zeros(0), hits=1)
    assert ids.shape == (0,) and len(store) == 2 and store.next_id == 3


def test_add_rejects_unknown_columns_and_explicit_ids():
    store = TrackStore(N_DIM)
    with pytest.raises(ValueError, match="unknown"):
        store.add(*states(1), colour=[1.0])
    with pytest.raises(ValueError, match="ids"):
        store.add(*states(1), ids=[7])
    assert len(store) == 0 and store.next_id == 1, "a rejected add changes nothing"


def test_reset_restarts_ids_at_one():
    store = TrackStore(N_DIM)
    store.add(*states(4))
    store.reset()
    assert len(store) == 0 and store.next_id == 1
    np.testing.assert_array_equal(store.add(*states(2)), [1, 2])


def test_stores_allocate_ids_independently():
    """IDs are per store (per tracker instance), never a shared counter."""
    a, b = TrackStore(N_DIM), TrackStore(N_DIM)
    a.add(*states(3))
    np.testing.assert_array_equal(b.add(*states(2)), [1, 2])
    np.testing.assert_array_equal(a.add(*states(1)), [4])
    b.reset()
    assert a.next_id == 5


def test_column_views_write_through_to_data():
    """Writing into mean, covariance (a (N, n, n) view) or a scalar column changes ``data``."""
    store = TrackStore(N_DIM)
    store.add(*states(2))
    mean_view, cov_view, hits_view = store.mean, store.covariance, store.hits
    for view in (mean_view, cov_view, hits_view):
        assert np.shares_memory(view, store.data)
    mean_view[1, 3] = -1.5
    cov_view[0, 2, 5] = 42.0
    hits_view[1] = 9
    n = N_DIM
    assert store.data[1, store.slice_of("mean")][3] == -1.5
    assert store.data[0, store.slice_of("covariance")][2 * n + 5] == 42.0
    assert store.data[1, store.slice_of("hits")][0] == 9
    # fresh views see the writes
    assert store.mean[1, 3] == -1.5 and store.covariance[0, 2, 5] == 42.0


def test_column_setters_write_through():
    """Assigning to a column property fills it in place (broadcasting scalars)."""
    store = TrackStore(N_DIM)
    store.add(*states(3))
    data_before = store.data
    store.time_since_update = 4
    store.age = [1, 2, 3]
    new_cov = np.broadcast_to(np.eye(N_DIM), (3, N_DIM, N_DIM))
    store.covariance = new_cov
    assert store.data is data_before
    np.testing.assert_array_equal(store.time_since_update, [4, 4, 4])
    np.testing.assert_array_equal(store.age, [1, 2, 3])
    np.testing.assert_array_equal(store.covariance, new_cov)


def test_gather_update_scatter_on_selected_rows():
    """Fancy-indexed rows are copies: writing them back updates exactly those tracks."""
    store = TrackStore(N_DIM)
    store.add(*states(4))
    rows = np.array([3, 1])
    expected_c00 = store.covariance[:, 0, 0].copy()
    expected_c00[rows] = -1.0
    block = store.data[rows]
    store.column("hits", block)[:] = [7, 5]
    store.column("covariance", block)[:, 0, 0] = -1.0
    np.testing.assert_array_equal(store.hits, [0, 0, 0, 0])  # not yet scattered
    store.data[rows] = block
    np.testing.assert_array_equal(store.hits, [0, 5, 0, 7])
    np.testing.assert_array_equal(store.covariance[:, 0, 0], expected_c00)


def test_keep_removes_rows_and_preserves_order():
    store = TrackStore(N_DIM)
    mean, cov = states(5)
    store.add(mean, cov)
    store.keep(np.array([True, False, True, False, True]))
    np.testing.assert_array_equal(store.ids, [1, 3, 5])
    np.testing.assert_array_equal(store.mean, mean[[0, 2, 4]])
    np.testing.assert_array_equal(store.covariance, cov[[0, 2, 4]])
    store.keep(np.ones(3, bool))
    assert len(store) == 3
    np.testing.assert_array_equal(store.add(*states(1)), [6])  # removed IDs are never reused
    np.testing.assert_array_equal(store.ids, [1, 3, 5, 6])
    store.keep(np.zeros(4, bool))
    assert len(store) == 0 and store.next_id == 7


def test_extra_columns():
    """Policy columns get zeros by default, can be set in add and are views like the others."""
    store = TrackStore(4, extra={"feature": (3,), "gallery": (2, 3)})
    assert "feature" in store.columns and "gallery" in store.columns
    feat = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    store.add(*states(2, n=4), feature=feat)
    np.testing.assert_array_equal(store.column("feature"), feat)
    assert store.column("gallery").shape == (2, 2, 3)
    np.testing.assert_array_equal(store.column("gallery"), 0.0)
    store.column("gallery")[1, 0, 2] = 8.0
    assert store.data[1, store.slice_of("gallery")][2] == 8.0
    assert store.width == 9 + 4 + 16 + 3 + 6


def test_extra_column_name_clash_raises():
    with pytest.raises(ValueError, match="mean"):
        TrackStore(4, extra={"mean": (4,)})


def test_new_rows_are_defaults_outside_the_table():
    store = TrackStore(N_DIM)
    block = store.new_rows(2)
    assert block.shape == (2, store.width) and len(store) == 0
    np.testing.assert_array_equal(store.column("state", block), [1, 1])
    np.testing.assert_array_equal(store.column("det_index", block), [-1, -1])
    block[0, 0] = 5.0
    assert store.new_rows(1)[0, 0] == 0.0, "the template is not shared"


@settings(max_examples=30, deadline=None)
@given(
    ops=st.lists(st.one_of(st.integers(1, 4), st.just(-1)), max_size=12), seed=st.integers(0, 99)
)
def test_random_add_keep_sequences(ops, seed):
    """Against a list model: IDs strictly increase, rows stay in creation order, data intact."""
    rng = np.random.default_rng(seed)
    store = TrackStore(3)
    model_ids: list[int] = []
    next_id = 1
    for op in ops:
        if op >= 0:
            mean = rng.normal(size=(op, 3))
            ids = store.add(mean, np.zeros((op, 3, 3)) + mean[:, :, None], hits=mean[:, 0])
            np.testing.assert_array_equal(ids, np.arange(next_id, next_id + op))
            model_ids += list(range(next_id, next_id + op))
            next_id += op
        else:
            mask = rng.random(len(store)) < 0.5
            store.keep(mask)
            model_ids = [i for i, k in zip(model_ids, mask, strict=True) if k]
        np.testing.assert_array_equal(store.ids, model_ids)
        np.testing.assert_array_equal(store.hits, store.mean[:, 0])
        np.testing.assert_array_equal(store.covariance[:, :, 1], store.mean)
    assert store.next_id == next_id
