"""SORT: Kalman prediction, IoU association, Hungarian assignment (Bewley et al., 2016)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..boxes import convert, iou_matrix
from ..motion import ConstantVelocityXYSR
from ..registry import register_tracker
from ..tracker import Tracker
from ..tracks import TrackState, TrackStore
from ..types import Detections, Tracks
from .association import associate
from .config import SortConfig

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
        ``max_age``, ``min_hits``, ``iou_threshold``.
    """

    config_class = SortConfig
    config: SortConfig

    def _reset(self) -> None:
        self._kf = ConstantVelocityXYSR()
        self._tracks = TrackStore(self._kf.ndim)

    @property
    def tracks(self) -> TrackStore:
        """The live track table (read it, don't modify it)."""
        return self._tracks

    def _step(self, detections: Detections | None, frame: NDArray[np.uint8] | None) -> Tracks:
        assert detections is not None
        cfg = self.config
        st = self._tracks
        kf = self._kf

        if len(st):
            st.mean, st.covariance = kf.predict(st.mean, st.covariance)
            st.age += 1
            st.hit_streak[st.time_since_update > 0] = 0
            st.time_since_update += 1
            st.det_index[:] = -1
            predicted = convert(st.mean[:, :4], "xysr", "xyxy")
            finite = np.isfinite(predicted).all(axis=1)
            if not finite.all():
                st.keep(finite)
                predicted = predicted[finite]
        else:
            predicted = np.zeros((0, 4))

        det_xyxy = detections.xyxy
        trk_idx, det_idx, new_dets = associate(iou_matrix(predicted, det_xyxy), cfg.iou_threshold)

        if det_idx.size:
            z = convert(det_xyxy[det_idx], "xyxy", "xysr")
            st.mean[trk_idx], st.covariance[trk_idx] = kf.update(
                st.mean[trk_idx], st.covariance[trk_idx], z
            )
            st.hits[trk_idx] += 1
            st.hit_streak[trk_idx] += 1
            st.time_since_update[trk_idx] = 0
            st.det_index[trk_idx] = det_idx
            st.score[trk_idx] = detections.scores[det_idx]
            if detections.classes is not None:
                st.cls[trk_idx] = detections.classes[det_idx]

        if new_dets.size:
            mean, cov = kf.initiate(convert(det_xyxy[new_dets], "xyxy", "xysr"))
            st.add(
                mean,
                cov,
                det_index=new_dets,
                score=detections.scores[new_dets],
                cls=-1 if detections.classes is None else detections.classes[new_dets],
            )

        reported = (st.time_since_update < 1) & (
            (st.hit_streak >= cfg.min_hits) | (self.frame_count <= cfg.min_hits)
        )
        st.state[st.hit_streak >= cfg.min_hits] = TrackState.CONFIRMED
        out = Tracks(
            st.ids[reported],
            convert(st.mean[reported, :4], "xysr", "xyxy"),
            st.score[reported],
            st.det_index[reported],
            None if detections.classes is None else st.cls[reported],
        )
        st.keep(st.time_since_update <= cfg.max_age)
        return out
