"""The track store: one table of every live track, a row per track, a named block per column.

All columns live side by side in one float64 array ``data`` of shape ``(N, width)``; each column
(``ids``, ``state``, ``mean``, ``covariance``, ``hits``, ...) is a view of its block. Adding
tracks, removing them by mask, and gathering or scattering the rows of matched tracks are then one
array operation each, whatever the number of columns: the per-frame bookkeeping costs the same for
1 track or 1000 and there are no per-track Python objects. Integer columns (ids, counters) are
stored exactly (float64 holds integers up to 2**53). Rows stay in creation order, the order the
reference trackers keep their Python lists in (it decides assignment tie-breaking).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["TrackState", "TrackStore"]

F64 = NDArray[np.float64]


class TrackState(IntEnum):
    """Lifecycle state of a track (as in the DeepSORT paper)."""

    TENTATIVE = 1
    CONFIRMED = 2
    LOST = 3
    DELETED = 4


#: Scalar columns every store has, with the value a new track starts with.
_SCALARS: dict[str, float] = {
    "ids": 0.0,
    "state": float(TrackState.TENTATIVE),
    "hits": 0.0,
    "hit_streak": 0.0,
    "age": 0.0,
    "time_since_update": 0.0,
    "score": 0.0,
    "det_index": -1.0,
    "cls": -1.0,
}


def _column(name: str, doc: str) -> property:
    def get(self: TrackStore) -> F64:
        return self.column(name)

    def set_(self: TrackStore, value: ArrayLike) -> None:
        self.column(name)[...] = value

    return property(get, set_, doc=doc)


class TrackStore:
    """Table of live tracks.

    Parameters
    ----------
    ndim : int
        Size of the Kalman state: ``mean`` is ``(N, ndim)``, ``covariance`` ``(N, ndim, ndim)``.
    extra : dict of str to tuple of int, optional
        Policy-specific float columns and their per-row shapes, e.g. ``{"feature": (128,)}``.

    Attributes
    ----------
    data : ndarray, shape (N, width)
        The table; columns are views into it (see :meth:`column` and :meth:`slice_of`).
    next_id : int
        The ID the next track receives (IDs are allocated per store, from 1).
    """

    ids = _column("ids", "Track identities, shape (N,) (integers, from 1).")
    state = _column("state", "TrackState values, shape (N,).")
    hits = _column("hits", "Number of detections that updated the track, shape (N,).")
    hit_streak = _column("hit_streak", "Consecutive frames with an update, shape (N,).")
    age = _column("age", "Frames since creation (predictions made), shape (N,).")
    time_since_update = _column("time_since_update", "Frames since the last update, shape (N,).")
    score = _column("score", "Score of the last detection that updated the track, shape (N,).")
    det_index = _column("det_index", "This frame's detection row that updated it, or -1, (N,).")
    cls = _column("cls", "Class of the last detection (-1 if none), shape (N,).")
    mean = _column("mean", "Kalman means, shape (N, n).")
    covariance = _column("covariance", "Kalman covariances, shape (N, n, n).")

    def __init__(self, ndim: int, extra: dict[str, tuple[int, ...]] | None = None) -> None:
        self.ndim = int(ndim)
        shapes: dict[str, tuple[int, ...]] = {name: () for name in _SCALARS}
        shapes["mean"] = (self.ndim,)
        shapes["covariance"] = (self.ndim, self.ndim)
        for name, shape in (extra or {}).items():
            if name in shapes:
                raise ValueError(f"extra: column {name!r} already exists")
            shapes[name] = tuple(int(s) for s in shape)
        self._shapes = shapes
        self._slices: dict[str, slice] = {}
        start = 0
        for name, shape in shapes.items():
            size = int(np.prod(shape, dtype=np.int64))
            self._slices[name] = slice(start, start + size)
            start += size
        self.width = start
        self._keys: dict[str, int | slice] = {
            name: (sl.start if shapes[name] == () else sl) for name, sl in self._slices.items()
        }
        self._blank = np.zeros(start)
        for name, value in _SCALARS.items():
            self._blank[self._slices[name]] = value
        self.reset()

    @property
    def columns(self) -> tuple[str, ...]:
        """Names of all columns."""
        return tuple(self._shapes)

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def slice_of(self, name: str) -> slice:
        """Slice of ``data``'s columns holding column ``name`` (flattened per row)."""
        return self._slices[name]

    def key(self, name: str) -> int | slice:
        """Index into ``data``'s second axis for column ``name``: an int for scalar columns.

        ``store.data[:, store.key("hits")]`` is the ``hits`` column; hot loops cache keys.
        """
        return self._keys[name]

    def column(self, name: str, rows: F64 | None = None) -> F64:
        """View of column ``name``, shape ``(N, *shape)``, in ``data`` or in a block of rows."""
        table = self.data if rows is None else rows
        view = table[:, self._keys[name]]
        shape = self._shapes[name]
        return view.reshape(table.shape[0], *shape) if len(shape) > 1 else view

    def reset(self) -> None:
        """Remove every track and restart ID allocation at 1."""
        self.data = np.zeros((0, self.width))
        self.next_id = 1

    def new_rows(self, count: int) -> F64:
        """A block of ``count`` rows holding a new track's defaults (not yet in the table)."""
        return np.broadcast_to(self._blank, (count, self.width)).copy()

    def add(self, mean: ArrayLike, covariance: ArrayLike, **columns: ArrayLike) -> F64:
        """Append new tracks (after the existing ones) with freshly allocated IDs.

        Parameters
        ----------
        mean : array_like, shape (K, n)
        covariance : array_like, shape (K, n, n)
        **columns
            Values for other columns (length-``K`` arrays or scalars). Columns not given take
            the defaults: 0, ``state`` TENTATIVE, ``det_index`` and ``cls`` -1.

        Returns
        -------
        ndarray, shape (K,)
            The new IDs.
        """
        mean = np.asarray(mean, dtype=np.float64)
        k = mean.shape[0]
        if "ids" in columns:
            raise ValueError("ids: allocated by the store, not passed to add()")
        unknown = set(columns) - set(self._shapes)
        if unknown:
            raise ValueError(f"add: unknown columns {sorted(unknown)}; known: {self.columns}")
        block = self.new_rows(k)
        for name, value in (("mean", mean), ("covariance", covariance), *columns.items()):
            width = self._slices[name].stop - self._slices[name].start
            block[:, self._slices[name]] = np.reshape(value, (k, width) if np.ndim(value) else ())
        ids = np.arange(self.next_id, self.next_id + k, dtype=np.float64)
        block[:, self._slices["ids"].start] = ids
        self.next_id += k
        self.data = np.concatenate([self.data, block]) if len(self) else block
        return ids

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Keep only the rows where ``mask`` is true (order preserved)."""
        if not mask.all():
            self.data = self.data[mask]
