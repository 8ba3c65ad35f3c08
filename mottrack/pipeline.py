"""Feeding a tracker: a detector, an embedder and a tracker composed into one per-frame step.

:class:`Pipeline` is the only place where frames become the ``Detections`` a tracker takes: the
CLI, the demo and the benchmarks all go through it (:func:`track_frames` runs one over a
sequence). A tracker declares what it needs (``requires_embeddings``, ``requires_frame``); the
pipeline supplies it from its detector and embedder, or says what is missing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from .io import SeqInfo
from .protocols import Detector, Embedder
from .registry import create_tracker, get_tracker_class
from .tracker import Tracker, check_frame
from .types import Detections, DetectionsLike, Tracks, as_detections

__all__ = ["Pipeline", "TrackingRun", "track_frames", "tracker_for_sequence"]

#: Names of the stages :attr:`Pipeline.seconds` times.
STAGES = ("detect", "embed", "track")


class Pipeline:
    """Detector + embedder + tracker: one frame in, the tracker's ``Tracks`` out.

    Per frame: detections are the ones given, or the ``detector``'s on the frame; when the
    tracker needs embeddings and the detections carry none, the ``embedder`` computes them
    from the frame's crops; then the tracker is updated (with the frame only if it declares
    :attr:`~mottrack.tracker.Tracker.requires_frame`).

    Parameters
    ----------
    tracker : Tracker
    detector : Detector, optional
        ``frame -> Detections`` (or an ``(N, 5)``/``(N, 6)`` array); needed for frames given
        without detections.
    embedder : Embedder, optional
        ``(frame, xyxy) -> (N, D)`` features; needed when the tracker requires embeddings and
        the detections carry none.

    Attributes
    ----------
    seconds : dict of str to float
        Time spent in each stage (``"detect"``, ``"embed"``, ``"track"``) since the last
        :meth:`reset`.
    """

    def __init__(
        self,
        tracker: Tracker,
        detector: Detector | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        if not isinstance(tracker, Tracker):
            raise TypeError(f"tracker: expected a Tracker, got {type(tracker).__name__}")
        for name, value, form in (
            ("detector", detector, "frame -> Detections"),
            ("embedder", embedder, "(frame, xyxy) -> (N, D) features"),
        ):
            if value is not None and not callable(value):
                raise TypeError(f"{name}: expected a callable {form}, got {type(value).__name__}")
        self.tracker = tracker
        self.detector = detector
        self.embedder = embedder
        self.seconds = dict.fromkeys(STAGES, 0.0)

    @property
    def needs_frames(self) -> bool:
        """Whether :meth:`update` needs the image (detector, embedder or tracker reads it)."""
        t = self.tracker
        return (
            self.detector is not None
            or t.requires_frame
            or (t.requires_embeddings and self.embedder is not None)
        )

    def reset(self) -> None:
        """Start a new sequence: reset the tracker and the stage timers."""
        self.tracker.reset()
        self.seconds = dict.fromkeys(STAGES, 0.0)

    def update(
        self, frame: NDArray[np.uint8] | None = None, detections: DetectionsLike | None = None
    ) -> Tracks:
        """Run one frame through the detector, the embedder and the tracker.

        Parameters
        ----------
        frame : ndarray, shape (H, W, 3), uint8, optional
            The BGR image (needed by a detector, an embedder or a tracker that reads pixels).
        detections : Detections or array_like, optional
            This frame's detections; without them the detector runs on ``frame``.

        Returns
        -------
        Tracks
        """
        if frame is not None:
            frame = check_frame(frame)
        start = time.perf_counter()
        dets = self._detect(frame) if detections is None else as_detections(detections)
        embedded = time.perf_counter()
        dets = self._embed(frame, dets)
        tracked = time.perf_counter()
        tracks = self.tracker.update(dets, frame=frame if self.tracker.requires_frame else None)
        end = time.perf_counter()
        self.seconds["detect"] += embedded - start
        self.seconds["embed"] += tracked - embedded
        self.seconds["track"] += end - tracked
        return tracks

    def _detect(self, frame: NDArray[np.uint8] | None) -> Detections:
        if self.detector is None:
            raise ValueError(
                "Pipeline.update: pass detections=..., or build the pipeline with a detector "
                "(Pipeline(tracker, detector=...)) to detect in frames"
            )
        if frame is None:
            raise ValueError("Pipeline.update: the detector needs the frame; pass frame=image")
        out = self.detector(frame)
        try:
            return as_detections(out)
        except ValueError as exc:
            raise ValueError(f"detector output: {exc}") from None

    def _embed(self, frame: NDArray[np.uint8] | None, dets: Detections) -> Detections:
        if not self.tracker.requires_embeddings or dets.embeddings is not None or not len(dets):
            return dets
        name = type(self.tracker).__name__
        if self.embedder is None:
            raise ValueError(
                f"{name} needs appearance features: pass Detections(..., embeddings=(N, D) "
                "array), or build the pipeline with an embedder (Pipeline(tracker, embedder=...))"
            )
        if frame is None:
            raise ValueError("Pipeline.update: the embedder needs the frame; pass frame=image")
        emb = np.asarray(self.embedder(frame, dets.xyxy))
        if emb.ndim != 2 or emb.shape[0] != len(dets) or emb.dtype.kind != "f":
            raise ValueError(
                f"embedder: expected ({len(dets)}, D) float features, got shape {emb.shape} "
                f"dtype {emb.dtype}"
            )
        try:
            return dataclasses.replace(dets, embeddings=emb)
        except ValueError as exc:
            raise ValueError(f"embedder output: {exc}") from None


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
    seconds : dict of str to float
        Time per pipeline stage (``"detect"``, ``"embed"``, ``"track"``); reading inputs is
        not counted.
    interrupted : bool
        Ctrl-C stopped the run (``keep_on_interrupt=True``): ``rows`` and ``num_frames`` are
        those of the frames tracked before it.
    """

    rows: NDArray[np.float64]
    num_frames: int
    seconds: dict[str, float]
    interrupted: bool = False

    @property
    def tracker_seconds(self) -> float:
        """Time in the tracker, computing appearance features included (detection excluded)."""
        return self.seconds["embed"] + self.seconds["track"]

    @property
    def fps(self) -> float:
        """Frames per second of :attr:`tracker_seconds`."""
        return self.num_frames / self.tracker_seconds if self.tracker_seconds > 0 else float("inf")

    @property
    def total_fps(self) -> float:
        """Frames per second of all stages, detection included."""
        total = sum(self.seconds.values())
        return self.num_frames / total if total > 0 else float("inf")


Frame = tuple[int, Detections | None] | tuple[int, Detections | None, NDArray[np.uint8] | None]


def track_frames(
    pipeline: Pipeline | Tracker,
    frames: Iterable[Frame],
    progress: bool = False,
    total: int | None = None,
    desc: str = "tracking",
    on_frame: Callable[[int, NDArray[np.uint8] | None, Tracks], object] | None = None,
    keep_on_interrupt: bool = False,
) -> TrackingRun:
    """Reset ``pipeline`` and run it over ``(frame_number, detections[, image])`` items.

    Parameters
    ----------
    pipeline : Pipeline or Tracker
        A bare tracker is fed through ``Pipeline(tracker)``.
    frames : iterable of (int, Detections or None) or (int, Detections or None, ndarray)
        Consecutive frames, every frame included (an empty ``Detections`` when it has none;
        ``None`` to let the pipeline's detector find them), optionally with the BGR image.
    progress : bool, default False
        Show a progress bar.
    total : int, optional
        Number of frames, for the progress bar.
    desc : str
        Progress bar label.
    on_frame : callable, optional
        Called as ``on_frame(frame_number, image, tracks)`` after each frame (``image`` is
        None for frames given without one): drawing, writing a video, showing a window.
    keep_on_interrupt : bool, default False
        On Ctrl-C (``KeyboardInterrupt`` from the frames, the pipeline or ``on_frame``), return
        what was tracked so far with ``interrupted=True`` instead of raising. A frame counts
        once its tracks are computed (the tracker rolls back a frame it was interrupted in).

    Returns
    -------
    TrackingRun
    """
    if isinstance(pipeline, Tracker):
        pipeline = Pipeline(pipeline)
    pipeline.reset()
    out: list[NDArray[np.float64]] = []
    previous = None
    interrupted = False
    try:
        for item in tqdm(frames, total=total, desc=desc, disable=not progress, unit="frame"):
            number, dets, image = item if len(item) == 3 else (*item, None)
            if previous is not None and number != previous + 1:
                raise ValueError(
                    f"frames: expected consecutive frame numbers, got {number} after {previous}"
                )
            previous = number
            tracks = pipeline.update(image, dets)
            out.append(tracks.to_mot(number))
            if on_frame is not None:
                on_frame(number, image, tracks)
    except KeyboardInterrupt:
        if not keep_on_interrupt:
            raise
        interrupted = True
    rows = np.concatenate(out) if out else np.zeros((0, 10))
    return TrackingRun(rows, len(out), dict(pipeline.seconds), interrupted)
