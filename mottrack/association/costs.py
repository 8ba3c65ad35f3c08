"""Cost matrices: rows are tracks, columns detections, lower is better, ``np.inf`` forbidden."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..boxes import iou_matrix

__all__ = ["iou_cost"]


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
