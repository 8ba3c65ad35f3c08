"""FairMOT's online association (JDE's ``JDETracker.update``), on the shared layers; no torch.

Tracks live in one :class:`~mottrack.tracks.TrackStore`. FairMOT keeps two ordered lists, the
tracked tracks and the lost tracks, and their order decides assignment tie-breaking and which
new track gets which ID. Each row therefore holds an ``order`` key: a track appended to either
list gets the next key, so sorting a list's rows by key gives the list.

States: TENTATIVE = tracked but not yet activated (FairMOT's unconfirmed, one-frame tracks);
CONFIRMED = tracked and activated; LOST = lost.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..association.costs import iou_pairs
from ..association.sparse import limit_assignment
from ..compiled.layout import CONFIRMED, LOST, TENTATIVE
from ..embeddings import unit_rows
from ..motion import ConstantVelocityXYAH
from ..registry import register_tracker
from ..side_tables import SmoothedEmbeddings
from ..tracker import Tracker, check_positive_size
from ..tracks import TrackStore
from ..types import Detections, Tracks
from .config import FairMOTConfig
from .kernels import (
    drop_duplicates_and_report,
    expire_lost,
    pool_matched,
    predict_pool,
)

__all__ = ["FairMOTTracker"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
_NO_CLASSES = np.zeros(0, np.int64)


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
       tracked one on a tie; compiled with the report in ``kernels.py``).

    Reported: activated tracked tracks, with the Kalman box. All IoUs use the ``+1`` pixel
    convention of the original's ``cython_bbox``.

    The network is not part of the tracker: :class:`~mottrack.fairmot.detector.FairMOTDetector`
    turns a frame into ``Detections`` with embeddings, and :class:`~mottrack.pipeline.Pipeline`
    feeds them to this tracker.

    Parameters
    ----------
    config : FairMOTConfig, optional
    **overrides
        :class:`FairMOTConfig` fields.
    """

    config_class = FairMOTConfig
    config: FairMOTConfig
    requires_embeddings = True

    def _new_store(self) -> TrackStore:
        self._appearance = SmoothedEmbeddings(self.config.feature_momentum)
        return TrackStore(
            ConstantVelocityXYAH(),
            "xyah",
            columns={"start_frame": 0.0, "removed": 0.0},
            side_tables={"appearance": self._appearance},
        )

    @property
    def appearance(self) -> SmoothedEmbeddings:
        """Smoothed embeddings, rows aligned with :attr:`tracks`."""
        return self._appearance

    def _check_inputs(self, dets: Detections | None, frame: NDArray[np.uint8] | None) -> None:
        super()._check_inputs(dets, frame)
        assert dets is not None
        if dets.embeddings is not None:
            self.appearance.check(dets.embeddings, "detections.embeddings")
        check_positive_size(dets, "FairMOT", width=False)

    def _step(self, detections: Detections, frame: NDArray[np.uint8] | None) -> Tracks:
        cfg, tracks = self.config, self._store
        feats = self._features(detections)
        m, nvel, scale, q_law, _ = tracks.motion_args

        # 1. The pool (activated tracked, then lost tracks; the lost ones without height
        #    velocity) is predicted and matched by fused appearance + motion; matched lost
        #    tracks are re-activated with their ID.
        state, pool, _ = tracks.apply_rule(predict_pool, m, nvel, scale, q_law)
        self._compensate(frame)  # camera motion (config.cmc) of every row, off by default
        refind, tracked, unconfirmed, remaining = self._match_pool(pool, state, detections, feats)

        # 2. Tracked pool tracks left over vs remaining detections, by IoU; the rest are lost.
        _, missed, remaining = self._iou_stage(
            tracked, remaining, detections, feats, cfg.iou_thresh
        )
        if missed.size:
            tracks.assign("state", missed, LOST)
            tracks.requeue(missed)

        # 3. Unconfirmed tracks (not predicted) vs remaining detections, by IoU; an unmatched
        #    one is removed, a matched one activated.
        limit = cfg.unconfirmed_iou_thresh
        matched, missed, remaining = self._iou_stage(
            unconfirmed, remaining, detections, feats, limit
        )
        if matched.size:
            tracks.assign("state", matched, CONFIRMED)
        tracks.mark_deleted(missed)

        # 4. Lost tracks: FairMOT subtracts its list of removed tracks from the lost list
        #    before adding this frame's expired ones to it, so an expired track stays in the
        #    lost list (and the next frame's pool) one more frame; a track that was ever
        #    removed leaves the lost list as soon as it is lost again.
        tracks.apply_rule(expire_lost, state, cfg.max_time_lost, columns=("removed",))

        # 5. New tracks (listed before this frame's refound tracks, as FairMOT appends them),
        #    activated at once only in the first frame; then duplicates.
        new = remaining[detections.scores[remaining] >= cfg.det_thresh]
        if new.size:
            first = CONFIRMED if self.frame_count == 1 else TENTATIVE
            start = self.frame_count
            tracks.spawn(
                detections, new, state=first, hits=1, start_frame=start, appearance=feats[new]
            )
        if refind.size:
            tracks.requeue(refind)
        tracks.purge()
        classes = detections.classes is not None
        ids, xyxy, scores, det_index, cls = tracks.apply_rule(
            drop_duplicates_and_report,
            self.frame_count,
            cfg.duplicate_iou_distance,
            cfg.class_aware,
            classes,
            columns=("start_frame",),
        )
        tracks.purge()
        return Tracks.trusted(ids, xyxy, scores, det_index, cls if classes else None)

    def _features(self, detections: Detections) -> F64:
        """Unit-norm float64 embeddings (FairMOT works in float64), shape (N, D)."""
        if detections.embeddings is None:  # a frame without detections (see _check_inputs)
            return np.zeros((0, self.appearance.dim or 0))
        return unit_rows(detections.embeddings, np.float64, "detections.embeddings")

    def _match_pool(
        self, pool: I64, state: F64, detections: Detections, feats: F64
    ) -> tuple[I64, I64, I64, I64]:
        """First association: ``lapjv`` on the fused cost, limit ``embedding_thresh``.

        The fused cost ``0.98 cosine + 0.02 Mahalanobis`` is computed only for the pairs inside
        the Mahalanobis gate (``inf`` elsewhere, as in JDE), and assigned by JDE's
        ``lapjv(cost_limit=embedding_thresh)``: on the dense matrix for small problems, as a
        sparse maximum-weight matching in crowds
        (:func:`~mottrack.association.sparse.limit_assignment`).

        Returns
        -------
        refind : ndarray of int
            Lost tracks matched (re-activated; they keep their score, as in the original).
        tracked, unconfirmed, remaining : ndarray of int
            The tracks and detections of the next two stages (see
            :func:`~mottrack.fairmot.kernels.pool_matched`).
        """
        cfg, tracks = self.config, self._store
        m, nvel, scale, _, r_law = tracks.motion_args
        z = tracks.measurements(detections)
        classes = _NO_CLASSES if detections.classes is None else detections.classes
        track, det, cost = self._fused_cost(pool, detections, feats)
        shape = (pool.size, len(detections))
        pairs, cols = limit_assignment(track, det, cost, shape, cfg.embedding_thresh)
        smoothed, rows, refind, tracked, unconfirmed, remaining = tracks.apply_rule(
            pool_matched,
            state,
            pool,
            pairs,
            cols,
            z,
            m,
            nvel,
            scale,
            r_law,
            detections.scores,
            classes,
            self.appearance.writable(),
            feats,
            self.appearance.momentum,
        )
        if not smoothed:  # a blend without direction: the table's NumPy path names or fixes it
            self.appearance.correct(rows, feats[cols])
        return refind, tracked, unconfirmed, remaining

    def _fused_cost(self, pool: I64, detections: Detections, feats: F64) -> tuple[I64, I64, F64]:
        """JDE's ``fuse_motion`` at the pairs inside the Mahalanobis gate (``inf`` elsewhere in
        JDE): ``(track, det, cost)``, ``track`` indexing ``pool``, ``cost`` ``0.98 cosine +
        0.02 d^2``."""
        cfg, tracks = self.config, self._store
        track, det, d2 = tracks.gate(pool, detections, cfg.gating_threshold)
        if cfg.class_aware:
            same = tracks.same_class(pool[track], detections, det)
            track, det, d2 = track[same], det[same], d2[same]
        cos = self.appearance.pair_distance(pool, track, det, feats)
        lam = 1 - cfg.motion_weight
        return track, det, lam * cos + (1 - lam) * d2

    def _iou_stage(
        self, rows: I64, cols: I64, detections: Detections, feats: F64, limit: float
    ) -> tuple[I64, I64, I64]:
        """Match tracks ``rows`` to detections ``cols`` by ``1 - IoU`` (``lapjv`` with
        ``cost_limit=limit``) and correct the matched tracks.

        Returns
        -------
        matched_rows, unmatched_rows, unmatched_cols : ndarray of int
        """
        if rows.size == 0 or cols.size == 0:
            return rows[:0], rows, cols
        # Disjoint boxes (cost 1) can match too when the limit exceeds 1: then every pair.
        boxes, dets = self._store.boxes(rows), detections.xyxy[cols]
        i, j, iou = iou_pairs(boxes, dets, 1.0, every=limit > 1.0)
        if self.config.class_aware:
            same = self._store.same_class(rows[i], detections, cols[j])
            i, j, iou = i[same], j[same], iou[same]
        pr, pc = limit_assignment(
            i, j, 1 - iou, (rows.size, cols.size), limit, fill=max(1.0, limit)
        )
        matched, dets = rows[pr], cols[pc]
        self._store.correct(matched, detections, dets, appearance=feats[dets])
        return matched, _without(rows, pr), _without(cols, pc)


def _without(idx: I64, positions: I64) -> I64:
    """``idx`` without the entries at ``positions`` (order kept)."""
    keep = np.ones(idx.size, dtype=bool)
    keep[positions] = False
    return idx[keep]
