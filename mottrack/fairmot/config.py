"""FairMOT's configuration, with ifzhang/FairMOT's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from .._checks import check_bool, check_fraction, check_int, check_number
from ..motion.cmc import check_cmc

__all__ = ["FairMOTConfig"]


@dataclass(frozen=True)
class FairMOTConfig:
    """Parameters of FairMOT's JDE association (Zhang et al., 2021).

    Parameters
    ----------
    frame_rate : float, default 30
        Frames per second of the sequence (seqinfo's ``frameRate``); scales the lost-track
        lifetime.
    track_buffer : int, default 30
        Lost tracks are kept for ``int(frame_rate / 30 * track_buffer)`` frames.
    det_thresh : float, default 0.4
        Minimum score of a detection that starts a track (FairMOT's ``conf_thres``).
    embedding_thresh : float, default 0.4
        Cost limit of the first (fused appearance + motion) assignment.
    iou_thresh : float, default 0.5
        ``1 - IoU`` limit of the second assignment (tracked tracks left over).
    unconfirmed_iou_thresh : float, default 0.7
        ``1 - IoU`` limit of the assignment of unconfirmed (one-frame) tracks.
    motion_weight : float, default 0.02
        Weight of the squared Mahalanobis distance in the fused cost
        (``lambda = 1 - motion_weight = 0.98`` on the cosine distance).
    gating_threshold : float, default 9.4877
        Squared-Mahalanobis gate of the first assignment (0.95 chi-square, 4 d.o.f.).
    feature_momentum : float, default 0.9
        EMA weight of a track's old embedding (``smooth = 0.9 old + 0.1 new``, renormalised).
    duplicate_iou_distance : float, default 0.15
        A tracked and a lost track closer than this ``1 - IoU`` are duplicates; the shorter
        one is dropped.
    class_aware : bool, default False
        Detections only match tracks of their class (the reported class is the last matched
        detection's); every detection must then carry a class. Off: the original's
        class-blind association.
    cmc : {"ecc", "orb", "flow"} or None, default None
        Camera motion compensation (not in the paper): the frame-to-frame affine is
        estimated from the frames (:class:`~mottrack.motion.cmc.CameraMotion`) and applied
        to every track after the pool's prediction, before association; ``update()`` then
        needs ``frame``.

    Notes
    -----
    The network's settings (checkpoint, input size, device, precision) belong to
    :class:`~mottrack.fairmot.detector.FairMOTDetector`. IoUs use the ``+1`` pixel convention
    of the original's ``cython_bbox``.
    """

    frame_rate: float = 30.0
    track_buffer: int = 30
    det_thresh: float = 0.4
    embedding_thresh: float = 0.4
    iou_thresh: float = 0.5
    unconfirmed_iou_thresh: float = 0.7
    motion_weight: float = 0.02
    gating_threshold: float = 9.4877
    feature_momentum: float = 0.9
    duplicate_iou_distance: float = 0.15
    class_aware: bool = False
    cmc: str | None = None

    def __post_init__(self) -> None:
        own = "FairMOTConfig"
        check_number(own, "frame_rate", self.frame_rate, 1e-6)
        check_int(own, "track_buffer", self.track_buffer, 0)
        check_number(own, "det_thresh", self.det_thresh)
        for name in ("embedding_thresh", "iou_thresh", "unconfirmed_iou_thresh"):
            check_number(own, name, getattr(self, name), 1e-9)
        for name in ("motion_weight", "feature_momentum", "duplicate_iou_distance"):
            check_fraction(own, name, getattr(self, name))
        check_number(own, "gating_threshold", self.gating_threshold, 0.0)
        check_bool(own, "class_aware", self.class_aware)
        check_cmc(own, self.cmc)

    @property
    def max_time_lost(self) -> int:
        """Frames a lost track is kept: ``int(frame_rate / 30 * track_buffer)``."""
        return int(self.frame_rate / 30.0 * self.track_buffer)
