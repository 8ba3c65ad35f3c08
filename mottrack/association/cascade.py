"""deep_sort's matching: thresholded min-cost matching with its detection order, and the cascade.

deep_sort creates new tracks from its unmatched detections in the order its matching produces
them, so that order decides which new track gets which ID. :func:`min_cost_matching` reproduces
it: first the detections the solver left unassigned (in the order they were given), then those it
paired with a track at a cost above the threshold (in track order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .assignment import clip_assign

__all__ = ["Matching", "matching_cascade", "min_cost_matching"]

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
    mr, mc, unmatched = _solve(c, threshold, r, k)
    free = np.ones(c.shape[0], dtype=bool)
    free[mr] = False
    return Matching(np.stack([mr, mc], axis=1), np.sort(r[free[r]]), unmatched)


def _solve(c: NDArray[np.float64], threshold: float, r: I64, k: I64) -> tuple[I64, I64, I64]:
    """One ``"clip"`` assignment of rows ``r`` to columns ``k`` of ``c``.

    Returns the matched rows and columns and the unmatched columns in deep_sort's order.
    """
    rows, cols, _, rejected = clip_assign(c[r[:, None], k], threshold)
    left = np.ones(k.size, dtype=bool)
    left[cols] = False
    left[rejected] = False
    return r[rows], k[cols], np.concatenate((k[left], k[rejected]))


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
    return cascade_trusted(c, threshold, lv, depth, _index(cols, c.shape[1], "cols"))


def cascade_trusted(
    c: NDArray[np.float64], threshold: float, lv: NDArray[Any], depth: int, unmatched: I64
) -> Matching:
    """:func:`matching_cascade` without input checks (a float64 matrix without NaN, ``(N,)``
    levels, valid column indices): the per-frame path of :class:`~mottrack.deepsort.
    DeepSortTracker`."""
    by_level: dict[int, list[int]] = {}
    for row, v in enumerate(lv.tolist()):
        if 1 <= v <= depth:
            by_level.setdefault(int(v), []).append(row)
    clipped = np.isfinite(threshold)
    has_match = (c <= threshold).any(axis=1).tolist()
    found_rows: list[I64] = []
    found_cols: list[I64] = []
    shift = 0  # pending rotation of ``unmatched`` (applied lazily)
    for level in sorted(by_level):
        n_left = unmatched.size
        if n_left == 0:
            break
        rows = by_level[level]
        if clipped and not any(has_match[i] for i in rows):
            # Every cost of the level is the clipped value. scipy pairs such an all-equal
            # matrix's row i with column i, and deep_sort moves the paired (rejected) columns
            # behind the unpaired ones: a rotation, without solving anything.
            shift = (shift + min(len(rows), n_left)) % n_left
            continue
        if shift:
            unmatched, shift = np.roll(unmatched, -shift), 0
        mr, mc, unmatched = _solve(c, threshold, np.array(rows, dtype=np.int64), unmatched)
        found_rows.append(mr)
        found_cols.append(mc)
    if shift:
        unmatched = np.roll(unmatched, -shift)
    if not found_rows:
        return Matching(np.zeros((0, 2), np.int64), np.arange(c.shape[0]), unmatched)
    return Matching(_pairs(found_rows, found_cols), _others(c.shape[0], found_rows), unmatched)


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
