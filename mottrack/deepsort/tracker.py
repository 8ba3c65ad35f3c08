"""DeepSORT: Kalman + Mahalanobis gating + appearance cascade + IoU stage (Wojke et al., 2017)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..association import iou_cost
from ..association.cascade import cascade_trusted, min_cost_matching
from ..boxes import xyah_to_xyxy, xyxy_to_xyah
from ..embeddings import check_dimension, unit_rows
from ..motion import ConstantVelocityXYAH
from ..registry import register_tracker
from ..tracker import Tracker, check_positive_size
from ..tracks import TrackState, TrackStore
from ..types import Detections, Tracks
from .config import DeepSortConfig
from .gallery import FeatureGallery
from .preprocessing import select_detections

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

    Appearance comes from ``Detections.embeddings`` when present; otherwise from the
    ``embedder`` (or the config's built-in one) applied to ``frame``.

    Parameters
    ----------
    config : DeepSortConfig, optional
    embedder : Embedder or str, optional
        A callable ``(frame, xyxy) -> (N, D)`` features used for detections without
        embeddings (overrides ``config.embedder``), or the name of a built-in one (the same as
        the config field ``embedder``).
    **overrides
        :class:`DeepSortConfig` fields.
    """

    config_class = DeepSortConfig
    config: DeepSortConfig
    requires_embeddings = True

    def __init__(self, config: Any = None, *, embedder: Any = None, **overrides: Any) -> None:
        if isinstance(embedder, str):  # a built-in's name: the config field of that name
            overrides["embedder"] = embedder
            embedder = None
        if embedder is not None and not callable(embedder):
            raise TypeError(
                f"embedder: expected a callable (frame, xyxy) -> (N, D), got {type(embedder)}"
            )
        self._embedder = embedder
        super().__init__(config, **overrides)

    def _reset(self) -> None:
        cfg = self.config
        self._kf = ConstantVelocityXYAH(cfg.std_weight_position, cfg.std_weight_velocity)
        self._tracks = TrackStore(self._kf.ndim)
        self._gallery: FeatureGallery | None = None
        self._key = {name: self._tracks.key(name) for name in self._tracks.columns}

    @property
    def tracks(self) -> TrackStore:
        """The live track table (read it, don't modify it)."""
        return self._tracks

    @property
    def gallery(self) -> FeatureGallery | None:
        """Appearance galleries, rows aligned with :attr:`tracks` (``None`` before any)."""
        return self._gallery

    @property
    def embedder(self) -> Any:
        """The embedder used for detections without embeddings (built on first use)."""
        if self._embedder is None:
            from .embedder import create_embedder

            cfg = self.config
            self._embedder = create_embedder(
                cfg.embedder, weights=cfg.embedder_weights, device=cfg.embedder_device
            )
        return self._embedder

    def _check_inputs(self, dets: Detections | None, frame: NDArray[np.uint8] | None) -> None:
        super()._check_inputs(dets, frame)
        assert dets is not None
        check_positive_size(dets, "DeepSORT", width=False)
        if dets.embeddings is None and frame is None and len(dets):
            raise ValueError(
                "DeepSortTracker.update: detections need appearance features; pass "
                "Detections(..., embeddings=(N, D) array) or the frame to crop them from, "
                "update(detections, frame=image)"
            )
        if dets.embeddings is not None:
            check_dimension(dets.embeddings, self._dim, "detections.embeddings")

    def _features(
        self, dets: Detections, rows: I64, frame: NDArray[np.uint8] | None
    ) -> NDArray[np.float32]:
        # Raised before any track changes (zero norm, wrong size).
        if dets.embeddings is not None:
            return unit_rows(dets.embeddings[rows], np.float32, "detections.embeddings", rows)
        if rows.size == 0:
            return np.zeros((0, self._dim or 0), np.float32)
        emb = np.asarray(self.embedder(frame, dets.xyxy[rows]))
        if emb.ndim != 2 or emb.shape[0] != rows.size or not np.isfinite(emb).all():
            raise ValueError(
                f"embedder: expected finite ({rows.size}, D) features, got shape {emb.shape}"
            )
        check_dimension(emb, self._dim, "embedder")
        return unit_rows(emb, np.float32, "embedder output")

    @property
    def _dim(self) -> int | None:
        """Embedding size fixed by the first frame's features (None before)."""
        return None if self._gallery is None else self._gallery.dim

    def _step(self, detections: Detections | None, frame: NDArray[np.uint8] | None) -> Tracks:
        assert detections is not None
        cfg = self.config
        st, kf, k = self._tracks, self._kf, self._key
        mean_k, cov_k = k["mean"], k["covariance"]

        # 1. Detections to process, in deep_sort's order, with unit-norm features.
        order = select_detections(
            detections, cfg.min_confidence, cfg.min_detection_height, cfg.nms_max_overlap
        )
        feats = self._features(detections, order, frame)
        if self._gallery is None and feats.shape[1]:
            self._gallery = FeatureGallery(feats.shape[1], cfg.nn_budget)
        xyxy = detections.xyxy[order]
        xyah = xyxy_to_xyah(xyxy)

        # 2. Predict every track.
        d = st.data
        if len(d):
            mean, cov = kf.predict(d[:, mean_k], st.covariance)
            d[:, mean_k] = mean
            d[:, cov_k] = cov.reshape(len(d), -1)
            d[:, k["age"]] += 1
            d[:, k["time_since_update"]] += 1
            d[:, k["det_index"]] = -1

        # 3. Match: appearance cascade for confirmed tracks, then IoU for the rest.
        matches, unmatched_dets = self._match(xyxy, xyah, feats)

        # 4. Update matched tracks; record their features.
        tsu = d[:, k["time_since_update"]]
        if matches.size:
            rows = d[matches[:, 0]]
            mean, cov = kf.update(
                rows[:, mean_k], st.column("covariance", rows), xyah[matches[:, 1]]
            )
            rows[:, mean_k] = mean
            rows[:, cov_k] = cov.reshape(len(rows), -1)
            rows[:, k["hits"]] += 1
            rows[:, k["time_since_update"]] = 0
            rows[:, k["det_index"]] = order[matches[:, 1]]
            rows[:, k["score"]] = detections.scores[order[matches[:, 1]]]
            if detections.classes is not None:
                rows[:, k["cls"]] = detections.classes[order[matches[:, 1]]]
            confirm = (rows[:, k["state"]] == TrackState.TENTATIVE) & (
                rows[:, k["hits"]] >= cfg.n_init
            )
            rows[confirm, k["state"]] = _CONFIRMED
            d[matches[:, 0]] = rows
            assert self._gallery is not None
            self._gallery.append(matches[:, 0], feats[matches[:, 1]])

        # 5. Missed tracks: tentative ones die at once, confirmed ones after max_age.
        state = d[:, k["state"]]
        missed = tsu > 0
        alive = ~(missed & ((state == TrackState.TENTATIVE) | (tsu > cfg.max_age)))

        # 6. New tentative tracks, in deep_sort's order of unmatched detections.
        if unmatched_dets.size:
            mean, cov = kf.initiate(xyah[unmatched_dets])
            src = order[unmatched_dets]
            st.add(
                mean,
                cov,
                hits=1,
                age=1,
                det_index=src,
                score=detections.scores[src],
                cls=-1 if detections.classes is None else detections.classes[src],
            )
            assert self._gallery is not None
            self._gallery.add_tracks(feats[unmatched_dets])
            alive = np.concatenate([alive, np.ones(unmatched_dets.size, dtype=bool)])

        st.keep(alive)
        if self._gallery is not None:
            self._gallery.keep(alive)

        # 7. Report confirmed tracks updated this frame or missed for one frame only.
        d = st.data
        out = d[(d[:, k["state"]] == _CONFIRMED) & (d[:, k["time_since_update"]] <= 1)]
        return Tracks.trusted(
            out[:, k["ids"]].astype(np.int64),
            xyah_to_xyxy(out[:, mean_k]),
            out[:, k["score"]],
            out[:, k["det_index"]].astype(np.int64),
            None if detections.classes is None else out[:, k["cls"]].astype(np.int64),
        )

    def _match(
        self, xyxy: NDArray[np.float64], xyah: NDArray[np.float64], feats: NDArray[np.float32]
    ) -> tuple[I64, I64]:
        """deep_sort's ``Tracker._match``: ``(track row, det) pairs`` and unmatched dets."""
        cfg = self.config
        st, k = self._tracks, self._key
        d = st.data
        n_det = xyxy.shape[0]
        state = d[:, k["state"]]
        tsu = d[:, k["time_since_update"]]
        confirmed = np.flatnonzero(state == _CONFIRMED)
        unconfirmed = np.flatnonzero(state != _CONFIRMED)

        # Matching cascade over confirmed tracks on the gated appearance cost.
        cascade_matches = np.zeros((0, 2), np.int64)
        unmatched = np.arange(n_det, dtype=np.int64)
        left = confirmed
        if confirmed.size and n_det:
            assert self._gallery is not None
            rows = d[confirmed]
            maha = self._kf.gating_distance(rows[:, k["mean"]], st.column("covariance", rows), xyah)
            inside = maha <= cfg.gating_threshold
            # Pairs outside the gate cost GATED_COST whatever their appearance distance.
            cost = self._gallery.distance(confirmed, feats, inside).astype(np.float64)
            cost[~inside] = GATED_COST
            res = cascade_trusted(
                cost, cfg.max_cosine_distance, tsu[confirmed], cfg.max_age, np.arange(n_det)
            )
            cascade_matches = res.matches.copy()
            cascade_matches[:, 0] = confirmed[res.matches[:, 0]]
            unmatched = res.unmatched_cols
            left = confirmed[res.unmatched_rows]

        # IoU stage: unconfirmed tracks, then confirmed ones missed for exactly one frame.
        candidates = np.concatenate([unconfirmed, left[tsu[left] == 1]])
        if candidates.size and unmatched.size:
            rows = d[candidates]
            boxes = xyah_to_xyxy(rows[:, k["mean"]])
            cost = iou_cost(boxes, xyxy)
            cost[tsu[candidates] > 1] = GATED_COST
            res = min_cost_matching(cost, cfg.max_iou_distance, cols=unmatched)
            iou_matches = np.stack([candidates[res.matches[:, 0]], res.matches[:, 1]], axis=1)
            cascade_matches = np.concatenate([cascade_matches, iou_matches.reshape(-1, 2)])
            unmatched = res.unmatched_cols
        return cascade_matches, unmatched
