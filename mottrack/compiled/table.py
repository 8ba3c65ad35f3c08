"""Kernels on the track table (:class:`mottrack.tracks.TrackStore`'s float64 array).

A row holds scalar columns and the Kalman ``mean`` (``n`` values from column ``mean0``)
followed by the row-major covariance (``n * n`` values). The state is ``m`` measured values
then the velocities of the first ``nvel`` of them (``F = I + E``, ``H = [I_m, 0]``), as in
:class:`mottrack.motion.kalman.BatchedKalmanFilter`, whose NumPy methods are the oracle: every
step below does the same operations on the same values in the same order. Divisions follow
NumPy's rules (``error_model="numpy"``: ``x / 0`` is inf or NaN, not an exception).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = [
    "XYAH",
    "XYSR",
    "begin_frame",
    "boxes_xyxy",
    "correct_matches",
    "correct_rows",
    "emit_in_order",
    "emit_rows",
    "in_list_order",
    "noise_entry",
    "ordered_groups",
    "ordered_rows",
    "predict_rows",
    "record_matches",
    "to_measurements",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Box formats of the Kalman state (``fmt`` arguments).
XYSR, XYAH = 0, 1


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def noise_entry(x: F64, mean0: int, scale: int, law: F64, i: int) -> float:  # pragma: no cover
    """Entry ``i`` of a noise diagonal of row ``x`` by its law
    (:meth:`mottrack.motion.kalman.BatchedKalmanFilter.noise_laws`): ``(law[0, i] *
    mean[scale]) ** 2``, or the constant ``law[1, i]``; the floats of the NumPy form."""
    w = law[0, i]
    if scale >= 0 and w != 0.0:
        std = x[mean0 + scale] * w
        return std * std
    return law[1, i]


@njit(cache=True, nogil=True, error_model="numpy")
def begin_frame(data: F64, det_index: int, streak: int, since: int) -> None:  # pragma: no cover
    """``det_index = -1``; the streak restarts where last frame missed; ``since += 1``."""
    for r in range(data.shape[0]):
        data[r, det_index] = -1.0
        if data[r, since] != 0.0:
            data[r, streak] = 0.0
        data[r, since] += 1.0


@njit(cache=True, nogil=True, error_model="numpy")
def predict_rows(
    data: F64,
    rows: I64,
    mean0: int,
    m: int,
    nvel: int,
    scale: int,
    q_law: F64,
    clamp: int,
    clamped_by: int,
    age: int,
) -> None:  # pragma: no cover - compiled
    """Kalman prediction of ``rows`` in place; ``age += 1``.

    The process-noise diagonal follows ``(scale, q_law)`` (:func:`noise_entry`), from the
    mean before the step. When ``clamp >= 0``, mean entry ``clamp`` is zeroed first where
    ``mean[clamp] + mean[clamped_by] <= 0`` (SORT's area-velocity rule).
    """
    n = m + nvel
    c0 = mean0 + n
    qk = np.empty(n)
    for k in range(rows.shape[0]):
        x = data[rows[k]]
        if clamp >= 0 and x[mean0 + clamp] + x[mean0 + clamped_by] <= 0:
            x[mean0 + clamp] = 0.0
        for i in range(n):
            qk[i] = noise_entry(x, mean0, scale, q_law, i)
        for i in range(nvel):
            x[mean0 + i] += x[mean0 + m + i]
        for i in range(nvel):
            for j in range(n):
                x[c0 + i * n + j] += x[c0 + (m + i) * n + j]
        for i in range(n):
            for j in range(nvel):
                x[c0 + i * n + j] += x[c0 + i * n + m + j]
        for i in range(n):
            x[c0 + i * n + i] += qk[i]
        x[age] += 1.0


@njit(cache=True, nogil=True, error_model="numpy")
def correct_rows(
    data: F64,
    rows: I64,
    z: F64,
    det_rows: I64,
    scale: int,
    r_law: F64,
    mean0: int,
    m: int,
    nvel: int,
) -> None:  # pragma: no cover - compiled
    """Kalman update of ``rows`` in place with measurements ``z[det_rows]`` (``z``: ``(D, m)``).

    The measurement-noise diagonal follows ``(scale, r_law)`` (:func:`noise_entry`), from the
    predicted mean. ``K = P H^T S^-1``
    (a column scaling when ``S`` is diagonal, else a solve), ``x += K (z - H x)``,
    ``P -= K (P H^T)^T``.
    """
    n = m + nvel
    c0 = mean0 + n
    s = np.empty((m, m))
    gain = np.empty((n, m))
    pht = np.empty((n, m))
    innovation = np.empty(m)
    for k in range(rows.shape[0]):
        x = data[rows[k]]
        diagonal = True
        for i in range(m):
            for j in range(m):
                s[i, j] = x[c0 + i * n + j]
                if i != j and s[i, j] != 0.0:
                    diagonal = False
            s[i, i] += noise_entry(x, mean0, scale, r_law, i)
            if s[i, i] == 0.0:
                diagonal = False
        for i in range(n):
            for j in range(m):
                pht[i, j] = x[c0 + i * n + j]
        if diagonal:
            for i in range(n):
                for j in range(m):
                    gain[i, j] = pht[i, j] / s[j, j]
        else:
            gain[:, :] = np.linalg.solve(s, pht.T).T
        for j in range(m):
            innovation[j] = z[det_rows[k], j] - x[mean0 + j]
        for i in range(n):
            acc = 0.0
            for j in range(m):
                acc += gain[i, j] * innovation[j]
            x[mean0 + i] += acc
        for i in range(n):
            for j in range(n):
                acc = 0.0
                for t in range(m):
                    acc += gain[i, t] * pht[j, t]
                x[c0 + i * n + j] -= acc


@njit(cache=True, nogil=True, error_model="numpy")
def boxes_xyxy(data: F64, rows: I64, mean0: int, fmt: int, out: F64) -> None:  # pragma: no cover
    """``xyxy`` boxes of ``rows`` from the Kalman mean into ``out``, shape (K, 4).

    ``fmt`` :data:`XYSR` is SORT's ``convert_x_to_bbox`` (``w = sqrt(s r)``, ``h = s / w``);
    :data:`XYAH` is deep_sort's ``to_tlwh`` (``w = a h``). A negative ``s r`` gives NaN.
    """
    for k in range(rows.shape[0]):
        x = data[rows[k]]
        cx, cy = x[mean0], x[mean0 + 1]
        if fmt == XYSR:
            sr = x[mean0 + 2] * x[mean0 + 3]
            w = np.sqrt(sr) if sr >= 0 else np.nan
            hw, hh = w * 0.5, (x[mean0 + 2] / w) * 0.5
            out[k, 0], out[k, 1], out[k, 2], out[k, 3] = cx - hw, cy - hh, cx + hw, cy + hh
        else:
            w, h = x[mean0 + 2] * x[mean0 + 3], x[mean0 + 3]
            out[k, 0], out[k, 1] = cx - w / 2.0, cy - h / 2.0
            out[k, 2], out[k, 3] = out[k, 0] + w, out[k, 1] + h


@njit(cache=True, nogil=True, error_model="numpy")
def to_measurements(xyxy: F64, fmt: int, out: F64) -> None:  # pragma: no cover - compiled
    """Boxes ``(D, 4)`` in the Kalman measurement format, into ``out`` ``(D, 4)``.

    :data:`XYSR`: SORT's ``convert_bbox_to_z`` (centre, area ``w h``, ratio ``w / h``);
    :data:`XYAH`: deep_sort's ``to_xyah`` (centre, ``w / h``, ``h``). Same operations as
    :func:`mottrack.boxes.xyxy_to_xysr` / :func:`~mottrack.boxes.xyxy_to_xyah`.
    """
    for i in range(xyxy.shape[0]):
        w, h = xyxy[i, 2] - xyxy[i, 0], xyxy[i, 3] - xyxy[i, 1]
        out[i, 0], out[i, 1] = xyxy[i, 0] + w / 2.0, xyxy[i, 1] + h / 2.0
        if fmt == XYSR:
            out[i, 2], out[i, 3] = w * h, w / h
        else:
            out[i, 2], out[i, 3] = w / h, h


@njit(cache=True, nogil=True, error_model="numpy")
def emit_rows(
    data: F64, rows: NDArray[np.bool_], cols: I64, mean0: int, fmt: int, classes: bool
) -> tuple[I64, F64, F64, I64, I64]:  # pragma: no cover - compiled
    """The reported arrays of the rows where ``rows`` holds, in table order.

    ``cols``: ``ids, score, det_index, cls``. Returns ``ids, xyxy, scores, det_index,
    classes`` (``classes`` empty unless asked).
    """
    return emit_in_order(data, np.flatnonzero(rows), cols, mean0, fmt, classes)


@njit(cache=True, nogil=True, error_model="numpy")
def emit_in_order(
    data: F64, idx: I64, cols: I64, mean0: int, fmt: int, classes: bool
) -> tuple[I64, F64, F64, I64, I64]:  # pragma: no cover - compiled
    """The reported arrays of rows ``idx``, in that order (see :func:`emit_rows`)."""
    n = idx.shape[0]
    xyxy = np.empty((n, 4))
    boxes_xyxy(data, idx, mean0, fmt, xyxy)
    ids = np.empty(n, np.int64)
    scores = np.empty(n)
    det_index = np.empty(n, np.int64)
    cls = np.empty(n if classes else 0, np.int64)
    for k in range(n):
        x = data[idx[k]]
        ids[k] = np.int64(x[cols[0]])
        scores[k] = x[cols[1]]
        det_index[k] = np.int64(x[cols[2]])
        if classes:
            cls[k] = np.int64(x[cols[3]])
    return ids, xyxy, scores, det_index, cls


@njit(cache=True, nogil=True, error_model="numpy")
def record_matches(
    data: F64,
    rows: I64,
    det_rows: I64,
    scores: F64,
    take_score: NDArray[np.bool_],
    classes: I64,
    cols: I64,
) -> None:  # pragma: no cover - compiled
    """Bookkeeping of matched ``rows``: ``hits``/``hit_streak`` + 1, ``time_since_update = 0``,
    ``det_index``, ``score`` from the detection where ``take_score`` holds (every match when
    it is empty) and ``cls`` from the detection when ``classes`` is not empty.

    ``cols`` holds the column indices of ``hits, hit_streak, time_since_update, det_index,
    score, cls``.
    """
    every = take_score.shape[0] == 0
    for k in range(rows.shape[0]):
        x = data[rows[k]]
        x[cols[0]] += 1.0
        x[cols[1]] += 1.0
        x[cols[2]] = 0.0
        x[cols[3]] = det_rows[k]
        if every or take_score[k]:
            x[cols[4]] = scores[det_rows[k]]
        if classes.shape[0]:
            x[cols[5]] = classes[det_rows[k]]


@njit(cache=True, nogil=True, error_model="numpy")
def correct_matches(
    data: F64,
    rows: I64,
    z: F64,
    det_rows: I64,
    scale: int,
    r_law: F64,
    mean0: int,
    m: int,
    nvel: int,
    scores: F64,
    take_score: NDArray[np.bool_],
    classes: I64,
    cols: I64,
) -> None:  # pragma: no cover - compiled
    """:func:`correct_rows` then :func:`record_matches`, one call."""
    correct_rows(data, rows, z, det_rows, scale, r_law, mean0, m, nvel)
    record_matches(data, rows, det_rows, scores, take_score, classes, cols)


@njit(cache=True, nogil=True, error_model="numpy")
def advance(
    data: F64,
    cols: I64,
    mean0: int,
    m: int,
    nvel: int,
    scale: int,
    q_law: F64,
    clamp: int,
    clamped_by: int,
) -> None:  # pragma: no cover - compiled
    """:func:`begin_frame` then :func:`predict_rows` of every row (``cols``: ``det_index,
    hit_streak, time_since_update, age``)."""
    begin_frame(data, cols[0], cols[1], cols[2])
    rows = np.arange(data.shape[0])
    predict_rows(data, rows, mean0, m, nvel, scale, q_law, clamp, clamped_by, cols[3])


@njit(cache=True, nogil=True, error_model="numpy")
def append_rows(
    data: F64,
    blank: F64,
    mean: F64,
    cov: F64,
    det_rows: I64,
    scores: F64,
    classes: I64,
    first_id: int,
    first_order: int,
    mean0: int,
    cols: I64,
) -> F64:  # pragma: no cover - compiled
    """The table with one new row per detection row appended (a new array).

    New rows start as ``blank`` with the initial ``mean`` ``(K, n)`` and ``cov`` ``(K, n * n)``,
    consecutive ids and list positions, and the detection's row, score and class (``classes``
    may be empty). ``cols``: ``ids, order, det_index, score, cls``.
    """
    n_old, count, width = data.shape[0], det_rows.shape[0], data.shape[1]
    n = mean.shape[1]
    out = np.empty((n_old + count, width))
    out[:n_old] = data
    for k in range(count):
        x = out[n_old + k]
        x[:] = blank
        x[mean0 : mean0 + n] = mean[k]
        x[mean0 + n : mean0 + n + n * n] = cov[k]
        x[cols[0]] = first_id + k
        x[cols[1]] = first_order + k
        x[cols[2]] = det_rows[k]
        x[cols[3]] = scores[det_rows[k]]
        if classes.shape[0]:
            x[cols[4]] = classes[det_rows[k]]
    return out


@njit(cache=True, nogil=True)
def in_list_order(data: F64, rows: I64, order: int) -> I64:  # pragma: no cover - compiled
    """``rows`` sorted by column ``order`` (stable): the trackers' list order."""
    keys = np.empty(rows.shape[0])
    for k in range(rows.shape[0]):
        keys[k] = data[rows[k], order]
    return rows[np.argsort(keys, kind="mergesort")]


@njit(cache=True, nogil=True)
def ordered_rows(data: F64, mask: NDArray[np.bool_], order: int) -> I64:  # pragma: no cover
    """Rows where ``mask`` holds, in list order (:func:`in_list_order`)."""
    return in_list_order(data, np.flatnonzero(mask), order)


@njit(cache=True, nogil=True)
def ordered_groups(
    data: F64, labels: F64, values: F64, order: int
) -> tuple[I64, I64]:  # pragma: no cover - compiled
    """Rows whose ``labels`` equal ``values[0]``, then ``values[1]``, ..., each group in list
    order (:func:`in_list_order`); and where each group starts (``len(values) + 1`` bounds)."""
    out = np.empty(labels.shape[0], np.int64)
    bounds = np.zeros(values.shape[0] + 1, np.int64)
    k = 0
    for g in range(values.shape[0]):
        for r in in_list_order(data, np.flatnonzero(labels == values[g]), order):
            out[k] = r
            k += 1
        bounds[g + 1] = k
    return out[:k], bounds
