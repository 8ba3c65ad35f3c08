"""The Mahalanobis gate as a list of pairs: which detections each track may be matched to.

DeepSORT and FairMOT forbid a track-detection pair whose squared Mahalanobis distance exceeds
the chi-square bound (``CHI2INV95[4] = 9.4877``). Computing it for every pair costs a dense
``(T, D)`` matrix; in a crowd each track's gate holds one or two detections. Here detections
are filed in a uniform grid by their centre, and a track is scored only against the detections
in the cells its gate can reach: the gate ``d^2 <= t`` bounds the centre offset by
``sqrt(t * S_xx)`` and ``sqrt(t * S_yy)`` (``S = H P H^T + R``, the innovation covariance).
Small frames score every pair, with the same arithmetic.

Values are those of :meth:`mottrack.motion.kalman.BatchedKalmanFilter.gating_distance` for a
diagonal ``S`` (the covariances the motion models produce): ``y = (z - Hx) / sqrt(var)``,
``d^2 = ((y0^2 + y1^2) + y2^2) + y3^2``, the order of NumPy's sum, so every value is the same
float. A track whose ``S`` is not diagonal (after camera motion compensation) is gated with
its Cholesky factor (forward substitution, as the dense form; equal to ~1e-15). An ``S`` that
is not positive definite is reported (``ok`` false) and the caller uses the dense form.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from .overlap import _cell
from .table import noise_entry

__all__ = ["gated_pairs"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Up to this many pairs every pair is scored (no grid).
_ALL_PAIRS = 4096


@njit(cache=True, nogil=True, error_model="numpy")
def _innovation(
    data: F64, rows: I64, mean0: int, n: int, scale: int, r_law: F64, var: F64, chol: F64
) -> tuple[bool, NDArray[np.bool_]]:  # pragma: no cover - compiled
    """The innovation covariance ``S = P[:m, :m] + R`` of each of ``rows`` (``R``'s diagonal
    by its law ``(scale, r_law)``, :func:`~mottrack.compiled.table.noise_entry`).

    ``var[k]`` gets its diagonal; a non-diagonal ``S`` also gets its Cholesky factor in
    ``chol[k]`` (and ``full[k]`` true). Returns ``ok`` (false when some ``S`` is not positive
    definite) and ``full``.
    """
    m = var.shape[1]
    c0 = mean0 + n
    full = np.zeros(rows.shape[0], np.bool_)
    for k in range(rows.shape[0]):
        x = data[rows[k]]
        for i in range(m):
            var[k, i] = x[c0 + i * n + i] + noise_entry(x, mean0, scale, r_law, i)
            if not var[k, i] > 0.0:
                return False, full
            for j in range(m):
                if i != j and x[c0 + i * n + j] != 0.0:
                    full[k] = True
        if full[k]:  # Cholesky-Banachiewicz, row by row
            lk = chol[k]
            for i in range(m):
                for j in range(i + 1):
                    acc = var[k, i] if i == j else x[c0 + i * n + j]
                    for q in range(j):
                        acc -= lk[i, q] * lk[j, q]
                    if i == j:
                        if not acc > 0.0:
                            return False, full
                        lk[i, i] = np.sqrt(acc)
                    else:
                        lk[i, j] = acc / lk[j, j]
    return True, full


@njit(cache=True, nogil=True, error_model="numpy")
def _squared_distance(
    x: F64, mean0: int, z: F64, sd: F64, lk: F64, full: bool
) -> float:  # pragma: no cover - compiled
    """Squared Mahalanobis distance: ``sum ((z - Hx) / sd)^2`` for a diagonal ``S`` (NumPy's
    diagonal form, the same floats), else ``|L^-1 (z - Hx)|^2`` by forward substitution."""
    m = z.shape[0]
    d2 = 0.0
    if not full:
        for i in range(m):
            y = (z[i] - x[mean0 + i]) / sd[i]
            d2 += y * y
        return d2
    ys = np.empty(m)
    for i in range(m):
        acc = z[i] - x[mean0 + i]
        for q in range(i):
            acc -= lk[i, q] * ys[q]
        ys[i] = acc / lk[i, i]
        d2 += ys[i] * ys[i]
    return d2


@njit(cache=True, nogil=True, error_model="numpy")
def gated_pairs(
    data: F64, rows: I64, mean0: int, n: int, scale: int, r_law: F64, z: F64, threshold: float
) -> tuple[bool, I64, I64, F64]:  # pragma: no cover - compiled
    """Every ``(track, detection)`` pair inside the gate, with its squared distance.

    Parameters
    ----------
    data : ndarray, shape (N, width)
        The track table (mean from column ``mean0``, then the row-major covariance).
    rows : ndarray of int, shape (T,)
        Track rows to gate.
    mean0, n : int
        First mean column and state size.
    scale, r_law : int, ndarray of shape (2, m)
        The measurement-noise law (:meth:`~mottrack.motion.kalman.BatchedKalmanFilter.noise_laws`).
    z : ndarray, shape (D, m)
        Measurements; columns 0 and 1 are the box centre.
    threshold : float
        Largest squared distance kept.

    Returns
    -------
    ok : bool
        False when some ``S`` is not positive definite (nothing else is computed).
    track, det : ndarray of int, shape (K,)
        Index into ``rows`` and detection row of each pair, grouped by track.
    d2 : ndarray, shape (K,)
    """
    t, nd, m = rows.shape[0], z.shape[0], z.shape[1]
    var = np.empty((t, m))
    chol = np.zeros((t, m, m))
    empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
    ok, full = _innovation(data, rows, mean0, n, scale, r_law, var, chol)
    if not ok:
        return False, empty_i, empty_i, empty_f
    if t == 0 or nd == 0:
        return True, empty_i, empty_i, empty_f
    sd = np.sqrt(var)
    out_t, out_d, out_v = [0], [0], [0.0]
    out_t.pop(), out_d.pop(), out_v.pop()
    if t * nd <= _ALL_PAIRS:
        for k in range(t):
            x = data[rows[k]]
            for j in range(nd):
                d2 = _squared_distance(x, mean0, z[j], sd[k], chol[k], full[k])
                if d2 <= threshold:
                    out_t.append(k)
                    out_d.append(j)
                    out_v.append(d2)
        return True, np.array(out_t), np.array(out_d), np.array(out_v)

    # Grid over detection centres; cells about the median gate width.
    reach = np.sqrt(threshold * var[:, :2]) * (1.0 + 1e-9) + 1e-9  # centre bound per axis
    cell = max(2.0 * np.median(reach[:, 0]), 2.0 * np.median(reach[:, 1]), 1e-6)
    x0, y0 = z[:, 0].min(), z[:, 1].min()
    nx = int((z[:, 0].max() - x0) / cell) + 1
    ny = int((z[:, 1].max() - y0) / cell) + 1
    while nx * ny > 4 * nd + 16:  # keep the grid no larger than the detections justify
        cell *= 2.0
        nx = int((z[:, 0].max() - x0) / cell) + 1
        ny = int((z[:, 1].max() - y0) / cell) + 1
    start = np.zeros(nx * ny + 1, np.int64)
    where = np.empty(nd, np.int64)
    for j in range(nd):
        c = int((z[j, 0] - x0) / cell) * ny + int((z[j, 1] - y0) / cell)
        where[j] = c
        start[c + 1] += 1
    for c in range(nx * ny):
        start[c + 1] += start[c]
    filed = np.empty(nd, np.int64)
    fill = start[:-1].copy()
    for j in range(nd):
        filed[fill[where[j]]] = j
        fill[where[j]] += 1

    for k in range(t):
        x = data[rows[k]]
        cx, cy = x[mean0], x[mean0 + 1]
        if not (np.isfinite(cx) and np.isfinite(cy)):  # NaN distances are never inside
            continue
        i0 = _cell(cx - reach[k, 0], x0, cell, nx)
        i1 = _cell(cx + reach[k, 0], x0, cell, nx)
        j0 = _cell(cy - reach[k, 1], y0, cell, ny)
        j1 = _cell(cy + reach[k, 1], y0, cell, ny)
        first = len(out_d)
        for i in range(i0, i1 + 1):
            for jj in range(j0, j1 + 1):
                c = i * ny + jj
                for p in range(start[c], start[c + 1]):
                    j = filed[p]
                    d2 = _squared_distance(x, mean0, z[j], sd[k], chol[k], full[k])
                    if d2 <= threshold:
                        out_t.append(k)
                        out_d.append(j)
                        out_v.append(d2)
        # Detections of one track in increasing order (as the dense form lists them).
        if len(out_d) - first > 1:
            seg_d = np.array(out_d[first:])
            seg_v = np.array(out_v[first:])
            order = np.argsort(seg_d)
            for q in range(order.shape[0]):
                out_d[first + q] = seg_d[order[q]]
                out_v[first + q] = seg_v[order[q]]
    return True, np.array(out_t, np.int64), np.array(out_d, np.int64), np.array(out_v)
