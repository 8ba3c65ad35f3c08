"""Linear assignment on cost matrices (rows = tracks, columns = detections, lower is better).

Two thresholded variants are offered because the reference trackers differ:

``"clip"`` (deep_sort's ``min_cost_matching``; the default)
    Costs above ``threshold`` (and forbidden ``inf`` entries) are clipped to ``threshold + 1e-5``,
    the minimum-cost assignment of ``min(N, M)`` pairs is solved, and pairs costing more than
    ``threshold`` are dropped. Used by DeepSORT. Solved with deep_sort's own solver,
    ``scipy.optimize.linear_sum_assignment``: clipping creates many equal costs, and the pairs
    the solver picks among them decide deep_sort's order of unmatched detections (hence its
    IDs); lapjv breaks those ties differently. On the small matrices of this method scipy is
    also the faster of the two (under 3 us up to 20 x 20).
``"limit"`` (FairMOT/JDE's ``lap.lapjv(cost, extend_cost=True, cost_limit=threshold)``)
    Leaving a row or column unmatched costs ``threshold / 2``, so only pairs cheaper than
    ``threshold`` are ever matched and the solver maximises ``sum(threshold - cost)`` over them.
    Not the same as solve-then-threshold. Used by FairMOT.

SORT solves the unthresholded problem with :func:`solve` on its own (detection-major, negated
IoU) matrix and applies its own threshold rule, exactly as abewley/sort does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import lap
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

__all__ = ["Assignment", "linear_assignment", "solve"]

I64 = NDArray[np.int64]


def _big_m(c: NDArray[np.float64], at_least: float = 0.0) -> float:
    """A finite stand-in for forbidden (``inf``) entries: more than any sum of finite pairs, so
    the solver prefers every finite pairing, yet small enough to keep lapjv's arithmetic exact
    (a huge constant such as 1e12 makes it return suboptimal assignments)."""
    finite = np.abs(c[np.isfinite(c)])
    top = max(float(finite.max()) if finite.size else 0.0, at_least)
    return (top + 1.0) * (min(c.shape) + 1)


@dataclass(frozen=True)
class Assignment:
    """Result of a linear assignment.

    Attributes
    ----------
    matches : ndarray, shape (K, 2)
        ``(row, col)`` pairs in increasing row order.
    unmatched_rows : ndarray, shape (N - K,)
        Rows (tracks) left unmatched, increasing.
    unmatched_cols : ndarray, shape (M - K,)
        Columns (detections) left unmatched, increasing.
    rejected : ndarray, shape (R, 2)
        ``(row, col)`` pairs the solver paired but that cost more than the threshold
        (``"clip"`` only; their rows and columns are among the unmatched ones), in increasing
        row order. deep_sort orders its unmatched detections by them.
    """

    matches: I64
    unmatched_rows: I64
    unmatched_cols: I64
    rejected: I64 = field(default_factory=lambda: np.zeros((0, 2), np.int64))


#: lapjv returns suboptimal assignments once costs reach ~1e6 (gatagat/lap#19); larger matrices
#: are scaled by a power of two (exact in floating point) below this bound before solving.
_LAPJV_SAFE = 2.0**12


def _lapjv(c: NDArray[np.float64], cost_limit: float = np.inf) -> NDArray[np.int64]:
    """``lap.lapjv(c, extend_cost=True, cost_limit)`` row assignment, safe for large costs.

    The square problem lap builds (zero padding to ``max(N, M)``; with a finite
    ``cost_limit``, ``N + M`` with ``cost_limit / 2`` off the real block and 0 in the dummy
    block) is built here and solved with ``return_cost=False``: the same input to the same
    solver, without lap's ~20 us of wrapper work per call on small matrices.
    """
    top = float(np.abs(c).max())
    if top >= _LAPJV_SAFE:
        scale = 2.0 ** -(int(np.ceil(np.log2(top / _LAPJV_SAFE))) + 1)
        c = c * scale
        cost_limit = cost_limit * scale
    n_rows, n_cols = c.shape
    if cost_limit < np.inf:
        n = n_rows + n_cols
        square = np.full((n, n), cost_limit / 2.0)
        square[n_rows:, n_cols:] = 0.0
    else:
        square = np.zeros((max(n_rows, n_cols),) * 2)
    square[:n_rows, :n_cols] = c
    x = lap.lapjv(square, return_cost=False)[0][:n_rows].astype(np.int64)
    x[x >= n_cols] = -1
    return x


def _check_cost(cost: ArrayLike) -> tuple[NDArray[np.float64], bool]:
    """The cost as a float64 matrix, and whether all its entries are finite (NaN raises)."""
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost: expected a 2-d matrix (tracks x detections), got shape {c.shape}")
    finite = bool(np.isfinite(c).all())
    if not finite and np.isnan(c).any():
        raise ValueError("cost: expected no NaN entries (use np.inf for forbidden pairs)")
    return c, finite


def solve(cost: ArrayLike) -> tuple[I64, I64]:
    """Minimum-cost assignment of ``min(N, M)`` pairs with ``lap.lapjv(extend_cost=True)``.

    Parameters
    ----------
    cost : array_like, shape (N, M)
        Finite costs (``inf`` entries are assigned only if unavoidable and then reported as
        unassigned).

    Returns
    -------
    row_to_col : ndarray, shape (N,)
        Column assigned to each row, ``-1`` if none.
    col_to_row : ndarray, shape (M,)
        Row assigned to each column, ``-1`` if none.
    """
    c, finite = _check_cost(cost)
    n, m = c.shape
    if n == 0 or m == 0:
        return np.full(n, -1, np.int64), np.full(m, -1, np.int64)
    if not finite:
        forbidden = np.isinf(c)
        c = np.where(forbidden, _big_m(c), c)
    x = _lapjv(c)
    y = np.full(m, -1, np.int64)
    rows = np.flatnonzero(x >= 0)
    y[x[rows]] = rows
    if not finite:
        rows = np.flatnonzero(x >= 0)
        bad = rows[forbidden[rows, x[rows]]]
        y[x[bad]] = -1
        x[bad] = -1
    return x, y


def _pairs(row_to_col: I64, rows: I64) -> I64:
    return np.stack([rows, row_to_col[rows]], axis=1).astype(np.int64).reshape(-1, 2)


def _result(row_to_col: I64, n: int, m: int, rejected: I64 | None = None) -> Assignment:
    matches = _pairs(row_to_col, np.flatnonzero(row_to_col >= 0))
    matched_cols = np.zeros(m, dtype=bool)
    matched_cols[matches[:, 1]] = True
    return Assignment(
        matches,
        np.flatnonzero(row_to_col < 0).astype(np.int64),
        np.flatnonzero(~matched_cols).astype(np.int64),
        np.zeros((0, 2), np.int64) if rejected is None else rejected,
    )


def clip_assign(c: NDArray[np.float64], threshold: float) -> tuple[I64, I64, I64, I64]:
    """The ``"clip"`` method on a float64 matrix without NaN, with no input checks.

    Returns
    -------
    rows, cols : ndarray of int
        Accepted pairs, in increasing row order.
    rejected_rows, rejected_cols : ndarray of int
        Pairs the solver chose at a cost above ``threshold`` (or forbidden), row order.
    """
    if np.isfinite(threshold):
        c = np.where(c > threshold, threshold + 1e-5, c)  # deep_sort's clipping
        ok_rows, ok_cols = linear_sum_assignment(c)
        good = c[ok_rows, ok_cols] <= threshold
    else:
        forbidden = np.isinf(c)
        if forbidden.any():
            c = np.where(forbidden, _big_m(c), c)
        ok_rows, ok_cols = linear_sum_assignment(c)
        good = ~forbidden[ok_rows, ok_cols]
    bad = ~good
    return ok_rows[good], ok_cols[good], ok_rows[bad], ok_cols[bad]


def linear_assignment(
    cost: ArrayLike,
    threshold: float = np.inf,
    method: Literal["clip", "limit"] = "clip",
) -> Assignment:
    """Assign rows to columns, leaving pairs costlier than ``threshold`` unmatched.

    Parameters
    ----------
    cost : array_like, shape (N, M)
        Rows are tracks, columns detections; ``np.inf`` forbids a pair.
    threshold : float, default inf
        Largest cost of an accepted pair (``"clip"``) or the cost limit (``"limit"``).
    method : {"clip", "limit"}
        See the module docstring.

    Returns
    -------
    Assignment
    """
    c, _ = _check_cost(cost)
    n, m = c.shape
    if n == 0 or m == 0:
        return _result(np.full(n, -1, np.int64), n, m)
    rejected = None
    if method == "clip":
        rows, cols, rej_rows, rej_cols = clip_assign(c, float(threshold))
        row_to_col = np.full(n, -1, np.int64)
        row_to_col[rows] = cols
        rejected = np.stack([rej_rows, rej_cols], axis=1).astype(np.int64).reshape(-1, 2)
    elif method == "limit":
        if not threshold > 0:
            raise ValueError(f"threshold: expected > 0 for method 'limit', got {threshold}")
        forbidden = np.isinf(c)
        big = _big_m(c, float(threshold) if np.isfinite(threshold) else 0.0)
        limit = float(threshold) if np.isfinite(threshold) else big
        row_to_col = _lapjv(np.where(forbidden, big, c), limit)
        rows = np.flatnonzero(row_to_col >= 0)
        row_to_col[rows[forbidden[rows, row_to_col[rows]]]] = -1
    else:
        raise ValueError(f"method: expected 'clip' or 'limit', got {method!r}")
    return _result(row_to_col, n, m, rejected)
