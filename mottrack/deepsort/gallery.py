"""Per-track appearance galleries as one array: the last ``budget`` features of every track.

A :class:`~mottrack.side_tables.SideTable` of DeepSORT's track store.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..side_tables import EmbeddingTable

__all__ = ["FeatureGallery"]

F32 = NDArray[np.float32]


class FeatureGallery(EmbeddingTable):
    """Unit-norm appearance features of every track, rows aligned with the track store.

    Each track owns a ring of at most ``budget`` features (all of them when ``budget`` is
    ``None``); the ring grows by doubling up to ``budget``. The cosine distance of a track to a
    detection is ``1 - max`` dot product over the track's features (deep_sort's
    ``NearestNeighborDistanceMetric("cosine")``).

    The rings live in a pool, ``(S, C, D)``, and each track row points to its pool slot, so
    new and deleted tracks cost only their own rows: a slot freed in one frame is reused from
    the next :meth:`snapshot` on (the frame's snapshot may still need it until then).

    Parameters
    ----------
    budget : int or None
        Features kept per track.
    dim : int, optional
        Feature size ``D``; by default fixed by the first features of a sequence.

    Attributes
    ----------
    slot : ndarray, shape (N,), int64
        Pool slot of each track row.
    count : ndarray, shape (N,), int64
        Features written to each track so far.
    """

    def __init__(self, budget: int | None, dim: int | None = None) -> None:
        self.budget = budget
        self._fixed_dim = dim
        self.reset()

    def __len__(self) -> int:
        return int(self.count.shape[0])

    @property
    def features(self) -> F32:
        """The rings of the track rows, ``(N, C, D)`` float32 (a copy). Slots ``i >= count[t]``
        of row ``t`` hold a copy of the track's first feature, so a maximum over all ``C``
        slots equals the maximum over the features actually kept."""
        return self._pool[self.slot]

    def reset(self) -> None:
        """Remove every track's gallery (a new sequence)."""
        self._dim = self._fixed_dim
        self._pool = np.zeros((0, 1, self._dim or 0), np.float32)
        self.slot = np.zeros(0, np.int64)
        self.count = np.zeros(0, np.int64)
        self._free = np.zeros(0, np.int64)  # reusable slots
        self._freed: list[NDArray[np.int64]] = []  # slots freed since the snapshot
        self._journal: list[tuple[F32, NDArray[np.int64], NDArray[np.int64], F32]] = []

    def _grow_rings(self, needed: int) -> None:
        """Widen every ring to hold ``needed`` features (doubling, at most ``budget``)."""
        cap = self._pool.shape[1]
        if needed <= cap:
            return
        new_cap = cap
        while new_cap < needed:
            new_cap *= 2
        if self.budget is not None:
            new_cap = min(new_cap, self.budget)
        grown = np.empty((self._pool.shape[0], new_cap, self._pool.shape[2]), np.float32)
        grown[:, :cap] = self._pool
        grown[:, cap:] = self._pool[:, :1]
        self._pool = grown

    def _allocate(self, k: int) -> NDArray[np.int64]:
        """``k`` free pool slots (the pool grows by doubling when too few are free)."""
        if self._free.size < k:
            size = len(self._pool)
            grown = max(2 * size, size + k - self._free.size, 16)
            pool = np.empty((grown, *self._pool.shape[1:]), np.float32)
            pool[:size] = self._pool
            self._pool = pool
            self._free = np.concatenate([self._free, np.arange(size, grown, dtype=np.int64)])
        slots, self._free = self._free[:k], self._free[k:]
        return slots

    def spawn(self, features: F32) -> None:
        """Append one row per new track, holding its first (unit-norm) feature, ``(K, D)``."""
        if not len(features):
            return
        if self._dim is None:
            self._dim = int(features.shape[1])
            self._pool = np.zeros((0, 1, self._dim), np.float32)
        slots = self._allocate(features.shape[0])
        self._pool[slots] = features[:, None, :]
        self.slot = np.concatenate([self.slot, slots])
        self.count = np.concatenate([self.count, np.ones(features.shape[0], np.int64)])

    def correct(self, rows: NDArray[np.int64], features: F32) -> None:
        """Add ``features[i]`` (unit norm) to track row ``rows[i]``; rows must be distinct."""
        if rows.size == 0:
            return
        if self.budget is None or self._pool.shape[1] < self.budget:
            self._grow_rings(int(self.count[rows].max()) + 1)
        slots = self.slot[rows]
        ring = self.count[rows] % self._pool.shape[1]
        # The ring is written in place: keep what is overwritten for restore().
        self._journal.append((self._pool, slots, ring, self._pool[slots, ring]))
        self._pool[slots, ring] = features
        self.count = self.count.copy()
        self.count[rows] += 1

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Keep the rows where ``mask`` is true (the others' slots are freed)."""
        if not mask.all():
            self._freed.append(self.slot[~mask])
            self.slot = self.slot[mask]
            self.count = self.count[mask]

    def snapshot(self) -> tuple[Any, ...]:
        """A token for :meth:`restore`; starts a new journal of in-place ring writes.

        Slots freed before this call become reusable (no earlier snapshot is restored after a
        new one is taken); a pool mostly free is compacted here.
        """
        self._journal = []
        if self._freed:
            self._free = np.concatenate([self._free, *self._freed])
            self._freed = []
        if len(self._pool) > 64 and 4 * len(self) < len(self._pool):
            self._pool, self.slot = self._pool[self.slot], np.arange(len(self), dtype=np.int64)
            self._free = np.zeros(0, np.int64)
        return self._pool, self.slot, self.count, self._free, self._dim

    def restore(self, token: tuple[Any, ...]) -> None:
        """Return to the :meth:`snapshot`, undoing the ring writes made since."""
        for array, slots, ring, old in reversed(self._journal):
            array[slots, ring] = old
        self._journal = []
        self._freed = []
        self._pool, self.slot, self.count, self._free, self._dim = token

    def distance(
        self,
        rows: NDArray[np.int64],
        features: F32,
    ) -> F32:
        """Smallest cosine distance between each track's gallery and each feature (every
        pair; :meth:`pair_distance` scores listed pairs).

        Parameters
        ----------
        rows : ndarray of int, shape (T,)
            Track rows.
        features : ndarray, shape (M, D), float32
            Unit-norm detection features.

        Returns
        -------
        ndarray, shape (T, M), float32
        """
        t, m = rows.shape[0], features.shape[0]
        if t == 0 or m == 0:
            return np.zeros((t, m), np.float32)
        # (M, rows * C) products, reduced over each track's C contiguous slots.
        cap = self._pool.shape[1]
        flat = self._pool[self.slot[rows]].reshape(t * cap, -1)
        return 1.0 - (features @ flat.T).reshape(m, t, cap).max(axis=2).T

    def pair_distance(
        self,
        rows: NDArray[np.int64],
        track: NDArray[np.int64],
        col: NDArray[np.int64],
        features: F32,
    ) -> F32:
        """:meth:`distance` at listed pairs only: track ``rows[track[k]]`` to
        ``features[col[k]]``, shape (K,), float32 (one compiled call)."""
        from ..compiled.appearance import ring_nearest_pairs

        rows = np.asarray(rows, np.int64)
        return ring_nearest_pairs(
            self._pool, self.slot[rows], self.count[rows], track, col, features
        )
