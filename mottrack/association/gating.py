"""Chi-square gating of cost matrices with the Kalman filter's Mahalanobis distance."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["CHI2INV95", "gate"]

#: 0.95 quantile of the chi-square distribution by degrees of freedom, as tabulated by deep_sort
#: and FairMOT (their gates use exactly these rounded values; 4 d.o.f. -> 9.4877).
CHI2INV95: dict[int, float] = {
    1: 3.8415,
    2: 5.9915,
    3: 7.8147,
    4: 9.4877,
    5: 11.070,
    6: 12.592,
    7: 14.067,
    8: 15.507,
    9: 16.919,
}


def gate(
    cost: ArrayLike,
    gating_distance: ArrayLike,
    threshold: float = CHI2INV95[4],
    gated_cost: float = np.inf,
) -> NDArray[np.float64]:
    """Forbid pairs whose squared Mahalanobis distance exceeds ``threshold``.

    Parameters
    ----------
    cost : array_like, shape (N, M)
        Tracks x detections cost.
    gating_distance : array_like, shape (N, M)
        Squared Mahalanobis distances (``BatchedKalmanFilter.gating_distance``).
    threshold : float, default ``CHI2INV95[4]``
    gated_cost : float, default inf
        Value written into gated entries (deep_sort writes ``1e5``).

    Returns
    -------
    ndarray, shape (N, M)
        A new matrix.
    """
    c = np.array(cost, dtype=np.float64)
    d = np.asarray(gating_distance, dtype=np.float64)
    if c.shape != d.shape:
        raise ValueError(f"gating_distance: expected shape {c.shape} like cost, got {d.shape}")
    c[d > threshold] = gated_cost
    return c
