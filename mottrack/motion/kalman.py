"""Batched linear Kalman filter over many tracks at once.

Means are ``(N, n)`` and covariances ``(N, n, n)``: one row per track, every step one array
operation over all rows. The filter is stateless; the track store owns the arrays. A model
subclass supplies the constant transition ``F`` and measurement ``H`` matrices and the (possibly
state-dependent) noise terms.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["BatchedKalmanFilter"]

F64 = NDArray[np.float64]

class BatchedKalmanFilter(ABC):
    """A linear-Gaussian motion model applied to ``N`` tracks at once.

    Subclasses set :attr:`F` ``(n, n)``, :attr:`H` ``(m, n)``, and implement
    :meth:`initiate`, :meth:`process_noise` and :meth:`measurement_noise`.

    Attributes
    ----------
    joseph_update : bool
        ``True``: covariance update in Joseph form ``(I-KH) P (I-KH)^T + K R K^T`` with
        ``K = P H^T S^-1`` (filterpy, hence SORT). ``False``: ``P - K S K^T`` with ``K`` from a
        Cholesky solve (deep_sort, FairMOT).
    """

    F: ClassVar[F64]
    H: ClassVar[F64]
    joseph_update: ClassVar[bool] = False

    @property
    def ndim(self) -> int:
        """Size of the state vector ``n``."""
        return int(self.F.shape[0])

    @property
    def mdim(self) -> int:
        """Size of the measurement vector ``m``."""
        return int(self.H.shape[0])

    # -- model-specific terms -------------------------------------------------------------
    @abstractmethod
    def initiate(self, measurements: ArrayLike) -> tuple[F64, F64]:
        """Create track states from unassociated measurements.

        Parameters
        ----------
        measurements : array_like, shape (N, m)

        Returns
        -------
        mean : ndarray, shape (N, n)
        covariance : ndarray, shape (N, n, n)
        """

    @abstractmethod
    def process_noise(self, mean: F64) -> F64:
        """Process noise ``Q`` for each track, shape ``(N, n, n)`` (or ``(n, n)`` if constant)."""

    @abstractmethod
    def measurement_noise(self, mean: F64) -> F64:
        """Measurement noise ``R`` for each track, shape ``(N, m, m)`` (or ``(m, m)``)."""

    # -- the filter -----------------------------------------------------------------------
    def predict(self, mean: F64, covariance: F64) -> tuple[F64, F64]:
        """Run the prediction step for every track.

        Parameters
        ----------
        mean : ndarray, shape (N, n)
        covariance : ndarray, shape (N, n, n)

        Returns
        -------
        mean, covariance : ndarray, shapes (N, n) and (N, n, n)
            New arrays; the inputs are not modified.
        """
        F = self.F
        q = self.process_noise(mean)
        new_mean = mean @ F.T
        new_cov = F @ covariance @ F.T + q
        return new_mean, new_cov

    def project(self, mean: F64, covariance: F64) -> tuple[F64, F64]:
        """Project states into measurement space.

        Returns
        -------
        mean : ndarray, shape (N, m)
        covariance : ndarray, shape (N, m, m)
            Innovation covariance ``H P H^T + R``.
        """
        H = self.H
        r = self.measurement_noise(mean)
        return mean @ H.T, H @ covariance @ H.T + r

    def update(self, mean: F64, covariance: F64, measurements: ArrayLike) -> tuple[F64, F64]:
        """Correct each track's state with its associated measurement.

        Parameters
        ----------
        mean : ndarray, shape (N, n)
        covariance : ndarray, shape (N, n, n)
        measurements : array_like, shape (N, m)
            Row ``i`` is the measurement for track ``i``.

        Returns
        -------
        mean, covariance : ndarray, shapes (N, n) and (N, n, n)
        """
        z = np.asarray(measurements, dtype=np.float64)
        if z.shape != (mean.shape[0], self.mdim):
            raise ValueError(
                f"update: measurements must have shape ({mean.shape[0]}, {self.mdim}), got {z.shape}"
            )
        H = self.H
        r = self.measurement_noise(mean)
        pht = covariance @ H.T  # (N, n, m)
        s = H @ pht + r  # (N, m, m)
        innovation = z - mean @ H.T
        if self.joseph_update:
            gain = pht @ np.linalg.inv(s)
            new_mean = mean + (gain @ innovation[:, :, None])[:, :, 0]
            i_kh = np.eye(self.ndim) - gain @ H
            new_cov = i_kh @ covariance @ np.swapaxes(i_kh, 1, 2)
            new_cov += gain @ r @ np.swapaxes(gain, 1, 2)
        else:
            # K^T = S^-1 (P H^T)^T, S symmetric positive definite: solve, don't invert.
            gain = np.swapaxes(np.linalg.solve(s, np.swapaxes(pht, 1, 2)), 1, 2)
            new_mean = mean + (gain @ innovation[:, :, None])[:, :, 0]
            new_cov = covariance - gain @ s @ np.swapaxes(gain, 1, 2)
        return new_mean, new_cov

    def gating_distance(
        self,
        mean: F64,
        covariance: F64,
        measurements: ArrayLike,
        only_position: bool = False,
    ) -> F64:
        """Squared Mahalanobis distance between every track and every measurement.

        Parameters
        ----------
        mean : ndarray, shape (N, n)
        covariance : ndarray, shape (N, n, n)
        measurements : array_like, shape (M, m)
        only_position : bool, default False
            Use only the first two measurement dimensions (the box centre).

        Returns
        -------
        ndarray, shape (N, M)
            Compare with ``association.CHI2INV95[m]`` (``[2]`` with ``only_position``).
        """
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, self.mdim)
        proj_mean, proj_cov = self.project(mean, covariance)
        if only_position:
            proj_mean, proj_cov, z = proj_mean[:, :2], proj_cov[:, :2, :2], z[:, :2]
        if mean.shape[0] == 0 or z.shape[0] == 0:
            return np.zeros((mean.shape[0], z.shape[0]))
        chol = np.linalg.cholesky(proj_cov)  # (N, d, d), lower
        d = z[None, :, :] - proj_mean[:, None, :]  # (N, M, d)
        # Solve L y = d^T for every track; the squared norm of y is the Mahalanobis distance.
        y = _solve_lower(chol, np.swapaxes(d, 1, 2))
        return np.einsum("nij,nij->nj", y, y)


def _solve_lower(chol: F64, rhs: F64) -> F64:
    """Forward substitution ``L y = b`` for a batch of lower-triangular ``L``.

    Parameters
    ----------
    chol : ndarray, shape (N, d, d)
    rhs : ndarray, shape (N, d, M)

    Returns
    -------
    ndarray, shape (N, d, M)
    """
    d = chol.shape[1]
    y = np.empty_like(rhs)
    for i in range(d):
        acc = rhs[:, i, :] - np.einsum("nk,nkm->nm", chol[:, i, :i], y[:, :i, :])
        y[:, i, :] = acc / chol[:, i, i][:, None]
    return y
