"""FairMOT's end-of-frame rule, compiled (run by ``TrackStore.apply_rule``)."""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from ..compiled.overlap import overlap_pairs
from ..compiled.table import boxes_xyxy, emit_in_order, in_list_order

__all__ = ["drop_duplicates_and_report", "expire_lost"]

#: TrackState values (``mottrack.tracks.TrackState``).
_CONFIRMED, _LOST, _DELETED = 2.0, 3.0, 4.0

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@njit(cache=True, nogil=True, error_model="numpy")
def expire_lost(
    data: F64, cols: I64, mean0: int, fmt: int, was_lost: NDArray[np.bool_], max_time_lost: int
) -> tuple[int]:  # pragma: no cover - compiled
    """JDE's lost-list bookkeeping (``cols``: ``RULE_COLUMNS`` then ``removed``).

    A lost track that was ever removed is dropped (DELETED); a track lost since before this
    frame (``was_lost``) and missed for more than ``max_time_lost`` frames is marked removed
    (it stays in the lost list one more frame, as the original's list operations keep it).
    Returns the number of rows marked DELETED.
    """
    state, since, removed = cols[4], cols[8], cols[10]
    deleted = 0
    for r in range(data.shape[0]):
        x = data[r]
        if x[state] != _LOST:
            continue
        expired = was_lost[r] and x[since] > max_time_lost
        if x[removed] > 0:
            x[state] = _DELETED
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
    cls, state, since, order, start = cols[3], cols[4], cols[8], cols[9], cols[10]
    n = data.shape[0]
    is_lost = np.zeros(n, np.bool_)
    for r in range(n):
        is_lost[r] = data[r, state] == _LOST
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
            if data[drop, state] != _DELETED:
                data[drop, state] = _DELETED
                deleted += 1
    reported = in_list_order(data, np.flatnonzero(data[:, state] == _CONFIRMED), order)
    return (deleted, *emit_in_order(data, reported, cols[:4], mean0, fmt, classes))
