"""A generated synthetic sequence: :class:`SyntheticSequence`, its arrays and what it can make.

The arrays come from :func:`.simulate.generate`; drawing frames is in :mod:`.render`, simulated
re-ID features in :mod:`.features`, writing a MOTChallenge folder in :mod:`.mot_folder`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..io import SeqInfo, iter_detections
from ..types import Detections
from . import features, mot_folder, render
from .config import SyntheticConfig

__all__ = ["SyntheticSequence"]

F64 = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SyntheticSequence:
    """A generated sequence (arrays are read-only).

    Attributes
    ----------
    config : SyntheticConfig
    info : SeqInfo
    gt : ndarray, shape (G, 9)
        MOT17-style ``frame, id, x, y, w, h, 1, 1, visibility``, sorted by (frame, id); boxes
        clipped to the image and rounded to 2 decimals.
    det : ndarray, shape (N, 10)
        ``frame, -1, x, y, w, h, score, -1, -1, -1``, in frame order, shuffled within a frame.
    det_gt_ids : ndarray, shape (N,)
        Object id behind each det row, -1 for a false positive.
    gt_full_xyxy : ndarray, shape (G, 4)
        The unclipped box of each gt row (for rendering).
    colors : ndarray, shape (T, 3), uint8
        RGB colour of object id ``k`` at row ``k - 1``.
    patterns : ndarray, shape (T,)
        Pattern id (``0..NUM_PATTERNS-1``) of object id ``k`` at row ``k - 1``.
    """

    config: SyntheticConfig
    info: SeqInfo
    gt: F64
    det: F64
    det_gt_ids: NDArray[np.int64]
    gt_full_xyxy: F64
    colors: NDArray[np.uint8]
    patterns: NDArray[np.int64]

    @property
    def name(self) -> str:
        """Sequence name (``config.name``)."""
        return self.info.name

    @property
    def num_objects(self) -> int:
        """Number of distinct object ids (ids are ``1..num_objects``)."""
        return int(self.patterns.shape[0])

    def frames(
        self,
        embeddings: NDArray[np.floating] | None = None,
        classes: NDArray[np.int64] | None = None,
    ) -> Iterator[tuple[int, Detections]]:
        """Yield ``(frame, Detections)`` for every frame, like :meth:`MOTSequence.frames`.

        Parameters
        ----------
        embeddings : ndarray, shape (N, D), optional
            One feature row per :attr:`det` row (e.g. :meth:`feature_vectors`).
        classes : ndarray of int, shape (N,), optional
            One class per :attr:`det` row (e.g. :func:`.classes.frames_with_classes`).
        """
        n = self.info.seq_length
        return iter_detections(self.det, n, embeddings, source=self.name, classes=classes)

    def feature_vectors(
        self, dim: int = 128, noise: float = 0.3, seed: int | None = None
    ) -> NDArray[np.float32]:
        """Simulated re-ID features for the :attr:`det` rows, shape ``(N, dim)``, unit norm.

        Each object has a random unit prototype; a detection's feature is its object's
        prototype plus isotropic Gaussian noise of total norm about ``noise``, renormalised
        (false positives get random directions). Seeded by ``seed`` (default: the config's).
        See :func:`.features.feature_vectors`.
        """
        seed = self.config.seed if seed is None else seed
        return features.feature_vectors(self.det_gt_ids, self.num_objects, seed, dim, noise)

    def appearance(self, object_id: int) -> tuple[tuple[int, int, int], int]:
        """Return ``((r, g, b), pattern)`` of an object id."""
        if not 1 <= int(object_id) <= self.num_objects:
            raise ValueError(
                f"appearance: object_id must be in 1..{self.num_objects}, got {object_id}"
            )
        r, g, b = (int(v) for v in self.colors[int(object_id) - 1])
        return (r, g, b), int(self.patterns[int(object_id) - 1])

    def render_frame(self, frame: int) -> NDArray[np.uint8]:
        """Draw ``frame`` (1-based): objects far to near over a gradient; RGB, shape (H, W, 3).

        See :func:`.render.render_frame`.
        """
        return render.render_frame(self, frame)

    def write(self, root: str | os.PathLike[str], render: bool = False) -> Path:
        """Write ``<root>/<name>/`` with seqinfo.ini, gt/gt.txt, det/det.txt (and img1/ if render).

        Returns the sequence folder. The same config gives byte-identical text files. See
        :func:`.mot_folder.write_folder`.
        """
        return mot_folder.write_folder(self, root, render)
