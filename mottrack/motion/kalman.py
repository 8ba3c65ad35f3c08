"""Batched constant-velocity Kalman filter over many tracks at once.

Means are ``(N, n)`` and covariances ``(N, n, n)``: one row per track, every step a few array
operations over all rows. The filter is stateless; the track store owns the arrays.

The state is ``m`` measured quantities followed by the velocities of the first ``nvel`` of them,
so ``F = I + E`` with ``E[i, m + i] = 1`` and ``H = [I_m, 0]``. Products with ``F`` and ``H`` are
therefore done with slice additions and slicing; they give exactly the values of the dense
products (a sum of the same two terms, rounded once). A model subclass supplies the noise terms.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["BatchedKalmanFilter"]

F64 = NDArray[np.float64]


class BatchedKalmanFilter(ABC):
    """A constant-velocity linear-Gaussian model applied to ``N`` tracks at once.

    Subclasses set :attr:`mdim` and :attr:`nvel` and implement :meth:`initiate`,
    :meth:`process_noise` and :meth:`measurement_noise`.

    Attributes
    ----------
    mdim : int
        Size ``m`` of the measurement (the first ``m`` state entries).
    nvel : int
        Number of measured entries that carry a velocity (state size ``n = m + nvel``).
    """

    mdim: ClassVar[int]
    nvel: ClassVar[int]
    #: ``(i, j)``: before each prediction, velocity ``mean[i]`` is set to 0 where
    #: ``mean[i] + mean[j] <= 0`` (SORT's area rule); ``(-1, -1)``: no such rule.
    velocity_clamp: ClassVar[tuple[int, int]] = (-1, -1)

    @property
    def ndim(self) -> int:
        """Size of the state vector ``n``."""
        return self.mdim + self.nvel

    @property
    def F(self) -> F64:
        """Transition matrix, shape (n, n) (dt = 1)."""
        f = np.eye(self.ndim)
        idx = np.arange(self.nvel)
        f[idx, self.mdim + idx] = 1.0
        return f

    @property
    def H(self) -> F64:
        """Measurement matrix ``[I_m, 0]``, shape (m, n)."""
        return np.eye(self.mdim, self.ndim)

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
    def process_noise_diag(self, mean: F64) -> F64:
        """Diagonal of the process noise ``Q``: shape ``(N, n)``, or ``(n,)`` when constant.

        Both reference models have diagonal noise, so the filter adds it to the diagonal of
        the covariance (the values of adding the full matrix: the off-diagonal terms are 0).
        """

    @abstractmethod
    def measurement_noise_diag(self, mean: F64) -> F64:
        """Diagonal of the measurement noise ``R``: shape ``(N, m)``, or ``(m,)``."""

    def noise_laws(self) -> tuple[int, F64, F64]:
        """The noise diagonals in the form the compiled kernels evaluate per row.

        Returns
        -------
        scale : int
            Index of the mean entry that scales the noise (``-1``: constant noise).
        q_law : ndarray, shape (2, n)
            Process noise: entry ``i`` is ``(q_law[0, i] * mean[scale]) ** 2`` where
            ``scale >= 0`` and ``q_law[0, i] != 0``, else ``q_law[1, i]``.
        r_law : ndarray, shape (2, m)
            Measurement noise, the same way.

        Notes
        -----
        This default serves models with constant noise; a model whose noise depends on the
        state overrides it (the values must equal :meth:`process_noise_diag` and
        :meth:`measurement_noise_diag` exactly).
        """
        q = np.asarray(self.process_noise_diag(np.zeros((1, self.ndim))), np.float64)
        r = np.asarray(self.measurement_noise_diag(np.zeros((1, self.ndim))), np.float64)
        if q.ndim != 1 or r.ndim != 1:
            raise NotImplementedError(
                f"{type(self).__name__}: state-dependent noise needs its own noise_laws()"
            )
        return -1, np.stack([np.zeros_like(q), q]), np.stack([np.zeros_like(r), r])

    def process_noise(self, mean: F64) -> F64:
        """Process noise ``Q`` as matrices, shape ``(N, n, n)`` or ``(n, n)``."""
        return diag_matrices(self.process_noise_diag(mean))

    def measurement_noise(self, mean: F64) -> F64:
        """Measurement noise ``R`` as matrices, shape ``(N, m, m)`` or ``(m, m)``."""
        return diag_matrices(self.measurement_noise_diag(mean))

    # -- the filter -----------------------------------------------------------------------
    def _check(self, mean: F64, covariance: F64) -> None:
        n = self.ndim
        if mean.ndim != 2 or mean.shape[1] != n:
            raise ValueError(f"mean: expected shape (N, {n}), got {mean.shape}")
        if covariance.shape != (mean.shape[0], n, n):
            raise ValueError(
                f"covariance: expected shape ({mean.shape[0]}, {n}, {n}), got {covariance.shape}"
            )

    def predict(self, mean: F64, covariance: F64) -> tuple[F64, F64]:
        """Run the prediction step ``x <- F x``, ``P <- F P F^T + Q`` for every track.

        Parameters
        ----------
        mean : ndarray, shape (N, n)
        covariance : ndarray, shape (N, n, n)

        Returns
        -------
        mean, covariance : ndarray, shapes (N, n) and (N, n, n)
            New arrays; the inputs are not modified.
        """
        self._check(mean, covariance)
        m, v = self.mdim, self.nvel
        q = self.process_noise_diag(mean)
        new_mean = mean.copy()
        new_mean[:, :v] += mean[:, m:]
        cov = covariance.copy()
        cov[:, :v, :] += cov[:, m:, :]
        cov[:, :, :v] += cov[:, :, m:]
        _diagonal(cov)[...] += q
        return new_mean, cov

    def project(self, mean: F64, covariance: F64) -> tuple[F64, F64]:
        """Project states into measurement space.

        Returns
        -------
        mean : ndarray, shape (N, m)
        covariance : ndarray, shape (N, m, m)
            Innovation covariance ``H P H^T + R``.
        """
        self._check(mean, covariance)
        m = self.mdim
        s = covariance[:, :m, :m].copy()
        _diagonal(s)[...] += self.measurement_noise_diag(mean)
        return mean[:, :m].copy(), s

    def update(self, mean: F64, covariance: F64, measurements: ArrayLike) -> tuple[F64, F64]:
        """Correct each track's state with its associated measurement.

        ``K = P H^T S^-1`` (``S`` diagonal: a column scaling; otherwise a linear solve),
        ``x <- x + K (z - H x)``, ``P <- P - K S K^T``.

        Parameters
        ----------
        mean : ndarray, shape (N, n)
        covariance : ndarray, shape (N, n, n)
        measurements : array_like, shape (N, m)
            Row ``i`` is the measurement for track ``i``.

        Returns
        -------
        mean, covariance : ndarray, shapes (N, n) and (N, n, n)
            New arrays; the inputs are not modified.
        """
        self._check(mean, covariance)
        m = self.mdim
        z = np.asarray(measurements, dtype=np.float64)
        if z.shape != (mean.shape[0], m):
            raise ValueError(f"measurements: expected shape ({mean.shape[0]}, {m}), got {z.shape}")
        pht = covariance[:, :, :m]  # P H^T, (N, n, m)
        s = covariance[:, :m, :m].copy()  # (N, m, m)
        diag = _diagonal(s)
        diag += self.measurement_noise_diag(mean)
        if np.count_nonzero(s) == diag.size and diag.all():
            # Diagonal S (always the case for the block-diagonal covariances these models
            # produce): S^-1 is exactly 1/diag, and K = P H^T S^-1 is a column scaling.
            gain = pht / diag[:, None, :]
        else:
            gain = np.swapaxes(np.linalg.solve(s, np.swapaxes(pht, 1, 2)), 1, 2)
        innovation = z - mean[:, :m]
        new_mean = mean + (gain @ innovation[:, :, None])[:, :, 0]
        # P - K S K^T (deep_sort's form; filterpy's Joseph form equals it up to rounding),
        # with K S K^T = K (P H^T)^T because K S = P H^T.
        new_cov = covariance - gain @ np.swapaxes(pht, 1, 2)
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
        z = np.asarray(measurements, dtype=np.float64)
        if z.ndim != 2 or z.shape[1] != self.mdim:
            raise ValueError(f"measurements: expected shape (M, {self.mdim}), got {z.shape}")
        self._check(mean, covariance)
        n, m = mean.shape[0], z.shape[0]
        if n == 0 or m == 0:
            return np.zeros((n, m))
        d = 2 if only_position else self.mdim
        if n > 1 and n * m * d > _CHUNK_ELEMENTS:
            # Crowds: (N, M, d) temporaries would dwarf the (N, M) result; do blocks of tracks
            # (every entry is computed alone, so the values are the same).
            out = np.empty((n, m))
            step = max(1, _CHUNK_ELEMENTS // (m * d))
            for i in range(0, n, step):
                block = slice(i, i + step)
                out[block] = self.gating_distance(mean[block], covariance[block], z, only_position)
            return out
        block = covariance[:, :d, :d]
        var = np.diagonal(block, axis1=1, axis2=2)
        if np.count_nonzero(block) == np.count_nonzero(var):
            # Diagonal S (the usual case, see update()): its Cholesky factor is sqrt(diag) and
            # forward substitution is a division, the values a dense solve produces.
            var = var + self.measurement_noise_diag(mean)[..., :d]
            if (var > 0).all():
                y = (z[None, :, :d] - mean[:, None, :d]) / np.sqrt(var)[:, None, :]
                return (y * y).sum(axis=2)
        proj_mean, proj_cov = self.project(mean, covariance)
        if only_position:
            proj_mean, proj_cov, z = proj_mean[:, :2], proj_cov[:, :2, :2], z[:, :2]
        chol = np.linalg.cholesky(proj_cov)  # (N, d, d), lower
        d = z[None, :, :] - proj_mean[:, None, :]  # (N, M, d)
        y = _solve_lower(chol, np.swapaxes(d, 1, 2))  # L y = d^T per track
        return np.einsum("nij,nij->nj", y, y)


#: Largest (tracks x measurements x dims) temporary of :meth:`gating_distance` (128 MiB).
_CHUNK_ELEMENTS = 1 << 24


def _diagonal(a: F64) -> F64:
    """Writable view of the diagonals of a C-contiguous batch ``(N, d, d)``, shape (N, d)."""
    n, d = a.shape[0], a.shape[1]
    return a.reshape(n, d * d)[:, :: d + 1]


def diag_matrices(values: F64) -> F64:
    """Diagonal matrices from diagonals: ``(d,)`` -> ``(d, d)``, ``(N, d)`` -> ``(N, d, d)``."""
    d = values.shape[-1]
    out = np.zeros((*values.shape, d))
    idx = np.arange(d)
    out[..., idx, idx] = values
    return out


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
