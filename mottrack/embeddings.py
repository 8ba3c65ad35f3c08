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

    Raises
    ------
    ValueError
        If a row has zero norm (its cosine distance is undefined).
    """
    f = np.asarray(features, dtype=dtype)
    norm = np.sqrt((f * f).sum(axis=1, keepdims=True))
    if f.size and not (norm > 0).all():
        i = int(np.flatnonzero(norm[:, 0] <= 0)[0])
        raise ValueError(f"{name}: row {i if rows is None else int(rows[i])} has zero norm")
    return f / norm


def check_dimension(features: NDArray[Any], dim: int | None, name: str = "embeddings") -> None:
    """Raise ``ValueError`` unless ``features`` has ``dim`` columns (``dim=None``: any)."""
    if dim is not None and len(features) and features.shape[1] != dim:
        raise ValueError(
            f"{name}: expected dimension {dim} (as in earlier frames), got {features.shape[1]}"
        )
