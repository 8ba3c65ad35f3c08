"""deep_sort's matching: thresholded min-cost matching with its detection order, and the cascade.

deep_sort creates new tracks from its unmatched detections in the order its matching produces
them, so that order decides which new track gets which ID. :func:`min_cost_matching` reproduces
it: first the detections the solver left unassigned (in the order they were given), then those it
paired with a track at a cost above the threshold (in track order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .assignment import linear_assignment

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
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost: expected a 2-d matrix (tracks x detections), got shape {c.shape}")
    r = _index(rows, c.shape[0], "rows")
    k = _index(cols, c.shape[1], "cols")
    if r.size == 0 or k.size == 0:
        return Matching(np.zeros((0, 2), np.int64), np.sort(r), k)
    res = linear_assignment(c[np.ix_(r, k)], threshold, method="clip")
    solved = np.zeros(k.size, dtype=bool)
    solved[res.matches[:, 1]] = True
    solved[res.rejected[:, 1]] = True
    order = np.concatenate([np.flatnonzero(~solved), res.rejected[:, 1]])
    matches = np.stack([r[res.matches[:, 0]], k[res.matches[:, 1]]], axis=1)
    return Matching(matches.reshape(-1, 2), np.sort(r[res.unmatched_rows]), k[order])


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
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost: expected a 2-d matrix (tracks x detections), got shape {c.shape}")
    lv = np.asarray(levels).reshape(-1)
    if lv.shape[0] != c.shape[0]:
        raise ValueError(f"levels: expected {c.shape[0]} values (one per row), got {lv.shape[0]}")
    unmatched = _index(cols, c.shape[1], "cols")
    found: list[I64] = []
    for level in np.unique(lv[(lv >= 1) & (lv <= depth)]):
        if unmatched.size == 0:
            break
        step = min_cost_matching(c, threshold, np.flatnonzero(lv == level), unmatched)
        found.append(step.matches)
        unmatched = step.unmatched_cols
    matches = np.concatenate(found) if found else np.zeros((0, 2), np.int64)
    is_matched = np.zeros(c.shape[0], dtype=bool)
    is_matched[matches[:, 0]] = True
    return Matching(matches, np.flatnonzero(~is_matched).astype(np.int64), unmatched)
