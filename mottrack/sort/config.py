"""SORT's configuration, with abewley/sort's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from .._checks import check_bool, check_fraction, check_int
from ..motion.cmc import check_cmc

__all__ = ["SortConfig"]


@dataclass(frozen=True)
class SortConfig:
    """Parameters of SORT (Bewley et al., 2016).

    Parameters
    ----------
    max_age : int, default 1
        A track is deleted once it has gone more than ``max_age`` frames without a detection.
    min_hits : int, default 3
        Consecutive hits (after the first detection) before a track is reported; every track
        updated this frame is reported during the first ``min_hits`` frames of a sequence.
    iou_threshold : float, default 0.3
        Minimum IoU between a predicted track box and a detection for a match.
    max_dense_pairs : int or None, default 2**21
        Memory bound of the one case where the reference's solver, not the IoUs, decides the
        output: more detections than tracks and some track without any overlapping
        detection. Which detections the dense ``lapjv`` then pairs at IoU 0 fixes the ID order
        of the tracks born in that frame, so such frames are solved densely, as the reference
        does, up to ``tracks x detections <= max_dense_pairs`` (about 1,450 x 1,450: 16 MiB
        for the matrix, 64 MiB inside lapjv). Above it the lowest-numbered leftover
        detections are taken: the same tracks and boxes, and IDs that can differ from the
        original's by a relabelling. ``None``: always dense (the reference's memory).
    class_aware : bool, default False
        Detections only match tracks of their class (the reported class is the last matched
        detection's); every detection must then carry a class. Off: the original's
        class-blind association.
    cmc : {"ecc", "orb", "flow"} or None, default None
        Camera motion compensation (not in the paper): the frame-to-frame affine is
        estimated from the frames (:class:`~mottrack.motion.cmc.CameraMotion`) and applied
        to the predicted tracks before association; ``update()`` then needs ``frame``.
    """

    max_age: int = 1
    min_hits: int = 3
    iou_threshold: float = 0.3
    max_dense_pairs: int | None = 2**21
    class_aware: bool = False
    cmc: str | None = None

    def __post_init__(self) -> None:
        check_int("SortConfig", "max_age", self.max_age, 0)
        check_int("SortConfig", "min_hits", self.min_hits, 0)
        check_fraction("SortConfig", "iou_threshold", self.iou_threshold)
        if self.max_dense_pairs is not None:
            check_int("SortConfig", "max_dense_pairs", self.max_dense_pairs, 0)
        check_bool("SortConfig", "class_aware", self.class_aware)
        if self.class_aware and self.iou_threshold <= 0:
            raise ValueError(
                "SortConfig.class_aware: expected iou_threshold > 0 (with 0, boxes that do not "
                "overlap match, and class_aware lists overlapping pairs only)"
            )
        check_cmc("SortConfig", self.cmc)
