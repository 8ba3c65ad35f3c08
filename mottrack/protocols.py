"""The input contract: what turns pixels into the ``Detections`` a tracker takes.

- A :class:`Detector` maps a frame to :class:`~mottrack.types.Detections`, with or without
  embeddings (FairMOT's network: :class:`~mottrack.fairmot.detector.FairMOTDetector`; any
  callable ``frame -> Detections`` or ``(N, 5)``/``(N, 6)`` array).
- An :class:`Embedder` maps a frame's boxes to appearance features (DeepSORT's crop CNN
  :class:`~mottrack.deepsort.cnn.CNNEmbedder`, the weight-free
  :class:`~mottrack.deepsort.histogram.HistogramEmbedder`, any callable
  ``(frame, xyxy) -> (N, D)``).

Trackers take ``Detections`` only; :class:`~mottrack.pipeline.Pipeline` composes a detector,
an embedder and a tracker and is the one place that feeds a tracker.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = ["Detector", "Embedder"]


@runtime_checkable
class Detector(Protocol):
    """Anything that detects objects in a frame."""

    def __call__(self, frame: NDArray[np.uint8]) -> Any:
        """Detect in one frame.

        Parameters
        ----------
        frame : ndarray, shape (H, W, 3), uint8
            BGR image (OpenCV order).

        Returns
        -------
        Detections or array_like of shape (N, 5) or (N, 6)
            The frame's detections, optionally with ``embeddings``.
        """
        ...


@runtime_checkable
class Embedder(Protocol):
    """Anything that maps the boxes of a frame to appearance features."""

    def __call__(self, frame: NDArray[np.uint8], xyxy: NDArray[np.float64]) -> Any:
        """Embed the boxes of one frame.

        Parameters
        ----------
        frame : ndarray, shape (H, W, 3), uint8
            BGR image (OpenCV order).
        xyxy : ndarray, shape (N, 4), float64
            Boxes ``[x1, y1, x2, y2]`` in pixels.

        Returns
        -------
        array_like, shape (N, D)
            One finite feature row per box (trackers normalise them).
        """
        ...
