"""Appearance embedders for DeepSORT: crop extraction and a factory (the protocol is core).

An embedder turns the detections of one frame into one L2-normalised feature row per box. Two
are provided: :class:`~mottrack.deepsort.histogram.HistogramEmbedder` (part-based colour
histograms, NumPy/OpenCV only, no weights) and :class:`~mottrack.deepsort.cnn.CNNEmbedder` (the
DeepSORT wide residual network, needs PyTorch). This module imports no torch.

Crop policy of :func:`extract_crops` (the one both embedders use)
-----------------------------------------------------------------
Each box is first widened or narrowed around its centre to the crop's aspect ratio
(``new_w = aspect * h``, as deep_sort's ``extract_image_patch`` does), then its corners are
truncated to integer pixels and clipped to the image (``0 <= x <= W``, ``0 <= y <= H``, slice
ends exclusive). A box that keeps no pixel after clipping (entirely outside the image, or of zero
height) yields an all-zero crop instead of an error; deep_sort fills such crops with random noise,
zeros keep the output deterministic. The clipped region is resized to the crop size with
``cv2.resize`` (bilinear), so a box partly outside the image is stretched, not padded.
"""

from __future__ import annotations

import os
from typing import Any

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..protocols import Embedder
from ..tracker import check_frame
from ..types import _check_xyxy, _frozen

__all__ = [
    "EMBEDDERS",
    "Embedder",
    "check_crop_size",
    "create_embedder",
    "crop_windows",
    "cut_windows",
    "extract_crops",
]

EMBEDDERS = ("cnn", "histogram")
CROP_SIZE = (128, 64)  # (height, width) of deep_sort's patches


def _as_xyxy(xyxy: ArrayLike) -> NDArray[np.float64]:
    """Boxes as a float64 ``(N, 4)`` array, validated by :class:`~mottrack.types.Detections`'
    rules (finite, ``x2 >= x1``, ``y2 >= y1``); an empty input (``[]`` too) is no box."""
    if (isinstance(xyxy, np.ndarray) and xyxy.size == 0) or (
        isinstance(xyxy, (list, tuple)) and not xyxy
    ):
        return np.zeros((0, 4))
    boxes = _frozen("xyxy", xyxy, np.float64, 2, "extract_crops")
    _check_xyxy(boxes, "extract_crops")
    return boxes


def check_crop_size(size: Any, name: str = "size", minimum: int = 1) -> tuple[int, int]:
    """Validate a crop ``(height, width)`` of integers >= ``minimum``; returns it as a tuple.

    Raises
    ------
    ValueError
        Naming ``name``, for anything else.
    """
    try:
        height, width = size
        ok = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)
    except (TypeError, ValueError):
        ok = False
    if not ok or min(height, width) < minimum:
        raise ValueError(f"{name}: expected (height, width) integers >= {minimum}, got {size!r}")
    return int(height), int(width)


def crop_windows(
    xyxy: NDArray[np.float64], shape: tuple[int, ...], aspect: float
) -> NDArray[np.int64]:
    """Integer crop windows after aspect correction and clipping (the policy above).

    Parameters
    ----------
    xyxy : ndarray, shape (N, 4)
        Validated boxes.
    shape : tuple
        Image shape ``(H, W, ...)``.
    aspect : float
        Target width / height.

    Returns
    -------
    ndarray, shape (N, 4), int64
        ``[x1, y1, x2, y2]`` slice bounds within the image; empty when ``x2 <= x1 or y2 <= y1``.
    """
    height = xyxy[:, 3] - xyxy[:, 1]
    centre = 0.5 * (xyxy[:, 0] + xyxy[:, 2])
    half = 0.5 * aspect * height
    box = np.stack([centre - half, xyxy[:, 1], centre + half, xyxy[:, 3]], axis=1)
    limits = np.array([shape[1], shape[0], shape[1], shape[0]], np.float64)
    return np.clip(np.trunc(box), 0.0, limits).astype(np.int64)


def extract_crops(
    frame: NDArray[np.uint8], xyxy: ArrayLike, size: tuple[int, int] = CROP_SIZE
) -> NDArray[np.uint8]:
    """Cut one aspect-corrected, resized crop per box out of a frame.

    Parameters
    ----------
    frame : ndarray, shape (H, W, 3), uint8
        The image (channel order is kept: BGR in, BGR out).
    xyxy : array_like, shape (N, 4)
        Boxes ``[x1, y1, x2, y2]`` in pixels; finite, ``x2 >= x1``, ``y2 >= y1``. Boxes may lie
        partly or entirely outside the image (see the module's crop policy).
    size : (int, int), default (128, 64)
        Crop ``(height, width)``; the boxes are corrected to the aspect ``width / height``.

    Returns
    -------
    ndarray, shape (N, height, width, 3), uint8
        The crops; all-zero for boxes without pixels inside the image.

    Raises
    ------
    ValueError
        Naming ``frame``, ``xyxy`` or ``size`` for malformed input.
    """
    frame = check_frame(frame)
    boxes = _as_xyxy(xyxy)
    height, width = check_crop_size(size)
    return cut_windows(frame, crop_windows(boxes, frame.shape, width / height), (height, width))


def cut_windows(
    frame: NDArray[np.uint8], windows: NDArray[np.int64], size: tuple[int, int]
) -> NDArray[np.uint8]:
    """Resize each window of :func:`crop_windows` to ``size`` (no validation: inputs are trusted).

    Returns
    -------
    ndarray, shape (N, height, width, 3), uint8
        One crop per window; all-zero for an empty window.
    """
    height, width = size
    out = np.zeros((windows.shape[0], height, width, 3), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(windows.tolist()):
        if x2 > x1 and y2 > y1:
            cv2.resize(
                frame[y1:y2, x1:x2], (width, height), dst=out[i], interpolation=cv2.INTER_LINEAR
            )
    return out


def create_embedder(
    name: str,
    weights: str | os.PathLike[str] | None = None,
    device: str = "cpu",
    **kwargs: Any,
) -> Embedder:
    """Build an appearance embedder by name.

    Parameters
    ----------
    name : {"histogram", "cnn"}
        ``"histogram"``: :class:`~mottrack.deepsort.histogram.HistogramEmbedder` (no weights,
        NumPy/OpenCV on the CPU). ``"cnn"``: :class:`~mottrack.deepsort.cnn.CNNEmbedder` (the
        DeepSORT network; needs PyTorch, ``pip install mottrack[torch]``).
    weights : str or os.PathLike, optional
        Checkpoint of the CNN (from :func:`mottrack.deepsort.train.train_reid`); the histogram
        embedder takes none.
    device : str, default "cpu"
        Torch device of the CNN; the histogram embedder runs on the CPU only.
    **kwargs
        Passed on to the embedder's constructor.

    Raises
    ------
    ValueError
        For an unknown ``name`` (listing the valid ones) or arguments the embedder does not take.
    mottrack._extras.MissingExtraError
        For ``"cnn"`` when PyTorch is not installed (an ``ImportError``, printed by the command
        line as one line).
    """
    if name == "histogram":
        if weights is not None:
            raise ValueError(f"weights: the histogram embedder takes no weights, got {weights!r}")
        if device != "cpu":
            raise ValueError(f"device: the histogram embedder runs on 'cpu' only, got {device!r}")
        from .histogram import HistogramEmbedder

        return HistogramEmbedder(**kwargs)
    if name == "cnn":
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            from .._extras import MissingExtraError

            raise MissingExtraError(
                "create_embedder('cnn') needs PyTorch, which is not installed: "
                "pip install mottrack[torch]",
                name=exc.name or "torch",
            ) from exc
        from .cnn import CNNEmbedder

        return CNNEmbedder(weights=weights, device=device, **kwargs)
    raise ValueError(f"name: expected one of {list(EMBEDDERS)}, got {name!r}")
