"""Box formats and IoU: round trips, known values, scalar references, error messages."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mottrack.boxes import FORMATS, convert, iou_matrix, xysr_to_xyxy, xyxy_to_xysr

# One box, [x1, y1, x2, y2] = [10, 20, 40, 80]: w = 30, h = 60, centre (25, 50).
KNOWN = {
    "xyxy": [10.0, 20.0, 40.0, 80.0],
    "xywh": [10.0, 20.0, 30.0, 60.0],
    "cxcywh": [25.0, 50.0, 30.0, 60.0],
    "xyah": [25.0, 50.0, 0.5, 60.0],
    "xysr": [25.0, 50.0, 1800.0, 0.5],
}
PAIRS = list(itertools.product(FORMATS, FORMATS))


@st.composite
def xyxy_boxes(draw, max_rows=6, min_size=0.5):
    """(N, 4) xyxy boxes with sizes >= min_size (min_size 0 allows degenerate boxes)."""
    n = draw(st.integers(0, max_rows))
    corner = hnp.arrays(np.float64, (n, 2), elements=st.floats(-1000, 1000))
    size = hnp.arrays(np.float64, (n, 2), elements=st.floats(min_size, 1000))
    xy, wh = draw(corner), draw(size)
    return np.hstack([xy, xy + wh])


def test_formats_are_the_five_documented_ones():
    assert set(FORMATS) == set(KNOWN)


@pytest.mark.parametrize("fmt", FORMATS)
def test_known_values_from_and_to_xyxy(fmt):
    """Each format's documented layout, on a box with distinct width and height."""
    np.testing.assert_allclose(convert([KNOWN["xyxy"]], "xyxy", fmt), [KNOWN[fmt]], rtol=1e-15)
    np.testing.assert_allclose(convert([KNOWN[fmt]], fmt, "xyxy"), [KNOWN["xyxy"]], rtol=1e-15)


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_known_values_every_pair(src, dst):
    np.testing.assert_allclose(convert([KNOWN[src]], src, dst), [KNOWN[dst]], rtol=1e-15)


@settings(max_examples=40, deadline=None)
@given(boxes=xyxy_boxes())
def test_round_trips_between_all_formats(boxes):
    """src -> dst agrees with going through xyxy, and dst -> src gives back the input."""
    scale = 1e-9 * 2000.0
    for src, dst in PAIRS:
        b_src = convert(boxes, "xyxy", src)
        b_dst = convert(b_src, src, dst)
        assert b_dst.shape == boxes.shape and b_dst.dtype == np.float64
        expected = convert(boxes, "xyxy", dst)
        np.testing.assert_allclose(b_dst, expected, rtol=1e-9, atol=scale, err_msg=f"{src}->{dst}")
        back = convert(b_dst, dst, src)
        np.testing.assert_allclose(back, b_src, rtol=1e-9, atol=scale, err_msg=f"{dst}->{src}")
    for fmt in FORMATS:
        again = convert(convert(boxes, "xyxy", fmt), fmt, "xyxy")
        np.testing.assert_allclose(again, boxes, rtol=1e-9, atol=scale, err_msg=fmt)


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_single_box_keeps_its_shape(src, dst):
    """A (4,) input gives a (4,) output with the same values as the (1, 4) form."""
    single = convert(np.array(KNOWN[src]), src, dst)
    assert single.shape == (4,)
    np.testing.assert_array_equal(single, convert([KNOWN[src]], src, dst)[0])


@pytest.mark.parametrize("fmt", FORMATS)
def test_convert_returns_a_new_array(fmt):
    """Even for src == dst the result is a copy; the input is never written."""
    boxes = np.array([KNOWN["xyxy"]])
    before = boxes.copy()
    out = convert(boxes, "xyxy", fmt)
    out[...] = -1.0
    np.testing.assert_array_equal(boxes, before)
    assert convert(boxes, "xyxy", "xyxy") is not boxes


def test_convert_empty_and_integer_input():
    assert convert(np.zeros((0, 4)), "xywh", "xysr").shape == (0, 4)
    out = convert([[0, 0, 4, 2]], "xyxy", "xyah")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[2.0, 1.0, 2.0, 2.0]])


@pytest.mark.parametrize("which", ["src", "dst"])
def test_convert_bad_format_name(which):
    kwargs = {"src": "xyxy", "dst": "xyxy", which: "tlwh"}
    with pytest.raises(ValueError, match=which):
        convert(np.zeros((1, 4)), kwargs["src"], kwargs["dst"])  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 5), (1, 2, 4), ()])
def test_convert_bad_shape(shape):
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        convert(np.zeros(shape), "xyxy", "xywh")


def test_zero_height_gives_inf_or_nan_without_warning():
    """Documented: zero height -> infinite/NaN aspect ratio, no exception or warning."""
    with np.errstate(all="raise"):
        out = convert([[0.0, 0.0, 4.0, 0.0], [0.0, 0.0, 0.0, 0.0]], "xyxy", "xyah")
    assert np.isinf(out[0, 2]) and np.isnan(out[1, 2])


@settings(max_examples=40, deadline=None)
@given(boxes=xyxy_boxes(), extra=st.integers(0, 3))
def test_hot_path_helpers_equal_convert(boxes, extra):
    """xyxy_to_xysr / xysr_to_xyxy are convert's xysr conversions (extra state columns ignored)."""
    xysr = xyxy_to_xysr(boxes)
    np.testing.assert_array_equal(xysr, convert(boxes, "xyxy", "xysr"))
    state = np.hstack([xysr, np.full((len(xysr), extra), 7.0)])
    np.testing.assert_array_equal(xysr_to_xyxy(state), convert(xysr, "xysr", "xyxy"))


def test_xysr_matches_sort_formulas():
    """SORT: z = [x1 + w/2, y1 + h/2, w*h, w/h]; back: w = sqrt(s r), h = s / w."""
    box = np.array([[3.0, 5.0, 11.0, 7.0]])
    np.testing.assert_array_equal(xyxy_to_xysr(box), [[7.0, 6.0, 16.0, 4.0]])
    np.testing.assert_array_equal(xysr_to_xyxy(np.array([[7.0, 6.0, 16.0, 4.0]])), box)


# -- IoU --------------------------------------------------------------------------------------
def iou_reference(a, b, off=0.0):
    """Scalar IoU of two xyxy boxes; widths/heights get ``off`` added (inclusive pixels)."""
    iw = min(a[2], b[2]) - max(a[0], b[0]) + off
    ih = min(a[3], b[3]) - max(a[1], b[1]) + off
    inter = max(iw, 0.0) * max(ih, 0.0)
    area_a = (a[2] - a[0] + off) * (a[3] - a[1] + off)
    area_b = (b[2] - b[0] + off) * (b[3] - b[1] + off)
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


@settings(max_examples=60, deadline=None)
@given(a=xyxy_boxes(min_size=0.0), b=xyxy_boxes(min_size=0.0), off=st.sampled_from([0.0, 1.0]))
def test_iou_matches_scalar_reference(a, b, off):
    """Every pair agrees with the scalar formula; result in [0, 1], finite, symmetric."""
    iou = iou_matrix(a, b, pixel_offset=off)
    assert iou.shape == (len(a), len(b))
    for i, j in itertools.product(range(len(a)), range(len(b))):
        assert iou[i, j] == pytest.approx(iou_reference(a[i], b[j], off), rel=1e-12, abs=1e-15)
    assert np.all(np.isfinite(iou)) and np.all((iou >= 0) & (iou <= 1))
    np.testing.assert_array_equal(iou_matrix(b, a, pixel_offset=off), iou.T)


@settings(max_examples=30, deadline=None)
@given(a=xyxy_boxes())
def test_iou_of_identical_boxes_is_one(a):
    np.testing.assert_allclose(np.diagonal(iou_matrix(a, a)), 1.0, rtol=1e-12)


def test_iou_disjoint_and_touching_boxes():
    """No overlap -> 0; boxes sharing only an edge -> 0 unless pixels are inclusive."""
    a = np.array([[0.0, 0.0, 10.0, 10.0]])
    far = np.array([[20.0, 20.0, 30.0, 30.0]])
    touching = np.array([[10.0, 0.0, 20.0, 10.0]])
    assert iou_matrix(a, far)[0, 0] == 0.0
    assert iou_matrix(a, touching)[0, 0] == 0.0
    # inclusive pixels: a covers columns 0..10 (11 px), touching covers 10..20: one shared column
    assert iou_matrix(a, touching, pixel_offset=1.0)[0, 0] == pytest.approx(11 / (121 + 121 - 11))


def test_iou_known_values_both_conventions():
    """[0,0,9,9] vs [5,5,14,14]: 16/146 with continuous coordinates, 25/175 in FairMOT's
    cython_bbox convention (width = x2 - x1 + 1)."""
    a = np.array([[0.0, 0.0, 9.0, 9.0]])
    b = np.array([[5.0, 5.0, 14.0, 14.0]])
    assert iou_matrix(a, b)[0, 0] == pytest.approx(16 / 146, rel=1e-15)
    assert iou_matrix(a, b, pixel_offset=1)[0, 0] == pytest.approx(25 / 175, rel=1e-15)


def test_iou_zero_area_boxes_are_zero_not_nan():
    """Degenerate boxes (points, lines) have IoU 0 with everything, themselves included."""
    boxes = np.array(
        [
            [5.0, 5.0, 5.0, 5.0],  # point
            [0.0, 5.0, 10.0, 5.0],  # horizontal line
            [0.0, 0.0, 10.0, 10.0],  # a real box containing both
        ]
    )
    with np.errstate(all="raise"):
        iou = iou_matrix(boxes, boxes)
    expected = np.zeros((3, 3))
    expected[2, 2] = 1.0
    np.testing.assert_array_equal(iou, expected)


def test_iou_empty_inputs():
    assert iou_matrix(np.zeros((0, 4)), np.ones((3, 4))).shape == (0, 3)
    assert iou_matrix(np.ones((2, 4)), np.zeros((0, 4))).shape == (2, 0)


@pytest.mark.parametrize(
    ("a", "b"),
    [(np.zeros((2, 3)), np.zeros((2, 4))), (np.zeros(4), np.zeros((1, 4))), (np.zeros((1, 4)), [])],
)
def test_iou_bad_shapes_raise(a, b):
    with pytest.raises(ValueError, match="iou_matrix"):
        iou_matrix(a, b)


def test_iou_of_tiny_and_subnormal_boxes_is_exact():
    """Areas near or below float64's smallest normal number divide exactly like the scalar
    formula (a clamp of the union to ``tiny`` once made two identical tiny boxes overlap ~0)."""
    boxes = np.array([[0.0, 0.0, 1e-154, 1e-154], [0.0, 0.0, 1e-160, 1e-160], [5.0, 5.0, 5.0, 5.0]])
    iou = iou_matrix(boxes, boxes)
    assert iou[0, 0] == 1.0 and iou[1, 1] == 1.0
    assert iou[2, 2] == 0.0  # two empty boxes: empty union, IoU 0
    for i, j in itertools.product(range(3), range(3)):
        assert iou[i, j] == iou_reference(boxes[i], boxes[j])
