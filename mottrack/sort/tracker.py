"""SORT: Kalman prediction, IoU association, Hungarian assignment (Bewley et al., 2016)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..boxes import iou_matrix, xysr_to_xyxy, xyxy_to_xysr
from ..motion import ConstantVelocityXYSR
from ..registry import register_tracker
from ..tracker import Tracker, check_positive_size
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
        self._key = {name: self._tracks.key(name) for name in self._tracks.columns}

    @property
    def tracks(self) -> TrackStore:
        """The live track table (read it, don't modify it)."""
        return self._tracks

    def _check_inputs(self, dets: Detections | None, frame: NDArray[np.uint8] | None) -> None:
        super()._check_inputs(dets, frame)
        assert dets is not None
        check_positive_size(dets, "SORT")

    def _step(self, detections: Detections | None, frame: NDArray[np.uint8] | None) -> Tracks:
        assert detections is not None
        cfg = self.config
        st = self._tracks
        kf = self._kf
        k = self._key
        mean_k, cov_k = k["mean"], k["covariance"]
        with np.errstate(invalid="ignore", divide="ignore"):
            # 1. Predict every track; drop those whose predicted box is not finite.
            if len(st):
                d = st.data
                mean, cov = kf.predict(d[:, mean_k], st.covariance)
                d[:, mean_k] = mean
                d[:, cov_k] = cov.reshape(len(d), -1)
                d[:, k["age"]] += 1
                d[:, k["hit_streak"]] *= d[:, k["time_since_update"]] == 0
                d[:, k["time_since_update"]] += 1
                d[:, k["det_index"]] = -1
                predicted = xysr_to_xyxy(mean)
                finite = np.isfinite(predicted).all(axis=1)
                if not finite.all():
                    st.keep(finite)
                    predicted = predicted[finite]
            else:
                predicted = np.zeros((0, 4))

            # 2. Associate by IoU, as the reference does.
            det_xyxy = detections.xyxy
            scores = detections.scores
            trk_idx, det_idx, new_dets = associate(
                iou_matrix(predicted, det_xyxy), cfg.iou_threshold
            )

            # 3. Update matched tracks (gather their rows, update, scatter back).
            if det_idx.size:
                rows = st.data[trk_idx]
                mean, cov = kf.update(
                    rows[:, mean_k],
                    st.column("covariance", rows),
                    xyxy_to_xysr(det_xyxy[det_idx]),
                )
                rows[:, mean_k] = mean
                rows[:, cov_k] = cov.reshape(len(rows), -1)
                rows[:, k["hits"]] += 1
                rows[:, k["hit_streak"]] += 1
                rows[:, k["time_since_update"]] = 0
                rows[:, k["det_index"]] = det_idx
                rows[:, k["score"]] = scores[det_idx]
                if detections.classes is not None:
                    rows[:, k["cls"]] = detections.classes[det_idx]
                st.data[trk_idx] = rows

            # 4. Every unmatched detection starts a track, in the reference's order.
            if new_dets.size:
                mean, cov = kf.initiate(xyxy_to_xysr(det_xyxy[new_dets]))
                st.add(
                    mean,
                    cov,
                    det_index=new_dets,
                    score=scores[new_dets],
                    cls=-1 if detections.classes is None else detections.classes[new_dets],
                )

            # 5. Report updated tracks with a long enough hit streak; delete stale ones.
            d = st.data
            hit_streak = d[:, k["hit_streak"]]
            d[hit_streak >= cfg.min_hits, k["state"]] = TrackState.CONFIRMED
            reported = d[:, k["time_since_update"]] < 1
            if self.frame_count > cfg.min_hits:
                reported &= hit_streak >= cfg.min_hits
            out = d[reported]
            tracks = Tracks.trusted(
                out[:, k["ids"]].astype(np.int64),
                xysr_to_xyxy(out[:, mean_k]),
                out[:, k["score"]],
                out[:, k["det_index"]].astype(np.int64),
                None if detections.classes is None else out[:, k["cls"]].astype(np.int64),
            )
            st.keep(d[:, k["time_since_update"]] <= cfg.max_age)
        return tracks
