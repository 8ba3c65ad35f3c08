"""A plain, per-track-object transcription of FairMOT's ``JDETracker.update`` (after detection).

Written for the tests from the behaviour documented in ``shared/reference/fairmot_assoc/
README.md``: Python lists of track objects, FairMOT's list operations (join by id, subtract by
id, the removed list subtracted before it is extended), ``lap.lapjv`` called directly on costs
with ``inf``, scipy's cosine ``cdist``. It shares only the Kalman model with mottrack (whose
math is checked against filterpy elsewhere); every bookkeeping step is independent.
"""

from __future__ import annotations

import lap
import numpy as np
from scipy.spatial.distance import cdist

from mottrack.boxes import iou_matrix
from mottrack.motion import ConstantVelocityXYAH

KF = ConstantVelocityXYAH()
TRACKED, LOST, REMOVED = 1, 2, 3


class _Track:
    def __init__(self, xyxy: np.ndarray, score: float, feat: np.ndarray) -> None:
        self.xyxy, self.score, self.feat = xyxy, score, feat
        self.mean: np.ndarray | None = None
        self.cov: np.ndarray | None = None
        self.state, self.activated, self.id = TRACKED, False, 0
        self.frame = self.start = 0

    def box(self) -> np.ndarray:
        if self.mean is None:
            return self.xyxy
        cx, cy, a, h = self.mean[:4]
        w = a * h
        return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])

    def xyah(self) -> np.ndarray:
        x1, y1, x2, y2 = self.xyxy
        w, h = x2 - x1, y2 - y1
        return np.array([x1 + w / 2, y1 + h / 2, w / h, h])

    def correct(self, det: _Track, frame: int) -> None:
        m, c = KF.update(self.mean[None], self.cov[None], det.xyah()[None])
        self.mean, self.cov = m[0], c[0]
        smooth = 0.9 * self.feat + (1 - 0.9) * det.feat
        self.feat = smooth / np.linalg.norm(smooth)
        self.state, self.activated, self.frame = TRACKED, True, frame


def _assign(cost: np.ndarray, thresh: float) -> tuple[list, list, list]:
    if cost.size == 0:
        return [], list(range(cost.shape[0])), list(range(cost.shape[1]))
    _, x, y = lap.lapjv(cost, extend_cost=True, cost_limit=thresh)
    matches = [(i, int(j)) for i, j in enumerate(x) if j >= 0]
    return matches, [i for i, j in enumerate(x) if j < 0], [j for j, i in enumerate(y) if i < 0]


def _iou_cost(a: list[_Track], b: list[_Track]) -> np.ndarray:
    if not a or not b:
        return np.zeros((len(a), len(b)))
    return 1 - iou_matrix([t.box() for t in a], [t.box() for t in b], pixel_offset=1.0)


def _join(a: list[_Track], b: list[_Track]) -> list[_Track]:
    ids = {t.id for t in a}
    return a + [t for t in b if t.id not in ids]


def _sub(a: list[_Track], b: list[_Track]) -> list[_Track]:
    ids = {t.id for t in b}
    return [t for t in a if t.id not in ids]


class JDETranscription:
    """``update(xyxy, scores, feats) -> [(id, xyxy), ...]`` for one frame."""

    def __init__(self, frame_rate: float = 30.0, track_buffer: int = 30) -> None:
        self.tracked: list[_Track] = []
        self.lost: list[_Track] = []
        self.removed: list[_Track] = []
        self.frame, self.next_id = 0, 1
        self.max_lost = int(frame_rate / 30.0 * track_buffer)

    def update(self, xyxy: np.ndarray, scores: np.ndarray, feats: np.ndarray) -> list:
        self.frame += 1
        f = self.frame
        dets = [_Track(b, s, e / np.linalg.norm(e)) for b, s, e in zip(xyxy, scores, feats)]
        unconfirmed = [t for t in self.tracked if not t.activated]
        pool = _join([t for t in self.tracked if t.activated], self.lost)
        for t in pool:
            mean = t.mean.copy()
            if t.state != TRACKED:
                mean[7] = 0
            m, c = KF.predict(mean[None], t.cov[None])
            t.mean, t.cov = m[0], c[0]
        activated, refind, lost, removed = [], [], [], []
        cost = np.zeros((len(pool), len(dets)))
        if cost.size:
            cost = np.maximum(0.0, cdist([t.feat for t in pool], [d.feat for d in dets], "cosine"))
            z = np.array([d.xyah() for d in dets])
            for i, t in enumerate(pool):
                maha = KF.gating_distance(t.mean[None], t.cov[None], z)[0]
                cost[i, maha > 9.4877] = np.inf
                cost[i] = 0.98 * cost[i] + (1 - 0.98) * maha
        matches, u_track, u_det = _assign(cost, 0.4)
        for i, j in matches:
            t = pool[i]
            (activated if t.state == TRACKED else refind).append(t)
            if t.state == TRACKED:
                t.score = dets[j].score
            t.correct(dets[j], f)
        dets = [dets[j] for j in u_det]
        rest = [pool[i] for i in u_track if pool[i].state == TRACKED]
        matches, u_track, u_det = _assign(_iou_cost(rest, dets), 0.5)
        for i, j in matches:
            rest[i].score = dets[j].score
            rest[i].correct(dets[j], f)
            activated.append(rest[i])
        for i in u_track:
            rest[i].state = LOST
            lost.append(rest[i])
        dets = [dets[j] for j in u_det]
        matches, u_unconf, u_det = _assign(_iou_cost(unconfirmed, dets), 0.7)
        for i, j in matches:
            unconfirmed[i].score = dets[j].score
            unconfirmed[i].correct(dets[j], f)
            activated.append(unconfirmed[i])
        for i in u_unconf:
            unconfirmed[i].state = REMOVED
            removed.append(unconfirmed[i])
        for j in u_det:
            t = dets[j]
            if t.score < 0.4:
                continue
            t.id, self.next_id = self.next_id, self.next_id + 1
            t.mean, t.cov = (a[0] for a in KF.initiate(t.xyah()[None]))
            t.activated, t.frame, t.start = f == 1, f, f
            activated.append(t)
        for t in self.lost:
            if f - t.frame > self.max_lost:
                t.state = REMOVED
                removed.append(t)
        self.tracked = [t for t in self.tracked if t.state == TRACKED]
        self.tracked = _join(_join(self.tracked, activated), refind)
        self.lost = _sub(self.lost, self.tracked) + lost
        self.lost = _sub(self.lost, self.removed)
        self.removed += removed
        dist = _iou_cost(self.tracked, self.lost)
        drop_a, drop_b = set(), set()
        for p, q in zip(*np.nonzero(dist < 0.15)):
            a, b = self.tracked[p], self.lost[q]
            if a.frame - a.start > b.frame - b.start:
                drop_b.add(int(q))
            else:
                drop_a.add(int(p))
        self.tracked = [t for i, t in enumerate(self.tracked) if i not in drop_a]
        self.lost = [t for i, t in enumerate(self.lost) if i not in drop_b]
        return [(t.id, t.box()) for t in self.tracked if t.activated]
