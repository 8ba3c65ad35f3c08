"""JDE/FairMOT training augmentation (``jde.py``'s ``LoadImagesAndLabels.get_data``).

The steps, in the original's order and with its parameters:

1. HSV jitter: saturation and value each scaled by ``1 + U(-0.5, 0.5)`` (clipped to 255 only
   when the factor is > 1, then truncated to uint8).
2. Letterbox to the input size (:func:`mottrack.fairmot.preprocess.letterbox`: ``INTER_AREA``,
   pad 127.5). Boxes go to input pixels with the *unrounded* padding, ``ratio * w * x + dw``, as
   the original does (the image pad is rounded, so they can differ by half a pixel).
3. Random affine (``random_affine``, called with degrees ±5, translate ±0.1, scale 0.5-1.2 and
   its default shear ±2°): ``M = S @ T @ R`` about the image centre, ``warpPerspective`` with
   ``INTER_LINEAR`` and border 127.5. As in the original the x translation is a fraction of the
   image *height* and the y translation of its *width*.
4. Horizontal flip with probability 0.5 (``x_center -> 1 - x_center``).

Box policy (the original's; boxes are never clipped): after the affine, a box is the enclosing
box of its four warped corners, shrunk about its centre by ``sqrt(max(|sin a|, |cos a|))``. It is
dropped if its width or height is <= 4 px, its area is <= 0.1 of its area before the warp, or its
aspect ratio is >= 10 (tested in float64), or if it lies entirely outside the image (tested, as in
the original, on the box already stored as float32); a box partly outside keeps its unclipped
extent (the target encoder clips its centre to the output grid). Without augmentation no box is
dropped.

Randomness comes from one ``numpy.random.Generator``, drawn in the original's order (2 HSV, 6
affine, 1 flip); the same generator state gives the same sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from ..preprocess import PAD_VALUE, letterbox

__all__ = ["augment_hsv", "hflip", "jde_sample", "letterbox_labels", "random_affine"]

F32 = NDArray[np.float32]
U8 = NDArray[np.uint8]


def augment_hsv(img: U8, rng: np.random.Generator, fraction: float = 0.5) -> U8:
    """Scale saturation and value of a BGR image by random factors in ``1 ± fraction``."""
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    for channel in (1, 2):
        a = (rng.random() * 2 - 1) * fraction + 1
        values = hsv[:, :, channel].astype(np.float32) * np.float32(a)
        if a > 1:
            np.clip(values, 0, 255, out=values)
        hsv[:, :, channel] = values.astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def letterbox_labels(
    labels: F32, frame_size: tuple[int, int], ratio: float, pad: tuple[float, float]
) -> F32:
    """Normalised ``cls, id, xc, yc, w, h`` rows of a ``(w, h)`` frame -> ``cls, id, x1, y1, x2,
    y2`` in letterboxed input pixels, float32 as ``jde.py`` (``pad`` is the unrounded
    ``(dw, dh)``)."""
    w, h = frame_size
    padw, padh = pad
    src = np.asarray(labels, dtype=np.float32).reshape(-1, 6)
    out = src.copy()
    out[:, 2] = ratio * w * (src[:, 2] - src[:, 4] / 2) + padw
    out[:, 3] = ratio * h * (src[:, 3] - src[:, 5] / 2) + padh
    out[:, 4] = ratio * w * (src[:, 2] + src[:, 4] / 2) + padw
    out[:, 5] = ratio * h * (src[:, 3] + src[:, 5] / 2) + padh
    return out


def random_affine(
    img: U8,
    targets: F32,
    rng: np.random.Generator,
    degrees: Sequence[float] = (-5, 5),
    translate: Sequence[float] = (0.1, 0.1),
    scale: Sequence[float] = (0.5, 1.2),
    shear: Sequence[float] = (-2, 2),
    border_value: float = PAD_VALUE,
) -> tuple[U8, F32, NDArray[np.float64]]:
    """Warp ``img`` by a random rotation/scale, translation and shear; move and filter boxes.

    Parameters
    ----------
    img : ndarray, shape (H, W, 3), uint8
    targets : ndarray, shape (N, 6), float32
        ``cls, id, x1, y1, x2, y2`` in pixels of ``img``.
    rng : numpy.random.Generator
    degrees, translate, scale, shear
        Ranges as ``jde.py``'s ``JointDataset`` passes them (the defaults).

    Returns
    -------
    img : ndarray, shape (H, W, 3), uint8
    targets : ndarray, shape (M, 6), float32
        The kept boxes (see the module doc), transformed.
    M : ndarray, shape (3, 3)
        The map from input to output pixels.
    """
    height, width = img.shape[:2]
    a = rng.random() * (degrees[1] - degrees[0]) + degrees[0]
    s = rng.random() * (scale[1] - scale[0]) + scale[0]
    R = np.eye(3)
    R[:2] = cv2.getRotationMatrix2D(angle=a, center=(width / 2, height / 2), scale=s)
    T = np.eye(3)
    T[0, 2] = (rng.random() * 2 - 1) * translate[0] * height  # the original's x uses the height
    T[1, 2] = (rng.random() * 2 - 1) * translate[1] * width
    S = np.eye(3)
    S[0, 1] = math.tan((rng.random() * (shear[1] - shear[0]) + shear[0]) * math.pi / 180)
    S[1, 0] = math.tan((rng.random() * (shear[1] - shear[0]) + shear[0]) * math.pi / 180)
    M = S @ T @ R
    border = (border_value,) * 3
    out = cv2.warpPerspective(img, M, (width, height), flags=cv2.INTER_LINEAR, borderValue=border)

    targets = np.asarray(targets, dtype=np.float32).reshape(-1, 6)
    n = targets.shape[0]
    if n == 0:
        return out, targets.copy(), M
    pts = targets[:, 2:6]
    area0 = (pts[:, 2] - pts[:, 0]) * (pts[:, 3] - pts[:, 1])
    corners = np.ones((n * 4, 3))
    corners[:, :2] = pts[:, [0, 1, 2, 3, 0, 3, 2, 1]].reshape(n * 4, 2)
    warped = (corners @ M.T)[:, :2].reshape(n, 8)
    x, y = warped[:, [0, 2, 4, 6]], warped[:, [1, 3, 5, 7]]
    reduction = max(abs(math.sin(math.radians(a))), abs(math.cos(math.radians(a)))) ** 0.5
    cx, cy = (x.min(1) + x.max(1)) / 2, (y.min(1) + y.max(1)) / 2
    w, h = (x.max(1) - x.min(1)) * reduction, (y.max(1) - y.min(1)) * reduction
    xy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    w, h = xy[:, 2] - xy[:, 0], xy[:, 3] - xy[:, 1]
    aspect = np.maximum(w / (h + 1e-16), h / (w + 1e-16))
    keep = (w > 4) & (h > 4) & (w * h / (area0 + 1e-16) > 0.1) & (aspect < 10)
    kept = targets[keep].copy()
    kept[:, 2:6] = xy[keep]  # float32, as the original stores them before the in-image test
    # The in-image test runs on those float32 values, not on ``xy`` (float64): a box within
    # half a float32 step inside the border rounds onto it and is dropped, as in FairMOT.
    box = kept[:, 2:6]
    inside = (box[:, 0] < width) & (box[:, 2] > 0) & (box[:, 1] < height) & (box[:, 3] > 0)
    return out, kept[inside], M


def hflip(img: U8, labels: F32) -> tuple[U8, F32]:
    """Mirror an image and its normalised ``cls, id, xc, yc, w, h`` rows left-right."""
    out = labels.copy()
    out[:, 2] = 1 - out[:, 2]
    return np.fliplr(img), out


def jde_sample(
    img: U8,
    labels: F32,
    input_size: tuple[int, int] = (1088, 608),
    rng: np.random.Generator | None = None,
) -> tuple[U8, F32]:
    """One training sample as ``get_data`` makes it.

    Parameters
    ----------
    img : ndarray, shape (H0, W0, 3), uint8
        BGR image as read by ``cv2.imread``.
    labels : ndarray, shape (N, 6)
        Normalised ``cls, id, xc, yc, w, h`` rows of ``img``.
    input_size : (int, int)
        ``(width, height)`` of the network input.
    rng : numpy.random.Generator, optional
        Augment with it (HSV, affine, flip); None: letterbox only.

    Returns
    -------
    image : ndarray, shape (height, width, 3), uint8
        RGB, C-contiguous.
    labels : ndarray, shape (M, 6), float32
        ``cls, id, xc, yc, w, h`` normalised by the input size.
    """
    if rng is not None:
        img = augment_hsv(img, rng)
    h0, w0 = img.shape[:2]
    img, box = letterbox(img, input_size)
    width, height = box.input_size
    pad = ((width - box.new_size[0]) / 2, (height - box.new_size[1]) / 2)
    boxes = letterbox_labels(labels, (w0, h0), box.ratio, pad)
    if rng is not None:
        img, boxes, _ = random_affine(img, boxes, rng)
    out = boxes.copy()
    out[:, 2] = (boxes[:, 2] + boxes[:, 4]) / 2 / width
    out[:, 3] = (boxes[:, 3] + boxes[:, 5]) / 2 / height
    out[:, 4] = (boxes[:, 4] - boxes[:, 2]) / width
    out[:, 5] = (boxes[:, 5] - boxes[:, 3]) / height
    if rng is not None and rng.random() > 0.5:
        img, out = hflip(img, out)
    return np.ascontiguousarray(img[:, :, ::-1]), out
