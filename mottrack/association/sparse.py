"""The maximum-weight matching of a sparse bipartite graph (crowds: candidate pairs only).

A thresholded assignment whose unmatched pairs cost nothing extra is a maximum-weight matching
of its candidate pairs: SORT's IoU matching (weights: IoU of overlapping pairs) and FairMOT's
``lapjv(cost_limit=L)`` (weights ``L - cost`` of the pairs cheaper than ``L``). When the optimum
is unique it equals what the dense solver finds; only exact ties between competing pairs could
let the dense solver pick another optimum.
"""

from __future__ import annotations

import lap
import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from ..compiled.matching import forced_pairs, limit_pairs, limit_square
from .assignment import _lapjv

__all__ = ["DENSE_PAIRS", "limit_assignment", "max_weight_matching"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: A rest of at most this many pairs is solved by lapjv on its dense matrix.
DENSE_PAIRS = 4096


def max_weight_matching(a: I64, b: I64, weight: F64, n_a: int, n_b: int) -> I64:
    """The heaviest matching of the graph with edges ``(a[e], b[e])`` of positive ``weight``.

    Pairs that every maximum matching contains are fixed first
    (:func:`~mottrack.compiled.matching.forced_pairs`: in a crowd, most of them); the rest is
    solved by lapjv on its dense ``a``-major matrix when small, else by SciPy's sparse
    Jonker-Volgenant (:func:`_sparse_solve`).

    Parameters
    ----------
    a, b : ndarray of int, shape (E,)
        End points of distinct edges, in ``[0, n_a)`` and ``[0, n_b)``.
    weight : ndarray, shape (E,)
        Positive weights.
    n_a, n_b : int

    Returns
    -------
    ndarray of int
        Indices of the matched edges (unordered).
    """
    forced, undecided = forced_pairs(a, b, weight, n_a, n_b)
    matched = np.flatnonzero(forced)
    core = np.flatnonzero(undecided)
    if not core.size:
        return matched
    ua, a_inv = np.unique(a[core], return_inverse=True)
    ub, b_inv = np.unique(b[core], return_inverse=True)
    na, nb = ua.size, ub.size
    if na * nb <= DENSE_PAIRS:
        edge_of = np.full((na, nb), -1, np.int64)
        edge_of[a_inv, b_inv] = core
        cost = np.zeros((na, nb))
        cost[a_inv, b_inv] = -weight[core]
        a_to_b = _lapjv(cost)
        pair = np.flatnonzero(a_to_b >= 0)
        chosen = edge_of[pair, a_to_b[pair]]
        return np.concatenate([matched, chosen[chosen >= 0]])
    return np.concatenate([matched, _sparse_solve(a_inv, b_inv, weight[core], core, na, nb)])


def limit_assignment(
    a: I64, b: I64, cost: F64, shape: tuple[int, int], limit: float, fill: float = np.inf
) -> tuple[I64, I64]:
    """JDE's ``lapjv(cost, extend_cost=True, cost_limit=limit)`` on a matrix given by its
    listed entries (``fill`` elsewhere).

    Small matrices are built and solved as JDE does
    (:func:`~mottrack.association.linear_assignment`, method ``"limit"``). Larger ones are
    solved on the listed pairs cheaper than ``limit``: their maximum-weight matching with
    weights ``limit - cost`` (:func:`max_weight_matching`), the same optimum.

    Parameters
    ----------
    a, b : ndarray of int, shape (E,)
        Row and column of each listed entry (distinct).
    cost : ndarray, shape (E,)
    shape : (int, int)
        The matrix's shape.
    limit : float
        ``cost_limit``.
    fill : float, default inf
        Every other entry; must be at least ``limit`` (never matched).

    Returns
    -------
    rows, cols : ndarray of int
        Matched pairs, in increasing row order.
    """
    if fill < limit:
        raise ValueError(f"fill: expected >= limit ({limit}), got {fill}")
    n_a, n_b = shape
    if n_a * n_b <= DENSE_PAIRS:  # linear_assignment(dense, limit, "limit") in three calls
        if n_a == 0 or n_b == 0:
            return a[:0], b[:0]
        square, forbidden = limit_square(a, b, cost, n_a, n_b, float(limit), float(fill))
        return limit_pairs(lap.lapjv(square, return_cost=False)[0], n_a, n_b, forbidden)
    cheap = np.flatnonzero(cost < limit)
    chosen = cheap[max_weight_matching(a[cheap], b[cheap], limit - cost[cheap], n_a, n_b)]
    chosen = chosen[np.argsort(a[chosen], kind="stable")]
    return a[chosen], b[chosen]


def _sparse_solve(a_inv: I64, b_inv: I64, weight: F64, edges: I64, na: int, nb: int) -> I64:
    """The heaviest matching of a sparse graph (edges ``(a_inv, b_inv)``), as edge ids.

    Rows: ``a`` nodes, then one dummy per ``b`` node; columns: ``b`` nodes, then one dummy per
    ``a`` node; dummies pair up along the edges, and ``W - weight`` on real pairs (``W``
    elsewhere, ``W`` above every weight) makes the cheapest perfect matching the heaviest
    matching.
    """
    e = edges.size
    top = 2.0 * max(1.0, float(weight.max()))
    graph = csr_matrix(
        (
            np.concatenate([top - weight, np.full(na + nb + e, top)]),
            (
                np.concatenate([a_inv, np.arange(na), na + np.arange(nb), na + b_inv]),
                np.concatenate([b_inv, nb + np.arange(na), np.arange(nb), nb + a_inv]),
            ),
        ),
        shape=(na + nb, nb + na),
    )
    row_of, col_of = min_weight_full_bipartite_matching(graph)
    real = (row_of < na) & (col_of < nb)
    key = a_inv.astype(np.int64) * nb + b_inv  # one key per (distinct) edge
    by_key = np.argsort(key)
    found = np.searchsorted(key[by_key], row_of[real].astype(np.int64) * nb + col_of[real])
    return edges[by_key[found]]
