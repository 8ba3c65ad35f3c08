"""Hostile inputs at the tracker boundary: each gets a clear error or is handled correctly,
and none corrupts a tracker (issue 10: state and data, raw library messages)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mottrack import Detections, create_tracker, list_trackers
from mottrack.embeddings import unit_rows
from mottrack.types import MAX_COORDINATE, as_detections

BOX = [10.0, 20.0, 50.0, 100.0]


def dets(boxes, classes=None, dim: int = 4) -> Detections:
    boxes = np.asarray(boxes, float)
    emb = np.tile(np.eye(dim)[0], (len(boxes), 1))
    return Detections(boxes, np.full(len(boxes), 0.9), classes, emb)


@pytest.mark.parametrize("name", list_trackers())
def test_a_finite_but_huge_box_is_rejected_and_the_tracker_keeps_working(name: str) -> None:
    """[[0, 0, 1e160, 1e160]] once gave NaN boxes (SORT) or broke FairMOT for good."""
    tracker, fresh = create_tracker(name), create_tracker(name)
    good = [dets([BOX]) for _ in range(6)]
    for d in good[:3]:
        tracker.update(d)
        fresh.update(d)
    with pytest.raises(ValueError, match=r"xyxy: expected pixel coordinates within \+-1e\+08"):
        tracker.update(dets([BOX, [0.0, 0.0, 1e160, 1e160]]))
    for d in good[3:]:
        a, b = tracker.update(d), fresh.update(d)
        np.testing.assert_array_equal(a.xyxy, b.xyxy)
        assert np.isfinite(a.xyxy).all() and a.ids.tolist() == b.ids.tolist()


def test_coordinates_up_to_the_bound_are_accepted() -> None:
    edge = MAX_COORDINATE
    assert len(Detections(np.array([[-edge, -edge, edge, edge]]))) == 1


@pytest.mark.parametrize("bad", ["x", b"x", {}, {"xyxy": BOX}, {1, 2}, None])
def test_non_array_detections_name_what_is_expected(bad) -> None:
    with pytest.raises(ValueError, match=r"detections: expected Detections or an \(N, 5\)"):
        as_detections(bad)
    with pytest.raises(ValueError, match="detections"):
        create_tracker("sort").update(bad)


@pytest.mark.parametrize(
    "rows",
    [np.ones((1, 5), bool), np.ones((1, 5), complex), np.array([["a", "b", "c", "d", "e"]])],
)
def test_bool_complex_and_string_arrays_are_not_coordinates(rows) -> None:
    with pytest.raises(ValueError, match=r"expected real numbers, got dtype"):
        as_detections(rows)
    with pytest.raises(ValueError, match=r"xyxy: expected real numbers"):
        Detections(rows[:, :4])


def test_rows_without_columns_are_not_an_empty_frame() -> None:
    with pytest.raises(ValueError, match=r"\(N, 5\).*got shape \(3, 0\)"):
        as_detections(np.empty((3, 0)))
    with pytest.raises(ValueError, match=r"xyxy: expected shape \(N, 4\), got \(3, 0\)"):
        Detections(np.empty((3, 0)))
    assert len(as_detections(np.empty((0, 5)))) == 0 and len(as_detections([])) == 0


def test_torch_tensors_are_accepted_even_with_requires_grad() -> None:
    boxes = torch.tensor([BOX], requires_grad=True)
    d = Detections(boxes, torch.tensor([0.5]), torch.tensor([3]), torch.ones(1, 4))
    np.testing.assert_array_equal(d.xyxy, [BOX])
    assert d.classes.tolist() == [3] and d.embeddings.shape == (1, 4)
    rows = as_detections(torch.tensor([[*BOX, 0.9]], requires_grad=True))
    assert rows.scores.tolist() == [pytest.approx(0.9)]


@pytest.mark.parametrize("classes", [[2**70], [1e300], [float("inf")], [2.0**60], [1.5]])
def test_classes_beyond_exact_integers_are_rejected(classes) -> None:
    with pytest.raises(ValueError, match=r"Detections\.classes: expected integer"):
        Detections(np.array([BOX]), classes=classes)


def test_select_rejects_out_of_range_and_fractional_indices() -> None:
    d = Detections(np.array([BOX, BOX, BOX]))
    with pytest.raises(ValueError, match=r"index: rows must lie in \[-3, 3\), got \[5\]"):
        d.select([5])
    with pytest.raises(ValueError, match="expected 1-d integer row indices or a boolean mask"):
        d.select([0.7])
    with pytest.raises(ValueError, match=r"boolean mask of shape \(3,\)"):
        d.select([True, False])
    assert len(d.select([2, -1])) == 2 and len(d.select([])) == 0


@pytest.mark.parametrize(
    ("value", "dtype"), [(1e-200, np.float64), (1e200, np.float64), (1e-30, np.float32)]
)
def test_tiny_and_huge_embeddings_keep_their_direction(value: float, dtype) -> None:
    """Squares that under- or overflow once made such rows 'zero norm' (or NaN)."""
    f = np.array([[value, 0.0, value], [1.0, 2.0, 2.0]], dtype)
    out = unit_rows(f, dtype)
    s = np.sqrt(np.asarray(0.5, dtype))
    np.testing.assert_allclose(out, [[s, 0.0, s], [1 / 3, 2 / 3, 2 / 3]], rtol=1e-6)
    np.testing.assert_array_equal(out[1], f[1] / np.linalg.norm(f[1]))  # normal rows: bitwise
    with pytest.raises(ValueError, match="row 1 is all zeros"):
        unit_rows(np.array([[1.0, 0.0], [0.0, 0.0]]))


@pytest.mark.parametrize("name", ["deepsort", "fairmot"])
def test_trackers_accept_tiny_embeddings(name: str) -> None:
    tracker = create_tracker(name)
    d = Detections(np.array([BOX]), np.ones(1), embeddings=np.full((1, 4), 1e-200))
    for _ in range(4):
        out = tracker.update(d)
    assert np.isfinite(out.xyxy).all()


@pytest.mark.parametrize("name", list_trackers())
def test_a_track_reports_the_class_of_its_latest_detection(name: str) -> None:
    """FairMOT once kept a track's first class forever (7 stayed 7; none stayed -1)."""
    tracker = create_tracker(name)
    tracker.update(dets([BOX]))  # born without classes
    seen = []
    for cls in (7, 7, 17, 17):
        out = tracker.update(dets([BOX], classes=[cls]))
        seen.append(out.classes.tolist())
    assert seen[-1] == [17] and seen[-3] in ([], [7])
