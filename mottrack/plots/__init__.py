"""Pictures of tracking runs (matplotlib, the ``viz`` extra), written as PNG files.

- :func:`plot_metrics`: HOTA / MOTA / IDF1 per sequence and tracker, side by side, from
  ``mottrack eval --json`` files.
- :func:`plot_timeline`: each track's lifetime as a bar; against ground truth, the frames of
  ID switches and fragmentations marked (:mod:`.events`, CLEAR MOT's matching).
- :func:`plot_trajectories`: tracks' paths drawn over a frame.

matplotlib is imported when a plot is drawn (Agg backend, no display needed).
"""

from __future__ import annotations

from .events import TrackEvents, clear_events
from .metrics import plot_metrics
from .timeline import plot_timeline
from .trajectories import plot_trajectories

__all__ = ["TrackEvents", "clear_events", "plot_metrics", "plot_timeline", "plot_trajectories"]
