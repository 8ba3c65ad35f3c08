"""deep_sort's matching: thresholded min-cost matching with its detection order, and the cascade.

deep_sort creates new tracks from its unmatched detections in the order its matching produces
them, so that order decides which new track gets which ID. :func:`min_cost_matching` reproduces
it: first the detections the solver left unassigned (in the order they were given), then those it
paired with a track at a cost above the threshold (in track order).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from ..compiled.matching import fill_block, level_groups
from .sparse import max_weight_matching

__all__ = [
    "ListedCost",
    "Matching",
    "cascade_listed",
    "matching_cascade",
    "min_cost_matching",
    "solve_listed",
]

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Matching:
    """Result of :func:`min_cost_matching` or :func:`matching_cascade`.

    Attributes
    ----------
    matches : ndarray, shape (K, 2)
        ``(row, col)`` pairs of the full cost matrix.
    unmatched_rows : ndarray, shape (N - K,)
        Unmatched rows, increasing.
    unmatched_cols : ndarray, shape (M - K,)
        Unmatched columns in deep_sort's order (see the module docstring).
    """

    matches: I64
    unmatched_rows: I64
    unmatched_cols: I64


def _index(values: ArrayLike | None, size: int, name: str) -> I64:
    if values is None:
        return np.arange(size, dtype=np.int64)
    idx = np.asarray(values, dtype=np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise ValueError(f"{name}: expected indices in [0, {size}), got {idx.tolist()}")
    return idx


def min_cost_matching(
    cost: ArrayLike,
    threshold: float,
    rows: ArrayLike | None = None,
    cols: ArrayLike | None = None,
) -> Matching:
    """deep_sort's ``min_cost_matching`` on the sub-matrix ``cost[rows][:, cols]``.

    Costs above ``threshold`` (``inf`` included) are clipped to ``threshold + 1e-5``, the
    assignment is solved, and pairs above ``threshold`` are dropped (the ``"clip"`` method of
    :func:`~mottrack.association.linear_assignment`).

    Parameters
    ----------
    cost : array_like, shape (N, M)
        Tracks x detections.
    threshold : float
        Largest accepted cost.
    rows, cols : array_like of int, optional
        The rows and columns taking part, in this order (default: all, increasing). The order
        of ``cols`` is the order unassigned columns are reported in.

    Returns
    -------
    Matching
        Indices into the full ``cost``.
    """
    c = _matrix(cost)
    r = _index(rows, c.shape[0], "rows")
    k = _index(cols, c.shape[1], "cols")
    return _matching(c, threshold, r, k)


def _matrix(cost: ArrayLike) -> NDArray[np.float64]:
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost: expected a 2-d matrix (tracks x detections), got shape {c.shape}")
    if np.isnan(c).any():
        raise ValueError("cost: expected no NaN entries (use np.inf for forbidden pairs)")
    return c


def _matching(c: NDArray[np.float64], threshold: float, r: I64, k: I64) -> Matching:
    """:func:`min_cost_matching` on validated inputs."""
    if r.size == 0 or k.size == 0:
        return Matching(np.zeros((0, 2), np.int64), np.sort(r), k)
    mr, mc, unmatched = solve_listed(ListedCost.from_dense(c, threshold), threshold, r, k)
    free = np.ones(c.shape[0], dtype=bool)
    free[mr] = False
    return Matching(np.stack([mr, mc], axis=1), np.sort(r[free[r]]), unmatched)


@dataclass(frozen=True)
class ListedCost:
    """A cost matrix given by the entries that can be accepted; every other entry is above
    the threshold (or forbidden), which deep_sort's clipping makes all equal.

    Attributes
    ----------
    rows, cols : ndarray of int, shape (E,)
        Position of each listed entry (distinct).
    cost : ndarray, shape (E,)
    shape : (int, int)
    """

    rows: I64
    cols: I64
    cost: NDArray[np.float64]
    shape: tuple[int, int]

    @classmethod
    def from_dense(cls, c: NDArray[np.float64], threshold: float) -> ListedCost:
        """The entries of ``c`` at or below ``threshold`` (every finite one if it is inf)."""
        rows, cols = np.nonzero(c <= threshold if np.isfinite(threshold) else np.isfinite(c))
        return cls(rows, cols, c[rows, cols], (c.shape[0], c.shape[1]))

    def block(self, r: I64, k: I64) -> tuple[I64, I64, NDArray[np.float64]]:
        """The listed entries of the sub-matrix ``[r][:, k]``, positions within it."""
        pos_r = np.full(self.shape[0], -1, np.int64)
        pos_r[r] = np.arange(r.size)
        pos_k = np.full(self.shape[1], -1, np.int64)
        pos_k[k] = np.arange(k.size)
        a, b = pos_r[self.rows], pos_k[self.cols]
        inside = (a >= 0) & (b >= 0)
        return a[inside], b[inside], self.cost[inside]


def solve_listed(
    lc: ListedCost, threshold: float, r: I64, k: I64, max_dense_pairs: int | None = None
) -> tuple[I64, I64, I64]:
    """One ``"clip"`` assignment of rows ``r`` to columns ``k``.

    The block is built densely (every unlisted entry ``threshold + 1e-5``, or a big finite
    stand-in when ``threshold`` is inf, as :func:`~mottrack.association.assignment.
    clip_assign` makes it) and solved with deep_sort's solver, SciPy's
    ``linear_sum_assignment``. Above ``max_dense_pairs`` entries (finite thresholds only),
    the accepted pairs are found as the maximum-weight matching of the listed entries
    (weights ``threshold + 1e-5 - cost``; the same pairs when the optimum is unique) and the
    unmatched columns keep their order in ``k``: deep_sort's order (see below) depends on
    how the solver pairs the clipped entries, which only the dense solve knows.

    Returns the matched rows and columns and the unmatched columns in deep_sort's order: those
    the solver left unassigned (in ``k`` order), then those it paired above the threshold (in
    row order).
    """
    finite = bool(np.isfinite(threshold))
    if finite and max_dense_pairs is not None and r.size * k.size > max_dense_pairs:
        a, b, c = lc.block(r, k)
        real = np.flatnonzero(c <= threshold)
        fill = threshold + 1e-5
        chosen = real[max_weight_matching(a[real], b[real], fill - c[real], r.size, k.size)]
        chosen = chosen[np.argsort(a[chosen], kind="stable")]
        left = np.ones(k.size, dtype=bool)
        left[b[chosen]] = False
        return r[a[chosen]], k[b[chosen]], k[left]
    if finite:  # listed entries above the threshold are clipped too, as deep_sort does
        fill = threshold + 1e-5
    else:
        _, _, c = lc.block(r, k)
        fill = ((float(np.abs(c).max()) if c.size else 0.0) + 1.0) * (min(r.size, k.size) + 1)
    block = fill_block(lc.rows, lc.cols, lc.cost, r, k, *lc.shape, threshold, fill)
    ok_rows, ok_cols = linear_sum_assignment(block)
    picked = block[ok_rows, ok_cols]
    good = picked <= threshold if finite else picked < fill
    left = np.ones(k.size, dtype=bool)
    left[ok_cols] = False
    rejected = ok_cols[~good]
    return r[ok_rows[good]], k[ok_cols[good]], np.concatenate((k[left], k[rejected]))


def matching_cascade(
    cost: ArrayLike,
    threshold: float,
    levels: ArrayLike,
    depth: int,
    cols: ArrayLike | None = None,
) -> Matching:
    """deep_sort's matching cascade: tracks seen more recently are matched first.

    For ``level = 1 .. depth``, the rows whose ``levels`` value equals ``level`` (frames since
    their last update) are matched by :func:`min_cost_matching` to the columns still unmatched;
    the cascade stops early once every column is matched.

    Parameters
    ----------
    cost : array_like, shape (N, M)
        Tracks x detections (gated appearance cost for DeepSORT).
    threshold : float
        Largest accepted cost.
    levels : array_like of int, shape (N,)
        Cascade level of each row (``time_since_update``). Rows at no level in ``1..depth``
        stay unmatched.
    depth : int
        Number of levels (deep_sort uses ``max_age``).
    cols : array_like of int, optional
        Participating columns, in order (default: all).

    Returns
    -------
    Matching
    """
    c = _matrix(cost)
    lv = np.asarray(levels).reshape(-1)
    if lv.shape[0] != c.shape[0]:
        raise ValueError(f"levels: expected {c.shape[0]} values (one per row), got {lv.shape[0]}")
    unmatched = _index(cols, c.shape[1], "cols")
    return cascade_listed(ListedCost.from_dense(c, threshold), threshold, lv, depth, unmatched)


def cascade_listed(
    lc: ListedCost,
    threshold: float,
    lv: NDArray[Any],
    depth: int,
    unmatched: I64,
    max_dense_pairs: int | None = None,
) -> Matching:
    """:func:`matching_cascade` on a :class:`ListedCost`, without input checks (``(N,)``
    levels, valid column indices): the per-frame path of :class:`~mottrack.deepsort.
    DeepSortTracker`, which lists only the pairs inside the Mahalanobis gate. Each level is
    solved by :func:`solve_listed` (``max_dense_pairs`` bounds its dense blocks)."""
    n_rows = lc.shape[0]
    by_level, bounds = level_groups(np.asarray(lv, np.float64), int(depth))
    clipped = np.isfinite(threshold)
    has_match = np.zeros(n_rows, dtype=bool)
    has_match[lc.rows[lc.cost <= threshold]] = True
    found_rows: list[I64] = []
    found_cols: list[I64] = []
    shift = 0  # pending rotation of ``unmatched`` (applied lazily)
    for lo, hi in pairwise(bounds.tolist()):
        n_left = unmatched.size
        if n_left == 0:
            break
        rows = by_level[lo:hi]
        if clipped and not has_match[rows].any():
            # Every cost of the level is the clipped value. scipy pairs such an all-equal
            # matrix's row i with column i, and deep_sort moves the paired (rejected) columns
            # behind the unpaired ones: a rotation, without solving anything.
            shift = (shift + min(len(rows), n_left)) % n_left
            continue
        if shift:
            unmatched, shift = np.roll(unmatched, -shift), 0
        mr, mc, unmatched = solve_listed(lc, threshold, rows, unmatched, max_dense_pairs)
        found_rows.append(mr)
        found_cols.append(mc)
    if shift:
        unmatched = np.roll(unmatched, -shift)
    if not found_rows:
        return Matching(np.zeros((0, 2), np.int64), np.arange(n_rows), unmatched)
    return Matching(_pairs(found_rows, found_cols), _others(n_rows, found_rows), unmatched)


def _pairs(rows: list[I64], cols: list[I64]) -> I64:
    """``(K, 2)`` pairs from per-level row and column arrays (no ``np.stack`` overhead)."""
    r = rows[0] if len(rows) == 1 else np.concatenate(rows)
    out = np.empty((r.size, 2), np.int64)
    out[:, 0] = r
    out[:, 1] = cols[0] if len(cols) == 1 else np.concatenate(cols)
    return out


def _others(n: int, used: list[I64]) -> I64:
    """Rows ``0..n-1`` not in any of ``used``, increasing."""
    free = np.ones(n, dtype=bool)
    for r in used:
        free[r] = False
    return np.flatnonzero(free)
