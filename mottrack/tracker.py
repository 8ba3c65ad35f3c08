"""The ``Tracker`` base class: the one per-frame interface every tracker implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .motion.cmc import CameraMotion
from .tracks import TrackStore
from .types import Detections, DetectionsLike, Tracks, as_detections, compiled_validation

__all__ = ["Tracker", "check_frame", "check_positive_size"]


def check_frame(frame: Any) -> NDArray[np.uint8]:
    """Validate a video frame: ``(H, W, 3)`` uint8 BGR with ``H, W >= 1``.

    Raises
    ------
    ValueError
        Naming ``frame``, the expected form and what was received.
    """
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"frame: expected an (H, W, 3) uint8 ndarray, got {type(frame).__name__}")
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape[0] < 1 or frame.shape[1] < 1:
        raise ValueError(f"frame: expected shape (H, W, 3) with H, W >= 1, got {frame.shape}")
    if frame.dtype != np.uint8:
        raise ValueError(f"frame: expected dtype uint8 (BGR image), got {frame.dtype}")
    return frame


def check_positive_size(dets: Detections, tracker: str, width: bool = True) -> None:
    """Raise ``ValueError`` unless every box has a positive height (and width, if asked).

    The Kalman states of all three trackers hold the aspect ratio ``w / h``; SORT's also holds
    the area, so it needs a positive width too.
    """
    if not len(dets):
        return
    i = compiled_validation().first_nonpositive_box(dets.xyxy, width)
    if i >= 0:
        need = "positive width and height" if width else "positive height"
        raise ValueError(
            f"detections: {tracker} needs boxes with {need} (its state holds the aspect ratio "
            f"w / h); row {i} is {dets.xyxy[i].tolist()}"
        )


class Tracker(ABC):
    """Base class of all trackers: the per-frame contract, input checks and atomic updates.

    A subclass is a *policy*: it sets :attr:`name` (through
    :func:`~mottrack.registry.register_tracker`), :attr:`config_class` (a frozen dataclass of
    association settings with the paper's defaults) and what it needs
    (:attr:`requires_embeddings`, :attr:`requires_frame`), builds its
    :class:`~mottrack.tracks.TrackStore` in :meth:`_new_store` and writes one frame of its
    paper's algorithm in :meth:`_step` with the store's lifecycle steps.

    Detections come from the caller; producing them from pixels (a detector network, a crop
    embedder) is :class:`~mottrack.pipeline.Pipeline`'s job.

    Parameters
    ----------
    config : dataclass instance, optional
        The tracker's configuration; built from ``overrides`` when omitted.
    **overrides
        Field values for ``config_class`` (unknown names raise ``TypeError``).
    """

    name: ClassVar[str] = ""
    config_class: ClassVar[type]
    #: ``update()`` needs ``frame`` (the policy itself reads pixels, e.g. camera motion; true
    #: on an instance whose config sets ``cmc``).
    requires_frame: bool = False
    #: ``update()`` needs detections with ``embeddings`` (appearance features).
    requires_embeddings: ClassVar[bool] = False

    def __init__(self, config: Any = None, **overrides: Any) -> None:
        if config is None:
            config = make_config(self.config_class, overrides)
        elif overrides:
            raise TypeError("pass either config or keyword overrides, not both")
        elif not isinstance(config, self.config_class):
            raise TypeError(
                f"config: expected {self.config_class.__name__}, got {type(config).__name__}"
            )
        self.config = config
        self.frame_count = 0
        self._store = self._new_store()
        self._cmc = _camera_motion(config)
        if self._cmc is not None:
            self.requires_frame = True

    @property
    def tracks(self) -> TrackStore:
        """The live track table (read it; the tracker alone changes it)."""
        return self._store

    def update(self, detections: DetectionsLike | None = None, frame: Any = None) -> Tracks:
        """Advance the tracker by one frame.

        Parameters
        ----------
        detections : Detections or array_like of shape (N, 5) or (N, 6)
            This frame's detections (``[x1, y1, x2, y2, score(, class)]`` rows for arrays),
            with ``embeddings`` for trackers that need them. Pass an empty ``Detections`` (or
            ``np.empty((0, 5))``) for a frame without any.
        frame : ndarray, shape (H, W, 3), uint8, optional
            The BGR image, for trackers that declare :attr:`requires_frame`.

        Returns
        -------
        Tracks
            The tracks reported for this frame.

        Raises
        ------
        ValueError
            For a missing or malformed input, saying what to pass. A failed update (whatever
            raised) leaves the tracker exactly as it was before the call.
        """
        dets = None if detections is None else as_detections(detections)
        if frame is not None:
            frame = check_frame(frame)
        self._check_inputs(dets, frame)
        assert dets is not None
        token = self._store.snapshot()
        camera = None if self._cmc is None else self._cmc.snapshot()
        self.frame_count += 1
        try:
            return self._step(dets, frame)
        except BaseException:
            self.frame_count -= 1
            self._store.restore(token)
            if self._cmc is not None:
                self._cmc.restore(camera)
            raise

    def _check_inputs(self, dets: Detections | None, frame: NDArray[np.uint8] | None) -> None:
        """Raise ``ValueError`` saying what to pass when a required input is missing."""
        own = f"{type(self).__name__}.update"
        if dets is None:
            raise ValueError(
                f"{own}: detections are required; pass update(Detections(xyxy, scores)) or an "
                "(N, 5) [x1, y1, x2, y2, score] array (an empty one for a frame without "
                "detections); to detect in frames, use mottrack.Pipeline(tracker, detector=...)"
            )
        if self.requires_embeddings and dets.embeddings is None and len(dets):
            raise ValueError(
                f"{own}: detections need appearance features; pass Detections(..., "
                "embeddings=(N, D) array), or compute them from frames with "
                "mottrack.Pipeline(tracker, embedder=...)"
            )
        if getattr(self.config, "class_aware", False) and dets.classes is None and len(dets):
            raise ValueError(
                f"{own}: class_aware=True needs a class for every detection; pass "
                "Detections(..., classes=(N,) array) or (N, 6) [x1, y1, x2, y2, score, class] rows"
            )
        if self.requires_frame and frame is None:
            cmc = self._cmc
            why = "the tracker" if cmc is None else f"camera motion (cmc={cmc.method!r})"
            raise ValueError(f"{own}: {why} reads pixels; pass update(detections, frame=image)")

    def reset(self) -> None:
        """Forget every track and start a new sequence (IDs restart at 1)."""
        self.frame_count = 0
        self._store.reset()
        if self._cmc is not None:
            self._cmc.reset()

    def _compensate(self, frame: NDArray[np.uint8] | None) -> None:
        """Camera motion compensation, where the config sets ``cmc``: estimate the affine
        from ``frame`` and :meth:`~mottrack.tracks.TrackStore.warp` every row's state.
        Policies call it right after prediction."""
        if self._cmc is not None:
            assert frame is not None
            self._store.warp(self._cmc.estimate(frame))

    @abstractmethod
    def _new_store(self) -> TrackStore:
        """The policy's track store: motion model, box format, columns, side tables."""

    @abstractmethod
    def _step(self, detections: Detections, frame: NDArray[np.uint8] | None) -> Tracks:
        """One frame of the policy on validated inputs (``frame_count`` already advanced)."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in asdict(self.config).items())
        return f"{type(self).__name__}({params})"


def _camera_motion(config: Any) -> CameraMotion | None:
    """The estimator ``config.cmc`` names (``None``: no camera motion compensation)."""
    method = getattr(config, "cmc", None)
    return None if method is None else CameraMotion(method)


def make_config(config_class: type, overrides: dict[str, Any]) -> Any:
    """Build ``config_class(**overrides)``, rejecting unknown names with the valid ones listed."""
    valid = set(config_class.__dataclass_fields__)
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise TypeError(
            f"{config_class.__name__}: unknown parameter(s) {unknown}; valid: {sorted(valid)}"
        )
    return config_class(**overrides)
