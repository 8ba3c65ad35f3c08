"""The simulated detector of a synthetic scene: occlusion, noisy detections, false positives.

Occlusion uses depth by the bottom edge (larger ``y2`` = nearer): :func:`max_cover` is the
largest fraction of an object's visible box covered by a single nearer object. An object covered
by more than ``occlusion_iou`` is missed with probability ``occluded_miss_prob``, any other with
``miss_prob``. Box helpers shared with the scene generator (:func:`clip_boxes`,
:func:`box_area`, :func:`to_mot`) live here too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .config import SyntheticConfig

__all__ = ["box_area", "clip_boxes", "detect", "false_positives", "max_cover", "to_mot"]

F64 = NDArray[np.float64]


def clip_boxes(boxes: F64, cfg: SyntheticConfig) -> F64:
    """``xyxy`` boxes, shape (n, 4), clipped to the ``cfg.width x cfg.height`` image."""
    return np.clip(boxes, 0.0, [cfg.width, cfg.height, cfg.width, cfg.height])


def box_area(boxes: F64) -> F64:
    """Areas of ``xyxy`` boxes, shape (n, 4) -> (n,)."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def max_cover(visible: F64, depth: F64) -> F64:
    """Largest fraction of each visible box covered by one nearer (larger ``depth``) box.

    Parameters
    ----------
    visible : ndarray, shape (n, 4)
        ``xyxy`` boxes clipped to the image.
    depth : ndarray, shape (n,)
        Depth of each box (its unclipped bottom edge).

    Returns
    -------
    ndarray, shape (n,)
        Values in ``[0, 1]``.
    """
    if visible.shape[0] < 2:
        return np.zeros(visible.shape[0])
    v = visible.astype(np.float32)
    iw = np.minimum(v[:, None, 2], v[None, :, 2]) - np.maximum(v[:, None, 0], v[None, :, 0])
    ih = np.minimum(v[:, None, 3], v[None, :, 3]) - np.maximum(v[:, None, 1], v[None, :, 1])
    inter = np.maximum(iw, 0) * np.maximum(ih, 0)
    inter *= depth[None, :] > depth[:, None]
    area = np.maximum(box_area(visible), 1e-9)
    return np.minimum(inter.max(axis=1) / area, 1.0)


def to_mot(boxes: F64) -> F64:
    """``xyxy`` (n, 4) -> rounded ``x, y, w, h`` (n, 4) whose corners are the rounded corners."""
    r = np.round(boxes, 2)
    return np.round(np.concatenate([r[:, :2], r[:, 2:] - r[:, :2]], axis=1), 2)


def detect(
    rng: np.random.Generator, cfg: SyntheticConfig, full: F64, cover: F64
) -> tuple[NDArray[np.bool_], F64, F64]:
    """Noisy detections of the objects present.

    Parameters
    ----------
    rng : numpy.random.Generator
    cfg : SyntheticConfig
    full : ndarray, shape (n, 4)
        Unclipped ``xyxy`` boxes of the objects.
    cover : ndarray, shape (n,)
        :func:`max_cover` of each object.

    Returns
    -------
    found : ndarray, shape (n,), bool
        Objects detected.
    noisy : ndarray, shape (n, 4)
        Jittered ``xyxy`` boxes clipped to the image (of every object; select with ``found``).
    scores : ndarray, shape (n,)
        ``Beta(*true_score)`` scores.
    """
    n = full.shape[0]
    miss = np.where(cover > cfg.occlusion_iou, cfg.occluded_miss_prob, cfg.miss_prob)
    found = rng.random(n) >= miss
    wh = np.tile(full[:, 2:] - full[:, :2], 2)
    noisy = full + rng.normal(0.0, 1.0, (n, 4)) * cfg.box_jitter * wh
    noisy[:, 2:] = np.maximum(noisy[:, 2:], noisy[:, :2] + 1.0)
    noisy = clip_boxes(noisy, cfg)
    found &= box_area(noisy) > 0
    scores = rng.beta(*cfg.true_score, n)
    return found, noisy, scores


def false_positives(rng: np.random.Generator, cfg: SyntheticConfig) -> tuple[F64, F64]:
    """``Poisson(false_positives)`` boxes of random size and place in one frame.

    Returns
    -------
    boxes : ndarray, shape (k, 4)
        ``xyxy`` boxes clipped to the image.
    scores : ndarray, shape (k,)
        ``Beta(*false_score)`` scores.
    """
    k = int(rng.poisson(cfg.false_positives))
    h = rng.uniform(*cfg.height_range, k)
    w = h * rng.uniform(*cfg.aspect_range, k)
    cx, cy = rng.uniform(0, cfg.width, k), rng.uniform(0, cfg.height, k)
    boxes = clip_boxes(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1), cfg)
    return boxes, rng.beta(*cfg.false_score, k)
