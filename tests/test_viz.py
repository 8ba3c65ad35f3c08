"""Drawing (mottrack.viz) and supervision interop: sv.Detections into update(), Tracks out as
sv.Detections with tracker_id and the matched detections' class_id, data and masks."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from mottrack import Detections, Tracks, create_tracker
from mottrack.viz import TrackDrawer


def _tracks(ids: list[int], boxes: list[list[float]]) -> Tracks:
    n = len(ids)
    return Tracks(np.array(ids), np.array(boxes, float), np.ones(n), np.arange(n))


def test_each_id_keeps_its_colour_whatever_its_row() -> None:
    drawer = TrackDrawer(trail_length=0)
    image = np.zeros((100, 200, 3), np.uint8)
    first = drawer.draw(image, _tracks([7, 3], [[10, 30, 50, 90], [110, 30, 150, 90]]))
    second = drawer.draw(image, _tracks([3, 7], [[10, 30, 50, 90], [110, 30, 150, 90]]))
    seven, three = drawer.color_of(7), drawer.color_of(3)
    assert seven != three
    assert tuple(first[60, 10]) == seven and tuple(first[60, 110]) == three  # left edges
    assert tuple(second[60, 10]) == three and tuple(second[60, 110]) == seven
    assert not image.any()  # the input is left unchanged


def test_trails_follow_the_bottom_centre_and_reset_forgets_them() -> None:
    drawer = TrackDrawer(trail_length=10)
    image = np.zeros((120, 200, 3), np.uint8)
    for step in range(6):
        x = 20 + 20 * step
        out = drawer.draw(image, _tracks([4], [[x, 20, x + 20, 60]]))
    colour = drawer.color_of(4)
    assert tuple(out[60, 40]) == colour  # the bottom centre of an earlier box (x = 30..130)
    drawer.reset()
    fresh = drawer.draw(image, _tracks([4], [[120, 20, 140, 60]]))
    assert tuple(fresh[60, 40]) == (0, 0, 0)


def test_frame_number_is_drawn_top_left() -> None:
    drawer = TrackDrawer()
    image = np.full((80, 160, 3), 128, np.uint8)
    plain = drawer.draw(image, Tracks.empty())
    numbered = drawer.draw(image, Tracks.empty(), frame=12)
    assert (plain == image).all()
    changed = np.argwhere((numbered != image).any(axis=2))
    assert len(changed) > 50 and changed[:, 0].max() < 40 and changed[:, 1].max() < 120
    assert (drawer.draw(image, Tracks.empty(), frame=13) != numbered).any()  # the number


def test_update_accepts_supervision_detections() -> None:
    xyxy = np.array([[10, 10, 50, 90], [100, 20, 140, 100.0]])
    scores = np.array([0.9, 0.8])
    ours, theirs = create_tracker("sort", min_hits=1), create_tracker("sort", min_hits=1)
    for step in range(4):
        boxes = xyxy + 3 * step
        a = ours.update(Detections(boxes, scores, np.array([0, 2])))
        b = theirs.update(sv.Detections(xyxy=boxes, confidence=scores, class_id=np.array([0, 2])))
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_allclose(a.xyxy, b.xyxy)
    assert list(b.classes) == [0, 2]
    deepsort = create_tracker("deepsort")
    emb = np.eye(2, 8)
    dets = sv.Detections(xyxy=xyxy, confidence=scores, data={"embeddings": emb})
    deepsort.update(dets)  # embeddings taken from data["embeddings"]
    with pytest.raises(ValueError, match="embeddings"):
        create_tracker("deepsort").update(sv.Detections(xyxy=xyxy, confidence=scores))


def test_to_supervision_carries_detection_fields_through_det_index() -> None:
    dets = sv.Detections(
        xyxy=np.array([[0, 0, 10, 10], [20, 20, 40, 40.0]]),
        confidence=np.array([0.5, 0.9]),
        class_id=np.array([4, 7]),
        mask=np.stack([np.eye(6, dtype=bool), np.ones((6, 6), bool)]),
        data={"name": np.array(["car", "person"]), "speed": np.array([1.5, 2.5])},
    )
    tracks = Tracks(np.array([5, 9]), dets.xyxy[::-1], np.array([0.9, 0.1]), np.array([1, -1]))
    out = tracks.to_supervision(dets)
    assert isinstance(out, sv.Detections)
    assert out.tracker_id.tolist() == [5, 9] and out.class_id.tolist() == [7, -1]
    assert out.data["name"].tolist() == ["person", ""]
    assert out.data["speed"][0] == 2.5 and np.isnan(out.data["speed"][1])
    assert out.data["det_index"].tolist() == [1, -1]
    assert out.mask[0].all() and not out.mask[1].any()
    np.testing.assert_array_equal(out.xyxy, tracks.xyxy)
    bare = tracks.to_supervision()
    assert bare.class_id is None and bare.mask is None and bare.tracker_id.tolist() == [5, 9]
    with pytest.raises(ValueError, match="detections"):
        tracks.to_supervision(dets[:1])


def test_tracker_to_supervision_round_trip() -> None:
    tracker = create_tracker("sort", min_hits=1)
    boxes = np.array([[10, 10, 50, 90], [100, 20, 140, 100.0]])
    dets = sv.Detections(xyxy=boxes, confidence=np.ones(2), class_id=np.array([3, 1]))
    out = tracker.update(dets).to_supervision(dets)
    order = np.argsort(out.data["det_index"])
    assert out.class_id[order].tolist() == [3, 1] and sorted(out.tracker_id) == [1, 2]
