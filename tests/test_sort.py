"""SORT: fidelity to abewley/sort, the update() contract, and bad input."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mottrack import Detections, create_tracker, list_trackers
from mottrack.datasets import crowd, generate
from mottrack.io import MOTSequence, load_mot_txt
from mottrack.pipeline import track_frames
from mottrack.sort import SortConfig, SortTracker

MOT15 = [
    "ADL-Rundle-6",
    "ADL-Rundle-8",
    "ETH-Bahnhof",
    "ETH-Pedcross2",
    "ETH-Sunnyday",
    "KITTI-13",
    "KITTI-17",
    "PETS09-S2L1",
    "TUD-Campus",
    "TUD-Stadtmitte",
    "Venice-2",
]


def _by_frame(rows: np.ndarray) -> dict[int, np.ndarray]:
    """Rows ``frame, id, x, y, w, h`` grouped per frame, sorted by id."""
    out: dict[int, np.ndarray] = {}
    for f in np.unique(rows[:, 0]).astype(int):
        r = rows[rows[:, 0] == f, 1:6]
        out[f] = r[np.argsort(r[:, 0])]
    return out


def _sequence_frames(seq_dir: Path) -> list[Detections]:
    """Frames 1..max(det frame), exactly the loop of sort.py's ``__main__``."""
    rows = load_mot_txt(seq_dir / "det" / "det.txt")
    seq = MOTSequence(seq_dir)
    return [d for f, d in seq.frames() if f <= rows[:, 0].max()]


@pytest.mark.parametrize("name", MOT15)
def test_reproduces_reference_output(shared_root: Path, name: str) -> None:
    """Same rows per frame, boxes within 0.01 px and identical IDs on all 11 MOT15 sequences."""
    seq_dir = shared_root / "data" / "MOT15" / "train" / name
    frames = _sequence_frames(seq_dir)
    run = track_frames(create_tracker("sort"), enumerate(frames, start=1))
    reference = load_mot_txt(shared_root / "reference" / "sort" / "MOT15" / f"{name}.txt")
    ours, ref = _by_frame(run.rows), _by_frame(reference)
    assert sorted(ours) == sorted(ref)
    for frame, ref_rows in ref.items():
        got = ours[frame]
        assert got.shape == ref_rows.shape, f"frame {frame}: {len(got)} rows vs {len(ref_rows)}"
        np.testing.assert_array_equal(got[:, 0], ref_rows[:, 0], err_msg=f"frame {frame} ids")
        np.testing.assert_allclose(got[:, 1:], ref_rows[:, 1:], atol=0.01, err_msg=f"frame {frame}")


# ----------------------------------------------------------------------------- other parameters


def _original_sort_outputs(frames: list[Detections], **params: float) -> list[np.ndarray]:
    """Run the PyPI package of abewley/sort (a test oracle) and return ``x1 y1 x2 y2 id`` rows."""
    # The oracle is installed by the README's test command (a missing one fails, never skips).
    sort_module = importlib.import_module("sort.sort")
    sort_module.KalmanBoxTracker.count = 0
    tracker = sort_module.Sort(**params)
    outputs = []
    for d in frames:
        rows = np.column_stack([d.xyxy, d.scores, np.zeros(len(d))])
        out = tracker.update(rows if len(d) else np.empty((0, 6)))
        outputs.append(out[:, :5].reshape(-1, 5))
    return outputs


def _assert_same_as_original(frames: list[Detections], **params: float) -> None:
    theirs = _original_sort_outputs(frames, **params)
    tracker = SortTracker(**params)
    for i, (d, ref) in enumerate(zip(frames, theirs)):
        t = tracker.update(d)
        ref = ref[np.argsort(ref[:, 4])]
        order = np.argsort(t.ids)
        np.testing.assert_array_equal(t.ids[order], ref[:, 4], err_msg=f"frame {i + 1} ids")
        np.testing.assert_allclose(t.xyxy[order], ref[:, :4], atol=1e-6, err_msg=f"frame {i + 1}")


PARAMS = [
    {"max_age": 3, "min_hits": 1, "iou_threshold": 0.2},
    {"max_age": 5, "min_hits": 5, "iou_threshold": 0.5},
    {"max_age": 0, "min_hits": 0, "iou_threshold": 0.3},
    {"max_age": 30, "min_hits": 3, "iou_threshold": 0.1},
]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: "-".join(map(str, p.values())))
@pytest.mark.parametrize("name", ["KITTI-13", "TUD-Stadtmitte", "ETH-Sunnyday"])
def test_matches_original_with_other_parameters(
    shared_root: Path, name: str, params: dict[str, float]
) -> None:
    """The lifecycle rules hold for non-default parameters, frame by frame."""
    frames = _sequence_frames(shared_root / "data" / "MOT15" / "train" / name)
    _assert_same_as_original(frames, **params)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    max_age=st.integers(0, 6),
    min_hits=st.integers(0, 5),
    iou_threshold=st.floats(0.05, 0.7),
)
def test_matches_original_on_random_synthetic_scenes(
    seed: int, max_age: int, min_hits: int, iou_threshold: float
) -> None:
    """Random scenes with misses, false positives, occlusions and random parameters."""
    seq = generate(num_frames=40, num_objects=8, seed=seed)
    frames = [d for _, d in seq.frames()]
    _assert_same_as_original(
        frames, max_age=max_age, min_hits=min_hits, iou_threshold=iou_threshold
    )


# ----------------------------------------------------------------------------- the contract


def _scene(seed: int = 0, frames: int = 60) -> list[Detections]:
    return [d for _, d in generate(num_frames=frames, num_objects=10, seed=seed).frames()]


def test_registered_with_paper_defaults() -> None:
    assert "sort" in list_trackers()
    tracker = create_tracker("sort")
    assert isinstance(tracker, SortTracker)
    assert tracker.config == SortConfig(max_age=1, min_hits=3, iou_threshold=0.3)
    assert create_tracker("sort", max_age=4).config.max_age == 4
    assert not tracker.requires_frame and not tracker.requires_embeddings


def test_ids_unique_and_never_reused() -> None:
    tracker = create_tracker("sort", max_age=2, min_hits=1)
    seen_alive: set[int] = set()
    previous_max = 0
    for d in _scene(1, 120):
        t = tracker.update(d)
        assert len(np.unique(t.ids)) == len(t.ids)
        alive = set(tracker.tracks.ids.astype(int).tolist())
        new = alive - seen_alive
        assert all(i > previous_max for i in new), "a new track reused an old ID"
        seen_alive |= alive
        previous_max = max(seen_alive, default=0)
    assert min(seen_alive) == 1


def test_det_index_ties_tracks_to_detections() -> None:
    tracker = create_tracker("sort")
    for d in _scene(2):
        t = tracker.update(d)
        assert np.all((t.det_index >= 0) & (t.det_index < len(d)))  # SORT reports updated only
        assert len(np.unique(t.det_index)) == len(t.det_index)
        if len(t):
            # The posterior box sits near the detection that updated it.
            err = np.abs(t.xyxy - d.xyxy[t.det_index]).max(axis=1)
            assert np.all(err < 0.5 * (d.xyxy[t.det_index, 2] - d.xyxy[t.det_index, 0]) + 5)
            np.testing.assert_array_equal(t.scores, d.scores[t.det_index])


def test_update_does_not_mutate_inputs() -> None:
    tracker = create_tracker("sort")
    for d in _scene(3, 30):
        raw = np.column_stack([d.xyxy, d.scores])
        before = raw.copy()
        tracker.update(raw)
        np.testing.assert_array_equal(raw, before)


def test_outputs_are_read_only_snapshots() -> None:
    tracker = create_tracker("sort", min_hits=0)
    frames = _scene(4, 10)
    t = tracker.update(frames[0])
    kept = t.xyxy.copy()
    with pytest.raises(ValueError):
        t.xyxy[0, 0] = 1.0
    tracker.update(frames[1])
    np.testing.assert_array_equal(t.xyxy, kept)


def test_instances_are_independent_and_reset_restores_fresh_state() -> None:
    frames_a, frames_b = _scene(5), _scene(6)
    solo = create_tracker("sort")
    expected = [(t.ids.copy(), t.xyxy.copy()) for t in map(solo.update, frames_a)]
    a, b = create_tracker("sort"), create_tracker("sort")
    for i, (da, db) in enumerate(zip(frames_a, frames_b)):
        ta = a.update(da)
        b.update(db)
        np.testing.assert_array_equal(ta.ids, expected[i][0])
        np.testing.assert_allclose(ta.xyxy, expected[i][1])
    a.reset()
    assert a.frame_count == 0 and len(a.tracks) == 0
    again = [a.update(d) for d in frames_a]
    for t, (ids, xyxy) in zip(again, expected):
        np.testing.assert_array_equal(t.ids, ids)
        np.testing.assert_allclose(t.xyxy, xyxy)


def test_empty_frames_and_classes() -> None:
    tracker = create_tracker("sort", min_hits=0, max_age=3)
    box = np.array([[10.0, 10.0, 50.0, 100.0]])
    t = tracker.update(Detections(box, [0.9], classes=[7]))
    np.testing.assert_array_equal(t.classes, [7])
    assert len(tracker.update(np.empty((0, 5)))) == 0  # coasting tracks are not reported
    assert len(tracker.update(Detections.empty())) == 0
    t = tracker.update(Detections(box, [0.8], classes=[7]))
    np.testing.assert_array_equal(t.ids, [1])  # the track survived two empty frames


def test_degenerate_box_raises_before_any_state_changes() -> None:
    """SORT's state holds the aspect ratio w/h: a box with zero width or height is rejected
    with a clear error, and the tracker is left exactly as it was."""
    tracker = create_tracker("sort", min_hits=0)
    good = np.array([[10.0, 20.0, 30.0, 60.0, 0.9]])
    tracker.update(good)
    before = tracker.tracks.data.copy()
    for flat in ([[10.0, 20.0, 30.0, 20.0, 0.9]], [[10.0, 20.0, 10.0, 50.0, 0.9]]):
        with pytest.raises(ValueError, match="positive width and height"):
            tracker.update(np.vstack([good, flat]))
    np.testing.assert_array_equal(tracker.tracks.data, before)
    assert tracker.frame_count == 1
    np.testing.assert_array_equal(tracker.update(good).ids, [1])


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (np.array([[np.nan, 0, 10, 10, 0.9]]), "Detections.xyxy"),
        (np.array([[0, 0, np.inf, 10, 0.9]]), "Detections.xyxy"),
        (np.array([[10, 0, 5, 10, 0.9]]), "x2 >= x1"),
        (np.array([[0, 0, 10, 10, np.nan]]), "Detections.scores"),
        (np.array([[0, 0, 10, 10]]), r"\(N, 5\)"),
        (np.array([0, 0, 10, 10, 0.9]), r"\(N, 5\)"),
        ([["a", 0, 1, 1, 1]], "expected real numbers, got dtype <U"),
    ],
)
def test_bad_detections_raise(rows: object, match: str) -> None:
    tracker = create_tracker("sort")
    with pytest.raises(ValueError, match=match):
        tracker.update(rows)  # type: ignore[arg-type]
    assert tracker.frame_count == 0  # a rejected frame does not advance the tracker


def test_missing_detections_say_what_to_pass() -> None:
    with pytest.raises(ValueError, match="detections are required"):
        create_tracker("sort").update()


@pytest.mark.parametrize(
    "overrides",
    [{"max_age": -1}, {"min_hits": 1.5}, {"iou_threshold": 1.2}, {"iou_threshold": "0.3"}],
)
def test_bad_config_raises(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="SortConfig"):
        create_tracker("sort", **overrides)


def test_unknown_parameter_lists_valid_ones() -> None:
    with pytest.raises(TypeError, match="iou_threshold"):
        create_tracker("sort", max_agee=3)
    with pytest.raises(ValueError, match="available"):
        create_tracker("nope")


# ----------------------------------------------------------------------------- crowds


def _crowd(objects: int, frames: int, seed: int, density: float | None = 100.0, **kw):
    return [d for _, d in crowd(objects, frames, seed, density, **kw).frames()]


def _count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count calls of ``mottrack.sort.association.<name>``."""
    from mottrack.sort import association

    calls = [0]
    inner = getattr(association, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return inner(*args, **kwargs)

    monkeypatch.setattr(association, name, counted)
    return calls


@pytest.mark.parametrize(
    "objects, frames, density",
    [(300, 30, 100.0), (1000, 10, 100.0), (1000, 5, None)],
    ids=["300-crowd", "1000-crowd", "1000-on-1920x1080"],
)
def test_matches_original_in_crowds(
    monkeypatch: pytest.MonkeyPatch, objects: int, frames: int, density: float | None
) -> None:
    """Crowds take the sparse path (overlap grid, forced pairs, sparse solve of the rest,
    dense solve where the reference's tie order decides IDs) and equal the original
    frame by frame, IDs included."""
    sparse = _count_calls(monkeypatch, "_max_iou_matching")
    _assert_same_as_original(_crowd(objects, frames, seed=objects + frames, density=density))
    assert sparse[0] >= frames - 2  # the sparse path was taken


def test_tie_order_beyond_the_dense_bound_only_relabels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``max_dense_pairs`` the frames where lapjv's tie order picks the IDs of new
    tracks are decided without it: the same tracks and boxes as the original, IDs up to a
    one-to-one relabelling. With the default bound the IDs are the original's."""
    frames = _crowd(150, 40, seed=5, false_positives=15.0, miss_prob=0.3)
    theirs = _original_sort_outputs(frames)
    dense = _count_calls(monkeypatch, "_dense")
    relabel: dict[float, float] = {}
    tracker = SortTracker(max_dense_pairs=0)
    for i, (d, ref) in enumerate(zip(frames, theirs)):
        t = tracker.update(d)
        ours = np.column_stack([t.xyxy, t.ids])
        ours, ref = ours[np.lexsort(ours[:, :4].T)], ref[np.lexsort(ref[:, :4].T)]
        np.testing.assert_allclose(ours[:, :4], ref[:, :4], atol=1e-6, err_msg=f"frame {i + 1}")
        for a, b in zip(ours[:, 4], ref[:, 4]):
            assert relabel.setdefault(a, b) == b, f"frame {i + 1}: id {a} is {b} and {relabel[a]}"
    assert len(set(relabel.values())) == len(relabel)
    assert dense[0] == 0  # never solved densely
    assert sorted(relabel) != [relabel[k] for k in sorted(relabel)]  # the case did occur


def test_zero_threshold_in_a_crowd_matches_the_original() -> None:
    """``iou_threshold=0`` accepts pairs that do not overlap (the original keeps every lapjv
    pair): crowds then take the dense path, and the output equals the original's."""
    _assert_same_as_original(_crowd(150, 12, seed=3), iou_threshold=0.0)
    with pytest.raises(ValueError, match="class_aware: expected iou_threshold > 0"):
        SortTracker(class_aware=True, iou_threshold=0.0)
