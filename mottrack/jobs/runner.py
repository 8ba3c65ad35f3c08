"""The per-sequence function every engine runs: one sequence in, its results text out.

:func:`run_sequence` builds the tracker (and the embedder a tracker needing appearance takes)
and feeds it through :func:`mottrack.pipeline.track_frames`, the one feeding function. It
returns the results file's text instead of writing it, so that a task on another machine needs
no access to the output folder; the caller writes it atomically. It never raises: an error is
returned in :attr:`SequenceResult.error`, so one bad sequence does not stop the others.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io import MOTSequence, iter_detections, load_mot_txt, video_frames
from ..io.motfile import results_text
from ..io.seqinfo import SeqInfo
from .discover import SequenceJob

if TYPE_CHECKING:
    from ..tracker import Tracker

__all__ = ["RunSpec", "SequenceResult", "run_sequence"]


@dataclass(frozen=True)
class RunSpec:
    """What to run on every sequence: the tracker, its settings and how it is fed.

    Attributes
    ----------
    tracker : str
        Registry name (``"sort"``, ``"deepsort"``, ``"fairmot"``).
    params : dict of str to Any
        Config overrides (typed, as from :func:`mottrack.registry.parse_params`).
    images : bool
        Read each frame's image and embed the detections' crops (implied for a tracker that
        needs appearance when ``features`` is not given).
    embedder : str
        Crop embedder name for :func:`mottrack.deepsort.embedder.create_embedder`.
    embedder_weights : str, optional
        Checkpoint of the ``cnn`` embedder.
    features : str, optional
        A ``(N, 7 + D)`` ``.npy`` of det rows + embeddings, relative to the sequence folder;
        ``{name}`` is replaced by the sequence name (``det/{name}.deepsort_feat128.npy``).
    min_score : float, optional
        Drop weaker detections.
    """

    tracker: str
    params: dict[str, Any] = field(default_factory=dict)
    images: bool = False
    embedder: str = "histogram"
    embedder_weights: str | None = None
    features: str | None = None
    min_score: float | None = None

    def reads_images(self) -> bool:
        """Whether frames are read: ``images``, or a tracker needing appearance without
        ``features``."""
        from ..registry import get_tracker_class

        needs = get_tracker_class(self.tracker).requires_embeddings
        return self.images or (needs and self.features is None)

    def key(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict (what the manifest compares)."""
        return {
            "tracker": self.tracker,
            "params": {k: self.params[k] for k in sorted(self.params)},
            "images": self.images,
            "embedder": self.embedder,
            "embedder_weights": self.embedder_weights,
            "features": self.features,
            "min_score": self.min_score,
        }


@dataclass(frozen=True)
class SequenceResult:
    """Outcome of :func:`run_sequence`.

    Attributes
    ----------
    name : str
        Sequence name.
    text : str or None
        The results file's content (None after an error).
    num_frames : int
        Frames tracked.
    seconds : float
        Wall time of the whole sequence (reading inputs included).
    error : str or None
        ``"ExceptionType: message"`` when the sequence failed.
    """

    name: str
    text: str | None
    num_frames: int
    seconds: float
    error: str | None = None


def _video_frames(job: SequenceJob, spec: RunSpec, with_images: bool) -> Iterator[tuple]:
    """``(frame, Detections[, image])`` of a video, detections from ``<stem>.det.txt``."""
    det = job.det_path
    if not det.is_file():
        raise FileNotFoundError(f"{job.name}: no detections: expected {det} beside the video")
    rows = load_mot_txt(det, min_cols=7)
    last = int(rows[:, 0].max()) if len(rows) else 0
    dets = iter_detections(rows, max(last, job.num_frames), None, spec.min_score, str(det))
    if not with_images:
        yield from dets
        return
    for (number, image), (_, frame_dets) in zip(video_frames(job.path), dets, strict=False):
        yield number, frame_dets, image


def _feed(job: SequenceJob, spec: RunSpec) -> tuple[Tracker, Iterable, bool]:
    """``(tracker, frames, images)`` for one sequence: ``images`` when the frames carry their
    image (for the embedder)."""
    from ..pipeline import tracker_for_sequence

    images = spec.reads_images()
    if job.kind == "video":
        info = SeqInfo(job.name, job.num_frames, 0.0, 0, 0)
        tracker = tracker_for_sequence(spec.tracker, info, **spec.params)
        return tracker, _video_frames(job, spec, images), images
    features = None if spec.features is None else spec.features.replace("{name}", job.name)
    seq = MOTSequence(job.path, features=features, min_score=spec.min_score)
    tracker = tracker_for_sequence(spec.tracker, seq.info, **spec.params)
    if images and not seq.has_images:
        raise FileNotFoundError(
            f"{job.name}: {spec.tracker} needs appearance features: no images in "
            f"{Path(job.path) / seq.info.im_dir} (give --features PATTERN)"
        )
    frames: Iterable = seq.frames()
    if images:
        frames = ((f, d, seq.read_image(f)) for f, d in seq.frames())
    return tracker, frames, images


def run_sequence(job: SequenceJob, spec: RunSpec) -> SequenceResult:
    """Track one sequence and return its results text; never raises.

    Parameters
    ----------
    job : SequenceJob
    spec : RunSpec

    Returns
    -------
    SequenceResult
        With the text of ``<name>.txt`` (``frame,id,x,y,w,h,score,-1,-1,-1`` rows sorted by
        frame and id), or the error.
    """
    from ..pipeline import Pipeline, track_frames

    start = time.perf_counter()
    try:
        tracker, frames, images = _feed(job, spec)
        embedder = None
        if images:
            from ..deepsort.embedder import create_embedder

            embedder = create_embedder(spec.embedder, weights=spec.embedder_weights)
        run = track_frames(Pipeline(tracker, embedder=embedder), frames)
        text = results_text(run.rows, f"{job.name}: results")
    except Exception as exc:  # reported by name; the other sequences go on
        message = " ".join(str(exc).split()) or "(no message)"
        error = f"{type(exc).__name__}: {message}"
        return SequenceResult(job.name, None, 0, time.perf_counter() - start, error)
    return SequenceResult(job.name, text, run.num_frames, time.perf_counter() - start)
