"""TrackStore: the lifecycle steps, side-table alignment, list order and snapshots."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mottrack import Detections
from mottrack.boxes import xyah_to_xyxy, xyxy_to_xyah
from mottrack.deepsort.gallery import FeatureGallery
from mottrack.motion import ConstantVelocityXYAH, ConstantVelocityXYSR
from mottrack.side_tables import SmoothedEmbeddings
from mottrack.tracks import TrackState, TrackStore


def dets(k: int, seed: int = 0, classes: bool = False, dim: int = 3) -> Detections:
    """k random boxes with scores, optional classes, unit embeddings."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 500, (k, 2))
    wh = rng.uniform(10, 80, (k, 2))
    emb = rng.normal(size=(k, dim))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    cls = rng.integers(0, 5, k) if classes else None
    return Detections(np.hstack([xy, xy + wh]), rng.uniform(0.1, 1, k), cls, emb)


def xyah_store(**side) -> TrackStore:
    return TrackStore(ConstantVelocityXYAH(), "xyah", columns={"extra": 7.0}, side_tables=side)


def test_track_state_is_int_enum_in_paper_order() -> None:
    assert [s.name for s in TrackState] == ["TENTATIVE", "CONFIRMED", "LOST", "DELETED"]
    assert TrackState.CONFIRMED == 2 and isinstance(TrackState.LOST, int)


def test_spawn_initiates_from_detections_with_fresh_ids_and_defaults() -> None:
    store = xyah_store()
    d = dets(4, classes=True)
    store.spawn(d, np.array([2, 0]))
    store.spawn(d, np.array([3]), hits=1, state=TrackState.CONFIRMED)
    np.testing.assert_array_equal(store.ids, [1, 2, 3])
    mean, cov = ConstantVelocityXYAH().initiate(xyxy_to_xyah(d.xyxy[[2, 0, 3]]))
    np.testing.assert_array_equal(store.mean, mean)
    np.testing.assert_array_equal(store.covariance, cov)
    np.testing.assert_array_equal(store.det_index, [2, 0, 3])
    np.testing.assert_array_equal(store.score, d.scores[[2, 0, 3]])
    np.testing.assert_array_equal(store.cls, d.classes[[2, 0, 3]])
    np.testing.assert_array_equal(store.state, [1, 1, 2])
    np.testing.assert_array_equal(store.hits, [0, 0, 1])
    np.testing.assert_array_equal(store.column("extra"), [7.0, 7.0, 7.0])
    for name in ("hit_streak", "age", "time_since_update"):
        np.testing.assert_array_equal(store.column(name), 0, err_msg=name)


def test_spawn_nothing_is_a_no_op_and_bad_columns_change_nothing() -> None:
    store = xyah_store()
    store.spawn(dets(2), np.zeros(0, np.int64))
    assert len(store) == 0 and store.next_id == 1
    for bad in ({"colour": 1.0}, {"ids": 5}, {"order": 2}):
        with pytest.raises(ValueError, match="unknown or reserved"):
            store.spawn(dets(1), np.array([0]), **bad)
    assert len(store) == 0 and store.next_id == 1


def test_begin_frame_then_predict_some_rows() -> None:
    """begin_frame: det_index -1, time_since_update + 1, the hit streak of a track missed
    last frame restarts; predict(rows) moves and ages those rows only."""
    store = TrackStore(ConstantVelocityXYSR(), "xysr")
    d = dets(3)
    store.spawn(d, np.arange(3))
    store.begin_frame()
    store.correct(np.array([0, 2]), d, np.array([0, 2]))  # row 1 missed this frame
    store.begin_frame()
    np.testing.assert_array_equal(store.det_index, [-1, -1, -1])
    np.testing.assert_array_equal(store.time_since_update, [1, 2, 1])
    np.testing.assert_array_equal(store.hit_streak, [1, 0, 1])
    before_mean, before_cov = store.mean.copy(), store.covariance.copy()
    store.predict(np.array([2]))
    mean, cov = ConstantVelocityXYSR().predict(before_mean[[2]], before_cov[[2]])
    np.testing.assert_array_equal(store.mean[2], mean[0])
    np.testing.assert_array_equal(store.covariance[2], cov[0])
    np.testing.assert_array_equal(store.mean[:2], before_mean[:2])
    np.testing.assert_array_equal(store.age, [0, 0, 1])
    store.predict()
    np.testing.assert_array_equal(store.age, [1, 1, 2])


def test_correct_is_the_kalman_update_and_takes_the_detection() -> None:
    store = xyah_store()
    first, second = dets(3, seed=1, classes=True), dets(3, seed=2, classes=True)
    store.spawn(first, np.arange(3))
    store.predict()
    prior_mean, prior_cov = store.mean.copy(), store.covariance.copy()
    store.correct(np.array([2, 0]), second, np.array([1, 2]))
    mean, cov = ConstantVelocityXYAH().update(
        prior_mean[[2, 0]], prior_cov[[2, 0]], xyxy_to_xyah(second.xyxy[[1, 2]])
    )
    np.testing.assert_array_equal(store.mean[[2, 0]], mean)
    np.testing.assert_array_equal(store.covariance[[2, 0]], cov)
    np.testing.assert_array_equal(store.mean[1], prior_mean[1])
    np.testing.assert_array_equal(store.det_index, [2, 1, 1])
    want = [second.scores[2], first.scores[1], second.scores[1]]
    np.testing.assert_array_equal(store.score, want)
    np.testing.assert_array_equal(store.cls[[2, 0]], second.classes[[1, 2]])
    np.testing.assert_array_equal(store.hits, [1, 0, 1])
    store.correct(np.array([1]), second, np.array([0]), score=False)
    assert store.score[1] == first.scores[1] and store.det_index[1] == 0


def test_correct_takes_scores_per_match_and_checks_the_mask() -> None:
    """``score`` as a mask: the detection's score where true, the track's own elsewhere (a
    mask of the wrong length is refused before anything changes)."""
    store = xyah_store()
    first, second = dets(3, seed=1), dets(3, seed=2)
    store.spawn(first, np.arange(3))
    before = store.data.copy()
    for bad in (np.ones(3, bool), np.ones(0, bool)):
        with pytest.raises(ValueError, match=r"score: expected one bool per match, shape \(2,\)"):
            store.correct(np.array([0, 2]), second, np.array([1, 0]), score=bad)
        np.testing.assert_array_equal(store.data, before)
    store.correct(np.array([0, 2]), second, np.array([1, 0]), score=np.array([False, True]))
    np.testing.assert_array_equal(store.score, [first.scores[0], first.scores[1], second.scores[0]])
    np.testing.assert_array_equal(store.det_index, [1, 1, 0])  # row 1: its spawning row


def test_emit_reports_rows_in_order_with_boxes_from_the_state() -> None:
    store = xyah_store()
    d = dets(3, classes=True)
    store.spawn(d, np.arange(3))
    out = store.emit(np.array([2, 0]), classes=True)
    np.testing.assert_array_equal(out.ids, [3, 1])
    np.testing.assert_allclose(out.xyxy, xyah_to_xyxy(store.mean[[2, 0]]))
    np.testing.assert_allclose(out.xyxy, d.xyxy[[2, 0]], atol=1e-9)
    np.testing.assert_array_equal(out.classes, d.classes[[2, 0]])
    assert store.emit(np.array([1]), classes=False).classes is None
    assert not out.ids.flags.writeable and not out.xyxy.flags.writeable


def test_columns_are_read_only_and_named() -> None:
    store = xyah_store()
    store.spawn(dets(2), np.arange(2))
    with pytest.raises(ValueError, match="read-only"):
        store.hits[0] = 5
    with pytest.raises(ValueError, match="read-only"):
        store.data[0, 0] = 5
    with pytest.raises(KeyError, match="unknown 'colour'"):
        store.column("colour")
    for reserved in ("ids", "order", "mean"):
        with pytest.raises(ValueError, match="maintained by the store"):
            store.assign(reserved, np.array([0]), 1.0)
    store.assign("state", np.array([1]), TrackState.LOST)
    np.testing.assert_array_equal(store.state, [1, 3])


def test_purge_removes_deleted_rows_and_their_side_rows() -> None:
    smooth = SmoothedEmbeddings(0.9)
    store = xyah_store(appearance=smooth)
    d = dets(5)
    store.spawn(d, np.arange(5), appearance=d.embeddings)
    store.mark_deleted(np.array([1, 3]))
    np.testing.assert_array_equal(store.state, [1, 4, 1, 4, 1])
    store.purge()
    np.testing.assert_array_equal(store.ids, [1, 3, 5])
    np.testing.assert_array_equal(smooth.features, d.embeddings[[0, 2, 4]])
    store.spawn(d, np.array([0]), appearance=d.embeddings[:1])
    np.testing.assert_array_equal(store.ids, [1, 3, 5, 6])  # IDs are never reused


def test_side_values_must_come_for_every_table() -> None:
    store = xyah_store(appearance=SmoothedEmbeddings(0.9))
    with pytest.raises(ValueError, match="expected values for"):
        store.spawn(dets(1), np.array([0]))
    assert len(store) == 0


def test_list_order_spawn_then_requeue() -> None:
    store = xyah_store()
    store.spawn(dets(4), np.arange(4))
    everything = np.ones(4, bool)
    np.testing.assert_array_equal(store.ordered(everything), [0, 1, 2, 3])
    store.requeue(np.array([2, 0]))
    np.testing.assert_array_equal(store.ordered(everything), [1, 3, 2, 0])
    np.testing.assert_array_equal(store.ordered(store.ids > 1), [1, 3, 2])


def test_stores_allocate_ids_independently_and_reset_restarts() -> None:
    a, b = xyah_store(), xyah_store()
    a.spawn(dets(3), np.arange(3))
    b.spawn(dets(2), np.arange(2))
    np.testing.assert_array_equal(b.ids, [1, 2])
    a.reset()
    assert len(a) == 0 and a.next_id == 1 and b.next_id == 3


def _state(store: TrackStore, gallery: FeatureGallery) -> tuple:
    return (
        store.data.copy(),
        store.next_id,
        store.next_order,
        gallery.features.copy(),
        gallery.count.copy(),
    )


@settings(max_examples=40, deadline=None, derandomize=True)
@given(ops=st.lists(st.integers(0, 4), min_size=1, max_size=12), seed=st.integers(0, 999))
def test_snapshot_restore_undoes_any_steps_and_side_tables_stay_aligned(ops, seed) -> None:
    """After any mix of steps, restore() gives back the snapshot's store and gallery exactly;
    throughout, gallery row i holds the features of track row i (a per-ID list model)."""
    rng = np.random.default_rng(seed)
    gallery = FeatureGallery(budget=2)
    store = xyah_store(appearance=gallery)
    model: dict[int, list[np.ndarray]] = {}
    d = dets(4, seed=seed)
    store.spawn(d, np.arange(2), appearance=d.embeddings[:2])
    for i, f in zip(store.ids, d.embeddings[:2]):
        model[int(i)] = [f]
    both = np.arange(2)
    store.correct(both, d, both + 2, appearance=d.embeddings[2:])  # full rings: in-place writes
    for i, f in zip(store.ids, d.embeddings[2:]):
        model[int(i)].append(f)
    token, before = store.snapshot(), _state(store, gallery)
    for op in ops:
        n = len(store)
        if op == 0:
            k = int(rng.integers(1, 4))
            rows = rng.integers(0, 4, k)
            store.spawn(d, rows, appearance=d.embeddings[rows])
            for i, r in zip(store.ids[-k:], rows):
                model[int(i)] = [d.embeddings[r]]
        elif op == 1 and n:
            rows = rng.permutation(n)[: int(rng.integers(1, n + 1))]
            cols = rng.integers(0, 4, rows.size)
            store.correct(rows, d, cols, appearance=d.embeddings[cols])
            for r, c in zip(rows, cols):
                model[int(store.ids[r])] = (model[int(store.ids[r])] + [d.embeddings[c]])[-2:]
        elif op == 2 and n:
            store.mark_deleted(rng.random(n) < 0.4)
            store.purge()
        elif op == 3:
            store.begin_frame()
            store.predict()
        else:
            store.requeue(rng.permutation(n)[: n // 2])
        assert len(gallery) == len(store)
        for row, i in enumerate(store.ids):
            want = 1 - np.max(np.array(model[int(i)]) @ d.embeddings.T, axis=0)
            got = gallery.distance(np.array([row]), d.embeddings.astype(np.float32))[0]
            np.testing.assert_allclose(got, want, atol=1e-6)
    store.restore(token)
    after = _state(store, gallery)
    for x, y in zip(before, after):
        np.testing.assert_array_equal(x, y)
