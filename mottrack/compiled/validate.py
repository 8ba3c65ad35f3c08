"""Validation of raw detection rows in one pass (the fast path of
:meth:`mottrack.types.Detections.from_array`)."""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["all_valid", "first_invalid_row", "first_nonpositive_box"]

F64 = NDArray[np.float64]


@njit(cache=True, nogil=True)
def first_invalid_row(rows: F64, max_coordinate: float, max_class: float) -> int:
    """Index of the first row that :class:`~mottrack.types.Detections` would reject, or -1.

    ``rows`` is ``(N, 5)`` ``[x1, y1, x2, y2, score]`` or ``(N, 6)`` ``[..., class]``: every
    value finite, coordinates within ``max_coordinate``, ``x2 >= x1``, ``y2 >= y1``, classes
    whole numbers within ``max_class``.
    """
    for i in range(rows.shape[0]):
        x = rows[i]
        for j in range(4):
            if not abs(x[j]) <= max_coordinate:  # NaN fails too
                return i
        if not (x[2] >= x[0] and x[3] >= x[1] and np.isfinite(x[4])):
            return i
        if rows.shape[1] == 6:
            c = x[5]
            if not (abs(c) <= max_class and np.floor(c) == c):
                return i
    return -1


@njit(cache=True, nogil=True)
def first_nonpositive_box(xyxy: F64, width: bool) -> int:  # pragma: no cover - compiled
    """Index of the first box without a positive height (or width, if asked), or -1."""
    for i in range(xyxy.shape[0]):
        if not xyxy[i, 3] > xyxy[i, 1] or (width and not xyxy[i, 2] > xyxy[i, 0]):
            return i
    return -1


@njit(cache=True, nogil=True)
def all_valid(
    xyxy: F64, scores: F64, embeddings: NDArray[np.floating], max_coordinate: float
) -> bool:  # pragma: no cover - compiled
    """Whether :class:`~mottrack.types.Detections` accepts these arrays as they are: boxes
    within ``max_coordinate`` with ``x2 >= x1`` and ``y2 >= y1``, finite scores (when any)
    and finite embeddings (when any; shapes are the caller's check)."""
    for i in range(xyxy.shape[0]):
        x = xyxy[i]
        for j in range(4):
            if not abs(x[j]) <= max_coordinate:  # NaN fails too
                return False
        if not (x[2] >= x[0] and x[3] >= x[1]):
            return False
    for i in range(scores.shape[0]):
        if not np.isfinite(scores[i]):
            return False
    for i in range(embeddings.shape[0]):
        for j in range(embeddings.shape[1]):
            if not np.isfinite(embeddings[i, j]):
                return False
    return True
