"""SORT's compiled steps: the association rule on small frames (see
:mod:`mottrack.sort.association`) and the lifecycle rule run by ``TrackStore.apply_rule``.

A frame with few tracks and detections costs two calls: :func:`dense_candidates` scores every
pair and applies the reference's one-to-one shortcut; when the shortcut does not apply, the
square matrix lap builds for ``lapjv(-IoU^T, extend_cost=True)`` is solved by ``lap.lapjv``
and :func:`threshold_solution` applies the threshold rule.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from ..compiled.layout import CONFIRMED, DELETED, REPORTED, SINCE, STATE, STREAK
from ..compiled.overlap import _iou
from ..compiled.table import emit_rows

__all__ = ["dense_candidates", "report_and_expire", "threshold_solution"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@njit(cache=True, nogil=True)
def dense_candidates(
    tracks: F64, dets: F64, threshold: float
) -> tuple[bool, I64, I64, I64, F64]:  # pragma: no cover - compiled
    """IoU of every pair, and the matches if the one-to-one shortcut applies.

    Returns
    -------
    shortcut : bool
        Some pair exceeds ``threshold`` and no track or detection has two such pairs.
    track_index, det_index, new_dets : ndarray of int64
        The result when ``shortcut`` (pairs in detection order; the other detections in
        order), else empty.
    square : ndarray, shape (n, n)
        ``-IoU^T`` (detections x tracks) zero-padded to ``n = max(D, T)``: the problem lap
        solves for ``lapjv(-IoU^T, extend_cost=True)``.
    """
    n_trk, n_det = tracks.shape[0], dets.shape[0]
    n = max(n_trk, n_det)
    square = np.zeros((n, n))
    partner = np.full(n_det, -1, np.int64)
    track_taken = np.zeros(n_trk, np.bool_)
    shortcut = True
    found = 0
    for t in range(n_trk):
        for d in range(n_det):
            v = _iou(tracks[t], dets[d], 0.0)
            square[d, t] = -v
            if v > threshold:
                if partner[d] >= 0 or track_taken[t]:
                    shortcut = False
                partner[d] = t
                track_taken[t] = True
                found += 1
    empty = np.zeros(0, np.int64)
    if not shortcut or found == 0:
        return False, empty, empty, empty, square
    trk_idx = np.empty(found, np.int64)
    det_idx = np.empty(found, np.int64)
    new = np.empty(n_det - found, np.int64)
    k = j = 0
    for d in range(n_det):
        if partner[d] >= 0:
            trk_idx[k], det_idx[k] = partner[d], d
            k += 1
        else:
            new[j] = d
            j += 1
    return True, trk_idx, det_idx, new, square


@njit(cache=True, nogil=True)
def threshold_solution(
    det_to_col: NDArray[np.int32], square: F64, n_trk: int, n_det: int, threshold: float
) -> tuple[I64, I64, I64]:  # pragma: no cover - compiled
    """SORT's rule on lapjv's solution of ``square`` (``det_to_col``: its row assignment).

    Pairs below ``threshold`` are dropped; new tracks come from the detections lapjv left
    unpaired, then from those dropped, each in detection order.
    """
    good = np.zeros(n_det, np.bool_)
    paired = np.zeros(n_det, np.bool_)
    count = 0
    for d in range(n_det):
        t = det_to_col[d]
        if 0 <= t < n_trk:
            paired[d] = True
            if not -square[d, t] < threshold:
                good[d] = True
                count += 1
    trk_idx = np.empty(count, np.int64)
    det_idx = np.empty(count, np.int64)
    new = np.empty(n_det - count, np.int64)
    k = j = 0
    for d in range(n_det):
        if good[d]:
            trk_idx[k], det_idx[k] = det_to_col[d], d
            k += 1
        elif not paired[d]:
            new[j] = d
            j += 1
    for d in range(n_det):
        if paired[d] and not good[d]:
            new[j] = d
            j += 1
    return trk_idx, det_idx, new


@njit(cache=True, nogil=True)
def report_and_expire(
    data: F64,
    cols: I64,
    mean0: int,
    fmt: int,
    min_hits: int,
    max_age: int,
    warmup: bool,
    classes: bool,
) -> tuple[int, I64, F64, F64, I64, I64]:  # pragma: no cover - compiled
    """SORT's lifecycle rule (``cols``: ``mottrack.tracks.RULE_COLUMNS``).

    A track with ``hit_streak >= min_hits`` is confirmed; tracks updated this frame are
    reported when confirmed (every one while ``warmup``, SORT's first ``min_hits`` frames);
    tracks missed for more than ``max_age`` frames are marked DELETED.

    Returns the number of rows marked DELETED, then the reported arrays of
    :func:`~mottrack.compiled.table.emit_rows`.
    """
    state, streak, since = cols[STATE], cols[STREAK], cols[SINCE]
    n = data.shape[0]
    reported = np.zeros(n, np.bool_)
    for r in range(n):
        x = data[r]
        confirmed = x[streak] >= min_hits
        if confirmed:
            x[state] = CONFIRMED
        reported[r] = x[since] < 1 and (warmup or confirmed)
    ids, xyxy, scores, det_index, cls = emit_rows(
        data, reported, cols[:REPORTED], mean0, fmt, classes
    )
    deleted = 0
    for r in range(n):
        if data[r, since] > max_age:
            data[r, state] = DELETED
            deleted += 1
    return deleted, ids, xyxy, scores, det_index, cls
