"""A weight-free appearance embedder: part-based HSV colour histograms.

Each crop (aspect-corrected like the CNN's, see :func:`~mottrack.deepsort.embedder.extract_crops`)
is split into ``parts`` horizontal stripes (head to feet). Every stripe gets a joint
hue x saturation x value histogram; pixels too dark or too grey for a reliable hue fall into an
extra "achromatic" hue slot, binned by value only. Pixels are weighted by a Gaussian across the
crop width, since the aspect correction widens a pedestrian box with background at its sides.
Each stripe's histogram is normalised to sum 1, square-rooted (the Hellinger map, so that a dot
product of two rows is the Bhattacharyya coefficient of the stripes) and the concatenation is
L2-normalised. Everything is vectorised over all crops of a frame at once (one ``cv2.cvtColor``
and one ``np.bincount``). No torch.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from .embedder import check_crop_size, extract_crops

__all__ = ["HistogramEmbedder"]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: expected an integer >= 1, got {value!r}")
    return int(value)


class HistogramEmbedder:
    """Part-based colour-histogram embedder (see the module docstring).

    Parameters
    ----------
    parts : int, default 6
        Horizontal stripes per crop.
    bins : (int, int, int), default (12, 3, 3)
        Hue, saturation and value bins of the chromatic pixels (hue spans OpenCV's 0-180).
    min_saturation, min_value : int, default 40
        Pixels with saturation or value (0-255) below these are achromatic: hue is ignored and
        they are binned by value only (``bins[2]`` slots).
    size : (int, int), default (64, 32)
        ``(height, width)`` the crops are resized to before binning (aspect 0.5, like the CNN's).
    sigma : float, default 0.35
        Std of the horizontal Gaussian pixel weight, as a fraction of the crop width (``inf``:
        uniform weights).

    Attributes
    ----------
    dim : int
        ``parts * ((bins[0] * bins[1] + 1) * bins[2])``.
    """

    def __init__(
        self,
        parts: int = 6,
        bins: tuple[int, int, int] = (12, 3, 3),
        min_saturation: int = 40,
        min_value: int = 40,
        size: tuple[int, int] = (64, 32),
        sigma: float = 0.35,
    ) -> None:
        self.parts = _positive_int("parts", parts)
        try:
            h_bins, s_bins, v_bins = bins
        except (TypeError, ValueError):
            raise ValueError(
                f"bins: expected (hue, saturation, value) bins, got {bins!r}"
            ) from None
        self.bins = (
            _positive_int("bins[0]", h_bins),
            _positive_int("bins[1]", s_bins),
            _positive_int("bins[2]", v_bins),
        )
        for name, value in (("min_saturation", min_saturation), ("min_value", min_value)):
            ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
            if not ok or not 0 <= value <= 255:
                raise ValueError(f"{name}: expected an integer in 0..255, got {value!r}")
        self.min_saturation, self.min_value = int(min_saturation), int(min_value)
        height, width = check_crop_size(size)
        if height < self.parts:
            raise ValueError(f"size: expected height >= parts ({self.parts}), got {size!r}")
        self.size = (height, width)
        if not (isinstance(sigma, (int, float)) and sigma > 0):
            raise ValueError(f"sigma: expected a number > 0 (inf: uniform), got {sigma!r}")
        self.sigma = float(sigma)
        self.slots = (self.bins[0] * self.bins[1] + 1) * self.bins[2]
        self.dim = self.parts * self.slots
        self._layout = self._pixel_layout(height, width)

    def _pixel_layout(self, height: int, width: int) -> tuple[NDArray[np.intp], NDArray[Any]]:
        """Per-pixel constants of an ``height x width`` crop: the stripe index of each row and
        the Gaussian weight of each column."""
        stripe = np.arange(height) * self.parts // height
        x = (np.arange(width) + 0.5) / width - 0.5
        return stripe, np.exp(-0.5 * (x / self.sigma) ** 2)

    def __repr__(self) -> str:
        return (
            f"HistogramEmbedder(parts={self.parts}, bins={self.bins}, size={self.size}, "
            f"dim={self.dim})"
        )

    def __call__(self, frame: NDArray[np.uint8], xyxy: ArrayLike) -> NDArray[np.float32]:
        """Embed the boxes of one frame.

        Parameters
        ----------
        frame : ndarray, shape (H, W, 3), uint8
            BGR image.
        xyxy : array_like, shape (N, 4)
            Boxes ``[x1, y1, x2, y2]`` in pixels.

        Returns
        -------
        ndarray, shape (N, dim), float32
            L2-normalised rows.
        """
        return self.embed_crops(extract_crops(frame, xyxy, self.size))

    def embed_crops(self, crops: NDArray[np.uint8]) -> NDArray[np.float32]:
        """Embed ready-made BGR crops, shape ``(N, h, w, 3)`` uint8 -> ``(N, dim)`` float32."""
        if not (isinstance(crops, np.ndarray) and crops.dtype == np.uint8 and crops.ndim == 4):
            got = getattr(crops, "shape", type(crops).__name__)
            raise ValueError(f"crops: expected an (N, h, w, 3) uint8 array, got {got}")
        if crops.shape[3] != 3 or crops.shape[1] < self.parts or crops.shape[2] < 1:
            raise ValueError(
                f"crops: expected shape (N, >={self.parts}, >=1, 3), got {crops.shape}"
            )
        n, height, width = crops.shape[:3]
        if n == 0:
            return np.zeros((0, self.dim), np.float32)
        same = (height, width) == self.size
        stripe, weight = self._layout if same else self._pixel_layout(height, width)
        hsv = cv2.cvtColor(
            np.ascontiguousarray(crops).reshape(n * height, width, 3), cv2.COLOR_BGR2HSV
        )
        hsv = hsv.reshape(n, height, width, 3).astype(np.int64)
        h_bins, s_bins, v_bins = self.bins
        hue = np.minimum(hsv[..., 0] * h_bins // 180, h_bins - 1)
        sat = hsv[..., 1] * s_bins // 256
        val = hsv[..., 2] * v_bins // 256
        achromatic = (hsv[..., 1] < self.min_saturation) | (hsv[..., 2] < self.min_value)
        colour = np.where(achromatic, h_bins * s_bins, hue * s_bins + sat)
        slot = colour * v_bins + val
        cell = (np.arange(n)[:, None, None] * self.parts + stripe[None, :, None]) * self.slots
        weights = np.broadcast_to(weight[None, None, :], slot.shape)
        hist = np.bincount(
            (cell + slot).ravel(), weights=weights.ravel(), minlength=n * self.parts * self.slots
        ).reshape(n, self.parts, self.slots)
        hist /= np.maximum(hist.sum(axis=2, keepdims=True), 1e-12)
        feats = np.sqrt(hist).reshape(n, self.dim)
        feats /= np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
        return feats.astype(np.float32)
