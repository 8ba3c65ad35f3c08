"""Seeded synthetic MOT scenes: ground truth, noisy detections and object appearances.

Objects are pedestrian-like boxes moving with constant velocity plus noise. ``num_objects`` is
the population kept at steady state: that many are present at frame 1, and each later frame
spawns ``Poisson(num_objects - present)`` newcomers (mostly walking in from an image edge, the
rest appearing inside) while objects leave through the edges or vanish at random.

Occlusion uses depth by the bottom edge (larger ``y2`` = nearer). An object whose visible box is
covered by more than ``occlusion_iou`` of its area by a single nearer object is occluded: it is
missed with probability ``occluded_miss_prob``. The gt visibility is
``inside_fraction * (1 - largest single-occluder coverage)``.

The same config (seed included) gives the same arrays and byte-identical files. Per frame the
random draws come in a fixed order: motion (:meth:`.Population.step`), leaving, newcomers
(:func:`.spawn`, colours, patterns), detections (:func:`.detect`), false positives, shuffle.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..io import SeqInfo
from .config import SyntheticConfig
from .detector import box_area, clip_boxes, detect, false_positives, max_cover, to_mot
from .population import Population, draw_colors, spawn
from .render import NUM_PATTERNS
from .sequence import SyntheticSequence

__all__ = ["generate"]

F64 = NDArray[np.float64]


def _stack(parts: list[Any], shape: tuple[int, ...], dtype: Any = np.float64) -> Any:
    """Concatenate per-frame ``parts`` (or an empty array of ``shape``), read-only."""
    arr = np.concatenate(parts).astype(dtype) if parts else np.zeros(shape, dtype)
    arr.flags.writeable = False
    return arr


def generate(config: SyntheticConfig | None = None, **overrides: Any) -> SyntheticSequence:
    """Generate a synthetic sequence.

    Parameters
    ----------
    config : SyntheticConfig, optional
        Defaults to ``SyntheticConfig()``.
    **overrides
        Fields replaced in ``config`` (e.g. ``generate(num_objects=100, seed=3)``).

    Returns
    -------
    SyntheticSequence
    """
    cfg = SyntheticConfig() if config is None else config
    if not isinstance(cfg, SyntheticConfig):
        raise ValueError(f"generate: config must be a SyntheticConfig, got {type(cfg).__name__}")
    if overrides:
        cfg = dataclasses.replace(cfg, **overrides)
    rng = np.random.default_rng(cfg.seed)
    pop = Population()
    colors: list[NDArray[np.uint8]] = []
    patterns: list[NDArray[np.int64]] = []
    gt_parts: list[F64] = []
    full_parts: list[F64] = []
    det_parts: list[F64] = []
    det_id_parts: list[NDArray[np.int64]] = []
    next_id = 1
    vanish = 0.0 if math.isinf(cfg.mean_lifetime) else 1.0 / cfg.mean_lifetime

    for frame in range(1, cfg.num_frames + 1):
        if frame == 1:
            n_new = round(float(cfg.num_objects))
        else:
            pop.step(rng, cfg)
            full = pop.boxes()
            inside = box_area(clip_boxes(full, cfg)) / box_area(full)
            pop.keep((inside >= cfg.min_inside) & (rng.random(full.shape[0]) >= vanish))
            n_new = int(rng.poisson(max(0.0, cfg.num_objects - pop.ids.shape[0])))
        if n_new:
            new_ids = np.arange(next_id, next_id + n_new)
            pop.add(new_ids, spawn(rng, cfg, n_new, frame > 1))
            colors.append(draw_colors(rng, new_ids))
            patterns.append(rng.integers(0, NUM_PATTERNS, n_new))
            next_id += n_new

        full = pop.boxes()
        visible = clip_boxes(full, cfg)
        inside = box_area(visible) / box_area(full)
        cover = max_cover(visible, full[:, 3])
        n = pop.ids.shape[0]
        gt = np.ones((n, 9))
        gt[:, 0], gt[:, 1], gt[:, 2:6] = frame, pop.ids, to_mot(visible)
        gt[:, 8] = np.round(inside * (1.0 - cover), 4)
        gt_parts.append(gt)
        full_parts.append(full)

        found, noisy, scores = detect(rng, cfg, full, cover)
        fp_boxes, fp_scores = false_positives(rng, cfg)
        boxes = np.concatenate([noisy[found], fp_boxes])
        det = np.full((boxes.shape[0], 10), -1.0)
        det[:, 0], det[:, 2:6] = frame, to_mot(boxes)
        det[:, 6] = np.round(np.concatenate([scores[found], fp_scores]), 3)
        ids = np.concatenate([pop.ids[found], np.full(fp_boxes.shape[0], -1, np.int64)])
        order = rng.permutation(boxes.shape[0])
        det_parts.append(det[order])
        det_id_parts.append(ids[order])

    info = SeqInfo(cfg.name, cfg.num_frames, cfg.frame_rate, cfg.width, cfg.height)
    return SyntheticSequence(
        config=cfg,
        info=info,
        gt=_stack(gt_parts, (0, 9)),
        det=_stack(det_parts, (0, 10)),
        det_gt_ids=_stack(det_id_parts, (0,), np.int64),
        gt_full_xyxy=_stack(full_parts, (0, 4)),
        colors=_stack(colors, (0, 3), np.uint8),
        patterns=_stack(patterns, (0,), np.int64),
    )
