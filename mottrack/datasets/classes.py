"""Object classes for synthetic scenes: the crossing-classes scene of the ``class_aware``
option (``benchmarks/class_aware.py``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..types import Detections
from .sequence import SyntheticSequence

__all__ = ["crossing_classes", "frames_with_classes"]


def frames_with_classes(
    seq: SyntheticSequence,
    num_classes: int = 2,
    embeddings: NDArray[np.floating] | None = None,
    seed: int = 0,
) -> tuple[list[Detections], NDArray[np.int64]]:
    """Detections of every frame with a class: object ``k`` has class ``(k - 1) mod
    num_classes`` (neighbours in id order differ), a false positive a random one.

    Parameters
    ----------
    seq : SyntheticSequence
    num_classes : int, default 2
    embeddings : ndarray, shape (N, D), optional
        One feature row per ``seq.det`` row (e.g. ``seq.feature_vectors()``).
    seed : int
        Seeds the false positives' classes.

    Returns
    -------
    frames : list of Detections
        One per frame, rows as :meth:`SyntheticSequence.frames` yields them, ``classes`` set.
    object_class : ndarray, shape (num_objects + 1,)
        Class of object id ``k`` at index ``k``.
    """
    if num_classes < 1:
        raise ValueError(f"num_classes: expected >= 1, got {num_classes}")
    rng = np.random.default_rng(seed)
    object_class = (np.arange(seq.num_objects + 1, dtype=np.int64) - 1) % num_classes
    ids = seq.det_gt_ids
    random_class = rng.integers(0, num_classes, ids.size)
    cls = np.where(ids > 0, object_class[np.maximum(ids, 0)], random_class)
    return [d for _, d in seq.frames(embeddings, cls)], object_class


def crossing_classes(
    lanes: int = 8,
    num_frames: int = 160,
    speed: float = 4.0,
    seed: int = 0,
    hide_iou: float = 0.5,
    shift: float = 2.0,
) -> SyntheticSequence:
    """Objects of two classes crossing head-on, the occluded one missed: the scene of the
    ``class_aware`` option.

    In each horizontal lane an object of class 0 (odd id) walks right and one of class 1
    (even id) walks left at ``speed`` px/frame, ``shift`` px lower; they pass through each
    other mid-frame. While their boxes overlap (IoU > ``hide_iou``) the class-1 object is
    hidden and not detected, so a class-blind tracker may hand its track the other object's
    detections. Boxes are about 40 x 100 px with 1 px detection noise; no false positives.

    Use :func:`frames_with_classes` (two classes) to get its detections with classes.
    """
    from ..boxes import iou_matrix
    from ..io import SeqInfo
    from .config import SyntheticConfig

    rng = np.random.default_rng(seed)
    width, height = 640, 60 + 130 * lanes
    gt, det, det_ids, full = [], [], [], []
    for f in range(1, num_frames + 1):
        boxes, ids = [], []
        for lane in range(lanes):
            y = 40.0 + 130.0 * lane
            h = 96.0 + 4.0 * (lane % 3)
            a_x = 20.0 + speed * (f - 1) + 6.0 * lane
            b_x = width - 60.0 - speed * (f - 1) - 6.0 * lane
            boxes += [[a_x, y, a_x + 40.0, y + h], [b_x, y + shift, b_x + 40.0, y + shift + h]]
            ids += [2 * lane + 1, 2 * lane + 2]
        xyxy, obj = np.array(boxes), np.array(ids, np.int64)
        inside = (xyxy[:, 0] >= 0) & (xyxy[:, 2] <= width)
        xyxy, obj = xyxy[inside], obj[inside]
        overlap = iou_matrix(xyxy, xyxy)
        np.fill_diagonal(overlap, 0.0)
        hidden = (obj % 2 == 0) & (overlap.max(axis=1, initial=0.0) > hide_iou)
        g = np.ones((obj.size, 9))
        g[:, 0], g[:, 1] = f, obj
        g[:, 2:4], g[:, 4:6] = xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]
        g[:, 8] = np.where(hidden, 0.0, 1.0)
        gt.append(g[np.argsort(obj)])
        full.append(xyxy[np.argsort(obj)])
        seen = xyxy[~hidden] + rng.normal(0.0, 1.0, (int((~hidden).sum()), 4))
        d = np.full((seen.shape[0], 10), -1.0)
        d[:, 0], d[:, 2:4], d[:, 4:6], d[:, 6] = f, seen[:, :2], seen[:, 2:] - seen[:, :2], 0.9
        det.append(d)
        det_ids.append(obj[~hidden])
    info = SeqInfo("CROSSING-01", num_frames, 25.0, width, height)
    count = 2 * lanes
    return SyntheticSequence(
        config=SyntheticConfig(name="CROSSING-01", width=width, height=height, seed=seed),
        info=info,
        gt=np.concatenate(gt),
        det=np.concatenate(det),
        det_gt_ids=np.concatenate(det_ids),
        gt_full_xyxy=np.concatenate(full),
        colors=rng.integers(0, 256, (count, 3)).astype(np.uint8),
        patterns=np.arange(count, dtype=np.int64) % 4,
    )
