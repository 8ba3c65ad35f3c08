"""SORT's association rule, exactly as abewley/sort applies it, on sparse overlaps.

The reference scores every track against every detection and solves the *detection-major*
problem ``lapjv(-IoU^T)`` for ``min(D, T)`` pairs, after a shortcut: when every detection and
every track has at most one partner above the threshold (and at least one pair exists), those
pairs are the matches. Pairs below the threshold are dropped and their detections appended, in
detection order, after the detections that were never paired; new tracks are created in that
order, which fixes the IDs they receive.

Here only overlapping pairs are scored (sort-and-sweep, :func:`~mottrack.compiled.overlap.
overlap_pairs`); every other pair has IoU 0 exactly. Small problems are then solved as the
reference does, on the dense matrix. In crowds the solve splits: the maximum-IoU matching the
dense solve finds is the union of the maximum-IoU matchings of the connected components of the
overlap graph (zero-IoU pairs add nothing), so each component is solved alone (most are a
single pair). The rest of the reference's result follows from that matching:

- ``D <= T``: the dense solve pairs every detection; new tracks come from the detections
  without a match above the threshold, in detection order.
- ``D > T`` and every track matched with a positive IoU: the unmatched detections, then those
  matched below the threshold, each in detection order.
- ``D > T`` with ``k`` tracks left over: the dense solve pairs them with ``k`` of the leftover
  detections at IoU 0, and which ones depends on the solver's path through the ties; those
  detections go last. Such frames are solved densely, as the reference does, up to
  ``max_dense_pairs`` track-detection pairs (memory); beyond it the ``k`` lowest-numbered
  leftover detections are taken, so only the ID order of tracks born in that frame can differ.
"""

from __future__ import annotations

import lap
import numpy as np
from numpy.typing import NDArray

from ..association.assignment import _lapjv as lapjv_rows
from ..association.sparse import DENSE_PAIRS, max_weight_matching
from ..compiled.matching import unique_pairs_above
from ..compiled.overlap import overlap_pairs
from .kernels import dense_candidates, threshold_solution

__all__ = ["DENSE_PAIRS", "associate"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def associate(
    tracks: F64,
    detections: F64,
    threshold: float,
    max_dense_pairs: int | None = 2**21,
    classes: tuple[F64, I64] | None = None,
) -> tuple[I64, I64, I64]:
    """Match tracks to detections by IoU.

    Parameters
    ----------
    tracks : ndarray, shape (T, 4)
        Predicted track boxes (``xyxy``, finite).
    detections : ndarray, shape (D, 4)
        Detection boxes (``xyxy``).
    threshold : float
        Minimum IoU of a match.
    max_dense_pairs : int or None, default 2**21
        Largest ``T * D`` solved densely when the solver's tie order decides the ID order of
        new tracks (``None``: always; see the module docstring).

    classes : (ndarray, ndarray), optional
        Class of each track ``(T,)`` and detection ``(D,)``: pairs of different classes do
        not overlap (``class_aware``; solved on the listed pairs).

    Returns
    -------
    track_index, det_index : ndarray, shape (K,)
        Matched pairs, in increasing detection order.
    new_dets : ndarray, shape (D - K,)
        Unmatched detections in the order new tracks are created from them.
    """
    n_trk, n_det = tracks.shape[0], detections.shape[0]
    if n_trk == 0 or n_det == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.arange(n_det, dtype=np.int64)
    if classes is None and (n_trk * n_det <= DENSE_PAIRS or threshold <= 0):
        # Small frames, or a threshold that accepts zero-IoU pairs (every pair a candidate).
        shortcut, trk_idx, det_idx, new, square = dense_candidates(tracks, detections, threshold)
        if shortcut:
            return trk_idx, det_idx, new
        det_to_col = lap.lapjv(square, return_cost=False)[0]
        return threshold_solution(det_to_col, square, n_trk, n_det, threshold)
    rows, cols, iou = overlap_pairs(tracks, detections, 0.0)
    if classes is not None:
        same = classes[0][rows] == classes[1][cols]
        rows, cols, iou = rows[same], cols[same], iou[same]
    unique, trk_idx, det_idx = unique_pairs_above(rows, cols, iou, n_trk, n_det, threshold)
    if unique:
        return trk_idx, det_idx, _complement(n_det, det_idx)
    trk_idx, det_idx, matched_iou = _max_iou_matching(n_trk, n_det, rows, cols, iou)
    good = ~(matched_iou < threshold)
    if n_det <= n_trk:
        return trk_idx[good], det_idx[good], _complement(n_det, det_idx[good])
    leftover_tracks = n_trk - det_idx.size
    below = det_idx[~good]
    if leftover_tracks:
        if max_dense_pairs is None or n_trk * n_det <= max_dense_pairs:
            return _dense(n_trk, n_det, rows, cols, iou, threshold)
        zero_paired = _complement(n_det, det_idx)[:leftover_tracks]
        below = np.sort(np.concatenate([below, zero_paired]))
    unpaired = _complement(n_det, np.concatenate([det_idx, below]))
    return trk_idx[good], det_idx[good], np.concatenate([unpaired, below])


def _complement(n: int, idx: I64) -> I64:
    """``0..n-1`` without ``idx``, increasing."""
    keep = np.ones(n, dtype=bool)
    keep[idx] = False
    return np.flatnonzero(keep)


def _dense(
    n_trk: int, n_det: int, rows: I64, cols: I64, iou: F64, threshold: float
) -> tuple[I64, I64, I64]:
    """The reference's solve on the dense ``(D, T)`` matrix."""
    cost = np.zeros((n_det, n_trk))
    cost[cols, rows] = -iou
    # Costs lie in [-1, 0]: none of solve()'s guards for inf or huge values are needed.
    det_to_trk = lapjv_rows(cost)
    det_idx = np.flatnonzero(det_to_trk >= 0)
    trk_idx = det_to_trk[det_idx]
    good = ~(-cost[det_idx, trk_idx] < threshold)
    paired = np.zeros(n_det, dtype=bool)
    paired[det_idx] = True
    new_dets = np.concatenate([np.flatnonzero(~paired), det_idx[~good]])
    return trk_idx[good], det_idx[good], new_dets.astype(np.int64)


def _max_iou_matching(
    n_trk: int, n_det: int, rows: I64, cols: I64, iou: F64
) -> tuple[I64, I64, F64]:
    """The maximum-IoU matching of the overlap graph (solved detection-major, as the
    reference), pairs in increasing detection order, with their IoU (all positive)."""
    matched = max_weight_matching(cols, rows, iou, n_det, n_trk)
    matched = matched[np.argsort(cols[matched], kind="stable")]
    return rows[matched], cols[matched], iou[matched]
