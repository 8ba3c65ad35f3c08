"""Where ID switches and fragmentations happen: CLEAR MOT's per-frame matching, as TrackEval's
``CLEAR`` metric does it, kept frame by frame so a plot can mark them.

Per frame, ground-truth and tracker boxes are matched by the Hungarian method on IoU (pairs
below 0.5 never match), a pair that continues the previous frame's match winning over any
other. A ground-truth object matched to another tracker ID than at its last match is an ID
switch; one matched again after a frame unmatched is a fragmentation. The counts equal
TrackEval's ``IDSW`` and ``Frag`` (``tests/test_plots.py`` checks it on a MOT15 sequence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from ..boxes import convert

__all__ = ["TrackEvents", "clear_events", "evaluated_gt"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class TrackEvents:
    """ID switches and fragmentations of a results file against ground truth.

    Attributes
    ----------
    switches : ndarray, shape (S, 3)
        ``frame, gt_id, tracker_id`` of each ID switch (the tracker ID taking over).
    fragmentations : ndarray, shape (F, 3)
        ``frame, gt_id, tracker_id`` where a ground-truth object is tracked again after a gap.
    """

    switches: NDArray[np.int64]
    fragmentations: NDArray[np.int64]


def _iou(a: F64, b: F64) -> F64:
    """IoU of ``(G, 4)`` and ``(T, 4)`` xyxy boxes, shape (G, T)."""
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)[:, None]
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)[None, :]
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def clear_events(gt: F64, results: F64, threshold: float = 0.5) -> TrackEvents:
    """Find the ID switches and fragmentations of ``results`` against ``gt``.

    Parameters
    ----------
    gt : ndarray, shape (G, >=6)
        Ground-truth rows ``frame, id, x, y, w, h``, already filtered to the evaluated objects.
    results : ndarray, shape (R, >=6)
        Tracker rows ``frame, id, x, y, w, h``.
    threshold : float, default 0.5
        IoU a pair needs to match.

    Returns
    -------
    TrackEvents
    """
    eps = np.finfo(float).eps
    last_match: dict[int, int] = {}  # gt id -> tracker id at its last match
    previous: dict[int, int] = {}  # gt id -> tracker id matched in the previous frame
    switches: list[tuple[int, int, int]] = []
    frags: list[tuple[int, int, int]] = []
    seen: set[int] = set()  # gt ids tracked at least once
    frames = np.union1d(gt[:, 0], results[:, 0]).astype(int) if len(gt) else np.zeros(0, int)
    for frame in frames:
        g = gt[gt[:, 0] == frame]
        t = results[results[:, 0] == frame]
        gt_ids, tr_ids = g[:, 1].astype(int), t[:, 1].astype(int)
        if not (len(g) and len(t)):  # TrackEval skips such a frame: the previous match holds
            continue
        sim = _iou(convert(g[:, 2:6], "xywh", "xyxy"), convert(t[:, 2:6], "xywh", "xyxy"))
        cont = np.array([[previous.get(gi) == ti for ti in tr_ids] for gi in gt_ids], float)
        score = 1000.0 * cont + sim
        score[sim < threshold - eps] = 0.0
        rows, cols = linear_sum_assignment(-score)
        keep = score[rows, cols] > eps
        tracked_now = {int(gt_ids[r]): int(tr_ids[c]) for r, c in zip(rows[keep], cols[keep])}
        for gi, ti in tracked_now.items():
            if gi in last_match and last_match[gi] != ti:
                switches.append((int(frame), gi, ti))
            if gi in seen and gi not in previous:
                frags.append((int(frame), gi, ti))
            last_match[gi] = ti
            seen.add(gi)
        previous = tracked_now
    return TrackEvents(
        np.array(switches, np.int64).reshape(-1, 3), np.array(frags, np.int64).reshape(-1, 3)
    )


def evaluated_gt(rows: F64) -> F64:
    """The ground-truth rows CLEAR evaluates: MOT15 (10 columns) drops ``conf == 0``; MOT16/17/20
    (9 columns) keeps pedestrians (class 1) with ``consider == 1``.

    TrackEval also removes tracker boxes matched to MOT16/17/20 distractors before counting;
    that is not done here, so on those benchmarks the marks can differ slightly from its counts.
    """
    if rows.ndim != 2 or rows.shape[1] < 7:
        return rows
    if rows.shape[1] == 9:
        return rows[(rows[:, 6] == 1) & (rows[:, 7] == 1)]
    return rows[rows[:, 6] != 0]
