"""IoU of box pairs: the dense matrix and the sparse list of overlapping pairs.

Both use :func:`mottrack.boxes.iou_matrix`'s arithmetic term by term, so every value is the
same float. The sparse form finds candidate pairs by sort-and-sweep on ``x1`` instead of
scoring all ``N x M`` pairs: in a crowd a box overlaps a handful of others.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["iou_dense", "overlap_pairs"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@njit(cache=True, nogil=True)
def _iou(a: F64, b: F64, off: float) -> float:  # pragma: no cover - compiled
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if off != 0.0:
        w += off
        h += off
    w = max(w, 0.0)
    h = max(h, 0.0)
    inter = w * h
    area_a = (a[2] - a[0] + off) * (a[3] - a[1] + off)
    area_b = (b[2] - b[0] + off) * (b[3] - b[1] + off)
    union = area_a + area_b
    union -= inter
    return inter / union if union > 0 else 0.0


@njit(cache=True, nogil=True)
def iou_dense(a: F64, b: F64, off: float) -> F64:  # pragma: no cover - compiled
    """IoU of every pair, shape (N, M): the values of :func:`mottrack.boxes.iou_matrix`."""
    out = np.empty((a.shape[0], b.shape[0]))
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            out[i, j] = _iou(a[i], b[j], off)
    return out


#: A box spanning more grid cells than this is checked against every other box instead.
_BIG_CELLS = 64


@njit(cache=True, nogil=True)
def overlap_pairs(a: F64, b: F64, off: float) -> tuple[I64, I64, F64]:  # pragma: no cover
    """Every pair with a positive IoU, found through a uniform grid over ``b``.

    Each box of ``b`` is filed under the grid cells it covers (cells twice its mean size);
    each box of ``a`` is scored only against the boxes filed under the cells it covers. A box
    of ``b`` covering more than 64 cells is scored against every box of ``a``. Bounds are
    widened by a relative 1e-9 so rounding never drops a pair; every candidate is scored
    exactly.

    Parameters
    ----------
    a : ndarray, shape (N, 4)
    b : ndarray, shape (M, 4)
        Finite ``xyxy`` boxes.
    off : float
        Pixel offset added to widths and heights (see :func:`mottrack.boxes.iou_matrix`).

    Returns
    -------
    rows, cols : ndarray of int64, shape (K,)
        The pairs, sorted by row then column.
    iou : ndarray, shape (K,)
        Their IoU (> 0); every pair not listed has IoU 0 exactly.
    """
    n, m = a.shape[0], b.shape[0]
    cap = max(16, 4 * (n + m))
    rows = np.empty(cap, np.int64)
    cols = np.empty(cap, np.int64)
    vals = np.empty(cap)
    if n == 0 or m == 0:
        return rows[:0], cols[:0], vals[:0]
    # The grid: origin, cell size and shape from b's extent and mean box size.
    x0, y0, x9, y9, size = np.inf, np.inf, -np.inf, -np.inf, 0.0
    for j in range(m):
        x0, y0 = min(x0, b[j, 0]), min(y0, b[j, 1])
        x9, y9 = max(x9, b[j, 2]), max(y9, b[j, 3])
        size += (b[j, 2] - b[j, 0]) + (b[j, 3] - b[j, 1])
    pad = 1e-9 * (abs(x0) + abs(x9) + abs(y0) + abs(y9) + 1.0) + abs(off)
    x0, y0, x9, y9 = x0 - pad, y0 - pad, x9 + pad, y9 + pad
    cell = max(size / m, 1e-9 * (x9 - x0 + y9 - y0), 1e-300)
    nx = min(int((x9 - x0) / cell) + 1, 4 * int(np.sqrt(m)) + 1)
    ny = min(int((y9 - y0) / cell) + 1, 4 * int(np.sqrt(m)) + 1)
    cw, ch = (x9 - x0) / nx, (y9 - y0) / ny
    # File each box of b under its cells (counting pass, then filling pass).
    span = np.empty((m, 4), np.int64)
    big = np.zeros(m, np.bool_)
    count = np.zeros(nx * ny + 1, np.int64)
    for j in range(m):
        span[j, 0] = _cell(b[j, 0] - pad, x0, cw, nx)
        span[j, 1] = _cell(b[j, 1] - pad, y0, ch, ny)
        span[j, 2] = _cell(b[j, 2] + pad, x0, cw, nx)
        span[j, 3] = _cell(b[j, 3] + pad, y0, ch, ny)
        cells = (span[j, 2] - span[j, 0] + 1) * (span[j, 3] - span[j, 1] + 1)
        if cells > _BIG_CELLS:
            big[j] = True
            continue
        for cy in range(span[j, 1], span[j, 3] + 1):
            for cx in range(span[j, 0], span[j, 2] + 1):
                count[cy * nx + cx + 1] += 1
    start = np.cumsum(count)
    filed = np.empty(start[-1], np.int64)
    fill = start[:-1].copy()
    for j in range(m):
        if big[j]:
            continue
        for cy in range(span[j, 1], span[j, 3] + 1):
            for cx in range(span[j, 0], span[j, 2] + 1):
                filed[fill[cy * nx + cx]] = j
                fill[cy * nx + cx] += 1
    bigs = np.flatnonzero(big)
    seen = np.full(m, -1, np.int64)
    k = 0
    for i in range(n):
        if rows.shape[0] - k < m:  # room for every pair of this row
            cap = max(2 * rows.shape[0], k + m)
            rows, cols, vals = _grow(rows, cap), _grow(cols, cap), _grow(vals, cap)
        gx0 = _cell(a[i, 0] - pad, x0, cw, nx)
        gy0 = _cell(a[i, 1] - pad, y0, ch, ny)
        gx1 = _cell(a[i, 2] + pad, x0, cw, nx)
        gy1 = _cell(a[i, 3] + pad, y0, ch, ny)
        for cy in range(gy0, gy1 + 1):
            for cx in range(gx0, gx1 + 1):
                c = cy * nx + cx
                for s in range(start[c], start[c + 1]):
                    j = filed[s]
                    if seen[j] == i:
                        continue
                    seen[j] = i
                    v = _iou(a[i], b[j], off)
                    if v > 0.0:
                        rows[k], cols[k], vals[k] = i, j, v
                        k += 1
        for j in bigs:
            v = _iou(a[i], b[j], off)
            if v > 0.0:
                rows[k], cols[k], vals[k] = i, j, v
                k += 1
    rows, cols, vals = rows[:k], cols[:k], vals[:k]
    sort = np.argsort(rows * m + cols, kind="mergesort")
    return rows[sort], cols[sort], vals[sort]


@njit(cache=True, nogil=True)
def _cell(v: float, origin: float, width: float, count: int) -> int:  # pragma: no cover
    """Grid index of coordinate ``v`` (cells of ``width`` from ``origin``), clipped to
    ``[0, count)``; infinite coordinates land in the first or last cell."""
    f = np.floor((v - origin) / width)
    return int(min(max(f, 0.0), count - 1.0))


@njit(cache=True, nogil=True)
def _grow(arr, cap):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    out = np.empty(cap, arr.dtype)
    out[: arr.shape[0]] = arr
    return out
