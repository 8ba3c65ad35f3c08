"""Batched Kalman motion models: means ``(N, n)``, covariances ``(N, n, n)``; stateless."""

from .kalman import BatchedKalmanFilter
from .models import ConstantVelocityXYAH, ConstantVelocityXYSR

__all__ = ["BatchedKalmanFilter", "ConstantVelocityXYAH", "ConstantVelocityXYSR"]
