"""Appearance distances of listed track-detection pairs (those inside the motion gate).

The trackers need the appearance cost only where the Mahalanobis gate lets a pair through, so
these kernels score a list of pairs instead of a dense ``(T, D)`` matrix.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["cosine_pairs", "ring_nearest_pairs"]

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})
def _dot32(a: F32, b: F32) -> float:  # pragma: no cover - compiled
    """Float32 dot product, vectorised (the summation order of a BLAS kernel, not a loop's)."""
    s = np.float32(0.0)
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


@njit(cache=True, nogil=True)
def ring_nearest_pairs(
    pool: F32, slots: I64, counts: I64, track: I64, det: I64, queries: F32
) -> F32:  # pragma: no cover - compiled
    """deep_sort's nearest-neighbour cosine distance of each pair, ``(K,)`` float32.

    ``1 - max`` dot product between detection ``queries[det[k]]`` and the features kept by
    track ``track[k]``: the first ``min(counts[t], C)`` entries of ring ``pool[slots[t]]``
    (``pool``: ``(S, C, D)``; all unit norm).
    """
    out = np.empty(track.shape[0], np.float32)
    cap = pool.shape[1]
    for k in range(track.shape[0]):
        t = track[k]
        q = queries[det[k]]
        best = np.float32(-np.inf)
        for c in range(min(counts[t], cap)):
            v = _dot32(pool[slots[t], c], q)
            if v > best:
                best = v
        out[k] = np.float32(1.0) - best
    return out


@njit(cache=True, nogil=True)
def _dot2(u: F64, v: F64) -> float:  # pragma: no cover - compiled
    """``u . v`` with two interleaved partial sums (SciPy's ``cdist`` kernel order)."""
    s0, s1 = 0.0, 0.0
    n = u.shape[0]
    i = 0
    while i + 2 <= n:
        s0 += u[i] * v[i]
        s1 += u[i + 1] * v[i + 1]
        i += 2
    s = s0 + s1
    if i < n:
        s += u[i] * v[i]
    return s


@njit(cache=True, nogil=True)
def cosine_pairs(
    vectors: F64, rows: I64, track: I64, det: I64, queries: F64
) -> F64:  # pragma: no cover - compiled
    """``max(0, cdist(vectors[rows], queries, "cosine"))`` at the listed pairs, ``(K,)``.

    The arithmetic of SciPy's ``cdist`` cosine kernel (row norms and dot products with two
    interleaved partial sums, the cosine clipped to [-1, 1]), so the values are the floats
    FairMOT's ``embedding_distance`` computes.
    """
    k_n = track.shape[0]
    out = np.empty(k_n)
    norm_t = np.full(rows.shape[0], np.nan)
    norm_q = np.full(queries.shape[0], np.nan)
    for k in range(k_n):
        t, j = track[k], det[k]
        u, v = vectors[rows[t]], queries[j]
        if norm_t[t] != norm_t[t]:
            norm_t[t] = np.sqrt(_dot2(u, u))
        if norm_q[j] != norm_q[j]:
            norm_q[j] = np.sqrt(_dot2(v, v))
        s = _dot2(u, v)
        cos = s / (norm_t[t] * norm_q[j])
        if abs(cos) > 1.0:
            cos = np.copysign(1.0, cos)
        out[k] = max(0.0, 1.0 - cos)
    return out
