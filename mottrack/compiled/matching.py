"""Matching kernels over sparse candidate pairs."""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = [
    "fill_block",
    "forced_pairs",
    "level_groups",
    "limit_pairs",
    "limit_square",
    "unique_pairs_above",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@njit(cache=True, nogil=True)
def unique_pairs_above(
    rows: I64, cols: I64, vals: F64, n_rows: int, n_cols: int, threshold: float
) -> tuple[bool, I64, I64]:  # pragma: no cover - compiled
    """Pairs with ``vals > threshold``, if no row and no column has two of them.

    Returns
    -------
    unique : bool
        At least one such pair exists and every row and column has at most one.
    rows, cols : ndarray of int64
        The pairs in increasing column order (empty unless ``unique``).
    """
    row_count = np.zeros(n_rows, np.int64)
    col_partner = np.full(n_cols, -1, np.int64)
    found = 0
    for e in range(rows.shape[0]):
        if vals[e] > threshold:
            r, c = rows[e], cols[e]
            if row_count[r] or col_partner[c] >= 0:
                return False, rows[:0], cols[:0]
            row_count[r] = 1
            col_partner[c] = r
            found += 1
    if found == 0:
        return False, rows[:0], cols[:0]
    out_rows = np.empty(found, np.int64)
    out_cols = np.empty(found, np.int64)
    k = 0
    for c in range(n_cols):
        if col_partner[c] >= 0:
            out_rows[k] = col_partner[c]
            out_cols[k] = c
            k += 1
    return True, out_rows, out_cols


@njit(cache=True, nogil=True)
def forced_pairs(
    rows: I64, cols: I64, vals: F64, n_rows: int, n_cols: int
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:  # pragma: no cover - compiled
    """Edges every maximum-weight matching contains, and the edges still undecided.

    An edge that is the strictly heaviest at both its ends and outweighs the sum of the
    next-heaviest edges at its two ends is in every maximum-weight matching (exchange
    argument: any matching without it gains by swapping it in). Such edges are fixed and their
    end points removed, which lowers the neighbours' next-heaviest edges; this repeats until
    no edge qualifies. A margin of 1e-12 keeps float rounding of the sum on the safe side.

    Parameters
    ----------
    rows, cols : ndarray of int64, shape (E,)
        Edges (distinct pairs).
    vals : ndarray, shape (E,)
        Their positive weights.
    n_rows, n_cols : int

    Returns
    -------
    forced : ndarray of bool, shape (E,)
        Edges in every maximum-weight matching.
    open_ : ndarray of bool, shape (E,)
        Edges between nodes no forced edge covers (the rest of the problem).
    """
    n_edges = rows.shape[0]
    forced = np.zeros(n_edges, np.bool_)
    alive = np.ones(n_edges, np.bool_)
    row_done = np.zeros(n_rows, np.bool_)
    col_done = np.zeros(n_cols, np.bool_)
    row_best = np.empty(n_rows, np.int64)
    col_best = np.empty(n_cols, np.int64)
    row_top = np.empty((n_rows, 2))
    col_top = np.empty((n_cols, 2))
    changed = True
    while changed:
        changed = False
        row_best[:] = -1
        col_best[:] = -1
        row_top[:] = 0.0
        col_top[:] = 0.0
        for e in range(n_edges):
            if alive[e]:
                _rank(row_top, row_best, rows[e], e, vals[e])
                _rank(col_top, col_best, cols[e], e, vals[e])
        for e in range(n_edges):
            r, c = rows[e], cols[e]
            if (
                alive[e]
                and row_best[r] == e
                and col_best[c] == e
                and vals[e] > row_top[r, 1] + col_top[c, 1] + 1e-12
            ):
                forced[e] = True
                row_done[r] = True
                col_done[c] = True
                changed = True
        if changed:
            for e in range(n_edges):
                if alive[e] and (row_done[rows[e]] or col_done[cols[e]]):
                    alive[e] = False
    return forced, alive


@njit(cache=True, nogil=True)
def _rank(top: F64, best: I64, node: int, edge: int, value: float) -> None:  # pragma: no cover
    """Keep the two heaviest weights at ``node`` (a tie for first leaves no strict best)."""
    if value > top[node, 0]:
        top[node, 1] = top[node, 0]
        top[node, 0] = value
        best[node] = edge
    elif value > top[node, 1]:
        top[node, 1] = value
        if value == top[node, 0]:
            best[node] = -1


@njit(cache=True, nogil=True)
def fill_block(
    rows: I64,
    cols: I64,
    cost: F64,
    r: I64,
    k: I64,
    n_rows: int,
    n_cols: int,
    threshold: float,
    fill: float,
) -> F64:  # pragma: no cover - compiled
    """The dense block ``[r][:, k]`` of a matrix listed by its entries ``(rows, cols, cost)``:
    ``fill`` where nothing is listed or the listed cost exceeds ``threshold`` (deep_sort's
    clipping), the cost elsewhere. Shape ``(len(r), len(k))``."""
    pos_r = np.full(n_rows, -1, np.int64)
    for i in range(r.shape[0]):
        pos_r[r[i]] = i
    pos_k = np.full(n_cols, -1, np.int64)
    for j in range(k.shape[0]):
        pos_k[k[j]] = j
    block = np.full((r.shape[0], k.shape[0]), fill)
    for e in range(rows.shape[0]):
        a, b = pos_r[rows[e]], pos_k[cols[e]]
        if a >= 0 and b >= 0:
            block[a, b] = fill if cost[e] > threshold else cost[e]
    return block


@njit(cache=True, nogil=True)
def level_groups(levels: F64, depth: int) -> tuple[I64, I64]:  # pragma: no cover - compiled
    """Rows grouped by level ``1..depth`` (increasing level, rows increasing within one).

    Returns
    -------
    rows : ndarray of int
        The rows at some level in ``1..depth``.
    bounds : ndarray of int
        ``rows[bounds[g]:bounds[g + 1]]`` is the ``g``-th non-empty level.
    """
    count = np.zeros(depth + 2, np.int64)
    for v in levels:
        if 1 <= v <= depth:
            count[int(v) + 1] += 1
    start = np.cumsum(count)
    rows = np.empty(start[-1], np.int64)
    fill = start[:-1].copy()
    for i in range(levels.shape[0]):
        v = levels[i]
        if 1 <= v <= depth:
            rows[fill[int(v)]] = i
            fill[int(v)] += 1
    bounds = [0]
    for lv in range(1, depth + 1):
        if start[lv + 1] > start[lv]:
            bounds.append(start[lv + 1])
    return rows, np.array(bounds, np.int64)


#: lapjv's safe cost bound (``mottrack.association.assignment._LAPJV_SAFE``).
_LAPJV_SAFE = 2.0**12


@njit(cache=True, nogil=True)
def limit_square(
    a: I64, b: I64, cost: F64, n_a: int, n_b: int, limit: float, fill: float
) -> tuple[F64, NDArray[np.bool_]]:  # pragma: no cover - compiled
    """The square problem ``linear_assignment(matrix, limit, method="limit")`` hands to lapjv,
    for the ``(n_a, n_b)`` matrix listed by ``(a, b, cost)`` (``fill`` elsewhere).

    Forbidden (infinite) entries become the same big finite stand-in, costs at or above
    ``2**12`` are scaled by the same power of two, and the matrix is extended to
    ``n_a + n_b`` with ``limit / 2`` off the real block and 0 in the dummy block, as
    :func:`mottrack.association.assignment._lapjv` does. Also returns which entries were
    forbidden.
    """
    dense = np.full((n_a, n_b), fill)
    for e in range(a.shape[0]):
        dense[a[e], b[e]] = cost[e]
    forbidden = np.isinf(dense)
    top = 0.0
    found = False
    for i in range(n_a):
        for j in range(n_b):
            if not forbidden[i, j]:
                v = abs(dense[i, j])
                top = v if not found or v > top else top
                found = True
    top = max(top if found else 0.0, limit)
    big = (top + 1.0) * (min(n_a, n_b) + 1)
    peak = 0.0
    for i in range(n_a):
        for j in range(n_b):
            if forbidden[i, j]:
                dense[i, j] = big
            peak = max(peak, abs(dense[i, j]))
    if peak >= _LAPJV_SAFE:  # 2 ** -(ceil(log2(peak / SAFE)) + 1), exactly
        mantissa, exponent = math.frexp(peak / _LAPJV_SAFE)
        ceil_log2 = exponent - 1 if mantissa == 0.5 else exponent
        scale = 2.0 ** -(ceil_log2 + 1)
        dense *= scale
        limit *= scale
    n = n_a + n_b
    square = np.full((n, n), limit / 2.0)
    square[n_a:, n_b:] = 0.0
    square[:n_a, :n_b] = dense
    return square, forbidden


@njit(cache=True, nogil=True)
def limit_pairs(
    x: I64, n_a: int, n_b: int, forbidden: NDArray[np.bool_]
) -> tuple[I64, I64]:  # pragma: no cover - compiled
    """Matched ``(row, col)`` pairs, increasing row, from lapjv's row assignment ``x`` of a
    :func:`limit_square` problem (dummy columns and forbidden entries are no match)."""
    rows = np.empty(n_a, np.int64)
    cols = np.empty(n_a, np.int64)
    k = 0
    for i in range(n_a):
        j = x[i]
        if 0 <= j < n_b and not forbidden[i, j]:
            rows[k], cols[k] = i, j
            k += 1
    return rows[:k], cols[:k]
