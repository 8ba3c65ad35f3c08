"""Per-track appearance galleries as one array: the last ``budget`` features of every track.

A :class:`~mottrack.side_tables.SideTable` of DeepSORT's track store.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ..side_tables import EmbeddingTable

__all__ = ["FeatureGallery", "nearest_per_track"]

F32 = NDArray[np.float32]


class FeatureGallery(EmbeddingTable):
    """Unit-norm appearance features of every track, rows aligned with the track store.

    Each track owns a ring of at most ``budget`` features (all of them when ``budget`` is
    ``None``); the ring grows by doubling up to ``budget``. The cosine distance of a track to a
    detection is ``1 - max`` dot product over the track's features (deep_sort's
    ``NearestNeighborDistanceMetric("cosine")``).

    Parameters
    ----------
    budget : int or None
        Features kept per track.
    dim : int, optional
        Feature size ``D``; by default fixed by the first features of a sequence.

    Attributes
    ----------
    features : ndarray, shape (N, C, D), float32
        Ring buffers (``C`` the current capacity). Slots ``i >= count[t]`` of row ``t`` hold a
        copy of the track's first feature, so a minimum over all ``C`` slots equals the minimum
        over the features actually kept, with no masking.
    count : ndarray, shape (N,), int64
        Features written to each track so far.
    """

    def __init__(self, budget: int | None, dim: int | None = None) -> None:
        self.budget = budget
        self._fixed_dim = dim
        self.reset()

    def __len__(self) -> int:
        return int(self.count.shape[0])

    def reset(self) -> None:
        """Remove every track's gallery (a new sequence)."""
        self._dim = self._fixed_dim
        self.features = np.zeros((0, 1, self._dim or 0), np.float32)
        self.count = np.zeros(0, np.int64)
        self._journal: list[tuple[F32, NDArray[np.int64], NDArray[np.int64], F32]] = []

    def _grow(self, needed: int) -> None:
        assert self._dim is not None
        cap = self.features.shape[1]
        if needed <= cap:
            return
        new_cap = cap
        while new_cap < needed:
            new_cap *= 2
        if self.budget is not None:
            new_cap = min(new_cap, self.budget)
        grown = np.empty((len(self), new_cap, self._dim), np.float32)
        grown[:, :cap] = self.features
        grown[:, cap:] = self.features[:, :1]
        self.features = grown

    def spawn(self, features: F32) -> None:
        """Append one row per new track, holding its first (unit-norm) feature, ``(K, D)``."""
        if not len(features):
            return
        if self._dim is None:
            self._dim = int(features.shape[1])
            self.features = np.zeros((0, 1, self._dim), np.float32)
        shape = (features.shape[0], self.features.shape[1], self._dim)
        block = np.broadcast_to(features[:, None, :], shape).astype(np.float32)
        self.features = np.concatenate([self.features, block])
        self.count = np.concatenate([self.count, np.ones(features.shape[0], np.int64)])

    def correct(self, rows: NDArray[np.int64], features: F32) -> None:
        """Add ``features[i]`` (unit norm) to track row ``rows[i]``; rows must be distinct."""
        if rows.size == 0:
            return
        if self.budget is None or self.features.shape[1] < self.budget:
            self._grow(int(self.count[rows].max()) + 1)
        cap = self.features.shape[1]
        slot = self.count[rows] % cap
        # The ring is written in place: keep what is overwritten for restore().
        self._journal.append((self.features, rows, slot, self.features[rows, slot]))
        self.features[rows, slot] = features
        self.count = self.count.copy()
        self.count[rows] += 1

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Keep the rows where ``mask`` is true (the galleries of the others are dropped)."""
        if not mask.all():
            self.features = self.features[mask]
            self.count = self.count[mask]

    def snapshot(self) -> tuple[F32, NDArray[np.int64], int | None]:
        """A token for :meth:`restore`; starts a new journal of in-place ring writes."""
        self._journal = []
        return self.features, self.count, self._dim

    def restore(self, token: tuple[F32, NDArray[np.int64], int | None]) -> None:
        """Return to the :meth:`snapshot`, undoing the ring writes made since."""
        for array, rows, slot, old in reversed(self._journal):
            array[rows, slot] = old
        self._journal = []
        self.features, self.count, self._dim = token

    def distance(
        self,
        rows: NDArray[np.int64],
        features: F32,
        mask: NDArray[np.bool_] | None = None,
    ) -> F32:
        """Smallest cosine distance between each track's gallery and each feature.

        Parameters
        ----------
        rows : ndarray of int, shape (T,)
            Track rows.
        features : ndarray, shape (M, D), float32
            Unit-norm detection features.
        mask : ndarray of bool, shape (T, M), optional
            Only these pairs are needed (e.g. those inside the Mahalanobis gate); the others
            are returned as ``inf``. When few pairs are needed this skips most of the work.

        Returns
        -------
        ndarray, shape (T, M), float32
        """
        t, m = rows.shape[0], features.shape[0]
        if t == 0 or m == 0:
            return np.zeros((t, m), np.float32)
        n, cap, _ = self.features.shape
        dense_ns = t * cap * m * features.shape[1] / 25  # multiply-adds, ~25 per ns
        if mask is not None and dense_ns > 5000:  # a product per track costs ~5 us overhead
            busy = np.flatnonzero(mask.any(axis=1))
            if busy.size * 5000 < dense_ns:
                galleries = [self.features[r] for r in rows]
                return nearest_per_track(galleries, features, mask, busy)
        # (M, rows * C) products, reduced over each track's C contiguous slots.
        if 2 * t < n:  # few rows: gather them; otherwise one product over every row
            flat = self.features[rows].reshape(t * cap, -1)
            dist = 1.0 - (features @ flat.T).reshape(m, t, cap).max(axis=2).T
        else:
            flat = self.features.reshape(n * cap, -1)
            dist = 1.0 - (features @ flat.T).reshape(m, n, cap).max(axis=2).T[rows]
        if mask is not None:
            dist[~mask] = np.inf
        return dist


def nearest_per_track(
    galleries: Sequence[F32],
    features: F32,
    mask: NDArray[np.bool_] | None = None,
    busy: NDArray[np.int64] | None = None,
) -> F32:
    """Smallest cosine distance of each track's features to each detection, one product a track.

    Parameters
    ----------
    galleries : sequence of ndarray, shape (C_t, D), float32
        The unit-norm features of each of ``T`` tracks.
    features : ndarray, shape (M, D), float32
        Unit-norm detection features.
    mask : ndarray of bool, shape (T, M), optional
        Only these pairs are computed; the others are ``inf``.
    busy : ndarray of int, optional
        The tracks to compute (default: all, or those with a pair in ``mask``).

    Returns
    -------
    ndarray, shape (T, M), float32
    """
    t, m = len(galleries), features.shape[0]
    out = np.full((t, m), np.inf, np.float32)
    if busy is None:
        busy = np.arange(t) if mask is None else np.flatnonzero(mask.any(axis=1))
    for i in busy.tolist():
        cols = slice(None) if mask is None else np.flatnonzero(mask[i])
        out[i, cols] = 1.0 - (features[cols] @ galleries[i].T).max(axis=1)
    return out
