"""Camera motion estimators (``mottrack.motion.cmc``) on a synthetic shifted texture."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mottrack.motion.cmc import CMC_METHODS, CameraMotion, check_cmc

#: A camera move in pixels (non-integer, both axes).
SHIFT = (7.5, -3.25)


def texture(seed: int = 0) -> np.ndarray:
    """A (400, 600) grey texture of blobs and lines over smooth noise."""
    rng = np.random.default_rng(seed)
    noise = cv2.resize(rng.random((51, 76)) * 150 + 50, (600, 400), interpolation=cv2.INTER_CUBIC)
    img = np.clip(noise, 0, 255).astype(np.uint8)
    for _ in range(150):
        x, y = (int(v) for v in rng.integers(0, (600, 400)))
        cv2.circle(img, (x, y), int(rng.integers(3, 12)), int(rng.integers(0, 256)), -1)
        cv2.line(img, (x, y), (x + 20, y + int(rng.integers(-20, 21))), int(rng.integers(256)), 2)
    return img


def view(world: np.ndarray, corner: tuple[float, float]) -> np.ndarray:
    """The (240, 320) BGR camera image whose top-left corner is at ``corner`` in ``world``."""
    shift = np.array([[1.0, 0.0, -corner[0]], [0.0, 1.0, -corner[1]]])
    grey = cv2.warpAffine(world, shift, (320, 240), flags=cv2.INTER_LINEAR)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


@pytest.fixture(scope="module")
def world() -> np.ndarray:
    return texture()


@pytest.mark.parametrize("method", CMC_METHODS)
def test_recovers_a_camera_shift(method: str, world: np.ndarray) -> None:
    """The camera moves by SHIFT: a previous pixel ``p`` lies at ``p - SHIFT`` now."""
    motion = CameraMotion(method)
    first = motion.estimate(view(world, (100.0, 80.0)))
    np.testing.assert_array_equal(first, np.eye(2, 3))  # no previous frame
    affine = motion.estimate(view(world, (100.0 + SHIFT[0], 80.0 + SHIFT[1])))
    assert affine.shape == (2, 3) and affine.dtype == np.float64
    np.testing.assert_allclose(affine[:, 2], [-SHIFT[0], -SHIFT[1]], atol=0.5)
    np.testing.assert_allclose(affine[:, :2], np.eye(2), atol=5e-3)


@pytest.mark.parametrize("method", CMC_METHODS)
def test_translation_scales_back_from_the_downscaled_frame(method: str, world: np.ndarray) -> None:
    """At ``downscale=3`` the move is found on a third-size image and reported full size."""
    motion = CameraMotion(method, downscale=3.0)
    motion.estimate(view(world, (100.0, 80.0)))
    affine = motion.estimate(view(world, (112.0, 74.0)))
    np.testing.assert_allclose(affine[:, 2], [-12.0, 6.0], atol=1.0)


def test_ecc_euclidean_recovers_a_rotation(world: np.ndarray) -> None:
    """A small rotation about the image centre: ECC's Euclidean model finds the angle."""
    motion = CameraMotion("ecc", euclidean=True)
    image = view(world, (100.0, 80.0))
    rot = cv2.getRotationMatrix2D((160.0, 120.0), 2.0, 1.0)
    motion.estimate(image)
    affine = motion.estimate(cv2.warpAffine(image, rot, (320, 240)))
    inner = np.array([[100.0, 80.0, 1.0], [220.0, 160.0, 1.0]]).T  # away from the black border
    np.testing.assert_allclose(affine @ inner, rot @ inner, atol=0.5)


@pytest.mark.parametrize("method", CMC_METHODS)
def test_reset_and_size_change_give_the_identity(method: str, world: np.ndarray) -> None:
    motion = CameraMotion(method)
    motion.estimate(view(world, (100.0, 80.0)))
    motion.reset()
    np.testing.assert_array_equal(motion.estimate(view(world, (110.0, 80.0))), np.eye(2, 3))
    smaller = view(world, (120.0, 80.0))[:200, :300]
    np.testing.assert_array_equal(motion.estimate(smaller), np.eye(2, 3))


@pytest.mark.parametrize("method", CMC_METHODS)
def test_estimation_failure_gives_the_identity(method: str) -> None:
    """Blank frames: no keypoints, corners or gradient to register."""
    motion = CameraMotion(method)
    blank = np.full((120, 160, 3), 128, np.uint8)
    motion.estimate(blank)
    np.testing.assert_array_equal(motion.estimate(blank.copy()), np.eye(2, 3))


def test_snapshot_restore_brings_back_the_previous_frame(world: np.ndarray) -> None:
    motion = CameraMotion("flow")
    motion.estimate(view(world, (100.0, 80.0)))
    token = motion.snapshot()
    motion.estimate(view(world, (140.0, 80.0)))
    motion.restore(token)
    affine = motion.estimate(view(world, (105.0, 80.0)))
    np.testing.assert_allclose(affine[:, 2], [-5.0, 0.0], atol=0.5)  # from 100, not 140


def test_grey_frames_are_accepted(world: np.ndarray) -> None:
    motion = CameraMotion("ecc")
    motion.estimate(view(world, (100.0, 80.0))[:, :, 0])
    affine = motion.estimate(view(world, (104.0, 80.0))[:, :, 0])
    np.testing.assert_allclose(affine[:, 2], [-4.0, 0.0], atol=0.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "sift"}, r"CameraMotion.method: expected one of \['ecc', 'orb', 'flow'\]"),
        ({"method": None}, "CameraMotion.method"),
        ({"method": "ecc", "downscale": 0.5}, "CameraMotion.downscale: expected a number >= 1"),
        ({"method": "orb", "max_features": 2}, "CameraMotion.max_features"),
    ],
)
def test_bad_settings_raise_one_line(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match) as err:
        CameraMotion(**kwargs)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (np.zeros((40, 40, 3), np.float32), "uint8 ndarray, got float32"),
        ([[0, 1]], "uint8 ndarray, got list"),
        (np.zeros((40, 40, 4), np.uint8), r"shape \(H, W, 3\) or \(H, W\).*got \(40, 40, 4\)"),
        (np.zeros((4, 40), np.uint8), r"H, W >= 8, got \(4, 40\)"),
    ],
)
def test_bad_frames_raise_one_line(frame: object, match: str) -> None:
    with pytest.raises(ValueError, match=match) as err:
        CameraMotion("orb").estimate(frame)  # type: ignore[arg-type]
    assert "\n" not in str(err.value) and str(err.value).startswith("CameraMotion.estimate")


def test_check_cmc() -> None:
    for value in (None, *CMC_METHODS):
        check_cmc("X", value)
    with pytest.raises(ValueError, match=r"X.cmc: expected None or one of .* got 'ECC'"):
        check_cmc("X", "ECC")
