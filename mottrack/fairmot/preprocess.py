"""FairMOT's input pre-processing and its inverse: letterbox, blob, output-to-frame mapping.

Letterbox (FairMOT's ``datasets/dataset/jde.py::letterbox``): scale by
``ratio = min(height / H0, width / W0)`` to ``(round(W0 * ratio), round(H0 * ratio))`` with
``cv2.INTER_AREA`` (Python's ``round``, halves to even), then pad to ``(width, height)``: with
``dw = (width - new_w) / 2`` the left/right padding is ``round(dw - 0.1)`` / ``round(dw + 0.1)``
(so an odd remainder goes right), the same for top/bottom. The pad value is 127.5 as passed to
``cv2.copyMakeBorder``, which stores 128 in a uint8 image. The blob is then RGB, divided by 255,
float32, ``(B, 3, height, width)``; no mean/std normalisation.

Back to the frame (FairMOT's ``JDETracker.update`` + ``ctdet_post_process``): not the letterbox
numbers, but CenterNet's affine transform with centre ``c = (W0 / 2, H0 / 2)`` and scale
``s = max(width / height * H0, W0)`` from output-grid coordinates (``input // down_ratio``).
It equals ``x0 = (down_ratio * x - dw') / ratio`` with the unrounded padding
``dw' = (width - W0 * ratio) / 2``: as it ignores the rounding of the resized size and of the
padding, it can be about one input pixel (``1 / ratio`` frame pixels) away from an exact inverse
of the letterbox. :func:`inverse_transform` builds it as FairMOT does (float32 anchor points,
``cv2.getAffineTransform``).

This module needs NumPy and OpenCV only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..tracker import check_frame

__all__ = [
    "PAD_VALUE",
    "Letterbox",
    "check_input_size",
    "inverse_transform",
    "letterbox",
    "letterbox_batch",
    "letterbox_geometry",
    "output_to_frame",
    "preprocess",
    "to_blob",
]

PAD_VALUE = 127.5


@dataclass(frozen=True)
class Letterbox:
    """Where a frame sits inside the network input.

    Attributes
    ----------
    frame_size, input_size : (int, int)
        ``(width, height)`` of the frame and of the network input.
    ratio : float
        Scale from frame to input pixels.
    new_size : (int, int)
        ``(width, height)`` of the resized frame.
    left, top, right, bottom : int
        Padding in input pixels.
    """

    frame_size: tuple[int, int]
    input_size: tuple[int, int]
    ratio: float
    new_size: tuple[int, int]
    left: int
    top: int
    right: int
    bottom: int


def check_input_size(input_size: Sequence[int], multiple: int = 1) -> tuple[int, int]:
    """Return ``(width, height)`` as ints, checking they are positive multiples of ``multiple``."""
    try:
        width, height = (int(v) for v in input_size)
        ok = width == input_size[0] and height == input_size[1]
    except (TypeError, ValueError):
        ok = False
    if not ok or width < multiple or height < multiple or width % multiple or height % multiple:
        raise ValueError(
            f"input_size: expected (width, height), positive multiples of {multiple}, "
            f"got {input_size!r}"
        )
    return width, height


def letterbox_geometry(frame_size: Sequence[int], input_size: Sequence[int]) -> Letterbox:
    """The :class:`Letterbox` of a ``(width, height)`` frame in a ``(width, height)`` input.

    A side that would round to 0 pixels is kept at 1 (the original would fail in ``cv2.resize``).
    """
    w0, h0 = (int(v) for v in frame_size)
    width, height = check_input_size(input_size)
    ratio = min(float(height) / h0, float(width) / w0)
    new_w = min(width, max(1, round(w0 * ratio)))
    new_h = min(height, max(1, round(h0 * ratio)))
    dw, dh = (width - new_w) / 2, (height - new_h) / 2
    return Letterbox(
        (w0, h0), (width, height), ratio, (new_w, new_h),
        left=round(dw - 0.1), top=round(dh - 0.1), right=round(dw + 0.1), bottom=round(dh + 0.1),
    )  # fmt: skip


def letterbox(
    frame: NDArray[np.uint8], input_size: Sequence[int] = (1088, 608)
) -> tuple[NDArray[np.uint8], Letterbox]:
    """Resize ``frame`` (H0, W0, 3) uint8 into ``input_size`` keeping its aspect; pad the rest.

    Returns
    -------
    image : ndarray, shape (height, width, 3), uint8
        Still BGR.
    box : Letterbox
    """
    frame = check_frame(frame)
    box = letterbox_geometry((frame.shape[1], frame.shape[0]), input_size)
    resized = cv2.resize(frame, box.new_size, interpolation=cv2.INTER_AREA)
    image = cv2.copyMakeBorder(
        resized, box.top, box.bottom, box.left, box.right, cv2.BORDER_CONSTANT,
        value=(PAD_VALUE, PAD_VALUE, PAD_VALUE),
    )  # fmt: skip
    return image, box


def to_blob(images: NDArray[np.uint8]) -> NDArray[np.float32]:
    """``(B, H, W, 3)`` uint8 BGR -> ``(B, 3, H, W)`` float32 RGB in ``[0, 1]``."""
    blob = np.ascontiguousarray(images[..., ::-1].transpose(0, 3, 1, 2), dtype=np.float32)
    blob /= 255.0
    return blob


def letterbox_batch(
    frames: Sequence[NDArray[np.uint8]], input_size: Sequence[int] = (1088, 608)
) -> tuple[NDArray[np.uint8], list[Letterbox]]:
    """Letterbox every frame (any sizes) and stack them.

    Returns
    -------
    images : ndarray, shape (B, height, width, 3), uint8
        Still BGR.
    boxes : list of Letterbox

    Raises
    ------
    ValueError
        For no frames, or a frame that is not ``(H, W, 3)`` uint8 with ``H, W >= 1``.
    """
    letterboxed = [letterbox(f, input_size) for f in frames]
    if not letterboxed:
        raise ValueError("frames: expected at least one frame, got none")
    return np.stack([im for im, _ in letterboxed]), [b for _, b in letterboxed]


def preprocess(
    frames: Sequence[NDArray[np.uint8]], input_size: Sequence[int] = (1088, 608)
) -> tuple[NDArray[np.float32], list[Letterbox]]:
    """Letterbox every frame and stack them into one network input.

    Returns
    -------
    blob : ndarray, shape (B, 3, height, width), float32
    boxes : list of Letterbox
    """
    images, boxes = letterbox_batch(frames, input_size)
    return to_blob(images), boxes


def inverse_transform(box: Letterbox, down_ratio: int = 4) -> NDArray[np.float64]:
    """The ``(2, 3)`` affine map from output-grid ``(x, y)`` to frame pixels, built as FairMOT
    builds it (float32 anchor points, ``cv2.getAffineTransform``)."""
    w0, h0 = box.frame_size
    width, height = box.input_size
    out_w, out_h = width // down_ratio, height // down_ratio
    s = np.float32(max(float(width) / float(height) * h0, w0))
    f32 = np.float32
    src0 = np.array([w0 / 2.0, h0 / 2.0], f32)
    src1 = src0 + np.array([0.0, s * f32(-0.5)], f32)
    dst0 = np.array([out_w * 0.5, out_h * 0.5], f32)
    dst1 = dst0 + np.array([0.0, out_w * -0.5], f32)
    src = np.stack([src0, src1, _third_point(src0, src1)])
    dst = np.stack([dst0, dst1, _third_point(dst0, dst1)])
    return cv2.getAffineTransform(dst, src)


def _third_point(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float32]:
    d = a - b
    return b + np.array([-d[1], d[0]], np.float32)


def output_to_frame(points: ArrayLike, box: Letterbox, down_ratio: int = 4) -> NDArray[np.float32]:
    """Map ``(..., 2k)`` output-grid ``x, y, x, y, ...`` coordinates to frame pixels (float32,
    as FairMOT's ``ctdet_post_process`` stores them)."""
    pts = np.asarray(points, dtype=np.float32)
    m = inverse_transform(box, down_ratio)
    x, y = pts[..., 0::2].astype(np.float64), pts[..., 1::2].astype(np.float64)
    out = np.empty(pts.shape, np.float32)
    out[..., 0::2] = m[0, 0] * x + m[0, 1] * y + m[0, 2]
    out[..., 1::2] = m[1, 0] * x + m[1, 1] * y + m[1, 2]
    return out
