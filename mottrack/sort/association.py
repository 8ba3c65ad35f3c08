"""SORT's association rule, exactly as abewley/sort applies it.

The reference solves the *detection-major* problem ``lapjv(-IoU^T)`` for ``min(D, T)`` pairs, but
first takes a shortcut: when every detection and every track has at most one partner above the
threshold (and at least one pair exists), those pairs are the matches. Pairs below the threshold
are dropped and their detections appended, in detection order, after the detections that were never
paired; new tracks are created in that order, which fixes the IDs they receive.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..association import solve

__all__ = ["associate"]

I64 = NDArray[np.int64]


def associate(iou: NDArray[np.float64], threshold: float) -> tuple[I64, I64, I64]:
    """Match tracks to detections by IoU.

    Parameters
    ----------
    iou : ndarray, shape (T, D)
        IoU between predicted track boxes (rows) and detections (columns).
    threshold : float
        Minimum IoU of a match.

    Returns
    -------
    track_index, det_index : ndarray, shape (K,)
        Matched pairs, in increasing detection order.
    new_dets : ndarray, shape (D - K,)
        Unmatched detections in the order new tracks are created from them.
    """
    n_trk, n_det = iou.shape
    if n_trk == 0 or n_det == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.arange(n_det, dtype=np.int64)
    above = iou > threshold
    if above.sum(0).max() == 1 and above.sum(1).max() == 1:
        det_idx, trk_idx = np.nonzero(above.T)
    else:
        det_to_trk, _ = solve(-iou.T)
        det_idx = np.flatnonzero(det_to_trk >= 0)
        trk_idx = det_to_trk[det_idx]
    good = ~(iou[trk_idx, det_idx] < threshold)
    paired = np.zeros(n_det, dtype=bool)
    paired[det_idx] = True
    new_dets = np.concatenate([np.flatnonzero(~paired), det_idx[~good]])
    return trk_idx[good].astype(np.int64), det_idx[good].astype(np.int64), new_dets.astype(np.int64)
