"""Linear assignment on cost matrices (rows = tracks, columns = detections, lower is better).

Two thresholded variants are offered because the reference trackers differ:

``"clip"`` (deep_sort's ``min_cost_matching``; the default)
    Costs above ``threshold`` (and forbidden ``inf`` entries) are clipped to ``threshold + 1e-5``,
    the minimum-cost assignment of ``min(N, M)`` pairs is solved, and pairs costing more than
    ``threshold`` are dropped. Used by DeepSORT.
``"limit"`` (FairMOT/JDE's ``lap.lapjv(cost, extend_cost=True, cost_limit=threshold)``)
    Leaving a row or column unmatched costs ``threshold / 2``, so only pairs cheaper than
    ``threshold`` are ever matched and the solver maximises ``sum(threshold - cost)`` over them.
    Not the same as solve-then-threshold. Used by FairMOT.

SORT solves the unthresholded problem with :func:`solve` on its own (detection-major, negated
IoU) matrix and applies its own threshold rule, exactly as abewley/sort does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import lap
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Assignment", "linear_assignment", "solve"]

I64 = NDArray[np.int64]

#: Stand-in for forbidden (``inf``) entries inside the solver; pairs at this cost are dropped.
_FORBIDDEN = 1e12


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
    """

    matches: I64
    unmatched_rows: I64
    unmatched_cols: I64


def _check_cost(cost: ArrayLike) -> NDArray[np.float64]:
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost: expected a 2-d matrix (tracks x detections), got shape {c.shape}")
    if not np.isfinite(c).all() and np.isnan(c).any():
        raise ValueError("cost: expected no NaN entries (use np.inf for forbidden pairs)")
    return c


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
    c = _check_cost(cost)
    n, m = c.shape
    if n == 0 or m == 0:
        return np.full(n, -1, np.int64), np.full(m, -1, np.int64)
    finite = np.isfinite(c).all()
    if not finite:
        forbidden = np.isinf(c)
        c = np.where(forbidden, _FORBIDDEN, c)
    _, x, y = lap.lapjv(c, extend_cost=True)
    x = x.astype(np.int64)
    y = y.astype(np.int64)
    if not finite:
        rows = np.flatnonzero(x >= 0)
        bad = rows[forbidden[rows, x[rows]]]
        y[x[bad]] = -1
        x[bad] = -1
    return x, y


def _result(row_to_col: I64, n: int, m: int) -> Assignment:
    rows = np.flatnonzero(row_to_col >= 0)
    matches = np.stack([rows, row_to_col[rows]], axis=1).astype(np.int64).reshape(-1, 2)
    matched_cols = np.zeros(m, dtype=bool)
    matched_cols[matches[:, 1]] = True
    return Assignment(
        matches,
        np.flatnonzero(row_to_col < 0).astype(np.int64),
        np.flatnonzero(~matched_cols).astype(np.int64),
    )


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
    c = _check_cost(cost)
    n, m = c.shape
    if n == 0 or m == 0:
        return _result(np.full(n, -1, np.int64), n, m)
    if method == "clip":
        if np.isfinite(threshold):
            c = np.minimum(c, threshold + 1e-5)
        row_to_col, _ = solve(c)
        rows = np.flatnonzero(row_to_col >= 0)
        too_costly = rows[~(c[rows, row_to_col[rows]] <= threshold)]
        row_to_col[too_costly] = -1
    elif method == "limit":
        if not threshold > 0:
            raise ValueError(f"threshold: expected > 0 for method 'limit', got {threshold}")
        c = np.where(np.isinf(c), _FORBIDDEN, c)
        limit = float(threshold) if np.isfinite(threshold) else _FORBIDDEN
        _, x, _ = lap.lapjv(c, extend_cost=True, cost_limit=limit)
        row_to_col = np.asarray(x, dtype=np.int64)
    else:
        raise ValueError(f"method: expected 'clip' or 'limit', got {method!r}")
    return _result(row_to_col, n, m)
