"""FairMOT target encoding (CenterNet heat map, ltrb sizes, offsets, ids) on hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mottrack.fairmot.data.augment import jde_sample
from mottrack.fairmot.data.targets import (
    draw_umich_gaussian,
    encode_targets,
    gaussian2d,
    gaussian_radius,
)


def _box(xc: float, yc: float, w: float, h: float, ident: int = 1, cls: int = 0) -> list[float]:
    return [cls, ident, xc, yc, w, h]


def test_gaussian_radius_hand_values() -> None:
    # (10, 10): the third candidate wins: a=2.8, b=-28, c=-30 -> (-28 + sqrt(784 + 336)) / 2
    assert gaussian_radius((10, 10)) == pytest.approx((-28 + math.sqrt(1120)) / 2)
    assert int(gaussian_radius((10, 10))) == 2
    # (4, 4): a=2.8, b=-11.2, c=-4.8 -> (-11.2 + sqrt(125.44 + 53.76)) / 2 = 1.09...
    assert gaussian_radius((4, 4)) == pytest.approx((-11.2 + math.sqrt(179.2)) / 2)
    # (40, 20): the other candidates are larger
    r1 = (60 + math.sqrt(60**2 - 4 * 800 * 0.3 / 1.7)) / 2
    r2 = (120 + math.sqrt(120**2 - 16 * 0.3 * 800)) / 2
    r3 = (-84 + math.sqrt(84**2 + 4 * 2.8 * 0.3 * 800)) / 2
    assert gaussian_radius((40, 20)) == pytest.approx(min(r1, r2, r3)) == pytest.approx(r3)
    assert gaussian_radius((1, 1)) < 1  # radius 0: a single pixel
    assert gaussian_radius((100, 40)) > gaussian_radius((50, 20))


def test_gaussian2d_values_and_cut() -> None:
    g = gaussian2d((5, 5), sigma=5 / 6)
    assert g[2, 2] == 1.0
    assert g[2, 3] == pytest.approx(math.exp(-1 / (2 * (5 / 6) ** 2)))
    assert g[0, 0] == pytest.approx(math.exp(-8 / (2 * (5 / 6) ** 2)))
    assert np.array_equal(g, g.T) and np.array_equal(g, g[::-1])
    tiny = gaussian2d((41, 41), sigma=1.0)
    assert tiny[0, 0] == 0.0  # below eps * max is zeroed


def test_draw_umich_gaussian_peak_offsets_and_borders() -> None:
    hm = np.zeros((11, 13), np.float32)
    draw_umich_gaussian(hm, (6, 5), 2)
    sigma = 5 / 6
    assert hm[5, 6] == 1.0 and hm.max() == 1.0
    assert hm[5, 7] == pytest.approx(math.exp(-1 / (2 * sigma**2)), rel=1e-6)
    assert hm[3, 4] == pytest.approx(math.exp(-8 / (2 * sigma**2)), rel=1e-6)
    assert hm[5, 9] == 0 and hm[2, 6] == 0  # outside the radius
    assert np.count_nonzero(hm) == 25
    # element-wise max with what is there, never a sum
    draw_umich_gaussian(hm, (7, 5), 2)
    assert hm[5, 6] == 1.0 and hm[5, 7] == 1.0
    # cut at the border: only the in-image quadrant is drawn, nothing wraps
    corner = np.zeros((6, 6), np.float32)
    draw_umich_gaussian(corner, (0, 0), 2)
    assert corner[0, 0] == 1.0 and np.count_nonzero(corner) == 9
    assert corner[:, 3:].sum() == 0 and corner[3:, :].sum() == 0
    zero = np.zeros((3, 3), np.float32)
    draw_umich_gaussian(zero, (1, 1), 0)
    assert zero[1, 1] == 1.0 and np.count_nonzero(zero) == 1


def test_single_box_position_radius_and_regression() -> None:
    # input 64x32 -> output 16x8; box 4x4 output pixels centred at (8.48, 4.2)
    t = encode_targets([_box(8.48 / 16, 4.2 / 8, 0.25, 0.5, ident=7)], (64, 32), max_objs=5)
    assert t["hm"].shape == (1, 8, 16) and t["hm"].dtype == np.float32
    assert t["reg_mask"].tolist() == [1, 0, 0, 0, 0] and t["reg_mask"].dtype == np.uint8
    assert t["ind"][0] == 4 * 16 + 8 and t["ind"].dtype == np.int64
    np.testing.assert_allclose(t["reg"][0], [0.48, 0.2], atol=1e-5)
    np.testing.assert_allclose(t["wh"][0], [2, 2, 2, 2], atol=1e-5)  # ltrb from the float centre
    np.testing.assert_allclose(t["bbox"][0], [6.48, 2.2, 10.48, 6.2], atol=1e-5)
    assert t["ids"].tolist() == [7, 0, 0, 0, 0]
    hm = t["hm"][0]
    assert hm[4, 8] == 1.0 and hm.max() == 1.0
    # radius int(1.09) = 1: sigma 0.5, neighbours exp(-2), diagonals exp(-4), nothing further
    assert hm[4, 9] == pytest.approx(math.exp(-2)) and hm[5, 9] == pytest.approx(math.exp(-4))
    assert hm[4, 10] == 0 and np.count_nonzero(hm) == 9


def test_centre_outside_is_clipped_and_ltrb_stays_amodal() -> None:
    # centre at x = -0.8 output px (box half outside the left edge), width 4, height 4
    t = encode_targets([_box(-0.8 / 16, 0.5, 0.25, 0.5)], (64, 32), max_objs=2)
    assert t["ind"][0] == 4 * 16 + 0
    np.testing.assert_allclose(t["reg"][0], [0, 0], atol=1e-6)
    np.testing.assert_allclose(t["wh"][0], [2.8, 2, 1.2, 2], atol=1e-5)
    assert t["hm"][0, 4, 0] == 1.0
    # centre beyond the right/bottom edge clips to out - 1
    t = encode_targets([_box(1.2, 1.1, 0.1, 0.2)], (64, 32), max_objs=2)
    assert t["ind"][0] == 7 * 16 + 15


def test_cap_zero_size_slots_and_identities() -> None:
    boxes = [_box(0.1 + 0.08 * i, 0.5, 0.05, 0.3, ident=i - 1) for i in range(10)]
    boxes[1][4] = 0.0  # zero width: slot 1 stays empty, slot 2 keeps its place
    t = encode_targets(boxes, (256, 64), max_objs=4)
    assert t["reg_mask"].tolist() == [1, 0, 1, 1]
    assert t["ids"].tolist() == [-1, 0, 1, 2]  # identity -1 (no id) is kept as -1
    peaks = np.argwhere(t["hm"][0] == 1.0)
    assert len(peaks) == 3  # boxes beyond K are not drawn either
    assert sorted((peaks[:, 0] * 64 + peaks[:, 1]).tolist()) == sorted(t["ind"][[0, 2, 3]])


def test_empty_labels_and_bad_input() -> None:
    t = encode_targets(np.zeros((0, 6)), (1088, 608))
    assert t["hm"].shape == (1, 152, 272) and not t["hm"].any()
    assert t["wh"].shape == (500, 4) and t["reg"].shape == (500, 2) and t["bbox"].shape == (500, 4)
    assert t["reg_mask"].sum() == 0
    with pytest.raises(ValueError, match=r"labels: expected an array of shape \(N, 6\)"):
        encode_targets(np.zeros((2, 5)), (64, 32))
    with pytest.raises(ValueError, match=r"labels: expected integer classes in 0\.\.0, got 1"):
        encode_targets([_box(0.5, 0.5, 0.1, 0.1, cls=1)], (64, 32))


def test_hand_made_image_through_letterbox_to_targets() -> None:
    # a 100x100 frame in a 128x64 input: ratio 0.64, 64x64 resized, 32 px padding each side
    img = np.zeros((100, 100, 3), np.uint8)
    img[25:75, 40:60] = 255
    labels = np.array([_box(0.5, 0.5, 0.2, 0.5, ident=3)], np.float32)
    image, out = jde_sample(img, labels, (128, 64), rng=None)
    assert image.shape == (64, 128, 3) and image.flags.c_contiguous
    assert (image[0, :32] == 128).all() and (image[0, 96:] == 128).all()  # pad 127.5 -> 128
    assert image[32, 64].tolist() == [255, 255, 255]
    np.testing.assert_allclose(out[0], [0, 3, 0.5, 0.5, 12.8 / 128, 32 / 64], atol=1e-6)
    t = encode_targets(out, (128, 64))
    assert t["ind"][0] == 8 * 32 + 16 and t["hm"][0, 8, 16] == 1.0
    np.testing.assert_allclose(t["wh"][0], [1.6, 4, 1.6, 4], atol=1e-5)
