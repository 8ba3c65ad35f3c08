"""Appearance embeddings as trackers consume them: unit-norm rows of a fixed dimension."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["check_dimension", "unit_rows"]


def unit_rows(
    features: ArrayLike,
    dtype: Any = np.float32,
    name: str = "embeddings",
    rows: NDArray[np.int64] | None = None,
) -> NDArray[np.floating]:
    """Rows scaled to unit L2 norm, in ``dtype``.

    The norm is ``sqrt(sum(x * x))`` along each row, the sums ``np.linalg.norm(axis=1)`` makes
    (so the values equal the reference trackers' to the bit).

    Parameters
    ----------
    features : array_like, shape (N, D)
    dtype : numpy dtype, default float32
        deep_sort works in float32, FairMOT in float64.
    name : str
        Named in the error.
    rows : ndarray of int, shape (N,), optional
        Original row numbers of ``features`` (for the error message).

    Rows whose squared norm under- or overflows are scaled by their largest entry first, so any
    non-zero finite row has a direction.

    Raises
    ------
    ValueError
        If a row is all zeros (its cosine distance is undefined).
    """
    src = np.asarray(features)
    f = np.asarray(src, dtype=dtype)
    if f.dtype == np.float64 and f.ndim == 2:  # compiled, NumPy's sums (the same floats)
        from .compiled.norms import unit_rows64

        ok, out = unit_rows64(f)
        if ok:
            return out
    with np.errstate(over="ignore", under="ignore"):
        norm = np.sqrt((f * f).sum(axis=1, keepdims=True))
    if f.size and not (norm.min() > 0 and norm.max() < np.inf):
        bad = ~((norm > 0) & np.isfinite(norm))[:, 0]
        # Squares under- or overflowed (entries near 1e-160 or 1e160 in float64, 1e-20 or
        # 1e20 in float32): scale those rows by their largest entry first.
        wide = np.asarray(src[bad], dtype=np.float64)  # entries float32 would flush to 0
        scale = np.abs(wide).max(axis=1, keepdims=True)
        if not (scale > 0).all():
            i = int(np.flatnonzero(bad)[int(np.flatnonzero(scale[:, 0] <= 0)[0])])
            raise ValueError(
                f"{name}: row {i if rows is None else int(rows[i])} is all zeros (no direction)"
            )
        out = np.empty_like(f)
        out[~bad] = f[~bad] / norm[~bad]
        scaled = wide / scale
        out[bad] = scaled / np.sqrt((scaled * scaled).sum(axis=1, keepdims=True))
        return out
    return f / norm


def check_dimension(features: NDArray[Any], dim: int | None, name: str = "embeddings") -> None:
    """Raise ``ValueError`` unless ``features`` has ``dim`` columns (``dim=None``: any)."""
    if dim is not None and len(features) and features.shape[1] != dim:
        raise ValueError(
            f"{name}: expected dimension {dim} (as in earlier frames), got {features.shape[1]}"
        )
