"""Cost matrices: rows are tracks, columns detections, lower is better, ``np.inf`` forbidden."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..boxes import iou_matrix

__all__ = ["iou_cost", "iou_pairs"]


def iou_cost(
    track_xyxy: ArrayLike, det_xyxy: ArrayLike, pixel_offset: float = 0.0
) -> NDArray[np.float64]:
    """``1 - IoU`` between track boxes and detection boxes.

    Parameters
    ----------
    track_xyxy : array_like, shape (N, 4)
    det_xyxy : array_like, shape (M, 4)
    pixel_offset : float, default 0.0
        See :func:`mottrack.boxes.iou_matrix`.

    Returns
    -------
    ndarray, shape (N, M)
    """
    return 1.0 - iou_matrix(track_xyxy, det_xyxy, pixel_offset)


def iou_pairs(
    a: NDArray[np.float64], b: NDArray[np.float64], pixel_offset: float = 0.0, every: bool = False
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Box pairs with their IoU (the values of :func:`mottrack.boxes.iou_matrix`).

    Parameters
    ----------
    a : ndarray, shape (N, 4)
    b : ndarray, shape (M, 4)
        Finite ``xyxy`` boxes.
    pixel_offset : float, default 0.0
    every : bool, default False
        List every pair (a stage whose threshold accepts boxes that do not overlap); by
        default only overlapping ones, found through a grid
        (:func:`mottrack.compiled.overlap.overlap_pairs`).

    Returns
    -------
    rows, cols : ndarray of int, shape (K,)
        Pairs, sorted by row then column.
    iou : ndarray, shape (K,)
    """
    if every:
        iou = iou_matrix(a, b, pixel_offset)
        rows, cols = (k.reshape(-1) for k in np.indices(iou.shape, dtype=np.int64))
        return rows, cols, iou.reshape(-1)
    from ..compiled.overlap import overlap_pairs  # numba: on first use

    return overlap_pairs(a, b, pixel_offset)
