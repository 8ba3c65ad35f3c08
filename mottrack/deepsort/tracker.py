"""DeepSORT: Kalman + Mahalanobis gating + appearance cascade + IoU stage (Wojke et al., 2017)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..association.cascade import ListedCost, cascade_listed, solve_listed
from ..association.costs import iou_pairs
from ..compiled.layout import CONFIRMED
from ..embeddings import unit_rows
from ..motion import ConstantVelocityXYAH
from ..registry import register_tracker
from ..tracker import Tracker, check_positive_size
from ..tracks import TrackStore
from ..types import Detections, Tracks
from .config import DeepSortConfig
from .gallery import FeatureGallery
from .kernels import confirm_report_expire
from .preprocessing import select_detections
from .unbounded_gallery import UnboundedGallery

__all__ = ["DeepSortTracker"]

I64 = NDArray[np.int64]


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
        self._compensate(frame)  # camera motion (config.cmc), off by default
        matches, unmatched = self._match(detections, order, feats)
        rows, cols = matches[:, 0], matches[:, 1]
        tracks.correct(rows, detections, order[cols], appearance=feats[cols])

        # 3. Confirm tracks with n_init hits; report confirmed tracks updated this frame or
        #    missed for one frame only; missed tracks die (tentative ones at once, confirmed
        #    ones after max_age). Tracks born below are tentative, never reported yet.
        classes = detections.classes is not None
        ids, xyxy, scores, det_index, cls = tracks.apply_rule(
            confirm_report_expire, cfg.n_init, cfg.max_age, classes
        )
        tracks.purge()

        # 4. New tentative tracks, in deep_sort's order of unmatched detections.
        tracks.spawn(detections, order[unmatched], hits=1, age=1, appearance=feats[unmatched])
        return Tracks.trusted(ids, xyxy, scores, det_index, cls if classes else None)

    def _features(self, dets: Detections, order: I64) -> NDArray[np.float32]:
        """Unit-norm float32 features of the detections in ``order`` (deep_sort's dtype)."""
        if dets.embeddings is None:  # a frame without detections
            return np.zeros((0, self.gallery.dim or 0), np.float32)
        return unit_rows(dets.embeddings[order], np.float32, "detections.embeddings", order)

    def _match(
        self, detections: Detections, order: I64, feats: NDArray[np.float32]
    ) -> tuple[I64, I64]:
        """deep_sort's ``Tracker._match`` on the detections in ``order``: ``(track row, index
        into order)`` pairs and the unmatched indices into ``order``.

        Both stages list only the pairs that can match (inside the Mahalanobis gate; boxes
        that overlap) and fill in the rest, which deep_sort clips to one value anyway.
        """
        cfg, tracks = self.config, self._store
        tsu = tracks.time_since_update
        confirmed = np.flatnonzero(tracks.state == CONFIRMED)
        unconfirmed = np.flatnonzero(tracks.state != CONFIRMED)

        # Matching cascade over confirmed tracks on the gated appearance cost.
        matches = np.zeros((0, 2), np.int64)
        unmatched = np.arange(order.size, dtype=np.int64)
        left = confirmed
        if confirmed.size and order.size:
            cost = self._gated_appearance_cost(confirmed, detections, order, feats)
            res = cascade_listed(
                cost,
                cfg.max_cosine_distance,
                tsu[confirmed],
                cfg.max_age,
                unmatched,
                cfg.max_dense_pairs,
            )
            matches = res.matches.copy()
            matches[:, 0] = confirmed[matches[:, 0]]
            unmatched = res.unmatched_cols
            left = confirmed[res.unmatched_rows]

        # IoU stage: unconfirmed tracks, then confirmed ones missed for exactly one frame.
        candidates = np.concatenate([unconfirmed, left[tsu[left] == 1]])
        if candidates.size and unmatched.size:
            cost = self._iou_cost(candidates, detections, order, unmatched)
            rows, cols, unmatched = solve_listed(
                cost,
                cfg.max_iou_distance,
                np.arange(candidates.size),
                unmatched,
                cfg.max_dense_pairs,
            )
            matches = np.concatenate([matches, np.column_stack([candidates[rows], cols])])
        return matches, unmatched

    def _gated_appearance_cost(
        self, rows: I64, detections: Detections, order: I64, feats: NDArray[np.float32]
    ) -> ListedCost:
        """Gallery cosine distance of ``rows`` to the detections in ``order`` at the pairs
        inside the Mahalanobis gate (deep_sort gives the others 1e5, above any
        threshold), found without the dense distance matrix
        (:meth:`~mottrack.tracks.TrackStore.gate`)."""
        track, det, _ = self._store.gate(rows, detections, self.config.gating_threshold)
        position = np.full(len(detections), -1, np.int64)
        position[order] = np.arange(order.size)
        col = position[det]
        keep = col >= 0  # pairs with a detection deep_sort's preprocessing kept
        if self.config.class_aware:
            keep &= self._store.same_class(rows[track], detections, det)
        track, col = track[keep], col[keep]
        cost = self.gallery.pair_distance(rows, track, col, feats).astype(np.float64)
        return ListedCost(track, col, cost, (rows.size, order.size))

    def _iou_cost(self, rows: I64, detections: Detections, order: I64, cols: I64) -> ListedCost:
        """``1 - IoU`` of track ``rows`` against the detections ``order[cols]``, listed where
        the boxes overlap (columns: positions in ``order``); tracks missed for more than a
        frame are gated (nothing listed), and so are other classes' pairs with
        ``class_aware``."""
        tracks, cfg = self._store, self.config
        xyxy = detections.xyxy[order]
        # Disjoint boxes (cost 1) can match when the threshold reaches 1: then every pair.
        every = cfg.max_iou_distance >= 1.0
        i, j, iou = iou_pairs(tracks.boxes(rows), xyxy[cols], 0.0, every)
        live = tracks.time_since_update[rows[i]] <= 1
        if cfg.class_aware:
            live &= tracks.same_class(rows[i], detections, order[cols[j]])
        shape = (rows.size, order.size)
        return ListedCost(i[live], cols[j[live]], 1.0 - iou[live], shape)
