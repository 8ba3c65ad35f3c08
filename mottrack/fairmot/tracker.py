"""FairMOT's online association (JDE's ``JDETracker.update``), on the shared layers; no torch.

Tracks live in one :class:`~mottrack.tracks.TrackStore`. FairMOT keeps two ordered lists, the
tracked tracks and the lost tracks, and their order decides assignment tie-breaking and which
new track gets which ID. Each row therefore holds an ``order`` key: a track appended to either
list gets the next key, so sorting a list's rows by key gives the list.

States: TENTATIVE = tracked but not yet activated (FairMOT's unconfirmed, one-frame tracks);
CONFIRMED = tracked and activated; LOST = lost.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.distance import cdist

from ..association import linear_assignment
from ..boxes import iou_matrix, xyah_to_xyxy, xyxy_to_xyah
from ..embeddings import check_dimension, unit_rows
from ..motion import ConstantVelocityXYAH
from ..registry import register_tracker
from ..tracker import Tracker, check_positive_size
from ..tracks import TrackState, TrackStore
from ..types import Detections, Tracks
from .config import FairMOTConfig

__all__ = ["FairMOTTracker"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
_TENTATIVE, _CONFIRMED, _LOST = (
    float(s) for s in (TrackState.TENTATIVE, TrackState.CONFIRMED, TrackState.LOST)
)
_EXTRA = ("start_frame", "last_frame", "order", "removed")


@register_tracker("fairmot")
class FairMOTTracker(Tracker):
    """FairMOT's tracker, faithful to ifzhang/FairMOT's ``JDETracker.update``.

    Per frame, after detection:

    1. The pool (activated tracked tracks, then lost tracks) is Kalman-predicted (lost tracks
       with their height velocity zeroed first). Cost: cosine distance between each track's
       smoothed embedding and each detection's, ``inf`` outside the Mahalanobis gate, fused as
       ``0.98 cosine + 0.02 Mahalanobis``; assigned with ``lap.lapjv(cost_limit=0.4)``
       (:func:`~mottrack.association.linear_assignment` method ``"limit"``). Matched lost
       tracks are re-activated with their ID.
    2. Remaining tracked (not lost) pool tracks vs remaining detections by ``1 - IoU``, limit
       0.5; tracked tracks still unmatched become lost.
    3. Unconfirmed tracks (not predicted) vs remaining detections, ``1 - IoU`` limit 0.7;
       unmatched unconfirmed tracks are removed.
    4. Each leftover detection scoring ``>= det_thresh`` starts a track, activated at once only
       in the first frame. Lost tracks older than ``max_time_lost`` frames are removed, but, as
       in the original's list bookkeeping, only after one more frame in the pool (where they
       can still be re-activated); a re-activated removed track is dropped the next time it is
       lost. A tracked/lost pair with ``1 - IoU < 0.15`` loses its shorter-lived member (the
       tracked one on a tie).

    Reported: activated tracked tracks, with the Kalman box. All IoUs use the ``+1`` pixel
    convention of the original's ``cython_bbox``.

    Parameters
    ----------
    config : FairMOTConfig, optional
    detector : callable, optional
        ``frame -> Detections`` with embeddings, used by ``update(frame=...)`` (default: the
        network built from ``config.weights``, :class:`~mottrack.fairmot.detector.
        FairMOTDetector`).
    **overrides
        :class:`FairMOTConfig` fields.
    """

    config_class = FairMOTConfig
    config: FairMOTConfig
    requires_embeddings = True

    def __init__(self, config: Any = None, *, detector: Any = None, **overrides: Any) -> None:
        if detector is not None and not callable(detector):
            raise TypeError(
                f"detector: expected a callable frame -> Detections, got {type(detector)}"
            )
        super().__init__(config, **overrides)
        self._detector: Any = detector

    def _reset(self) -> None:
        self._kf = ConstantVelocityXYAH()
        self._tracks = self._new_store(0)
        self._next_order = 0

    def _new_store(self, dim: int) -> TrackStore:
        extra: dict[str, tuple[int, ...]] = {name: () for name in _EXTRA}
        extra["feature"] = (dim,)
        store = TrackStore(self._kf.ndim, extra)
        self._key = {name: store.key(name) for name in store.columns}
        return store

    @property
    def tracks(self) -> TrackStore:
        """The live track table, tracked and lost (read it, don't modify it)."""
        return self._tracks

    @property
    def detector(self) -> Any:
        """The network detector (built from ``config.weights`` on first use), or None."""
        if self._detector is None and self.config.weights is not None:
            from .detector import FairMOTDetector

            cfg = self.config
            self._detector = FairMOTDetector(
                cfg.weights,
                input_size=cfg.input_size,
                conf_thres=cfg.det_thresh,
                device=cfg.device,
                half=cfg.half or False,
                arch=cfg.arch,
            )
        return self._detector

    def _check_inputs(self, dets: Detections | None, frame: NDArray[np.uint8] | None) -> None:
        if dets is None:
            if frame is None or (self.config.weights is None and self._detector is None):
                raise ValueError(
                    "FairMOTTracker.update: pass detections=Detections(..., embeddings=...) "
                    "or, with a network (create_tracker('fairmot', weights=PATH)), frame=image"
                )
            return
        if dets.embeddings is None and len(dets):
            raise ValueError(
                "FairMOTTracker.update: detections need embeddings (FairMOT's re-ID features); "
                "pass Detections(xyxy, scores, embeddings=(N, D) array)"
            )
        if len(dets):
            dim = self._tracks.column("feature").shape[1] if len(self._tracks) else None
            check_dimension(dets.embeddings, dim, "detections.embeddings")
            check_positive_size(dets, "FairMOT", width=False)

    # -- helpers ------------------------------------------------------------------------
    def _ordered(self, mask: NDArray[np.bool_]) -> I64:
        """Rows where ``mask`` holds, in list order."""
        rows = np.flatnonzero(mask)
        return rows[np.argsort(self._tracks.data[rows, self._key["order"]], kind="stable")]

    def _append_order(self, rows: I64) -> None:
        """Append ``rows`` (in this order) to the end of their list."""
        d = self._tracks.data
        d[rows, self._key["order"]] = np.arange(self._next_order, self._next_order + rows.size)
        self._next_order += rows.size

    def _boxes(self, rows: I64) -> F64:
        return xyah_to_xyxy(self._tracks.data[rows][:, self._key["mean"]])

    def _update(self, rows: I64, dets: I64, xyah: F64, feats: F64, scores: F64 | None) -> None:
        """Kalman update, EMA embedding, ``last_frame``, ``det_index``; ``scores`` optional."""
        if rows.size == 0:
            return
        st, k = self._tracks, self._key
        block = st.data[rows]
        mean, cov = self._kf.update(block[:, k["mean"]], st.column("covariance", block), xyah[dets])
        block[:, k["mean"]] = mean
        block[:, k["covariance"]] = cov.reshape(rows.size, -1)
        alpha = self.config.feature_momentum
        smooth = alpha * block[:, k["feature"]] + (1 - alpha) * feats[dets]
        block[:, k["feature"]] = unit_rows(smooth, np.float64, "smoothed embedding")
        block[:, k["last_frame"]] = self.frame_count
        block[:, k["det_index"]] = dets
        block[:, k["hits"]] += 1
        block[:, k["time_since_update"]] = 0
        if scores is not None:
            block[:, k["score"]] = scores[dets]
        st.data[rows] = block

    # -- the frame ----------------------------------------------------------------------
    def _step(self, detections: Detections | None, frame: NDArray[np.uint8] | None) -> Tracks:
        if detections is None:
            detections = self.detector(frame)
        cfg, kf, k = self.config, self._kf, self._key
        frame_id = self.frame_count
        n = len(detections)
        xyxy = detections.xyxy
        scores = detections.scores
        if detections.embeddings is None:  # only for an empty frame (see _check_inputs)
            feats = np.zeros((0, self._tracks.column("feature").shape[1]))
        else:  # FairMOT works in float64; raised before any track changes
            feats = unit_rows(detections.embeddings, np.float64, "detections.embeddings")
        if (
            n
            and len(self._tracks) == 0
            and self._tracks.column("feature").shape[1] != feats.shape[1]
        ):
            next_id = self._tracks.next_id  # a store for this embedding size; IDs continue
            self._tracks = self._new_store(feats.shape[1])
            self._tracks.next_id = next_id
            k = self._key
        xyah = xyxy_to_xyah(xyxy)
        st = self._tracks
        d = st.data
        state = d[:, k["state"]].copy()
        d[:, k["det_index"]] = -1
        d[:, k["time_since_update"]] += 1

        # 1. The pool: activated tracked tracks, then lost ones; Kalman-predicted.
        pool = np.concatenate([self._ordered(state == _CONFIRMED), self._ordered(state == _LOST)])
        if pool.size:
            block = d[pool]
            mean = block[:, k["mean"]]
            mean[state[pool] == _LOST, 7] = 0.0
            mean, cov = kf.predict(mean, st.column("covariance", block))
            d[pool, k["mean"]] = mean
            d[pool, k["covariance"]] = cov.reshape(pool.size, -1)
            d[pool, k["age"]] += 1
        remaining = np.arange(n)
        refind = np.zeros(0, np.int64)
        left = pool
        if pool.size and n:
            block = d[pool]
            cost = np.maximum(0.0, cdist(block[:, k["feature"]], feats, "cosine"))
            maha = kf.gating_distance(block[:, k["mean"]], st.column("covariance", block), xyah)
            cost[maha > cfg.gating_threshold] = np.inf
            lam = 1 - cfg.motion_weight
            cost = lam * cost + (1 - lam) * maha
            res = linear_assignment(cost, cfg.embedding_thresh, method="limit")
            rows, dets = pool[res.matches[:, 0]], res.matches[:, 1]
            was_lost = state[rows] == _LOST
            self._update(rows[~was_lost], dets[~was_lost], xyah, feats, scores)
            self._update(rows[was_lost], dets[was_lost], xyah, feats, None)  # re-activation
            refind = rows[was_lost]
            d[refind, k["state"]] = _CONFIRMED
            left, remaining = pool[res.unmatched_rows], res.unmatched_cols

        # 2. Tracked pool tracks left over vs remaining detections, by IoU.
        tracked_left = left[state[left] == _CONFIRMED]
        if tracked_left.size and remaining.size:
            iou = iou_matrix(self._boxes(tracked_left), xyxy[remaining], pixel_offset=1.0)
            res = linear_assignment(1 - iou, cfg.iou_thresh, method="limit")
            self._update(
                tracked_left[res.matches[:, 0]], remaining[res.matches[:, 1]], xyah, feats, scores
            )
            tracked_left = tracked_left[res.unmatched_rows]
            remaining = remaining[res.unmatched_cols]
        d[tracked_left, k["state"]] = _LOST
        self._append_order(tracked_left)

        # 3. Unconfirmed tracks (not predicted) vs remaining detections, by IoU.
        unconfirmed = self._ordered(state == _TENTATIVE)
        alive = np.ones(len(d), dtype=bool)
        if unconfirmed.size and remaining.size:
            iou = iou_matrix(self._boxes(unconfirmed), xyxy[remaining], pixel_offset=1.0)
            res = linear_assignment(1 - iou, cfg.unconfirmed_iou_thresh, method="limit")
            matched = unconfirmed[res.matches[:, 0]]
            self._update(matched, remaining[res.matches[:, 1]], xyah, feats, scores)
            d[matched, k["state"]] = _CONFIRMED
            alive[unconfirmed[res.unmatched_rows]] = False
            remaining = remaining[res.unmatched_cols]
        else:
            alive[unconfirmed] = False

        # 4. Lost tracks: FairMOT subtracts its list of removed tracks from the lost list
        #    before adding this frame's expired ones to it, so an expired track stays in the
        #    lost list (and the next frame's pool) one more frame; a track that was ever
        #    removed leaves the lost list as soon as it is lost again.
        removed = d[:, k["removed"]]
        alive &= ~((d[:, k["state"]] == _LOST) & (removed > 0))
        expired = (state == _LOST) & (d[:, k["state"]] == _LOST)
        expired &= frame_id - d[:, k["last_frame"]] > cfg.max_time_lost
        removed[expired] = 1.0

        # 5. New tracks (ordered before this frame's refound tracks, as FairMOT appends
        #    them), duplicates.
        new = remaining[scores[remaining] >= cfg.det_thresh]
        first_new = len(d)
        if new.size:
            mean, cov = kf.initiate(xyah[new])
            st.add(
                mean,
                cov,
                state=_CONFIRMED if frame_id == 1 else _TENTATIVE,
                hits=1,
                score=scores[new],
                det_index=new,
                cls=-1 if detections.classes is None else detections.classes[new],
                start_frame=frame_id,
                last_frame=frame_id,
                feature=feats[new],
            )
            alive = np.concatenate([alive, np.ones(new.size, dtype=bool)])
            d = st.data
        self._append_order(np.arange(first_new, len(d)))
        self._append_order(refind)
        st.keep(alive)
        self._remove_duplicates()

        d = st.data
        out = d[self._ordered(d[:, k["state"]] == _CONFIRMED)]
        return Tracks.trusted(
            out[:, k["ids"]].astype(np.int64),
            xyah_to_xyxy(out[:, k["mean"]]),
            out[:, k["score"]],
            out[:, k["det_index"]].astype(np.int64),
            None if detections.classes is None else out[:, k["cls"]].astype(np.int64),
        )

    def _remove_duplicates(self) -> None:
        """Drop the shorter-lived member of each tracked/lost pair with IoU above 0.85."""
        d, k = self._tracks.data, self._key
        state = d[:, k["state"]]
        tracked, lost = self._ordered(state != _LOST), self._ordered(state == _LOST)
        if tracked.size == 0 or lost.size == 0:
            return
        dist = 1 - iou_matrix(self._boxes(tracked), self._boxes(lost), pixel_offset=1.0)
        p, q = np.nonzero(dist < self.config.duplicate_iou_distance)
        if p.size == 0:
            return
        age = d[:, k["last_frame"]] - d[:, k["start_frame"]]
        lost_shorter = age[tracked[p]] > age[lost[q]]
        alive = np.ones(len(d), dtype=bool)
        alive[lost[q[lost_shorter]]] = False
        alive[tracked[p[~lost_shorter]]] = False
        self._tracks.keep(alive)
