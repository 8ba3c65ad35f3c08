"""``class_aware``: detections only match tracks of their class, in all three trackers."""

from __future__ import annotations

import numpy as np
import pytest

from mottrack import Detections, create_tracker
from mottrack.datasets import crossing_classes, frames_with_classes
from mottrack.eval import evaluate_synthetic
from mottrack.pipeline import track_frames

PARAMS = {"sort": {"min_hits": 1}, "deepsort": {"n_init": 1}, "fairmot": {}}


def _det(cls: int, dx: float = 0.0) -> Detections:
    box = np.array([[100.0 + dx, 100.0, 140.0 + dx, 200.0]])
    return Detections(box, np.array([0.9]), np.array([cls]), embeddings=np.array([[1.0, 0.0]]))


@pytest.mark.parametrize("name", list(PARAMS))
@pytest.mark.parametrize("aware", [False, True])
def test_a_detection_of_another_class_never_continues_a_track(name: str, aware: bool) -> None:
    """A track of class 0, then a class-1 detection in the same place: class-blind, it
    continues the track (and the track reports class 1); class-aware, it does not."""
    tracker = create_tracker(name, class_aware=aware, **PARAMS[name])
    for k in range(4):
        out = tracker.update(_det(0, k))
    (old,) = out.ids
    out = tracker.update(_det(1, 4.0))
    continued = out.ids[out.det_index == 0].tolist() == [old]
    assert continued is not aware
    if not aware:
        assert out.classes is not None and out.classes[out.ids == old].tolist() == [1]


@pytest.mark.parametrize("name", list(PARAMS))
def test_class_aware_needs_classes_and_a_bool(name: str) -> None:
    tracker = create_tracker(name, class_aware=True)
    no_classes = Detections(np.array([[0.0, 0, 9, 9]]), np.ones(1), embeddings=[[1.0, 0]])
    with pytest.raises(ValueError, match="class_aware=True needs a class for every detection"):
        tracker.update(no_classes)
    assert tracker.frame_count == 0
    tracker.update(Detections(np.zeros((0, 4)), np.zeros(0)))  # an empty frame is fine
    with pytest.raises(ValueError, match=r"class_aware: expected True or False, got 'yes'"):
        create_tracker(name, class_aware="yes")


def _idsw(seq, frames, name: str, **params) -> int:  # type: ignore[no-untyped-def]
    run = track_frames(create_tracker(name, **params), enumerate(frames, 1))
    return int(evaluate_synthetic(seq, run.rows).combined["IDSW"])


@pytest.mark.parametrize(
    ("name", "params"), [("sort", {"max_age": 30, "min_hits": 1}), ("fairmot", {})]
)
def test_crossing_classes_scene_loses_its_id_switches(name: str, params: dict) -> None:
    """On the scene made for it (objects of two classes crossing, the occluded one missed),
    the class-blind tracker switches IDs at crossings; class-aware, it does not."""
    seq = crossing_classes(seed=1)
    frames, _ = frames_with_classes(seq, 2, seq.feature_vectors(noise=1.0), seed=1)
    assert _idsw(seq, frames, name, **params) >= 4
    assert _idsw(seq, frames, name, class_aware=True, **params) == 0
