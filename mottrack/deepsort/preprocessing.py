"""DeepSORT's detection preprocessing: confidence and height filters, NMS, processing order."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..types import Detections

__all__ = ["non_max_suppression", "select_detections"]

I64 = NDArray[np.int64]


def _score_order(scores: NDArray[np.float64]) -> I64:
    """Descending score; ties with the later row first (a stable ascending sort, reversed)."""
    return np.argsort(scores, kind="stable")[::-1].astype(np.int64)


def non_max_suppression(
    xyxy: NDArray[np.float64], scores: NDArray[np.float64], max_overlap: float
) -> I64:
    """deep_sort's greedy NMS; returns the kept rows, highest score first.

    Boxes are taken in descending score order (ties: later rows first). Each kept box
    suppresses every remaining box whose overlap with it, measured as intersection over the
    *remaining* box's area with deep_sort's ``+1`` pixel convention, exceeds ``max_overlap``.
    With ``max_overlap >= 1`` nothing is suppressed and only the order changes.

    Parameters
    ----------
    xyxy : ndarray, shape (N, 4)
    scores : ndarray, shape (N,)
    max_overlap : float

    Returns
    -------
    ndarray of int, shape (K,)
    """
    order = _score_order(scores)
    if max_overlap >= 1.0 or order.size < 2:
        return order
    x1, y1, x2, y2 = (xyxy[:, i] for i in range(4))
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    keep: list[int] = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(int(i))
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        order = rest[(w * h) / area[rest] <= max_overlap]
    return np.asarray(keep, dtype=np.int64)


def select_detections(
    detections: Detections,
    min_confidence: float,
    min_height: float,
    nms_max_overlap: float,
) -> I64:
    """Rows of ``detections`` DeepSORT processes, in processing order.

    Drops rows scoring below ``min_confidence`` and rows shorter than ``min_height`` pixels,
    then applies :func:`non_max_suppression`.

    Returns
    -------
    ndarray of int, shape (K,)
        Indices into ``detections``.
    """
    xyxy, scores = detections.xyxy, detections.scores
    if min_confidence == -np.inf and min_height <= 0 and nms_max_overlap >= 1.0:
        return _score_order(scores)  # nothing to filter: only deep_sort's order
    kept = np.flatnonzero((scores >= min_confidence) & (xyxy[:, 3] - xyxy[:, 1] >= min_height))
    return kept[non_max_suppression(xyxy[kept], scores[kept], nms_max_overlap)]
