"""FairMOT's JDE association: fidelity to ifzhang/FairMOT, lifecycle rules, bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mottrack import Detections, create_tracker, list_trackers
from mottrack.fairmot import FairMOTConfig, FairMOTTracker
from mottrack.io import MOTSequence, load_mot_txt
from mottrack.pipeline import track_frames

REFERENCE = ["MOT17-05-FRCNN", "MOT17-09-FRCNN"]


def _frames(shared_root: Path, name: str) -> tuple[list[Detections], float]:
    seq = MOTSequence(
        shared_root / "data" / "MOT17" / "train" / name,
        features=f"det/{name}.deepsort_feat128.npy",
        min_score=0.4,  # the reference's input convention: score >= 0.4, file order
    )
    return [d for _, d in seq.frames()], seq.info.frame_rate


@pytest.mark.parametrize("name", REFERENCE)
def test_reproduces_reference_output(shared_root: Path, name: str) -> None:
    """Same rows per frame, identical IDs, boxes within 0.01 px (frame rate from seqinfo)."""
    frames, rate = _frames(shared_root, name)
    run = track_frames(create_tracker("fairmot", frame_rate=rate), enumerate(frames, 1))
    ref = load_mot_txt(shared_root / "reference" / "fairmot_assoc" / "MOT17" / f"{name}.txt")
    assert run.rows.shape[0] == ref.shape[0]
    for f in range(1, len(frames) + 1):
        got, want = run.rows[run.rows[:, 0] == f], ref[ref[:, 0] == f]
        got, want = got[np.argsort(got[:, 1])], want[np.argsort(want[:, 1])]
        np.testing.assert_array_equal(got[:, 1], want[:, 1], err_msg=f"frame {f} ids")
        np.testing.assert_allclose(got[:, 2:6], want[:, 2:6], atol=0.01 + 1e-9)


# ----------------------------------------------------------------------------- rules

BOX = np.array([[100.0, 100.0, 140.0, 200.0]])
FEAT = np.array([[1.0, 0.0, 0.0]])


def _d(box: np.ndarray = BOX, feat: np.ndarray = FEAT, score: float = 0.9) -> Detections:
    return Detections(box, np.full(len(box), score), embeddings=feat)


EMPTY = Detections.empty(3)


def test_first_frame_activates_later_tracks_need_a_second_hit() -> None:
    tracker = FairMOTTracker()
    assert tracker.update(_d()).ids.tolist() == [1]  # frame 1: activated at once
    far = np.array([[400.0, 100.0, 440.0, 200.0]])
    two = Detections(np.vstack([BOX, far]), np.full(2, 0.9), embeddings=np.eye(3)[:2])
    assert tracker.update(two).ids.tolist() == [1]  # track 2 is unconfirmed
    out = tracker.update(two)
    assert out.ids.tolist() == [1, 2] and out.det_index.tolist() == [0, 1]


def test_det_thresh_gates_new_tracks_only() -> None:
    tracker = FairMOTTracker(det_thresh=0.5)
    assert len(tracker.update(_d(score=0.45))) == 0
    tracker.update(_d(score=0.9))
    assert tracker.update(_d(score=0.45)).ids.tolist() == [1]  # matched even below 0.5


def test_lost_track_is_refound_with_its_id_until_expiry_plus_one_frame() -> None:
    """Lifetime int(10 / 30 * 30) = 10 frames; FairMOT keeps an expired track in the pool
    for one more frame."""
    for gap, refound in ((10, True), (11, True), (12, False)):
        tracker = FairMOTTracker(frame_rate=10)
        tracker.update(_d())
        tracker.update(_d())
        for _ in range(gap):
            assert len(tracker.update(EMPTY)) == 0
        out = tracker.update(_d())
        assert (out.ids.tolist() == [1]) is refound, gap


def test_resurrected_track_is_dropped_when_lost_again() -> None:
    tracker = FairMOTTracker(frame_rate=3)  # lifetime 3
    tracker.update(_d())
    for _ in range(4):
        tracker.update(EMPTY)  # expired at the 4th empty frame, still in the pool
    assert tracker.update(_d()).ids.tolist() == [1]  # re-activated from the removed list
    tracker.update(EMPTY)  # lost again: it was removed once, so it leaves at once
    assert len(tracker.tracks) == 0


def test_appearance_decides_between_two_close_detections() -> None:
    tracker = FairMOTTracker()
    tracker.update(_d())
    near = BOX + np.array([[2.0, 0.0, 2.0, 0.0]])
    dets = Detections(
        np.vstack([near, BOX]), np.full(2, 0.9), embeddings=[[0.0, 1.0, 0.0], [1.0, 0.1, 0.0]]
    )
    out = tracker.update(dets)
    assert out.ids.tolist() == [1] and out.det_index.tolist() == [1]


def test_duplicates_between_tracked_and_lost_keep_the_longer_history() -> None:
    tracker = FairMOTTracker()
    tracker.update(_d())
    for _ in range(5):
        tracker.update(_d())
    # Track 1 is lost for a frame; a new track starts on a different-looking detection.
    other = np.array([[0.0, 1.0, 0.0]])
    tracker.update(EMPTY)
    tracker.update(_d(feat=other))
    tracker.update(_d(feat=other))  # track 2 confirmed exactly on top of lost track 1
    ids = tracker.tracks.ids.tolist()
    assert ids == [1], f"the shorter-lived duplicate (2) must go, got {ids}"


def test_ids_restart_on_reset_and_det_index_of_outputs() -> None:
    tracker = create_tracker("fairmot")
    tracker.update(_d())
    tracker.reset()
    assert tracker.update(_d()).ids.tolist() == [1]
    assert "fairmot" in list_trackers()


# ----------------------------------------------------------------------------- bad input


def test_bad_input_errors() -> None:
    tracker = FairMOTTracker()
    with pytest.raises(ValueError, match="embeddings"):
        tracker.update(Detections(BOX, np.ones(1)))
    with pytest.raises(ValueError, match=r"detections are required.*Pipeline\(tracker, detector"):
        tracker.update(frame=np.zeros((8, 8, 3), np.uint8))  # the network is a Pipeline's
    with pytest.raises(ValueError, match="all zeros"):
        tracker.update(_d(feat=np.zeros((1, 3))))
    tracker.update(_d())
    with pytest.raises(ValueError, match="dimension 3"):
        tracker.update(Detections(BOX, np.ones(1), embeddings=np.ones((1, 4))))
    assert tracker.frame_count == 1
    for bad in ({"frame_rate": 0}, {"feature_momentum": 1.5}, {"iou_thresh": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            FairMOTConfig(**bad)
    assert FairMOTConfig(frame_rate=14).max_time_lost == 14


def test_association_imports_no_torch(run_without_torch: Callable[[str], str]) -> None:
    run_without_torch(
        "import numpy as np, mottrack\n"
        "t = mottrack.create_tracker('fairmot')\n"
        "box = np.array([[0.0, 0, 9, 9]])\n"
        "t.update(mottrack.Detections(box, np.ones(1), embeddings=[[1.0, 0]]))\n"
    )


# ------------------------------------------------------------ a transcription as an oracle


def _transcribed(frames: list[Detections], rate: float, buffer: int = 30) -> list[np.ndarray]:
    from jde_transcription import JDETranscription

    ref = JDETranscription(rate, buffer)
    out = []
    for d in frames:
        rows = ref.update(d.xyxy, d.scores, np.asarray(d.embeddings, np.float64))
        out.append(np.array([[i, *b] for i, b in rows]).reshape(-1, 5))
    return out


def _compare(frames: list[Detections], rate: float, buffer: int = 30) -> int:
    tracker = FairMOTTracker(frame_rate=rate, track_buffer=buffer)
    rows = 0
    for f, (d, want) in enumerate(zip(frames, _transcribed(frames, rate, buffer)), 1):
        t = tracker.update(d)
        got = np.column_stack([t.ids, t.xyxy])
        got, want = got[np.argsort(got[:, 0])], want[np.argsort(want[:, 0])]
        assert got.shape == want.shape, f"frame {f}: {len(got)} rows vs {len(want)}"
        np.testing.assert_array_equal(got[:, 0], want[:, 0], err_msg=f"frame {f} ids")
        np.testing.assert_allclose(got[:, 1:], want[:, 1:], atol=1e-6, err_msg=f"frame {f}")
        rows += len(got)
    return rows


def test_transcription_reproduces_the_reference_files(shared_root: Path) -> None:
    """The oracle below is itself checked against the original's output."""
    frames, rate = _frames(shared_root, "MOT17-05-FRCNN")
    ref = load_mot_txt(shared_root / "reference" / "fairmot_assoc" / "MOT17" / "MOT17-05-FRCNN.txt")
    out = _transcribed(frames, rate)
    assert sum(len(o) for o in out) == len(ref)
    for f, rows in enumerate(out, 1):
        assert sorted(rows[:, 0].tolist()) == sorted(ref[ref[:, 0] == f, 1].tolist())


def test_matches_transcription_on_unseen_sequence(shared_root: Path) -> None:
    frames, rate = _frames(shared_root, "MOT17-09-SDP")
    assert _compare(frames, rate) > 2000


@pytest.mark.parametrize(("seed", "rate", "buffer"), [(1, 30, 30), (2, 10, 5), (3, 25, 2)])
def test_matches_transcription_on_synthetic_scenes(seed: int, rate: float, buffer: int) -> None:
    from mottrack.datasets import generate

    seq = generate(num_frames=150, num_objects=15, seed=seed, occlusion_iou=0.3)
    feats = seq.feature_vectors(dim=16, noise=0.8)
    frames = [d.select(d.scores >= 0.0) for _, d in seq.frames(feats)]
    assert _compare(frames, rate, buffer) > 300


@pytest.mark.parametrize("objects", [300, 1000])
def test_matches_transcription_in_crowds(objects: int) -> None:
    """Crowds: the pool is gated through the grid and solved as a sparse maximum-weight
    matching (forced pairs + the rest), yet equals JDE's dense lapjv frame by frame."""
    from mottrack.datasets import crowd

    seq = crowd(objects, 12, seed=objects)
    feats = seq.feature_vectors(dim=16, noise=0.8)
    frames = [d for _, d in seq.frames(feats)]
    assert min(len(d) for d in frames) ** 2 > 4096  # the sparse path
    assert _compare(frames, 30.0) > 5 * objects


def test_network_names_without_torch_name_the_extra() -> None:
    """``mottrack.fairmot.FairMOTDetector`` without torch fails where it is named, in one line
    that says which extra to install (not a bare 'No module named torch' at the first frame)."""
    import subprocess
    import sys

    code = (
        "import sys\nsys.modules['torch'] = None\n"
        "try:\n    from mottrack.fairmot import FairMOTDetector\n"
        "except ModuleNotFoundError as exc:\n    print(exc, '|', exc.name)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "FairMOTDetector needs the 'torch' extra" in out.stdout
    assert "pip install 'mottrack[torch]'" in out.stdout and out.stdout.strip().endswith("| torch")


def test_an_iou_limit_above_one_lets_disjoint_boxes_match() -> None:
    """With ``iou_thresh > 1`` a cost of 1 (no overlap) is below the limit, so JDE's lapjv
    matches a far detection in the IoU stage (every pair is listed, not only overlapping ones);
    with the default 0.5 it cannot."""

    def det(x: float, emb: list[float]) -> Detections:
        box = np.array([[x, 100.0, x + 40.0, 200.0]])
        return Detections(box, np.array([0.9]), embeddings=np.array([emb]))

    for limit, continued in ((1.5, True), (0.5, False)):
        tracker = FairMOTTracker(iou_thresh=limit)
        first = tracker.update(det(100.0, [1.0, 0.0])).ids
        tracker.update(det(100.0, [1.0, 0.0]))
        out = tracker.update(det(600.0, [0.0, 1.0]))  # far away, another appearance
        assert (out.ids.tolist() == first.tolist()) is continued, limit


def test_a_blend_without_direction_fails_the_update_and_changes_nothing() -> None:
    """With momentum 0.5, a detection whose embedding is the track's negated blends to zero:
    the compiled smoothing writes nothing and the update fails, naming it, as a whole."""
    tracker = FairMOTTracker(feature_momentum=0.5, embedding_thresh=3.0)
    emb = np.zeros((1, 4))
    emb[0, 0] = 1.0
    box = np.array([[10.0, 10.0, 50.0, 110.0]])
    tracker.update(Detections(box, np.ones(1), embeddings=emb))
    before = tracker.tracks.data.copy(), tracker.appearance.features.copy()
    with pytest.raises(ValueError, match="smoothed embedding: row 0 is all zeros"):
        tracker.update(Detections(box, np.ones(1), embeddings=-emb))
    assert tracker.frame_count == 1
    np.testing.assert_array_equal(tracker.tracks.data, before[0])
    np.testing.assert_array_equal(tracker.appearance.features, before[1])


def test_the_dense_gate_fallback_associates_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the compiled gate reports a covariance it cannot gate (``ok`` false), the store
    gates with the dense form: FairMOT's pool then gets the same tracks, IDs, boxes and
    scores as through the compiled gate, frame for frame."""
    from mottrack.compiled import gating
    from mottrack.datasets import generate

    seq = generate(num_frames=150, num_objects=15, seed=4, occlusion_iou=0.3)
    feats = seq.feature_vectors(dim=16, noise=0.8)
    frames = [d for _, d in seq.frames(feats)]
    tracker = FairMOTTracker()
    compiled = [tracker.update(d) for d in frames]
    assert sum(len(t) for t in compiled) > 1000

    calls, original = {"n": 0}, gating.gated_pairs

    def refuse(*args):
        calls["n"] += 1
        _, track, det, d2 = original(*args)
        return False, track[:0], det[:0], d2[:0]

    monkeypatch.setattr(gating, "gated_pairs", refuse)  # bound by stores built from now on
    tracker = FairMOTTracker()
    dense = [tracker.update(d) for d in frames]
    assert calls["n"] >= len(frames) - 5  # every frame with a pool and detections
    for a, b in zip(compiled, dense):
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_array_equal(a.xyxy, b.xyxy)
        np.testing.assert_array_equal(a.scores, b.scores)


def test_the_compiled_pool_prediction_equals_the_store_steps() -> None:
    """``predict_pool`` is the store's Python steps in one call: begin the frame, take the
    tracked then the lost list, zero the lost tracks' height velocity, predict the pool.
    Both forms, on copies of a live table, give the same table bit for bit."""
    from mottrack.datasets import generate
    from mottrack.fairmot.kernels import HEIGHT_VELOCITY, predict_pool
    from mottrack.tracks import TrackState

    seq = generate(num_frames=60, num_objects=15, seed=5, occlusion_iou=0.3)
    frames = [d for _, d in seq.frames(seq.feature_vectors(dim=16, noise=0.8))]
    tracker = FairMOTTracker()
    for d in frames:
        tracker.update(d)
    store = tracker.tracks
    states = store.state.copy()
    assert {TrackState.CONFIRMED, TrackState.LOST} <= set(states)  # both lists are there

    token = store.snapshot()
    m, nvel, scale, q_law, _ = store.motion_args
    state, pool, n_tracked = store.apply_rule(predict_pool, m, nvel, scale, q_law)
    compiled = store.data.copy()
    store.restore(token)

    store.begin_frame()
    rows, bounds = store.ordered_groups(states, TrackState.CONFIRMED, TrackState.LOST)
    store.set_velocity(rows[bounds[1] :], HEIGHT_VELOCITY, 0.0)
    store.predict(rows)
    np.testing.assert_array_equal(state, states)
    np.testing.assert_array_equal(pool, rows)
    assert n_tracked == bounds[1]
    np.testing.assert_array_equal(compiled, store.data)


def test_the_compiled_pool_outcome_equals_the_store_steps() -> None:
    """``pool_matched`` is ``TrackStore.correct`` (re-activated tracks keep their score), the
    re-activation, the smoothed-embedding update and the next stages' inputs, in one call."""
    from mottrack.association.sparse import limit_assignment
    from mottrack.datasets import generate
    from mottrack.fairmot.kernels import pool_matched, predict_pool
    from mottrack.tracks import TrackState

    seq = generate(num_frames=80, num_objects=15, seed=6, occlusion_iou=0.3)
    frames = [d for _, d in seq.frames(seq.feature_vectors(dim=16, noise=0.8))]
    tracker = FairMOTTracker()
    refound = 0
    store, cfg, table = tracker.tracks, tracker.config, tracker.appearance
    no_classes = np.zeros(0, np.int64)
    for det in frames:
        start = store.snapshot()
        feats = tracker._features(det)
        m, nvel, scale, q_law, r_law = store.motion_args
        state, pool, _ = store.apply_rule(predict_pool, m, nvel, scale, q_law)
        track, det_i, cost = tracker._fused_cost(pool, det, feats)
        shape = (pool.size, len(det))
        pairs, cols = limit_assignment(track, det_i, cost, shape, cfg.embedding_thresh)
        z, momentum = store.measurements(det), table.momentum
        predicted = store.snapshot()
        ok, rows, refind, tracked, unconfirmed, remaining = store.apply_rule(
            pool_matched, state, pool, pairs, cols, z, m, nvel, scale, r_law, det.scores,
            no_classes, table.writable(), feats, momentum,
        )  # fmt: skip
        compiled = store.data.copy(), table.features.copy()
        store.restore(predicted)

        lost = state[pool[pairs]] == TrackState.LOST
        store.correct(pool[pairs], det, cols, score=~lost, appearance=feats[cols])
        store.assign("state", pool[pairs][lost], TrackState.CONFIRMED)
        assert ok
        np.testing.assert_array_equal(compiled[0], store.data)
        np.testing.assert_array_equal(compiled[1], table.features)
        np.testing.assert_array_equal(rows, pool[pairs])
        np.testing.assert_array_equal(refind, pool[pairs][lost])
        left = np.setdiff1d(np.arange(pool.size), pairs)
        np.testing.assert_array_equal(tracked, pool[left][state[pool[left]] == 2])
        np.testing.assert_array_equal(unconfirmed, store.ordered(state == TrackState.TENTATIVE))
        np.testing.assert_array_equal(remaining, np.setdiff1d(np.arange(len(det)), cols))
        refound += refind.size
        store.restore(start)  # then the frame as the tracker runs it
        tracker.update(det)
    assert refound > 0  # re-activations were exercised
