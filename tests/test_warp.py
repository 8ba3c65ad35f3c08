"""``TrackStore.warp``: camera motion applied to the Kalman states (checked against corners)."""

from __future__ import annotations

import numpy as np
import pytest

from mottrack import Detections
from mottrack.motion import ConstantVelocityXYAH, ConstantVelocityXYSR
from mottrack.tracks import TrackStore

FORMATS = {"xysr": ConstantVelocityXYSR, "xyah": ConstantVelocityXYAH}


def boxes(k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(50, 400, (k, 2))
    return np.hstack([xy, xy + rng.uniform(20, 90, (k, 2))])


def moving_store(fmt: str, k: int = 5) -> TrackStore:
    """A store whose tracks have velocities and full covariances (three corrected frames)."""
    store = TrackStore(FORMATS[fmt](), fmt)
    first = boxes(k, 0)
    store.spawn(Detections(first, np.ones(k)), np.arange(k))
    step = np.random.default_rng(1).uniform(-6, 6, (k, 4))
    for t in (1, 2, 3):
        store.advance()
        store.correct(np.arange(k), Detections(first + t * step, np.ones(k)), np.arange(k))
    store.advance()
    return store


def similarity(angle_deg: float, scale: float, t: tuple[float, float]) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    rot = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.hstack([rot, np.array(t)[:, None]])


def corners(xyxy: np.ndarray) -> np.ndarray:
    """The four corners of each box, shape (N, 4, 2): (x1, y1), (x2, y1), (x2, y2), (x1, y2)."""
    x1, y1, x2, y2 = xyxy.T
    return np.stack([np.c_[x1, y1], np.c_[x2, y1], np.c_[x2, y2], np.c_[x1, y2]], axis=1)


def linear_map(fmt: str, affine: np.ndarray) -> np.ndarray:
    """The state map written out per box format (rows/columns named in comments)."""
    rot = affine[:, :2]
    k = np.sqrt(abs(np.linalg.det(rot)))
    if fmt == "xysr":  # u, v, s, r, u', v', s'
        t = np.eye(7)
        t[0:2, 0:2] = rot
        t[4:6, 4:6] = rot
        t[2, 2] = t[6, 6] = k * k
    else:  # x, y, a, h, x', y', a', h'
        t = np.eye(8)
        t[0:2, 0:2] = rot
        t[4:6, 4:6] = rot
        t[3, 3] = t[7, 7] = k
    return t


@pytest.mark.parametrize("fmt", FORMATS)
def test_scale_and_translation_move_the_box_corners(fmt: str) -> None:
    """With ``R = k I`` the warped box is the box of the transformed corners."""
    store = moving_store(fmt)
    before = store.boxes()
    affine = np.array([[1.1, 0.0, -12.5], [0.0, 1.1, 4.0]])
    store.warp(affine)
    moved = corners(before) @ affine[:, :2].T + affine[:, 2]
    expected = np.hstack([moved.min(axis=1), moved.max(axis=1)])
    np.testing.assert_allclose(store.boxes(), expected, atol=1e-9)


@pytest.mark.parametrize("fmt", FORMATS)
def test_rotation_moves_the_centre_and_scales_the_sides(fmt: str) -> None:
    """A similarity (rotation, scale k): centre = mean of the transformed corners; width and
    height = k times the original (the transformed sides' lengths); aspect ratio kept."""
    store = moving_store(fmt)
    before = store.boxes()
    affine = similarity(8.0, 0.95, (30.0, -7.0))
    store.warp(affine)
    moved = corners(before) @ affine[:, :2].T + affine[:, 2]
    after = store.boxes()
    np.testing.assert_allclose((after[:, :2] + after[:, 2:]) / 2, moved.mean(axis=1), atol=1e-9)
    width = np.linalg.norm(moved[:, 1] - moved[:, 0], axis=1)
    height = np.linalg.norm(moved[:, 3] - moved[:, 0], axis=1)
    np.testing.assert_allclose(after[:, 2] - after[:, 0], width, rtol=1e-12)
    np.testing.assert_allclose(after[:, 3] - after[:, 1], height, rtol=1e-12)


@pytest.mark.parametrize("fmt", FORMATS)
def test_velocity_turns_with_the_camera(fmt: str) -> None:
    """Warp then predict equals predict then warp: the velocity is rotated and scaled too."""
    store = moving_store(fmt)
    affine = similarity(-5.0, 1.05, (3.0, 9.0))
    motion = store.motion
    mean, cov = store.gaussian(np.arange(len(store)))
    predicted, _ = motion.predict(mean, cov)
    store.warp(affine)
    warped_then_predicted, _ = motion.predict(*store.gaussian(np.arange(len(store))))
    centre = predicted[:, :2] @ affine[:, :2].T + affine[:, 2]
    np.testing.assert_allclose(warped_then_predicted[:, :2], centre, atol=1e-9)
    k = np.sqrt(abs(np.linalg.det(affine[:, :2])))
    size, scale = (2, k * k) if fmt == "xysr" else (3, k)
    np.testing.assert_allclose(warped_then_predicted[:, size], predicted[:, size] * scale)


@pytest.mark.parametrize("fmt", FORMATS)
def test_mean_and_covariance_are_the_linear_map(fmt: str) -> None:
    store = moving_store(fmt)
    affine = similarity(12.0, 0.9, (-4.0, 6.0))
    mean, cov = store.mean.copy(), store.covariance.copy()
    store.warp(affine)
    t = linear_map(fmt, affine)
    expected_mean = mean @ t.T
    expected_mean[:, :2] += affine[:, 2]
    np.testing.assert_allclose(store.mean, expected_mean, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(store.covariance, t @ cov @ t.T, rtol=1e-10, atol=1e-9)
    np.testing.assert_array_equal(store.covariance, store.covariance.transpose(0, 2, 1))
    assert (np.linalg.eigvalsh(store.covariance) > 0).all()


@pytest.mark.parametrize("fmt", FORMATS)
def test_identity_is_a_bit_identical_no_op_and_rows_limit_the_change(fmt: str) -> None:
    store = moving_store(fmt)
    before, before_boxes = store.data.copy(), store.boxes()
    store.warp(np.eye(2, 3))
    assert store.data.tobytes() == before.tobytes()
    store.warp(np.array([[1.0, 0.0, 5.0], [0.0, 1.0, 0.0]]), rows=np.array([1, 3]))
    changed = np.flatnonzero((store.data != before).any(axis=1))
    np.testing.assert_array_equal(changed, [1, 3])
    np.testing.assert_allclose(store.boxes()[[1, 3]], before_boxes[[1, 3]] + [5, 0, 5, 0])


def test_an_empty_store_and_bad_affines() -> None:
    store = TrackStore(ConstantVelocityXYSR(), "xysr")
    store.warp(similarity(3.0, 1.0, (1.0, 2.0)))  # nothing to move
    assert len(store) == 0
    with pytest.raises(ValueError, match=r"warp: expected a finite \(2, 3\) affine, got shape"):
        store.warp(np.eye(3))
    with pytest.raises(ValueError, match="finite"):
        store.warp(np.array([[1.0, 0.0, np.nan], [0.0, 1.0, 0.0]]))


def oracle_d2(mean: np.ndarray, cov: np.ndarray, r: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance of every (track, measurement), written out with solves."""
    out = np.empty((len(mean), len(z)))
    for i in range(len(mean)):
        s = cov[i, :4, :4] + np.diag(r[i])
        y = z - mean[i, :4]
        out[i] = np.einsum("ij,ij->i", y, np.linalg.solve(s, y.T).T)
    return out


def test_gate_after_a_sheared_warp_is_exact_and_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rotated and sheared warp gives the position block off-diagonal covariance (a pure
    rotation of the isotropic x/y block leaves it diagonal up to rounding). The compiled gate
    handles it (Cholesky factor per track, the grid bound from the marginal variances; the
    dense form is not called), and the pairs it returns are those an independent solve
    finds."""
    store = moving_store("xyah", k=6)
    shear = np.array([[1.0, 0.35, 2.0], [0.1, 0.9, -3.0]])
    store.warp(similarity(20.0, 1.0, (0.0, 0.0)))
    store.warp(shear)
    cov = store.covariance
    assert np.abs(cov[:, 0, 1]).min() > 1e-3  # innovation covariance is not diagonal

    def dense(*args, **kwargs):
        raise AssertionError("the dense gating form was called")

    monkeypatch.setattr(store.motion, "gating_distance", dense)
    predicted = store.boxes()
    jitter = np.random.default_rng(3).normal(0, 4, predicted.shape)
    dets = Detections(np.vstack([predicted + jitter, predicted + 40.0]), np.ones(12))
    rows = np.arange(len(store))
    track, det, d2 = store.gate(rows, dets, 9.4877)
    z = store.measurements(dets)
    r = store.motion.measurement_noise_diag(store.mean)
    expected = oracle_d2(store.mean, cov, r, z)
    et, ed = np.nonzero(expected <= 9.4877)
    assert 0 < et.size < expected.size  # some pairs in, some out: the gate decides
    np.testing.assert_array_equal(track, et)
    np.testing.assert_array_equal(det, ed)
    np.testing.assert_allclose(d2, expected[et, ed], rtol=1e-9)
