"""Where ID switches and fragmentations happen: CLEAR MOT's per-frame matching, as TrackEval's
``CLEAR`` metric does it, kept frame by frame so a plot can mark them.

Per frame, ground-truth and tracker boxes are matched by the Hungarian method on IoU
(:func:`mottrack.boxes.iou_matrix`, no pixel offset, as TrackEval's; pairs below 0.5 never
match), a pair that continues the previous frame's match winning over any other. A
ground-truth object matched to another tracker ID than at its last match is an ID switch; one
matched again after a frame unmatched is a fragmentation. The counts equal TrackEval's ``IDSW``
and ``Frag`` (``tests/test_plots.py`` checks it on a MOT15 sequence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from ..boxes import convert, iou_matrix
from ..io.mot import group_by_frame

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
    none = np.zeros((0, 3), np.int64)
    if not (len(gt) and len(results)):
        return TrackEvents(none, none.copy())
    eps = np.finfo(float).eps
    # Ground-truth IDs as 0..U-1, so that what each had is an array indexed by it.
    gt_ids, gt_index = np.unique(gt[:, 1].astype(np.int64), return_inverse=True)
    last = int(max(gt[:, 0].max(), results[:, 0].max()))
    gt_frames = group_by_frame(np.column_stack([gt[:, :6], gt_index]), last)
    tr_frames = group_by_frame(results[:, :6], last)
    last_match = np.full(len(gt_ids), np.nan)  # tracker ID at each object's last match
    previous = last_match.copy()  # tracker ID matched in the previous (evaluated) frame
    seen = np.zeros(len(gt_ids), bool)  # objects tracked at least once
    switches: list[F64] = []
    frags: list[F64] = []
    for frame, (g, t) in enumerate(zip(gt_frames, tr_frames), 1):
        if not (len(g) and len(t)):  # TrackEval skips such a frame: the previous match holds
            continue
        objects, tr_ids = g[:, 6].astype(np.intp), t[:, 1]
        sim = iou_matrix(convert(g[:, 2:6], "xywh", "xyxy"), convert(t[:, 2:6], "xywh", "xyxy"))
        cont = previous[objects][:, None] == tr_ids[None, :]
        score = 1000.0 * cont + sim
        score[sim < threshold - eps] = 0.0
        rows, cols = linear_sum_assignment(-score)
        keep = score[rows, cols] > eps
        matched, ids = objects[rows[keep]], tr_ids[cols[keep]]
        switched = ~np.isnan(last_match[matched]) & (last_match[matched] != ids)
        resumed = seen[matched] & np.isnan(previous[matched])
        for found, out in ((switched, switches), (resumed, frags)):
            out.append(
                np.column_stack([np.full(found.sum(), frame), gt_ids[matched[found]], ids[found]])
            )
        last_match[matched] = ids
        seen[matched] = True
        previous = np.full(len(gt_ids), np.nan)
        previous[matched] = ids
    return TrackEvents(
        np.concatenate([none, *switches]).astype(np.int64),
        np.concatenate([none, *frags]).astype(np.int64),
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
