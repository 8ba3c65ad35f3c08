"""The Tracker contract, for every registered tracker (DESIGN.md, "The one interface")."""

from __future__ import annotations

import numpy as np
import pytest

from mottrack import Detections, Tracks, create_tracker, get_tracker_class, list_trackers
from mottrack.boxes import iou_matrix
from mottrack.datasets import generate

TRACKERS = list_trackers()
#: Every tracker with its defaults, and the variants with their own state layout.
VARIANTS = [(name, {}) for name in TRACKERS] + [("deepsort", {"nn_budget": None})]


def scene(seed: int = 0, frames: int = 40) -> list[Detections]:
    """A crowded synthetic scene: detections with classes and simulated re-ID features."""
    seq = generate(num_frames=frames, num_objects=8, seed=seed)
    out = []
    for _, d in seq.frames(seq.feature_vectors(dim=16, noise=0.3)):
        out.append(Detections(d.xyxy, d.scores, d.xyxy[:, 0].astype(int) % 3, d.embeddings))
    return out


def outputs(tracker, frames: list[Detections]) -> list[Tracks]:
    return [tracker.update(d) for d in frames]


def assert_same(a: list[Tracks], b: list[Tracks]) -> None:
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        for name in ("ids", "xyxy", "scores", "det_index", "classes"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), f"{i} {name}")


@pytest.fixture(scope="module")
def frames() -> list[Detections]:
    return scene()


@pytest.mark.parametrize("name", TRACKERS)
def test_runs_and_reports_tracks(name: str, frames: list[Detections]) -> None:
    """The scene is busy enough that every tracker reports tracks (the checks below bite)."""
    out = outputs(create_tracker(name), frames)
    assert sum(len(t) for t in out) > 100
    assert all(isinstance(t, Tracks) for t in out)


@pytest.mark.parametrize("name", TRACKERS)
def test_inputs_are_never_modified(name: str, frames: list[Detections]) -> None:
    raw = [(d.xyxy.copy(), d.scores.copy(), d.classes.copy(), d.embeddings.copy()) for d in frames]
    arrays = [[a.copy() for a in r] for r in raw]
    tracker = create_tracker(name)
    for r in raw:
        tracker.update(Detections(*r))
    for r, a in zip(raw, arrays):
        for x, y in zip(r, a):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", TRACKERS)
def test_outputs_are_read_only(name: str, frames: list[Detections]) -> None:
    for t in outputs(create_tracker(name), frames[:10]):
        for arr in (t.ids, t.xyxy, t.scores, t.det_index, t.classes):
            assert not arr.flags.writeable
    tracker = create_tracker(name)
    tracker.update(frames[0])
    with pytest.raises(ValueError, match="read-only"):
        tracker.tracks.hits[:] = 5  # the live table is read-only from outside as well


@pytest.mark.parametrize("name", TRACKERS)
def test_interleaved_instances_equal_separate_runs(name: str, frames: list[Detections]) -> None:
    other = scene(seed=1)
    alone_a = outputs(create_tracker(name), frames)
    alone_b = outputs(create_tracker(name), other)
    a, b = create_tracker(name), create_tracker(name)
    mixed_a, mixed_b = [], []
    for da, db in zip(frames, other):
        mixed_a.append(a.update(da))
        mixed_b.append(b.update(db))
    assert_same(alone_a, mixed_a)
    assert_same(alone_b, mixed_b)


@pytest.mark.parametrize("name", TRACKERS)
def test_reset_equals_a_fresh_tracker(name: str, frames: list[Detections]) -> None:
    tracker = create_tracker(name)
    outputs(tracker, scene(seed=2, frames=15))
    tracker.reset()
    assert tracker.frame_count == 0 and len(tracker.tracks) == 0
    assert_same(outputs(tracker, frames), outputs(create_tracker(name), frames))


@pytest.mark.parametrize("name", TRACKERS)
def test_det_index_points_at_the_detection_that_updated_the_track(
    name: str, frames: list[Detections]
) -> None:
    """A matched track's box is its Kalman posterior: it overlaps its detection more than any
    other; its class is that detection's; a coasting track has det_index -1."""
    tracker = create_tracker(name)
    matched = 0
    for d in frames:
        t = tracker.update(d)
        hit = t.det_index >= 0
        assert len(set(t.det_index[hit].tolist())) == int(hit.sum())  # one track per detection
        if hit.any():
            iou = iou_matrix(t.xyxy[hit], d.xyxy)
            assert (iou.argmax(axis=1) == t.det_index[hit]).all()
            assert (iou[np.arange(hit.sum()), t.det_index[hit]] > 0.5).all()
            np.testing.assert_array_equal(t.classes[hit], d.classes[t.det_index[hit]])
            matched += int(hit.sum())
    assert matched > 100


@pytest.mark.parametrize("name", TRACKERS)
def test_empty_frames(name: str, frames: list[Detections]) -> None:
    tracker = create_tracker(name)
    outputs(tracker, frames[:5])
    for empty in (Detections.empty(), np.empty((0, 5)), np.empty((0, 6))):
        t = tracker.update(empty)
        assert t.xyxy.shape == (len(t), 4) and (t.det_index == -1).all()
    fresh = create_tracker(name)
    assert len(fresh.update(Detections.empty())) == 0 and fresh.frame_count == 1


@pytest.mark.parametrize("name", TRACKERS)
def test_missing_input_says_what_to_pass(name: str, frames: list[Detections]) -> None:
    tracker = create_tracker(name)
    with pytest.raises(ValueError, match=r"detections are required; pass update\(Detections"):
        tracker.update()
    bare = Detections(frames[0].xyxy, frames[0].scores)
    if get_tracker_class(name).requires_embeddings:
        with pytest.raises(ValueError, match=r"embeddings=\(N, D\) array.*Pipeline\(tracker"):
            tracker.update(bare)
    else:
        tracker.update(bare)
    assert tracker.frame_count == (0 if get_tracker_class(name).requires_embeddings else 1)


def report_step(name: str) -> str:
    """The store method through which a tracker reports its frame: every tracker's compiled
    lifecycle rule (``emit`` for a tracker without one)."""
    return "apply_rule" if name in ("sort", "deepsort", "fairmot") else "emit"


@pytest.mark.parametrize(("name", "params"), VARIANTS)
@pytest.mark.parametrize("step", ["correct", "spawn", "report"])
def test_a_failed_update_changes_nothing(
    name: str,
    params: dict,
    step: str,
    frames: list[Detections],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A step that raises half-way through a frame (here: inside the store, after the
    tracker has predicted, matched and possibly updated tracks) leaves the tracker as it was:
    the run with the failed frame equals the run without it, frame for frame."""
    good = outputs(create_tracker(name, **params), frames)
    tracker, reference = create_tracker(name, **params), create_tracker(name, **params)
    owner = type(tracker.tracks)
    if step == "report":
        step = report_step(name)
    original = getattr(owner, step)
    k = first_frame_calling(owner, step, create_tracker(name, **params), frames, 20, monkeypatch)
    out = outputs(tracker, frames[:k])
    outputs(reference, frames[:k])
    calls = {"n": 0}

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        original(self, *args, **kwargs)  # change the table, then fail
        raise RuntimeError("planted failure")

    monkeypatch.setattr(owner, step, failing)
    with pytest.raises(RuntimeError, match="planted failure"):
        tracker.update(frames[k])
    monkeypatch.undo()
    assert calls["n"] == 1 and tracker.frame_count == k
    assert_same_state(tracker, reference, frames[k])
    out += outputs(tracker, frames[k:])
    assert_same(good, out)


def first_frame_calling(
    owner: type, step: str, tracker, frames: list[Detections], start: int, monkeypatch
) -> int:
    """Index of the first frame from ``start`` in whose update ``owner.step`` is called."""
    original, calls = getattr(owner, step), []

    def counting(self, *args, **kwargs):
        calls.append(tracker.frame_count - 1)
        return original(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(owner, step, counting)
        outputs(tracker, frames)
    return min(i for i in calls if i >= start)


def assert_same_state(tracker, reference, probe: Detections) -> None:
    """The track tables are equal, and so is every side table as the policy reads it."""
    np.testing.assert_array_equal(tracker.tracks.data, reference.tracks.data)
    assert tracker.tracks.next_id == reference.tracks.next_id
    rows = np.arange(len(reference.tracks))
    feats = (probe.embeddings / np.linalg.norm(probe.embeddings, axis=1, keepdims=True)).astype(
        np.float32
    )
    for name, table in reference.tracks.side_tables.items():
        other = tracker.tracks.side_tables[name]
        assert len(other) == len(table)
        np.testing.assert_array_equal(other.distance(rows, feats), table.distance(rows, feats))
        if hasattr(table, "count"):
            np.testing.assert_array_equal(other.count, table.count)


@pytest.mark.parametrize("name", TRACKERS)
def test_an_interrupt_mid_frame_changes_nothing(
    name: str, frames: list[Detections], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C inside a frame (after the tracks were updated) rolls the frame back too."""
    tracker, reference = create_tracker(name), create_tracker(name)
    outputs(tracker, frames[:10])
    outputs(reference, frames[:10])

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(tracker.tracks), report_step(name), interrupted)
    with pytest.raises(KeyboardInterrupt):
        tracker.update(frames[10])
    monkeypatch.undo()
    assert tracker.frame_count == 10
    assert_same_state(tracker, reference, frames[10])
