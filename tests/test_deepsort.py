"""DeepSORT: fidelity to nwojke/deep_sort, lifecycle rules, the update() contract, bad input."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mottrack import Detections, create_tracker, list_trackers
from mottrack.boxes import convert
from mottrack.datasets import generate
from mottrack.deepsort import DeepSortConfig, DeepSortTracker
from mottrack.deepsort.preprocessing import select_detections
from mottrack.io import MOTSequence, load_mot_txt
from mottrack.pipeline import track_frames

REFERENCE = ["MOT17-05-FRCNN", "MOT17-09-FRCNN"]


def _feature_frames(shared_root: Path, name: str) -> list[Detections]:
    seq_dir = shared_root / "data" / "MOT17" / "train" / name
    seq = MOTSequence(seq_dir, features=f"det/{name}.deepsort_feat128.npy")
    return [d for _, d in seq.frames()]


def _by_frame(rows: np.ndarray) -> dict[int, np.ndarray]:
    """``id, x, y, w, h`` rows per frame, sorted by box."""
    out: dict[int, np.ndarray] = {}
    for f in np.unique(rows[:, 0]).astype(int):
        r = rows[rows[:, 0] == f, 1:6]
        out[f] = r[np.lexsort(np.round(r[:, 1:5], 1).T[::-1])]
    return out


@pytest.mark.parametrize("name", REFERENCE)
def test_reproduces_reference_output(shared_root: Path, name: str) -> None:
    """Same rows per frame, boxes within 0.01 px, identical IDs on both reference sequences."""
    frames = _feature_frames(shared_root, name)
    run = track_frames(create_tracker("deepsort", min_confidence=0.3), enumerate(frames, 1))
    ref = load_mot_txt(shared_root / "reference" / "deepsort" / "MOT17" / f"{name}.txt")
    ours, theirs = _by_frame(run.rows), _by_frame(ref)
    assert sorted(ours) == sorted(theirs)
    for frame, want in theirs.items():
        got = ours[frame]
        assert got.shape == want.shape, f"frame {frame}: {len(got)} rows vs {len(want)}"
        np.testing.assert_allclose(got[:, 1:], want[:, 1:], atol=0.01, err_msg=f"frame {frame}")
        # Our detection order (descending score, ties later row first) is the one the
        # reference's numpy sort produced here, so even the ID labels agree.
        np.testing.assert_array_equal(got[:, 0], want[:, 0], err_msg=f"frame {frame} ids")


# ------------------------------------------------------------------ the original as an oracle


def _oracle(frames: list[Detections], params: dict[str, Any], monkeypatch: Any) -> list:
    """deep_sort's tracker core as packaged on PyPI (``deep-sort-realtime==1.3.2``).

    Two deviations of the package from nwojke/deep_sort are undone so that it computes what
    nwojke's code computes: its ``Detection`` stores boxes as float32 (nwojke: float64), and
    after each frame it keeps every confirmed track's last feature pending
    (``track.features = [track.features[-1]]``; nwojke: ``[]``), so the same feature re-enters
    the gallery every frame and, under a budget, pushes real ones out. The patched
    ``partial_fit`` skips a feature equal to the target's newest sample, which is exactly that
    re-entry. Detections are fed in the order our tracker processes them (the package's NMS
    step is off), so IDs must agree exactly.
    """
    # Installed by the README's test command (a missing oracle fails, never skips).
    dsr = importlib.import_module("deep_sort_realtime.deepsort_tracker")
    base = dsr.Detection

    class Detection64(base):  # type: ignore[misc, valid-type]
        def __init__(self, ltwh: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(ltwh, *args, **kwargs)
            self.ltwh = np.asarray(ltwh, dtype=np.float64)

    monkeypatch.setattr(dsr, "Detection", Detection64)
    names = ("max_age", "n_init", "max_iou_distance", "max_cosine_distance", "nn_budget")
    tracker = dsr.DeepSort(**{k: params[k] for k in names if k in params}, embedder=None)
    metric = tracker.tracker.metric

    def partial_fit(features: Any, targets: Any, active_targets: Any) -> None:
        for feature, target in zip(features, targets):
            kept = metric.samples.setdefault(target, [])
            if kept and np.array_equal(kept[-1], feature):
                continue  # the re-entered last feature, not a new observation
            kept.append(feature)
            if metric.budget is not None:
                metric.samples[target] = kept[-metric.budget :]
        metric.samples = {k: metric.samples[k] for k in active_targets}

    monkeypatch.setattr(metric, "partial_fit", partial_fit)
    cfg = DeepSortConfig(**params)
    outputs = []
    for d in frames:
        order = select_detections(d, cfg.min_confidence, 0.0, 1.0)
        ltwh = convert(d.xyxy[order], "xyxy", "xywh")
        raw = [(list(b), float(s), 0) for b, s in zip(ltwh, d.scores[order])]
        tracks = tracker.update_tracks(raw, embeds=list(d.embeddings[order]))
        rows = [
            [float(t.track_id), *t.to_ltrb()]
            for t in tracks
            if t.is_confirmed() and t.time_since_update <= 1
        ]
        outputs.append(np.asarray(rows).reshape(-1, 5))
    return outputs


def _ours(frames: list[Detections], params: dict[str, Any]) -> list[np.ndarray]:
    tracker = create_tracker("deepsort", **params)
    out = []
    for d in frames:
        t = tracker.update(d)
        out.append(np.column_stack([t.ids, t.xyxy]))
    return out


def _synthetic_frames(seed: int, **overrides: Any) -> list[Detections]:
    seq = generate(num_frames=150, num_objects=20, seed=seed, **overrides)
    return [d for _, d in seq.frames(seq.feature_vectors(noise=0.6))]


def _assert_same_outputs(ours: list[np.ndarray], theirs: list[np.ndarray]) -> None:
    """Frame by frame: the same IDs and (to 1e-6 px) the same boxes."""
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == b.shape, f"frame {i + 1}: {len(a)} rows vs {len(b)}"
        a, b = a[np.argsort(a[:, 0])], b[np.argsort(b[:, 0])]
        np.testing.assert_array_equal(a[:, 0], b[:, 0], err_msg=f"frame {i + 1} ids")
        np.testing.assert_allclose(a[:, 1:], b[:, 1:], atol=1e-6, err_msg=f"frame {i + 1}")


PARAMS: list[dict[str, Any]] = [
    {},
    {"max_age": 8, "n_init": 1, "max_cosine_distance": 0.35, "nn_budget": 4},
    {"n_init": 5, "nn_budget": None, "max_cosine_distance": 0.12, "max_iou_distance": 0.5},
]


@pytest.mark.parametrize("params", PARAMS, ids=["defaults", "short", "strict"])
def test_matches_original_on_unseen_data(
    shared_root: Path, params: dict[str, Any], monkeypatch: Any
) -> None:
    """Frame-by-frame equality with the original core on a sequence without a reference file
    (MOT17-09-SDP) and on synthetic scenes, under several parameter sets."""
    cases = [
        _feature_frames(shared_root, "MOT17-09-SDP"),
        _synthetic_frames(3),
        _synthetic_frames(4, occlusion_iou=0.3),
    ]
    params = {"min_confidence": 0.3, **params}
    for frames in cases:
        ours, theirs = _ours(frames, params), _oracle(frames, params, monkeypatch)
        assert sum(len(o) for o in ours) > 100
        _assert_same_outputs(ours, theirs)


# ----------------------------------------------------------------------------- lifecycle


def _dets(boxes: list[list[float]], feats: list[list[float]], scores: Any = None) -> Detections:
    xyxy = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    emb = np.asarray(feats, dtype=np.float32).reshape(len(xyxy), len(FEAT))
    return Detections(xyxy, scores if scores is not None else np.ones(len(xyxy)), embeddings=emb)


BOX = [100.0, 100.0, 140.0, 200.0]
FEAT = [1.0, 0.0, 0.0]


def test_confirmation_after_n_init_hits_and_output_rule() -> None:
    tracker = DeepSortTracker(n_init=3)
    assert len(tracker.update(_dets([BOX], [FEAT]))) == 0  # hit 1: tentative
    assert len(tracker.update(_dets([BOX], [FEAT]))) == 0  # hit 2
    out = tracker.update(_dets([BOX], [FEAT]))  # hit 3: confirmed
    assert out.ids.tolist() == [1] and out.det_index.tolist() == [0]
    np.testing.assert_allclose(out.xyxy[0], BOX, atol=1e-6)
    missed = tracker.update(_dets([], []))  # missed once: still reported, predicted box
    assert missed.ids.tolist() == [1] and missed.det_index.tolist() == [-1]
    assert len(tracker.update(_dets([], []))) == 0  # missed twice: no longer reported
    assert len(tracker.tracks) == 1


def test_tentative_track_dies_on_first_miss() -> None:
    tracker = DeepSortTracker()
    tracker.update(_dets([BOX], [FEAT]))
    tracker.update(_dets([BOX], [FEAT]))
    tracker.update(_dets([], []))
    assert len(tracker.tracks) == 0 and len(tracker.gallery) == 0
    tracker.update(_dets([BOX], [FEAT]))
    assert tracker.tracks.ids.tolist() == [2]  # IDs are never reused


def test_confirmed_track_deleted_after_max_age_misses_and_ids_restart_on_reset() -> None:
    tracker = DeepSortTracker(max_age=4, n_init=1)
    for _ in range(2):
        tracker.update(_dets([BOX], [FEAT]))
    for _ in range(4):
        tracker.update(_dets([], []))
    assert len(tracker.tracks) == 1
    tracker.update(_dets([], []))
    assert len(tracker.tracks) == 0
    tracker.reset()
    tracker.update(_dets([BOX], [FEAT]))
    assert tracker.tracks.ids.tolist() == [1]


def test_appearance_reidentifies_after_a_gap_and_rejects_a_different_look() -> None:
    """After 5 missed frames only the cascade (appearance + gate) can re-match a track."""
    tracker = DeepSortTracker(n_init=1)
    for _ in range(3):
        tracker.update(_dets([BOX], [FEAT]))
    for _ in range(5):
        tracker.update(_dets([], []))
    same = tracker.update(_dets([BOX], [[0.99, 0.1, 0.0]]))
    assert same.ids.tolist() == [1]
    for _ in range(5):
        tracker.update(_dets([], []))
    tracker.update(_dets([BOX], [[0.0, 1.0, 0.0]]))  # same place, other appearance
    assert sorted(tracker.tracks.ids.tolist()) == [1, 2]
    assert tracker.tracks.time_since_update[tracker.tracks.ids == 1].tolist() == [6]


def test_far_detection_is_gated_even_with_identical_appearance() -> None:
    tracker = DeepSortTracker(n_init=1)
    for _ in range(3):
        tracker.update(_dets([BOX], [FEAT]))
    tracker.update(_dets([], []))
    tracker.update(_dets([], []))
    far = [600.0, 400.0, 640.0, 500.0]
    tracker.update(_dets([far], [FEAT]))
    assert sorted(tracker.tracks.ids.tolist()) == [1, 2]


def test_preprocessing_filters_and_det_index_refers_to_input_rows() -> None:
    boxes = [[0, 0, 10, 30], [200, 0, 210, 30], [400, 0, 410, 5], [600, 0, 610, 30]]
    feats = np.eye(4)[:, :3] + 0.1
    scores = np.array([0.9, 0.1, 0.9, 0.8])
    tracker = DeepSortTracker(n_init=1, min_confidence=0.5, min_detection_height=10)
    tracker.update(_dets(boxes, feats, scores))
    out = tracker.update(_dets(boxes, feats, scores))
    assert sorted(out.det_index.tolist()) == [0, 3]
    # Processing order is by descending score: row 0 (0.9) makes track 1, row 3 (0.8) track 2.
    assert dict(zip(out.det_index.tolist(), out.ids.tolist())) == {0: 1, 3: 2}


def test_nms_suppresses_overlapping_lower_scores() -> None:
    boxes = [[0, 0, 20, 40], [1, 1, 21, 41], [100, 0, 120, 40]]
    scores = np.array([0.6, 0.9, 0.7])
    d = _dets(boxes, np.eye(3) + 0.1, scores)
    assert select_detections(d, -np.inf, 0.0, 1.0).tolist() == [1, 2, 0]
    assert select_detections(d, -np.inf, 0.0, 0.5).tolist() == [1, 2]


def test_classes_are_carried() -> None:
    tracker = DeepSortTracker(n_init=1)
    d = Detections(np.array([BOX]), np.ones(1), classes=np.array([7]), embeddings=[FEAT])
    tracker.update(d)
    assert tracker.update(d).classes.tolist() == [7]


# ----------------------------------------------------------------------------- bad input


def test_registry_and_config() -> None:
    assert "deepsort" in list_trackers()
    cfg = create_tracker("deepsort").config
    assert (cfg.max_cosine_distance, cfg.nn_budget, cfg.max_iou_distance) == (0.2, 100, 0.7)
    assert (cfg.max_age, cfg.n_init, cfg.gating_threshold) == (30, 3, 9.4877)
    with pytest.raises(TypeError, match="max_cosine"):
        create_tracker("deepsort", max_cosine=0.3)
    for bad in ({"n_init": 0}, {"nn_budget": 0}, {"max_iou_distance": 1.5}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            DeepSortConfig(**bad)


def test_missing_embeddings_and_frame_raises() -> None:
    with pytest.raises(ValueError, match="embeddings"):
        DeepSortTracker().update(Detections(np.array([BOX]), np.ones(1)))


def test_embedding_dimension_change_raises() -> None:
    tracker = DeepSortTracker()
    tracker.update(_dets([BOX], [FEAT]))
    with pytest.raises(ValueError, match="dimension 3"):
        tracker.update(Detections(np.array([BOX]), np.ones(1), embeddings=[[1.0, 0.0]]))


def test_zero_norm_embedding_and_zero_height_box_raise_before_any_change() -> None:
    tracker = DeepSortTracker()
    tracker.update(_dets([BOX], [FEAT]))
    with pytest.raises(ValueError, match="all zeros"):
        tracker.update(_dets([BOX], [[0.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="positive height"):
        tracker.update(_dets([[0.0, 5.0, 10.0, 5.0]], [FEAT]))
    assert tracker.frame_count == 1 and len(tracker.tracks) == 1


def test_embedding_count_mismatch_and_nan_rejected_by_detections() -> None:
    with pytest.raises(ValueError, match="embeddings"):
        Detections(np.array([BOX]), np.ones(1), embeddings=np.ones((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        Detections(np.array([BOX]), np.ones(1), embeddings=[[np.nan, 0, 1]])


# ----------------------------------------------------------------------------- crowds


def test_matches_original_in_a_crowd(monkeypatch: Any) -> None:
    """300 objects a frame: the gate finds its pairs through the grid (no dense distance
    matrix) and the output, IDs included, still equals the original's."""
    from mottrack.datasets import crowd

    seq = crowd(300, 25, seed=11)
    frames = [d for _, d in seq.frames(seq.feature_vectors(noise=0.6))]
    assert min(len(d) for d in frames) ** 2 > 4096  # beyond the all-pairs bound
    params = {"min_confidence": 0.3, "max_age": 5}
    from mottrack.deepsort.gallery import FeatureGallery
    from mottrack.motion import ConstantVelocityXYAH

    def dense(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a dense tracks x detections form was called")

    with monkeypatch.context() as guard:
        guard.setattr(ConstantVelocityXYAH, "gating_distance", dense)
        guard.setattr(FeatureGallery, "distance", dense)
        ours = _ours(frames, params)
    theirs = _oracle(frames, params, monkeypatch)
    assert sum(len(o) for o in ours) > 3000
    _assert_same_outputs(ours, theirs)


def test_beyond_the_dense_bound_only_ids_are_relabelled(monkeypatch: Any) -> None:
    """With ``max_dense_pairs=0`` no solve is dense: the matches come from the sparse
    maximum-weight matching, so the tracks and boxes are the original's and the IDs equal
    them up to a one-to-one relabelling (which does occur). The default keeps the IDs."""
    from mottrack.datasets import crowd

    seq = crowd(150, 30, seed=2, false_positives=10.0, miss_prob=0.2)
    frames = [d for _, d in seq.frames(seq.feature_vectors(noise=0.6))]
    params = {"min_confidence": 0.3, "max_age": 5}
    theirs = _oracle(frames, params, monkeypatch)
    ours = _ours(frames, {**params, "max_dense_pairs": 0})
    relabel: dict[float, float] = {}
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a, b = a[np.lexsort(a[:, 1:].T)], b[np.lexsort(b[:, 1:].T)]
        np.testing.assert_allclose(a[:, 1:], b[:, 1:], atol=1e-6, err_msg=f"frame {i + 1}")
        for x, y in zip(a[:, 0], b[:, 0]):
            assert relabel.setdefault(x, y) == y, f"frame {i + 1}: id {x} is {y} and {relabel[x]}"
    assert len(set(relabel.values())) == len(relabel) > 150
    assert sorted(relabel) != [relabel[k] for k in sorted(relabel)]  # the case did occur
