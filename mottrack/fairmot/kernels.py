"""FairMOT's per-frame rules, compiled (run by ``TrackStore.apply_rule``).

Each rule is one step of ``JDETracker.update`` on the track table: the prediction of the pool,
what its matches change, the lost-list bookkeeping, and duplicate removal with the report.
Rules receive the table, the indices of ``mottrack.tracks.RULE_COLUMNS`` (``ids, score,
det_index, cls, state, hits, hit_streak, age, time_since_update, order``, then the policy's own
columns), the first mean column and the box format; the Kalman steps are the store's own
kernels (``mottrack.compiled.table``).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from ..compiled.layout import (
    AGE,
    CLS,
    CONFIRMED,
    DELETED,
    DET_INDEX,
    HITS,
    LOST,
    ORDER,
    OWN,
    REPORTED,
    SCORE,
    SINCE,
    STATE,
    STREAK,
    TENTATIVE,
)
from ..compiled.norms import smoothed_unit_rows
from ..compiled.overlap import overlap_pairs
from ..compiled.table import (
    begin_frame,
    boxes_xyxy,
    correct_matches,
    emit_in_order,
    in_list_order,
    ordered_groups,
    predict_rows,
)

__all__ = [
    "drop_duplicates_and_report",
    "expire_lost",
    "pool_matched",
    "predict_pool",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Index of the height velocity in the ``xyah`` Kalman state (zeroed for lost tracks).
HEIGHT_VELOCITY = 7
_POOL_STATES = np.array([CONFIRMED, LOST])


@njit(cache=True, nogil=True, error_model="numpy")
def predict_pool(
    data: F64, cols: I64, mean0: int, fmt: int, m: int, nvel: int, scale: int, q_law: F64
) -> tuple[int, F64, I64, int]:  # pragma: no cover - compiled
    """The frame's start and JDE's prediction of the pool.

    Records the lists as the frame starts (each row's ``state``), begins the frame
    (:func:`~mottrack.compiled.table.begin_frame`), and Kalman-predicts the pool: the
    activated tracked tracks then the lost tracks, each in list order, the lost ones with
    their height velocity zeroed first (``mean_state[7] = 0``).

    Returns
    -------
    deleted : int
        0.
    state : ndarray, shape (N,)
        ``state`` of every row before the frame.
    pool : ndarray of int
        The pool's rows.
    n_tracked : int
        How many of them are tracked (the rest are lost).
    """
    state = data[:, cols[STATE]].copy()
    begin_frame(data, cols[DET_INDEX], cols[STREAK], cols[SINCE])
    pool, bounds = ordered_groups(data, state, _POOL_STATES, cols[ORDER])
    for k in range(bounds[1], pool.shape[0]):
        data[pool[k], mean0 + HEIGHT_VELOCITY] = 0.0
    predict_rows(data, pool, mean0, m, nvel, scale, q_law, -1, -1, cols[AGE])
    return 0, state, pool, bounds[1]


@njit(cache=True, nogil=True, error_model="numpy")
def pool_matched(
    data: F64,
    cols: I64,
    mean0: int,
    fmt: int,
    state: F64,
    pool: I64,
    pairs: I64,
    det_rows: I64,
    z: F64,
    m: int,
    nvel: int,
    scale: int,
    r_law: F64,
    scores: F64,
    classes: I64,
    smoothed: F64,
    feats: F64,
    momentum: float,
) -> tuple[int, bool, I64, I64, I64, I64, I64]:  # pragma: no cover - compiled
    """What the pool's matches change, and what the next stages get.

    Matched tracks (``pool[pairs]``, detection ``det_rows``) are Kalman-corrected and take
    the detection's row, class and (tracked tracks only: a re-activated lost track keeps its
    score, as in JDE) score; matched lost tracks are re-activated (CONFIRMED). ``state`` is
    each row's state as the frame started. Their smoothed embeddings (``smoothed``, written
    in place) move towards the detections' (``feats``) with ``momentum``
    (:meth:`~mottrack.side_tables.SmoothedEmbeddings.correct`'s floats), unless a blend has
    no direction: then none is written and ``smoothed_ok`` is false.

    Returns
    -------
    deleted : int
        0.
    smoothed_ok : bool
        The embeddings were updated (else the caller updates them).
    rows : ndarray of int
        The matched tracks.
    refind : ndarray of int
        The re-activated ones among them.
    tracked : ndarray of int
        Unmatched pool tracks that were tracked (stage 2's tracks), pool order.
    unconfirmed : ndarray of int
        Tracks not activated yet (stage 3's tracks), list order.
    remaining : ndarray of int
        Unmatched detections, increasing.
    """
    rows = pool[pairs]
    take = np.empty(rows.shape[0], np.bool_)
    for k in range(rows.shape[0]):
        take[k] = state[rows[k]] != LOST
    match_cols = np.array(
        [cols[HITS], cols[STREAK], cols[SINCE], cols[DET_INDEX], cols[SCORE], cols[CLS]]
    )
    correct_matches(
        data, rows, z, det_rows, scale, r_law, mean0, m, nvel, scores, take, classes, match_cols
    )
    ok, smooth = smoothed_unit_rows(smoothed, rows, feats[det_rows], momentum, 1.0 - momentum)
    if ok:
        for k in range(rows.shape[0]):
            smoothed[rows[k]] = smooth[k]
    refind = rows[~take]
    for r in refind:
        data[r, cols[STATE]] = CONFIRMED
    left = np.ones(pool.shape[0], np.bool_)
    left[pairs] = False
    tracked = pool[left & (state[pool] == CONFIRMED)]
    unconfirmed = in_list_order(data, np.flatnonzero(state == TENTATIVE), cols[ORDER])
    unmatched = np.ones(z.shape[0], np.bool_)
    unmatched[det_rows] = False
    return 0, ok, rows, refind, tracked, unconfirmed, np.flatnonzero(unmatched)


@njit(cache=True, nogil=True, error_model="numpy")
def expire_lost(
    data: F64, cols: I64, mean0: int, fmt: int, start_state: F64, max_time_lost: int
) -> tuple[int]:  # pragma: no cover - compiled
    """JDE's lost-list bookkeeping (``cols``: ``RULE_COLUMNS`` then ``removed``).

    A lost track that was ever removed is dropped (DELETED); a track lost since before this
    frame (``start_state``: each row's state as the frame started) and missed for more than
    ``max_time_lost`` frames is marked removed (it stays in the lost list one more frame, as
    the original's list operations keep it). Returns the number of rows marked DELETED.
    """
    state, since, removed = cols[STATE], cols[SINCE], cols[OWN]
    deleted = 0
    for r in range(data.shape[0]):
        x = data[r]
        if x[state] != LOST:
            continue
        expired = start_state[r] == LOST and x[since] > max_time_lost
        if x[removed] > 0:
            x[state] = DELETED
            deleted += 1
        if expired:
            x[removed] = 1.0
    return (deleted,)


@njit(cache=True, nogil=True, error_model="numpy")
def drop_duplicates_and_report(
    data: F64,
    cols: I64,
    mean0: int,
    fmt: int,
    frame: int,
    distance: float,
    class_aware: bool,
    classes: bool,
) -> tuple[int, I64, F64, F64, I64, I64]:  # pragma: no cover - compiled
    """JDE's ``remove_duplicate_stracks``, then the report.

    ``cols``: ``mottrack.tracks.RULE_COLUMNS`` then ``start_frame``. Each tracked/lost pair
    with ``1 - IoU < distance`` (``+1`` pixel IoU; same class with ``class_aware``) loses its
    shorter-lived member (age: frames from the first to the last update), the tracked one on
    a tie; then the activated tracked tracks are reported in list order.

    Returns the number of rows marked DELETED, then the reported arrays of
    :func:`~mottrack.compiled.table.emit_rows`.
    """
    cls, state, since = cols[CLS], cols[STATE], cols[SINCE]
    order, start = cols[ORDER], cols[OWN]
    n = data.shape[0]
    is_lost = np.zeros(n, np.bool_)
    for r in range(n):
        is_lost[r] = data[r, state] == LOST
    lost = np.flatnonzero(is_lost)
    tracked = np.flatnonzero(~is_lost)
    deleted = 0
    if lost.shape[0] and tracked.shape[0]:
        box_t = np.empty((tracked.shape[0], 4))
        box_l = np.empty((lost.shape[0], 4))
        boxes_xyxy(data, tracked, mean0, fmt, box_t)
        boxes_xyxy(data, lost, mean0, fmt, box_l)
        p, q, iou = overlap_pairs(box_t, box_l, 1.0)
        for e in range(p.shape[0]):
            a, b = tracked[p[e]], lost[q[e]]
            if not 1 - iou[e] < distance or (class_aware and data[a, cls] != data[b, cls]):
                continue
            age_a = frame - data[a, since] - data[a, start]
            age_b = frame - data[b, since] - data[b, start]
            drop = b if age_a > age_b else a
            if data[drop, state] != DELETED:
                data[drop, state] = DELETED
                deleted += 1
    reported = in_list_order(data, np.flatnonzero(data[:, state] == CONFIRMED), order)
    return (deleted, *emit_in_order(data, reported, cols[:REPORTED], mean0, fmt, classes))
