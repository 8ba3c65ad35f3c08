"""DeepSORT: Kalman + Mahalanobis gating + appearance cascade + IoU stage (Wojke et al., 2017)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..association import iou_cost
from ..association.cascade import cascade_trusted, min_cost_matching
from ..embeddings import unit_rows
from ..motion import ConstantVelocityXYAH
from ..registry import register_tracker
from ..tracker import Tracker, check_positive_size
from ..tracks import TrackState, TrackStore
from ..types import Detections, Tracks
from .config import DeepSortConfig
from .gallery import FeatureGallery
from .preprocessing import select_detections
from .unbounded_gallery import UnboundedGallery

__all__ = ["DeepSortTracker"]

I64 = NDArray[np.int64]
#: deep_sort's cost for gated pairs (clipped to the threshold before the assignment anyway).
GATED_COST = 1e5
_CONFIRMED = float(TrackState.CONFIRMED)


@register_tracker("deepsort")
class DeepSortTracker(Tracker):
    """DeepSORT, faithful to nwojke/deep_sort.

    Per frame: detections are filtered and ordered (:func:`~mottrack.deepsort.preprocessing.
    select_detections`); every track is predicted with
    :class:`~mottrack.motion.ConstantVelocityXYAH`; confirmed tracks are matched to detections
    through the matching cascade on the appearance cost (smallest cosine distance to the
    track's gallery) gated by the squared Mahalanobis distance; tentative tracks and confirmed
    tracks missed for exactly one frame are then matched to the remaining detections by IoU.
    Matched tracks are updated and their features added to the gallery; a tentative track is
    confirmed on its ``n_init``-th hit and deleted on its first miss; a confirmed track is
    deleted after ``max_age`` misses; each unmatched detection starts a tentative track.

    Reported: confirmed tracks with ``time_since_update <= 1`` (a track missed this frame is
    reported once more, with its predicted box and ``det_index == -1``), boxes from the Kalman
    state, rows in creation order.

    Appearance comes from ``Detections.embeddings`` (any dimension, fixed per sequence); to
    compute it from frames, feed the tracker through :class:`~mottrack.pipeline.Pipeline`
    with an embedder.

    Parameters
    ----------
    config : DeepSortConfig, optional
    **overrides
        :class:`DeepSortConfig` fields.
    """

    config_class = DeepSortConfig
    config: DeepSortConfig
    requires_embeddings = True

    def _new_store(self) -> TrackStore:
        cfg = self.config
        motion = ConstantVelocityXYAH(cfg.std_weight_position, cfg.std_weight_velocity)
        self._gallery: FeatureGallery | UnboundedGallery = (
            UnboundedGallery() if cfg.nn_budget is None else FeatureGallery(cfg.nn_budget)
        )
        return TrackStore(motion, "xyah", side_tables={"appearance": self._gallery})

    @property
    def gallery(self) -> FeatureGallery | UnboundedGallery:
        """Appearance galleries, rows aligned with :attr:`tracks` (per-track arrays when
        ``nn_budget`` is None, one ring array otherwise)."""
        return self._gallery

    def _check_inputs(self, dets: Detections | None, frame: NDArray[np.uint8] | None) -> None:
        super()._check_inputs(dets, frame)
        assert dets is not None
        check_positive_size(dets, "DeepSORT", width=False)
        if dets.embeddings is not None:
            self.gallery.check(dets.embeddings, "detections.embeddings")

    def _step(self, detections: Detections, frame: NDArray[np.uint8] | None) -> Tracks:
        cfg, tracks = self.config, self._store

        # 1. Detections to process, in deep_sort's order, with unit-norm features.
        order = select_detections(
            detections, cfg.min_confidence, cfg.min_detection_height, cfg.nms_max_overlap
        )
        feats = self._features(detections, order)

        # 2. Predict; match (appearance cascade, then IoU); update matched tracks.
        tracks.advance()
        matches, unmatched = self._match(detections, order, feats)
        rows, cols = matches[:, 0], matches[:, 1]
        tracks.correct(rows, detections, order[cols], appearance=feats[cols])
        hits, state = tracks.hits[rows], tracks.state[rows]
        tracks.assign(
            "state", rows[(state == TrackState.TENTATIVE) & (hits >= cfg.n_init)], _CONFIRMED
        )

        # 3. Missed tracks: tentative ones die at once, confirmed ones after max_age.
        missed = tracks.time_since_update > 0
        old = (tracks.state == TrackState.TENTATIVE) | (tracks.time_since_update > cfg.max_age)
        tracks.mark_deleted(missed & old)
        tracks.purge()

        # 4. New tentative tracks, in deep_sort's order of unmatched detections.
        tracks.spawn(detections, order[unmatched], hits=1, age=1, appearance=feats[unmatched])

        # 5. Report confirmed tracks updated this frame or missed for one frame only.
        reported = (tracks.state == _CONFIRMED) & (tracks.time_since_update <= 1)
        return tracks.emit(reported, classes=detections.classes is not None)

    def _features(self, dets: Detections, order: I64) -> NDArray[np.float32]:
        """Unit-norm float32 features of the detections in ``order`` (deep_sort's dtype)."""
        if dets.embeddings is None:  # a frame without detections
            return np.zeros((0, self.gallery.dim or 0), np.float32)
        return unit_rows(dets.embeddings[order], np.float32, "detections.embeddings", order)

    def _match(
        self, detections: Detections, order: I64, feats: NDArray[np.float32]
    ) -> tuple[I64, I64]:
        """deep_sort's ``Tracker._match`` on the detections in ``order``: ``(track row, index
        into order)`` pairs and the unmatched indices into ``order``."""
        cfg, tracks = self.config, self._store
        xyxy = detections.xyxy[order]
        tsu = tracks.time_since_update
        confirmed = np.flatnonzero(tracks.state == _CONFIRMED)
        unconfirmed = np.flatnonzero(tracks.state != _CONFIRMED)

        # Matching cascade over confirmed tracks on the gated appearance cost.
        matches = np.zeros((0, 2), np.int64)
        unmatched = np.arange(len(xyxy), dtype=np.int64)
        left = confirmed
        if confirmed.size and len(xyxy):
            cost = self._gated_appearance_cost(confirmed, detections, order, feats)
            res = cascade_trusted(
                cost, cfg.max_cosine_distance, tsu[confirmed], cfg.max_age, unmatched
            )
            matches = res.matches.copy()
            matches[:, 0] = confirmed[matches[:, 0]]
            unmatched = res.unmatched_cols
            left = confirmed[res.unmatched_rows]

        # IoU stage: unconfirmed tracks, then confirmed ones missed for exactly one frame.
        candidates = np.concatenate([unconfirmed, left[tsu[left] == 1]])
        if candidates.size and unmatched.size:
            cost = iou_cost(tracks.boxes(candidates), xyxy)
            cost[tsu[candidates] > 1] = GATED_COST
            res = min_cost_matching(cost, cfg.max_iou_distance, cols=unmatched)
            iou_matches = res.matches.copy()
            iou_matches[:, 0] = candidates[iou_matches[:, 0]]
            matches = np.concatenate([matches, iou_matches])
            unmatched = res.unmatched_cols
        return matches, unmatched

    def _gated_appearance_cost(
        self, rows: I64, detections: Detections, order: I64, feats: NDArray[np.float32]
    ) -> NDArray[np.float64]:
        """Gallery cosine distance of ``rows`` to the detections in ``order``; ``GATED_COST``
        outside the Mahalanobis gate, shape (T, len(order)).

        Only the pairs inside the gate are scored (:meth:`~mottrack.tracks.TrackStore.gate`
        finds them without the dense distance matrix).
        """
        track, det, _ = self._store.gate(rows, detections, self.config.gating_threshold)
        position = np.full(len(detections), -1, np.int64)
        position[order] = np.arange(order.size)
        col = position[det]
        keep = col >= 0  # pairs with a detection deep_sort's preprocessing kept
        track, col = track[keep], col[keep]
        cost = np.full((rows.size, order.size), GATED_COST)
        cost[track, col] = self.gallery.pair_distance(rows, track, col, feats)
        return cost
