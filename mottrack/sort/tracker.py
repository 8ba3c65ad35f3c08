"""SORT: Kalman prediction, IoU association, Hungarian assignment (Bewley et al., 2016)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..motion import ConstantVelocityXYSR
from ..registry import register_tracker
from ..tracker import Tracker, check_positive_size
from ..tracks import TrackStore
from ..types import Detections, Tracks
from .association import associate
from .config import SortConfig
from .kernels import report_and_expire

__all__ = ["SortTracker"]


@register_tracker("sort")
class SortTracker(Tracker):
    """Simple Online and Realtime Tracking, faithful to abewley/sort.

    Per frame: every track is predicted with :class:`~mottrack.motion.ConstantVelocityXYSR`
    (SORT's area-velocity clamp included) and tracks whose prediction is not finite are
    removed; tracks and detections are associated by IoU (:func:`~mottrack.sort.association.
    associate`); matched tracks are updated; each unmatched detection starts a track; tracks
    updated this frame are reported once ``hit_streak >= min_hits`` (or during the first
    ``min_hits`` frames); tracks missed for more than ``max_age`` frames are deleted.

    Reported boxes are the Kalman posterior, as in the reference. Rows are in creation order.

    Parameters
    ----------
    config : SortConfig, optional
    **overrides
        ``max_age``, ``min_hits``, ``iou_threshold``, ``max_dense_pairs``, ``cmc``.
    """

    config_class = SortConfig
    config: SortConfig

    def _new_store(self) -> TrackStore:
        return TrackStore(ConstantVelocityXYSR(), "xysr")

    def _check_inputs(self, dets: Detections | None, frame: NDArray[np.uint8] | None) -> None:
        super()._check_inputs(dets, frame)
        assert dets is not None
        check_positive_size(dets, "SORT")

    def _step(self, detections: Detections, frame: NDArray[np.uint8] | None) -> Tracks:
        cfg, tracks = self.config, self._store
        # 1. Predict every track; drop those whose predicted box is not finite.
        tracks.advance()
        self._compensate(frame)  # camera motion (config.cmc), off by default
        predicted = tracks.boxes()
        finite = np.isfinite(predicted.sum(axis=1))
        if not finite.all():
            tracks.mark_deleted(~finite)
            tracks.purge()
            predicted = predicted[finite]

        # 2. Associate by IoU; update matched tracks; each unmatched detection starts one.
        classes = None
        if cfg.class_aware and detections.classes is not None:
            classes = (tracks.cls, detections.classes)
        rows, dets, new = associate(
            predicted, detections.xyxy, cfg.iou_threshold, cfg.max_dense_pairs, classes
        )
        tracks.correct(rows, detections, dets)
        tracks.spawn(detections, new)

        # 3. Report updated tracks with a long enough hit streak; delete stale ones.
        classes = detections.classes is not None
        warmup = self.frame_count <= cfg.min_hits
        ids, xyxy, scores, det_index, cls = tracks.apply_rule(
            report_and_expire, cfg.min_hits, cfg.max_age, warmup, classes
        )
        tracks.purge()
        return Tracks.trusted(ids, xyxy, scores, det_index, cls if classes else None)
