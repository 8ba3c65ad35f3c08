"""Per-track tables kept row-aligned with the track store: the protocol and smoothed embeddings.

A side table holds what a policy keeps per track beyond the store's scalar columns (an
appearance gallery, an exponentially smoothed embedding). It is registered once with
:class:`~mottrack.tracks.TrackStore`, which calls :meth:`SideTable.spawn`,
:meth:`SideTable.correct` and :meth:`SideTable.keep` so that row ``i`` of the table is always
track row ``i`` of the store; the tracker never aligns it by hand.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .embeddings import check_dimension, unit_rows

__all__ = ["EmbeddingTable", "SideTable", "SmoothedEmbeddings"]

F64 = NDArray[np.float64]


class SideTable(Protocol):
    """What the track store needs from a per-track table."""

    def __len__(self) -> int:
        """Number of rows (tracks)."""
        ...

    def spawn(self, values: Any) -> None:
        """Append one row per new track, from ``values`` (one entry per track)."""
        ...

    def correct(self, rows: NDArray[np.int64], values: Any) -> None:
        """Fold ``values[i]`` (this frame's measurement) into track row ``rows[i]``."""
        ...

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Keep the rows where ``mask`` is true, in order."""
        ...

    def reset(self) -> None:
        """Remove every row (a new sequence)."""
        ...

    def snapshot(self) -> Any:
        """A token from which :meth:`restore` brings the table back to its state now."""
        ...

    def restore(self, token: Any) -> None:
        """Return to the state recorded by :meth:`snapshot`."""
        ...


class EmbeddingTable:
    """Shared part of the per-track embedding tables: one embedding size per sequence.

    The size is fixed by the first embeddings after construction or :meth:`reset`; later
    detections must match it (:meth:`check`).
    """

    _dim: int | None = None

    @property
    def dim(self) -> int | None:
        """Embedding size of this sequence (None before the first embeddings)."""
        return self._dim

    def check(self, embeddings: NDArray[Any], name: str) -> None:
        """Raise ``ValueError`` unless ``embeddings`` has this sequence's size."""
        check_dimension(embeddings, self._dim, name)


class SmoothedEmbeddings(EmbeddingTable):
    """One exponentially smoothed, unit-norm embedding per track (JDE / FairMOT).

    A new track starts from its detection's (unit-norm) embedding; a matched detection's
    embedding ``f`` updates it to ``normalise(momentum * smooth + (1 - momentum) * f)``.

    Parameters
    ----------
    momentum : float
        Weight of the old embedding (FairMOT: 0.9).

    Attributes
    ----------
    features : ndarray, shape (N, D), float64
        The smoothed embeddings (``D`` fixed by the first embeddings of a sequence).
    """

    def __init__(self, momentum: float) -> None:
        self.momentum = float(momentum)
        self.reset()

    def __len__(self) -> int:
        return int(self.features.shape[0])

    def reset(self) -> None:
        """Remove every row; the next embeddings fix the size again."""
        self.features: F64 = np.zeros((0, 0))
        self._dim = None
        self._shared = False  # ``features`` is also a snapshot's

    def spawn(self, values: F64) -> None:
        """Append the first (unit-norm) embedding of each new track, ``(K, D)``."""
        if not len(values):
            return
        if self._dim is None:
            self._dim = int(values.shape[1])
            self.features = np.zeros((0, self._dim))
        self.features = np.concatenate([self.features, values])
        self._shared = False

    def correct(self, rows: NDArray[np.int64], values: F64) -> None:
        """Smooth the embeddings of ``rows`` towards ``values`` (unit norm), ``(K, D)``."""
        if rows.size == 0:
            return
        from .compiled.norms import smoothed_unit_rows

        ok, smooth = smoothed_unit_rows(
            self.features, rows, values, self.momentum, 1.0 - self.momentum
        )
        if not ok:  # a degenerate blend: NumPy's path rescales it or names it
            smooth = self.momentum * self.features[rows] + (1.0 - self.momentum) * values
            smooth = unit_rows(smooth, np.float64, "smoothed embedding")
        self.writable()[rows] = smooth  # a snapshot's array is never written

    def writable(self) -> F64:
        """:attr:`features` to be changed in place (a compiled step's :meth:`correct`): copied
        first when a snapshot shares it."""
        if self._shared:
            self.features = self.features.copy()
            self._shared = False
        return self.features

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Keep the rows where ``mask`` is true."""
        self.features = self.features[mask]
        self._shared = False

    def distance(self, rows: NDArray[np.int64], values: F64) -> F64:
        """Cosine distance (scipy's ``cdist``, as FairMOT) of tracks ``rows`` to ``values``.

        Returns
        -------
        ndarray, shape (len(rows), len(values))
        """
        from scipy.spatial.distance import cdist  # heavy: imported on first use

        return np.maximum(0.0, cdist(self.features[rows], values, "cosine"))

    def pair_distance(
        self, rows: NDArray[np.int64], track: NDArray[np.int64], col: NDArray[np.int64], values: F64
    ) -> F64:
        """:meth:`distance` at listed pairs only: track ``rows[track[k]]`` to
        ``values[col[k]]``, shape (K,) (the same floats, one compiled call)."""
        from .compiled.appearance import cosine_pairs

        return cosine_pairs(self.features, rows, track, col, values)

    def snapshot(self) -> tuple[F64, int | None]:
        """The current array and size; the next :meth:`correct` copies before writing."""
        self._shared = True
        return self.features, self._dim

    def restore(self, token: tuple[F64, int | None]) -> None:
        """Return to a :meth:`snapshot`."""
        self.features, self._dim = token
        self._shared = True
