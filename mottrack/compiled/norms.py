"""Unit-norm rows with NumPy's own summation order (the float64 fast path of
:func:`mottrack.embeddings.unit_rows`)."""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["smoothed_unit_rows", "unit_rows64"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@njit(cache=True, nogil=True)
def _block_sum(a: F64, lo: int, n: int) -> float:  # pragma: no cover - compiled
    """NumPy's pairwise summation of ``a[lo:lo + n]`` for ``n <= 128`` (8 partial sums)."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def _half(n: int) -> int:  # pragma: no cover - compiled
    """Where NumPy splits a sum of ``n > 128`` terms: half, rounded down to a multiple of 8."""
    h = n // 2
    return h - h % 8


@njit(cache=True, nogil=True)
def _pairwise_sum(a: F64, lo: int, n: int) -> float:  # pragma: no cover - compiled
    """NumPy's pairwise summation of ``a[lo:lo + n]`` for ``n <= 512`` (two split levels;
    written out because cached numba functions cannot recurse)."""
    if n <= 128:
        return _block_sum(a, lo, n)
    h = _half(n)
    parts = 0.0
    for start, size in ((lo, h), (lo + h, n - h)):
        if size <= 128:
            v = _block_sum(a, start, size)
        else:
            q = _half(size)
            v = _block_sum(a, start, q) + _block_sum(a, start + q, size - q)
        parts = v if start == lo else parts + v
    return parts


@njit(cache=True, nogil=True)
def unit_rows64(f: F64) -> tuple[bool, F64]:  # pragma: no cover - compiled
    """``f / sqrt((f * f).sum(axis=1, keepdims=True))`` with NumPy's sums (the same floats).

    Returns ``ok`` false (and nothing useful) when a norm is zero or not finite, or rows are
    longer than 512: the caller's NumPy path then does the work (rescales or names the bad
    row).
    """
    n, d = f.shape
    out = np.empty((n, d))
    if d > 512:  # deeper splits: the NumPy path
        return False, out
    squares = np.empty(d)
    for r in range(n):
        for k in range(d):
            squares[k] = f[r, k] * f[r, k]
        norm = np.sqrt(_pairwise_sum(squares, 0, d))
        if not (norm > 0.0 and norm < np.inf):
            return False, out
        for k in range(d):
            out[r, k] = f[r, k] / norm
    return True, out


@njit(cache=True, nogil=True)
def smoothed_unit_rows(
    old: F64, rows: I64, values: F64, momentum: float, rest: float
) -> tuple[bool, F64]:  # pragma: no cover - compiled
    """``unit_rows(momentum * old[rows] + rest * values)`` (JDE's embedding update), the same
    floats as the NumPy expression; ``ok`` false as in :func:`unit_rows64`."""
    k_n, d = values.shape
    out = np.empty((k_n, d))
    if d > 512:
        return False, out
    blend = np.empty(d)
    squares = np.empty(d)
    for k in range(k_n):
        r = rows[k]
        for i in range(d):
            blend[i] = momentum * old[r, i] + rest * values[k, i]
            squares[i] = blend[i] * blend[i]
        norm = np.sqrt(_pairwise_sum(squares, 0, d))
        if not (norm > 0.0 and norm < np.inf):
            return False, out
        for i in range(d):
            out[k, i] = blend[i] / norm
    return True, out
