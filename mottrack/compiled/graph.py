"""Connected components of a bipartite graph given as an edge list."""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["components"]

I64 = NDArray[np.int64]


@njit(cache=True, nogil=True)
def _find(parent: I64, x: int) -> int:  # pragma: no cover - compiled
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


@njit(cache=True, nogil=True)
def components(n_left: int, n_right: int, left: I64, right: I64) -> tuple[I64, I64]:
    """Label the connected components of the edges ``(left[e], right[e])``.

    Parameters
    ----------
    n_left, n_right : int
        Node counts of the two sides.
    left, right : ndarray of int64, shape (E,)
        Edge end points.

    Returns
    -------
    edge_label : ndarray of int64, shape (E,)
        Component of every edge, numbered 0, 1, ... in order of first appearance.
    edge_order : ndarray of int64, shape (E,)
        Edge indices grouped by component (stable within a component).
    """
    parent = np.arange(n_left + n_right)
    for e in range(left.shape[0]):
        ra = _find(parent, left[e])
        rb = _find(parent, n_left + right[e])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    label_of_root = np.full(n_left + n_right, -1, np.int64)
    labels = np.empty(left.shape[0], np.int64)
    count = 0
    for e in range(left.shape[0]):
        r = _find(parent, left[e])
        if label_of_root[r] < 0:
            label_of_root[r] = count
            count += 1
        labels[e] = label_of_root[r]
    return labels, np.argsort(labels, kind="mergesort")
