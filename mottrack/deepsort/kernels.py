"""DeepSORT's lifecycle rule, compiled (run by ``TrackStore.apply_rule``)."""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from ..compiled.layout import CONFIRMED, DELETED, HITS, REPORTED, SINCE, STATE, TENTATIVE
from ..compiled.table import emit_rows

__all__ = ["confirm_report_expire"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@njit(cache=True, nogil=True)
def confirm_report_expire(
    data: F64, cols: I64, mean0: int, fmt: int, n_init: int, max_age: int, classes: bool
) -> tuple[int, I64, F64, F64, I64, I64]:  # pragma: no cover - compiled
    """deep_sort's rules after the frame's updates (``cols``: ``mottrack.tracks.RULE_COLUMNS``).

    A tentative track updated this frame with ``hits >= n_init`` is confirmed; confirmed
    tracks updated this frame or missed for one frame only are reported; a missed track is
    marked DELETED when tentative or missed for more than ``max_age`` frames.

    Returns the number of rows marked DELETED, then the reported arrays of
    :func:`~mottrack.compiled.table.emit_rows`.
    """
    state, hits, since = cols[STATE], cols[HITS], cols[SINCE]
    n = data.shape[0]
    reported = np.zeros(n, np.bool_)
    for r in range(n):
        x = data[r]
        if x[since] == 0 and x[state] == TENTATIVE and x[hits] >= n_init:
            x[state] = CONFIRMED
        reported[r] = x[state] == CONFIRMED and x[since] <= 1
    ids, xyxy, scores, det_index, cls = emit_rows(
        data, reported, cols[:REPORTED], mean0, fmt, classes
    )
    deleted = 0
    for r in range(n):
        x = data[r]
        if x[since] > 0 and (x[state] == TENTATIVE or x[since] > max_age):
            x[state] = DELETED
            deleted += 1
    return deleted, ids, xyxy, scores, det_index, cls
