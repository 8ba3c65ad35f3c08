"""Run a tracker over a sequence of frames and collect MOTChallenge result rows."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from .io import SeqInfo
from .registry import create_tracker, get_tracker_class
from .tracker import Tracker
from .types import Detections

__all__ = ["TrackingRun", "track_frames", "tracker_for_sequence"]


def tracker_for_sequence(name: str, info: SeqInfo, **params: Any) -> Tracker:
    """``create_tracker(name, **params)`` with what the sequence fixes filled in.

    A tracker whose configuration has ``frame_rate`` (FairMOT: the lost-track lifetime) gets
    seqinfo's ``frameRate`` unless ``params`` sets it.
    """
    fields = get_tracker_class(name).config_class.__dataclass_fields__
    if "frame_rate" in fields and "frame_rate" not in params and info.frame_rate > 0:
        params["frame_rate"] = info.frame_rate
    return create_tracker(name, **params)


@dataclass(frozen=True)
class TrackingRun:
    """Output of :func:`track_frames`.

    Attributes
    ----------
    rows : ndarray, shape (K, 10)
        MOTChallenge rows ``frame, id, x, y, w, h, score, -1, -1, -1`` in frame order.
    num_frames : int
        Frames processed.
    tracker_seconds : float
        Time spent inside ``tracker.update`` only (input reading excluded).
    """

    rows: NDArray[np.float64]
    num_frames: int
    tracker_seconds: float

    @property
    def fps(self) -> float:
        """Tracker-only frames per second."""
        return self.num_frames / self.tracker_seconds if self.tracker_seconds > 0 else float("inf")


def track_frames(
    tracker: Tracker,
    frames: Iterable[tuple[int, Detections] | tuple[int, Detections, NDArray[np.uint8]]],
    progress: bool = False,
    total: int | None = None,
    desc: str = "tracking",
) -> TrackingRun:
    """Reset ``tracker`` and run it over ``(frame_number, Detections)`` pairs.

    Parameters
    ----------
    tracker : Tracker
    frames : iterable of (int, Detections) or (int, Detections, ndarray)
        Consecutive frames, every frame included (an empty ``Detections`` when it has none),
        optionally with the BGR image, which is passed to ``tracker.update(frame=...)`` (for
        trackers that compute appearance features themselves; their time then counts).
    progress : bool, default False
        Show a progress bar.
    total : int, optional
        Number of frames, for the progress bar.
    desc : str
        Progress bar label.

    Returns
    -------
    TrackingRun
    """
    tracker.reset()
    out: list[NDArray[np.float64]] = []
    elapsed = 0.0
    count = 0
    previous = None
    for item in tqdm(frames, total=total, desc=desc, disable=not progress, unit="frame"):
        frame, dets, image = item if len(item) == 3 else (*item, None)
        if previous is not None and frame != previous + 1:
            raise ValueError(
                f"frames: expected consecutive frame numbers, got {frame} after {previous}"
            )
        previous = frame
        start = time.perf_counter()
        tracks = tracker.update(dets, frame=image)
        elapsed += time.perf_counter() - start
        count += 1
        out.append(tracks.to_mot(frame))
    rows = np.concatenate(out) if out else np.zeros((0, 10))
    return TrackingRun(rows, count, elapsed)
