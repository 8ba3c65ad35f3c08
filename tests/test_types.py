"""Detections / Tracks: validation with named fields, read-only copies, array forms, to_mot."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mottrack.types import Detections, Tracks, as_detections

BOXES = np.array([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 6.0, 7.0], [1.0, 2.0, 1.0, 2.0]])


# -- Detections: valid construction -----------------------------------------------------------
def test_defaults_and_dtypes():
    """scores default to ones; xyxy/scores are float64; classes/embeddings default to None."""
    det = Detections(BOXES.astype(np.float32))
    assert len(det) == 3
    assert det.xyxy.dtype == np.float64 and det.scores.dtype == np.float64
    np.testing.assert_array_equal(det.xyxy, BOXES)
    np.testing.assert_array_equal(det.scores, np.ones(3))
    assert det.classes is None and det.embeddings is None


def test_optional_fields_are_converted():
    """classes become int64 (integral floats accepted); float32 embeddings stay float32."""
    det = Detections(
        BOXES,
        scores=[0.9, 0.5, 0.1],
        classes=np.array([1.0, 2.0, 0.0]),
        embeddings=np.ones((3, 5), np.float32),
    )
    assert det.classes.dtype == np.int64
    np.testing.assert_array_equal(det.classes, [1, 2, 0])
    assert det.embeddings.dtype == np.float32 and det.embeddings.shape == (3, 5)
    ints = Detections(BOXES, embeddings=np.ones((3, 2), np.int32))
    assert ints.embeddings.dtype == np.float64


def test_zero_size_box_is_valid():
    """x2 == x1 and y2 == y1 are allowed (x2 >= x1)."""
    assert len(Detections(np.array([[3.0, 4.0, 3.0, 4.0]]))) == 1


@pytest.mark.parametrize("empty", [np.zeros((0, 4)), np.zeros((0, 3)), np.zeros((0, 0))])
def test_empty_detections(empty):
    """Zero boxes in any 2-d empty form give (0, 4) boxes and (0,) scores."""
    det = Detections(empty)
    assert len(det) == 0
    assert det.xyxy.shape == (0, 4) and det.scores.shape == (0,)
    assert not det.xyxy.flags.writeable


def test_empty_classmethod():
    det = Detections.empty()
    assert len(det) == 0 and det.embeddings is None
    det = Detections.empty(embedding_dim=128)
    assert det.embeddings.shape == (0, 128)


# -- Detections: validation errors name the field ---------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"xyxy": [[0.0, 0.0, np.nan, 1.0]]}, "Detections.xyxy"),
        ({"xyxy": [[0.0, 0.0, np.inf, 1.0]]}, "Detections.xyxy"),
        ({"xyxy": [[-np.inf, 0.0, 1.0, 1.0]]}, "Detections.xyxy"),
        ({"xyxy": [[5.0, 0.0, 4.0, 1.0]]}, "Detections.xyxy"),  # x2 < x1
        ({"xyxy": [[0.0, 5.0, 4.0, 1.0]]}, "Detections.xyxy"),  # y2 < y1
        ({"xyxy": np.zeros((2, 3))}, "Detections.xyxy"),
        ({"xyxy": np.zeros((2, 5))}, "Detections.xyxy"),
        ({"xyxy": np.zeros(4)}, "Detections.xyxy"),
        ({"xyxy": np.zeros((1, 2, 4))}, "Detections.xyxy"),
        ({"xyxy": [["a", "b", "c", "d"]]}, "Detections.xyxy"),
        ({"xyxy": BOXES, "scores": [1.0, 1.0]}, "Detections.scores"),
        ({"xyxy": BOXES, "scores": np.ones((3, 1))}, "Detections.scores"),
        ({"xyxy": BOXES, "scores": [1.0, np.nan, 1.0]}, "Detections.scores"),
        ({"xyxy": BOXES, "scores": [1.0, np.inf, 1.0]}, "Detections.scores"),
        ({"xyxy": BOXES, "classes": [1.5, 0.0, 0.0]}, "Detections.classes"),
        ({"xyxy": BOXES, "classes": [np.nan, 0.0, 0.0]}, "Detections.classes"),
        ({"xyxy": BOXES, "classes": [1, 2]}, "Detections.classes"),
        ({"xyxy": BOXES, "classes": ["a", "b", "c"]}, "Detections.classes"),
        ({"xyxy": BOXES, "embeddings": np.ones((2, 4))}, "Detections.embeddings"),
        ({"xyxy": BOXES, "embeddings": np.ones(3)}, "Detections.embeddings"),
        ({"xyxy": BOXES, "embeddings": np.full((3, 2), np.nan)}, "Detections.embeddings"),
        (
            {"xyxy": BOXES, "embeddings": np.full((3, 2), np.inf, np.float32)},
            "Detections.embeddings",
        ),
    ],
)
def test_invalid_detections_raise_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        Detections(**kwargs)


@settings(max_examples=40, deadline=None)
@given(
    rows=hnp.arrays(
        np.float64, st.tuples(st.integers(1, 5), st.just(4)), elements=st.floats(-100, 100)
    )
)
def test_validation_accepts_exactly_ordered_boxes(rows):
    """Construction succeeds iff every row has x2 >= x1 and y2 >= y1."""
    ordered = bool(np.all(rows[:, 2] >= rows[:, 0]) and np.all(rows[:, 3] >= rows[:, 1]))
    if ordered:
        np.testing.assert_array_equal(Detections(rows).xyxy, rows)
    else:
        with pytest.raises(ValueError, match=r"Detections\.xyxy"):
            Detections(rows)


_F64_BOXES = np.array([[0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 3.0, 5.0]])


@pytest.fixture
def compiled_checks(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The compiled one-pass check loaded (as once a tracker exists), its calls counted."""
    from mottrack.types import compiled_validation

    validate = compiled_validation()
    calls = {"n": 0}
    original = validate.all_valid

    def counted(*args):
        calls["n"] += 1
        return original(*args)

    monkeypatch.setattr(validate, "all_valid", counted)
    return calls


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("xyxy", np.nan),
        ("xyxy", 2e8),  # beyond MAX_COORDINATE
        ("xyxy", -1.0),  # x2 < x1
        ("scores", np.inf),
        ("embeddings", np.nan),
        ("embeddings32", np.inf),
    ],
)
def test_float64_arrays_get_the_same_checks_as_any_input(where, value, compiled_checks):
    """Float64 arrays take the one-pass compiled check; a bad value there raises exactly the
    message that the same data as nested lists raises."""
    xyxy, scores = _F64_BOXES.copy(), np.array([0.5, 0.9])
    emb = np.ones((2, 3), np.float32 if where == "embeddings32" else np.float64)
    if where == "scores":
        scores[1] = value
    else:
        (xyxy if where == "xyxy" else emb)[1, 2] = value
    with pytest.raises(ValueError) as fast:
        Detections(xyxy, scores, embeddings=emb)
    with pytest.raises(ValueError) as slow:
        Detections(xyxy.tolist(), scores.tolist(), embeddings=emb.tolist())
    assert str(fast.value) == str(slow.value).replace("list", "ndarray")
    assert compiled_checks["n"] == 1  # the compiled pass saw the arrays (and refused them)


def test_float64_arrays_are_stored_as_read_only_copies(compiled_checks):
    xyxy, scores = _F64_BOXES.copy(), np.array([0.5, 0.9])
    emb = np.ones((2, 3), np.float32)
    det = Detections(xyxy[:, :4], scores, embeddings=emb)
    assert compiled_checks["n"] == 1
    xyxy[0, 0] = scores[0] = emb[0, 0] = -7
    np.testing.assert_array_equal(det.xyxy, _F64_BOXES)
    assert det.scores[0] == 0.5 and det.embeddings[0, 0] == 1.0
    assert det.embeddings.dtype == np.float32
    for arr in (det.xyxy, det.scores, det.embeddings):
        assert not arr.flags.writeable


# -- Detections: immutability -----------------------------------------------------------------
def test_arrays_are_read_only_copies():
    """Later writes to the caller's arrays do not leak in; the stored arrays reject writes."""
    xyxy = BOXES.copy()
    scores = np.array([0.9, 0.5, 0.1])
    classes = np.array([1, 2, 3])
    emb = np.ones((3, 2), np.float32)
    det = Detections(xyxy, scores, classes, emb)
    xyxy[0, 0] = scores[0] = classes[0] = emb[0, 0] = -7
    np.testing.assert_array_equal(det.xyxy, BOXES)
    assert det.scores[0] == 0.9 and det.classes[0] == 1 and det.embeddings[0, 0] == 1.0
    for arr in (det.xyxy, det.scores, det.classes, det.embeddings):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = 0
    default = Detections(BOXES)
    with pytest.raises(ValueError):
        default.scores[0] = 0.0


def test_fields_cannot_be_reassigned():
    det = Detections(BOXES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        det.xyxy = np.zeros((0, 4))  # type: ignore[misc]


# -- array forms ------------------------------------------------------------------------------
def test_from_array_five_and_six_columns():
    """(N, 5) is [box, score]; (N, 6) adds an integer class column."""
    rows5 = np.hstack([BOXES, [[0.9], [0.5], [0.1]]])
    det = Detections.from_array(rows5)
    np.testing.assert_array_equal(det.xyxy, BOXES)
    np.testing.assert_array_equal(det.scores, [0.9, 0.5, 0.1])
    assert det.classes is None
    rows6 = np.hstack([rows5, [[0.0], [3.0], [1.0]]])
    det = as_detections(rows6)
    np.testing.assert_array_equal(det.classes, [0, 3, 1])
    assert det.classes.dtype == np.int64
    rows6[0, 0] = 99.0  # the Detections holds a copy
    assert det.xyxy[0, 0] == 0.0


@pytest.mark.parametrize("empty", [np.zeros((0, 5)), np.zeros((0, 6)), [], np.zeros((0, 0))])
def test_from_array_empty(empty):
    det = as_detections(empty)
    assert len(det) == 0 and det.xyxy.shape == (0, 4)


@pytest.mark.parametrize(
    "bad", [np.zeros((2, 4)), np.zeros((2, 7)), np.zeros(5), np.zeros((1, 1, 5))]
)
def test_from_array_bad_shape(bad):
    with pytest.raises(ValueError, match=r"\(N, 5\)"):
        as_detections(bad)


def test_from_array_validates_values():
    with pytest.raises(ValueError, match=r"Detections\.xyxy"):
        as_detections([[0.0, 0.0, np.nan, 1.0, 0.5]])
    with pytest.raises(ValueError, match=r"Detections\.classes"):
        as_detections([[0.0, 0.0, 1.0, 1.0, 0.5, 0.5]])


def test_as_detections_passes_detections_through():
    det = Detections(BOXES)
    assert as_detections(det) is det


# -- select -----------------------------------------------------------------------------------
def test_select_by_indices_and_mask():
    """Integer indices keep the given order; a mask keeps row order; all fields follow."""
    det = Detections(
        BOXES, [0.9, 0.5, 0.1], [7, 8, 9], np.arange(6, dtype=np.float32).reshape(3, 2)
    )
    sub = det.select([2, 0])
    np.testing.assert_array_equal(sub.xyxy, BOXES[[2, 0]])
    np.testing.assert_array_equal(sub.scores, [0.1, 0.9])
    np.testing.assert_array_equal(sub.classes, [9, 7])
    np.testing.assert_array_equal(sub.embeddings, [[4.0, 5.0], [0.0, 1.0]])
    assert sub.embeddings.dtype == np.float32
    masked = det.select(np.array([False, True, True]))
    np.testing.assert_array_equal(masked.scores, [0.5, 0.1])
    assert not masked.xyxy.flags.writeable
    assert Detections(BOXES).select(np.array([1])).classes is None


def test_select_nothing():
    """An empty selection (all-false mask, empty index list or array) gives zero detections."""
    det = Detections(BOXES, embeddings=np.ones((3, 4)))
    assert len(det.select(np.zeros(3, bool))) == 0
    assert len(det.select(np.array([], dtype=np.int64))) == 0
    empty = det.select([])
    assert len(empty) == 0 and empty.embeddings.shape == (0, 4)


# -- Tracks -----------------------------------------------------------------------------------
def make_tracks(**over):
    kwargs = {
        "ids": [3, 1],
        "xyxy": [[0.0, 0.0, 10.0, 20.0], [5.0, 6.0, 8.0, 10.0]],
        "scores": [0.9, 0.4],
        "det_index": [1, -1],
    }
    kwargs.update(over)
    return Tracks(**kwargs)


def test_tracks_valid_construction():
    tr = make_tracks(classes=[2, 0])
    assert len(tr) == 2
    assert tr.ids.dtype == np.int64 and tr.det_index.dtype == np.int64
    assert tr.xyxy.dtype == np.float64 and tr.classes.dtype == np.int64
    for arr in (tr.ids, tr.xyxy, tr.scores, tr.det_index, tr.classes):
        assert not arr.flags.writeable


def test_tracks_copy_their_inputs():
    ids = np.array([3, 1])
    tr = make_tracks(ids=ids)
    ids[0] = 100
    assert tr.ids[0] == 3


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"ids": [0, 1]}, "Tracks.ids"),
        ({"ids": [-2, 1]}, "Tracks.ids"),
        ({"ids": [[1, 2]]}, "Tracks.ids"),
        ({"xyxy": [[0.0, 0.0, 1.0, 1.0]]}, "Tracks.xyxy"),
        ({"xyxy": np.zeros((2, 3))}, "Tracks.xyxy"),
        ({"scores": [0.9]}, "Tracks.scores"),
        ({"det_index": [0, 1, 2]}, "Tracks.det_index"),
        ({"classes": [1]}, "Tracks.classes"),
    ],
)
def test_tracks_invalid_raise_naming_the_field(over, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        make_tracks(**over)


@pytest.mark.parametrize(
    "xyxy",
    [
        [[0.0, 0.0, np.nan, 20.0], [5.0, 6.0, 8.0, 10.0]],
        [[0.0, 0.0, 10.0, np.inf], [5.0, 6.0, 8.0, 10.0]],
        [[0.0, 0.0, 10.0, 20.0], [5.0, 6.0, 4.0, 10.0]],  # x2 < x1
    ],
)
def test_tracks_validate_boxes_like_detections(xyxy):
    """DESIGN.md: Detections and Tracks are validated at construction (finite, x2 >= x1)."""
    with pytest.raises(ValueError, match=r"Tracks\.xyxy"):
        make_tracks(xyxy=xyxy)


def test_tracks_empty():
    tr = Tracks.empty()
    assert len(tr) == 0 and tr.xyxy.shape == (0, 4) and tr.ids.dtype == np.int64
    assert tr.to_mot(5).shape == (0, 10)
    tr = Tracks(np.zeros(0, np.int64), np.zeros((0, 0)), [], [])
    assert tr.xyxy.shape == (0, 4)


def test_to_mot_rows():
    """MOTChallenge: frame, id, left, top, width, height, score, -1, -1, -1."""
    rows = make_tracks().to_mot(frame=7)
    expected = [
        [7, 3, 0.0, 0.0, 10.0, 20.0, 0.9, -1, -1, -1],
        [7, 1, 5.0, 6.0, 3.0, 4.0, 0.4, -1, -1, -1],
    ]
    assert rows.dtype == np.float64
    np.testing.assert_array_equal(rows, expected)


def test_trusted_wraps_without_copy_and_freezes():
    """Tracks.trusted keeps the given arrays (no copy) and makes them read-only."""
    ids = np.array([1, 2], np.int64)
    xyxy = np.array([[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 2.0, 3.0]])
    scores = np.array([0.5, 0.6])
    det_index = np.array([0, -1], np.int64)
    tr = Tracks.trusted(ids, xyxy, scores, det_index)
    assert tr.ids is ids and tr.xyxy is xyxy and tr.classes is None
    for arr in (ids, xyxy, scores, det_index):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = 0
    classes = np.array([4, 5], np.int64)
    assert not Tracks.trusted(ids, xyxy, scores, det_index, classes).classes.flags.writeable
    np.testing.assert_array_equal(tr.to_mot(1)[:, 1], [1, 2])


def test_building_detections_does_not_import_numba():
    """numba loads with the first tracker, not with ``import mottrack`` or ``Detections``."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\nfrom mottrack import Detections\n"
        "d = Detections(np.array([[0.0, 0, 4, 4]]), np.ones(1), embeddings=np.ones((1, 3)))\n"
        "print('numba' in sys.modules, len(d))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "1"]
