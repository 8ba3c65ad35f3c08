"""The track store: one struct-of-arrays table of every live track.

Each column is a NumPy array with one row per track, rows kept in creation order (the order the
reference trackers keep their Python lists in, which decides assignment tie-breaking). Tracks are
added in blocks and removed by mask; there are no per-track Python objects.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["TrackState", "TrackStore"]


class TrackState(IntEnum):
    """Lifecycle state of a track (as in the DeepSORT paper)."""

    TENTATIVE = 1
    CONFIRMED = 2
    LOST = 3
    DELETED = 4


#: Core columns: name -> (dtype, trailing shape given the state size n).
_CORE: dict[str, Any] = {
    "ids": np.int64,
    "state": np.int8,
    "hits": np.int64,
    "hit_streak": np.int64,
    "age": np.int64,
    "time_since_update": np.int64,
    "score": np.float64,
    "det_index": np.int64,
    "cls": np.int64,
}


class TrackStore:
    """Struct-of-arrays table of live tracks.

    Parameters
    ----------
    ndim : int
        Size of the Kalman state (``mean`` is ``(N, ndim)``, ``covariance`` ``(N, ndim, ndim)``).
    extra : dict of str to (dtype, tuple), optional
        Policy-specific columns, e.g. ``{"feature": (np.float32, (128,))}``.

    Attributes
    ----------
    ids : ndarray, shape (N,)
        Track identities, allocated from 1 per store (never a class-level counter).
    state : ndarray, shape (N,)
        :class:`TrackState` values.
    mean, covariance : ndarray, shapes (N, n), (N, n, n)
        Kalman state.
    hits, hit_streak, age, time_since_update : ndarray, shape (N,)
        Counters as named in the papers.
    score : ndarray, shape (N,)
        Score of the last detection that updated the track.
    det_index : ndarray, shape (N,)
        Detection row that updated the track this frame, ``-1`` if none.
    cls : ndarray, shape (N,)
        Class of the last detection (``-1`` if detections carry none).
    """

    def __init__(self, ndim: int, extra: dict[str, tuple[Any, tuple[int, ...]]] | None = None):
        self.ndim = int(ndim)
        self._shapes: dict[str, tuple[Any, tuple[int, ...]]] = {k: (v, ()) for k, v in _CORE.items()}
        self._shapes["mean"] = (np.float64, (self.ndim,))
        self._shapes["covariance"] = (np.float64, (self.ndim, self.ndim))
        for name, spec in (extra or {}).items():
            if name in self._shapes:
                raise ValueError(f"extra: column {name!r} already exists")
            self._shapes[name] = (spec[0], tuple(spec[1]))
        self.next_id = 1
        self.clear()

    # Columns are plain attributes for fast access on the hot path.
    ids: NDArray[np.int64]
    state: NDArray[np.int8]
    mean: NDArray[np.float64]
    covariance: NDArray[np.float64]
    hits: NDArray[np.int64]
    hit_streak: NDArray[np.int64]
    age: NDArray[np.int64]
    time_since_update: NDArray[np.int64]
    score: NDArray[np.float64]
    det_index: NDArray[np.int64]
    cls: NDArray[np.int64]

    @property
    def columns(self) -> tuple[str, ...]:
        """Names of all columns."""
        return tuple(self._shapes)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def clear(self) -> None:
        """Remove every track (ID allocation continues; see :meth:`reset`)."""
        for name, (dtype, shape) in self._shapes.items():
            setattr(self, name, np.zeros((0, *shape), dtype=dtype))

    def reset(self) -> None:
        """Remove every track and restart ID allocation at 1."""
        self.clear()
        self.next_id = 1

    def add(self, mean: ArrayLike, covariance: ArrayLike, **columns: ArrayLike) -> NDArray[np.int64]:
        """Append ``K`` new tracks with freshly allocated IDs.

        Parameters
        ----------
        mean : array_like, shape (K, n)
        covariance : array_like, shape (K, n, n)
        **columns
            Values for other columns (arrays of length ``K`` or scalars); columns not given
            start at zero (``det_index`` and ``cls`` at -1, ``state`` at TENTATIVE).

        Returns
        -------
        ndarray, shape (K,)
            The new IDs.
        """
        mean = np.asarray(mean, dtype=np.float64)
        k = mean.shape[0]
        if "ids" in columns:
            raise ValueError("ids: allocated by the store, not passed to add()")
        new_ids = np.arange(self.next_id, self.next_id + k, dtype=np.int64)
        self.next_id += k
        given = {"mean": mean, "covariance": covariance, "ids": new_ids, **columns}
        defaults = {"det_index": -1, "cls": -1, "state": int(TrackState.TENTATIVE)}
        for name, (dtype, shape) in self._shapes.items():
            if name in given:
                block = np.broadcast_to(np.asarray(given.pop(name), dtype=dtype), (k, *shape))
            else:
                block = np.full((k, *shape), defaults.get(name, 0), dtype=dtype)
            setattr(self, name, np.concatenate([getattr(self, name), block]))
        if given:
            raise ValueError(f"add: unknown columns {sorted(given)}; known: {self.columns}")
        return new_ids

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Keep only the rows where ``mask`` is true (order preserved)."""
        if mask.all():
            return
        for name in self._shapes:
            setattr(self, name, getattr(self, name)[mask])
