"""Appearance galleries without a budget (``nn_budget=None``): every feature, stored per track.

The ring array of :class:`~mottrack.deepsort.gallery.FeatureGallery` gives every track the
capacity of the longest-lived one; without a budget that grows without bound (one object seen
for 20,000 frames made every track hold 20,000 slots). Here each track owns its own array,
grown by doubling, so memory is at most twice the features actually kept and a track's
distance costs its own features only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..side_tables import EmbeddingTable

__all__ = ["UnboundedGallery"]

F32 = NDArray[np.float32]
Token = tuple[list[F32], NDArray[np.int64], "int | None"]


class UnboundedGallery(EmbeddingTable):
    """Every unit-norm feature of every track, one growable array per track.

    The cosine distance of a track to a detection is ``1 - max`` dot product over all the
    track's features (deep_sort's ``NearestNeighborDistanceMetric("cosine", budget=None)``).

    Parameters
    ----------
    dim : int, optional
        Feature size ``D``; by default fixed by the first features of a sequence.

    Attributes
    ----------
    arrays : list of ndarray, shape (C_t, D), float32
        Track ``t``'s features in rows ``0 .. count[t] - 1`` (``C_t >= count[t]``).
    count : ndarray, shape (N,), int64
        Features held by each track.
    """

    budget = None

    def __init__(self, dim: int | None = None) -> None:
        self._fixed_dim = dim
        self.reset()

    def __len__(self) -> int:
        return len(self.arrays)

    def reset(self) -> None:
        """Remove every track's gallery (a new sequence)."""
        self._dim = self._fixed_dim
        self.arrays: list[F32] = []
        self.count = np.zeros(0, np.int64)

    def spawn(self, features: F32) -> None:
        """Append one gallery per new track, holding its first (unit-norm) feature, ``(K, D)``."""
        if not len(features):
            return
        if self._dim is None:
            self._dim = int(features.shape[1])
        self.arrays = self.arrays + [np.array(f[None, :], np.float32) for f in features]
        self.count = np.concatenate([self.count, np.ones(len(features), np.int64)])

    def correct(self, rows: NDArray[np.int64], features: F32) -> None:
        """Add ``features[i]`` (unit norm) to track row ``rows[i]``; rows must be distinct."""
        if rows.size == 0:
            return
        arrays = list(self.arrays)  # replaced, not edited: a snapshot's list stays valid
        count = self.count.copy()
        for row, feature in zip(rows.tolist(), features):
            n = int(count[row])
            if n == len(arrays[row]):  # full: a new array of twice the size
                grown = np.empty((2 * n, arrays[row].shape[1]), np.float32)
                grown[:n] = arrays[row]
                arrays[row] = grown
            arrays[row][n] = feature  # beyond the snapshot's count: restore() ignores it
            count[row] = n + 1
        self.arrays, self.count = arrays, count

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Keep the rows where ``mask`` is true (the galleries of the others are dropped)."""
        if not mask.all():
            self.arrays = [a for a, k in zip(self.arrays, mask.tolist()) if k]
            self.count = self.count[mask]

    def distance(self, rows: NDArray[np.int64], features: F32) -> F32:
        """Smallest cosine distance between each track's features and each detection feature
        (every pair, through :meth:`pair_distance`).

        Parameters
        ----------
        rows : ndarray of int, shape (T,)
        features : ndarray, shape (M, D), float32
            Unit-norm detection features.

        Returns
        -------
        ndarray, shape (T, M), float32
        """
        t, m = rows.size, features.shape[0]
        track, col = np.divmod(np.arange(t * m), m)
        return self.pair_distance(rows, track, col, features).reshape(t, m)

    def pair_distance(
        self,
        rows: NDArray[np.int64],
        track: NDArray[np.int64],
        col: NDArray[np.int64],
        features: F32,
    ) -> F32:
        """:meth:`distance` at listed pairs only: track ``rows[track[k]]`` to
        ``features[col[k]]``, shape (K,), float32 (one product per track with pairs; no
        tracks x detections array)."""
        out = np.empty(track.size, np.float32)
        if not track.size:
            return out
        order = np.argsort(track, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(track[order]) != 0])
        for lo, hi in zip(starts.tolist(), [*starts[1:].tolist(), track.size]):
            pairs = order[lo:hi]
            r = int(rows[track[pairs[0]]])
            kept = self.arrays[r][: self.count[r]]
            out[pairs] = 1.0 - (features[col[pairs]] @ kept.T).max(axis=1)
        return out

    def snapshot(self) -> Token:
        """A token for :meth:`restore` (lists and counts are replaced, never edited)."""
        return self.arrays, self.count, self._dim

    def restore(self, token: Token) -> None:
        """Return to the :meth:`snapshot`."""
        self.arrays, self.count, self._dim = token
