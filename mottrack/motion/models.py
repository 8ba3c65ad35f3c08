"""The two constant-velocity box models of the reference trackers.

``ConstantVelocityXYSR``
    SORT's filter (Bewley et al. 2016): state ``[u, v, s, r, u', v', s']`` (centre, area,
    aspect ratio; the aspect ratio has no velocity), constant noise matrices exactly as
    abewley/sort sets them on filterpy's ``KalmanFilter``.
``ConstantVelocityXYAH``
    deep_sort's filter (Wojke et al. 2017), also used by FairMOT: state
    ``[x, y, a, h, vx, vy, va, vh]`` with noise proportional to the box height.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .kalman import BatchedKalmanFilter, diag_matrices

__all__ = ["ConstantVelocityXYAH", "ConstantVelocityXYSR"]

F64 = NDArray[np.float64]
_Q_DIAG = np.array([1.0, 1.0, 1.0, 1.0, 1e-2, 1e-2, 1e-4])
_R_DIAG = np.array([1.0, 1.0, 10.0, 10.0])


def _as_measurements(measurements: ArrayLike, m: int) -> F64:
    z = np.asarray(measurements, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != m:
        raise ValueError(f"initiate: measurements must have shape (N, {m}), got {z.shape}")
    return z


class ConstantVelocityXYSR(BatchedKalmanFilter):
    """SORT's constant-velocity model on ``[u, v, s, r]`` measurements.

    Matrices (identical to abewley/sort):

    - ``F``: identity with ``u += u'``, ``v += v'``, ``s += s'``.
    - ``H``: picks ``[u, v, s, r]``.
    - ``R = diag(1, 1, 10, 10)``.
    - ``P0 = diag(10, 10, 10, 10, 1e4, 1e4, 1e4)``.
    - ``Q = diag(1, 1, 1, 1, 1e-2, 1e-2, 1e-4)``.

    :meth:`predict` first applies SORT's area-velocity clamp: where ``s + s' <= 0`` the area
    velocity ``s'`` is set to 0, so a shrinking box never predicts a negative area.
    """

    mdim: ClassVar[int] = 4
    nvel: ClassVar[int] = 3
    velocity_clamp: ClassVar[tuple[int, int]] = (6, 2)
    R: ClassVar[F64] = np.diag(_R_DIAG)
    P0: ClassVar[F64] = np.diag([10.0, 10.0, 10.0, 10.0, 1e4, 1e4, 1e4])
    Q: ClassVar[F64] = np.diag(_Q_DIAG)

    def initiate(self, measurements: ArrayLike) -> tuple[F64, F64]:
        """Zero-velocity states with covariance ``P0``; see :meth:`BatchedKalmanFilter.initiate`."""
        z = _as_measurements(measurements, 4)
        mean = np.zeros((z.shape[0], 7))
        mean[:, :4] = z
        cov = np.broadcast_to(self.P0, (z.shape[0], 7, 7)).copy()
        return mean, cov

    def process_noise_diag(self, mean: F64) -> F64:
        """Diagonal of the constant ``Q``, shape (7,)."""
        return _Q_DIAG

    def measurement_noise_diag(self, mean: F64) -> F64:
        """Diagonal of the constant ``R``, shape (4,)."""
        return _R_DIAG

    def predict(self, mean: F64, covariance: F64) -> tuple[F64, F64]:
        """Clamp the area velocity as SORT does, then predict (inputs are not modified)."""
        self._check(mean, covariance)
        v, of = self.velocity_clamp
        clamp = (mean[:, v] + mean[:, of]) <= 0
        if clamp.any():
            mean = mean.copy()
            mean[clamp, v] = 0.0
        return super().predict(mean, covariance)


class ConstantVelocityXYAH(BatchedKalmanFilter):
    """deep_sort's constant-velocity model on ``[x, y, a, h]`` measurements.

    Noise standard deviations scale with the box height ``h`` (taken from the measurement at
    initiation and from the current mean afterwards):

    - initiation: ``2 wp h`` for x, y, h; ``1e-2`` for a; ``10 wv h`` for the velocities of
      x, y, h; ``1e-5`` for the velocity of a;
    - process: ``wp h`` (x, y, h), ``1e-2`` (a); ``wv h`` (velocities), ``1e-5`` (a');
    - measurement: ``wp h`` (x, y, h), ``1e-1`` (a);

    with ``wp = std_weight_position = 1/20`` and ``wv = std_weight_velocity = 1/160``.
    """

    mdim: ClassVar[int] = 4
    nvel: ClassVar[int] = 4

    def __init__(
        self, std_weight_position: float = 1.0 / 20, std_weight_velocity: float = 1.0 / 160
    ) -> None:
        self.std_weight_position = wp = float(std_weight_position)
        self.std_weight_velocity = wv = float(std_weight_velocity)
        # Per-entry multipliers of the height (``h * w`` is ``w * h`` exactly, deep_sort's form).
        self._q_weights = np.array([wp, wp, 0.0, wp, wv, wv, 0.0, wv])
        self._r_weights = np.array([wp, wp, 0.0, wp])

    def initiate(self, measurements: ArrayLike) -> tuple[F64, F64]:
        """Zero-velocity states with height-scaled covariance; see the class docstring."""
        z = _as_measurements(measurements, 4)
        n = z.shape[0]
        mean = np.zeros((n, 8))
        mean[:, :4] = z
        h = z[:, 3]
        wp, wv = self.std_weight_position, self.std_weight_velocity
        std = np.empty((n, 8))
        std[:, [0, 1, 3]] = (2 * wp * h)[:, None]
        std[:, 2] = 1e-2
        std[:, [4, 5, 7]] = (10 * wv * h)[:, None]
        std[:, 6] = 1e-5
        return mean, diag_matrices(np.square(std))

    def noise_laws(self) -> tuple[int, F64, F64]:
        """Height-scaled noise (``scale = 3``); see :meth:`BatchedKalmanFilter.noise_laws`."""
        q_const = np.zeros(8)
        q_const[2], q_const[6] = 1e-2 * 1e-2, 1e-5 * 1e-5
        r_const = np.zeros(4)
        r_const[2] = 1e-1 * 1e-1
        return 3, np.stack([self._q_weights, q_const]), np.stack([self._r_weights, r_const])

    def process_noise_diag(self, mean: F64) -> F64:
        """Diagonal of the height-scaled ``Q``, shape (N, 8)."""
        std = mean[:, 3:4] * self._q_weights
        std[:, 2] = 1e-2
        std[:, 6] = 1e-5
        return np.square(std, out=std)

    def measurement_noise_diag(self, mean: F64) -> F64:
        """Diagonal of the height-scaled ``R``, shape (N, 4)."""
        std = mean[:, 3:4] * self._r_weights
        std[:, 2] = 1e-1
        return np.square(std, out=std)
