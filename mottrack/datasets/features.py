"""Simulated re-ID features of synthetic detections: one noisy unit vector per detection.

Each object has a random unit prototype; a detection's feature is its object's prototype plus
isotropic Gaussian noise of total norm about ``noise``, renormalised. False positives get random
directions.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["feature_vectors"]


def feature_vectors(
    det_gt_ids: NDArray[np.int64], num_objects: int, seed: int, dim: int = 128, noise: float = 0.3
) -> NDArray[np.float32]:
    """Simulated re-ID features, seeded by ``seed``.

    Parameters
    ----------
    det_gt_ids : ndarray, shape (N,), int64
        Object id (``1..num_objects``) behind each detection, ``-1`` for a false positive.
    num_objects : int
        Number of object ids.
    seed : int
        Seed of ``numpy.random.default_rng``.
    dim : int
        Feature length, at least 2.
    noise : float
        Norm of the noise added to a prototype, at least 0.

    Returns
    -------
    ndarray, shape (N, dim), float32
        Unit-norm rows.
    """
    if not (isinstance(dim, int) and dim >= 2) or not noise >= 0:
        raise ValueError(f"feature_vectors: need dim >= 2 and noise >= 0, got {dim}, {noise}")
    rng = np.random.default_rng(seed)
    proto = rng.standard_normal((num_objects + 1, dim))
    proto /= np.linalg.norm(proto, axis=1, keepdims=True)
    ids = det_gt_ids
    base = np.where((ids > 0)[:, None], proto[np.maximum(ids, 0)], 0.0)
    fp = ids <= 0
    base[fp] = rng.standard_normal((int(fp.sum()), dim))
    base[fp] /= np.linalg.norm(base[fp], axis=1, keepdims=True)
    feats = base + rng.standard_normal(base.shape) * (noise / math.sqrt(dim))
    return (feats / np.linalg.norm(feats, axis=1, keepdims=True)).astype(np.float32)
