"""Seeded synthetic MOT scenes: ground truth, noisy detections and object appearances.

Objects are pedestrian-like boxes moving with constant velocity plus noise. ``num_objects`` is
the population kept at steady state: that many are present at frame 1, and each later frame
spawns ``Poisson(num_objects - present)`` newcomers (mostly walking in from an image edge, the
rest appearing inside) while objects leave through the edges or vanish at random.

Occlusion uses depth by the bottom edge (larger ``y2`` = nearer). An object whose visible box is
covered by more than ``occlusion_iou`` of its area by a single nearer object is occluded: it is
missed with probability ``occluded_miss_prob``. The gt visibility is
``inside_fraction * (1 - largest single-occluder coverage)``.

The same config (seed included) gives the same arrays and byte-identical files.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ..io import SeqInfo, iter_detections, write_sequence
from ..types import Detections

__all__ = ["NUM_PATTERNS", "SyntheticConfig", "SyntheticSequence", "generate"]

NUM_PATTERNS = 4  # 0 solid, 1 horizontal stripes, 2 vertical stripes, 3 two-tone
F64 = NDArray[np.float64]


def _positive(owner: str, name: str, value: Any, integer: bool = False, zero: bool = False) -> None:
    kinds = (int, np.integer) if integer else (int, float, np.number)
    ok = not isinstance(value, bool) and isinstance(value, kinds)
    ok = (
        ok
        and (value >= 0 if zero else value > 0)
        and not (isinstance(value, float) and math.isnan(value))
    )
    if not ok:
        form = "an integer" if integer else "a number"
        raise ValueError(
            f"{owner}.{name}: expected {form} {'>=' if zero else '>'} 0, got {value!r}"
        )


@dataclass(frozen=True)
class SyntheticConfig:
    """Parameters of a synthetic sequence (validated on construction).

    Parameters
    ----------
    num_frames, width, height, frame_rate
        Sequence length and image size in pixels.
    num_objects : float
        Mean number of objects present per frame (steady state).
    edge_entry_prob : float
        Fraction of newcomers that walk in from an image edge (the rest appear inside).
    mean_lifetime : float
        Mean frames before an object vanishes inside the image (``inf``: never).
    min_inside : float
        An object leaves once less than this fraction of its box is inside the image.
    speed_range : (float, float)
        Initial speed in pixels/frame (the vertical component is halved).
    velocity_noise : float
        Std of the per-frame velocity change (pixels/frame).
    size_jitter : float
        Std of the per-frame relative height change.
    height_range, aspect_range : (float, float)
        Box height in pixels and width/height ratio of each object.
    miss_prob, false_positives : float
        Detector miss probability and Poisson mean of false positives per frame.
    box_jitter : float
        Std of detected box edges, relative to the box width/height.
    true_score, false_score : (float, float)
        Beta(a, b) parameters of true and false detection scores.
    occlusion_iou : float
        Coverage of an object's visible area by one nearer object above which it is occluded.
    occluded_miss_prob : float
        Miss probability of an occluded object.
    name : str
        Sequence name.
    seed : int
        Seed of ``numpy.random.default_rng``.
    """

    num_frames: int = 150
    width: int = 1280
    height: int = 720
    frame_rate: float = 25.0
    num_objects: float = 12.0
    edge_entry_prob: float = 0.7
    mean_lifetime: float = 500.0
    min_inside: float = 0.25
    speed_range: tuple[float, float] = (0.5, 3.0)
    velocity_noise: float = 0.1
    size_jitter: float = 0.01
    height_range: tuple[float, float] = (60.0, 250.0)
    aspect_range: tuple[float, float] = (0.35, 0.45)
    miss_prob: float = 0.1
    false_positives: float = 1.0
    box_jitter: float = 0.05
    true_score: tuple[float, float] = (8.0, 2.0)
    false_score: tuple[float, float] = (2.0, 5.0)
    occlusion_iou: float = 0.5
    occluded_miss_prob: float = 0.9
    name: str = "SYNTH-01"
    seed: int = 0

    def __post_init__(self) -> None:
        own = "SyntheticConfig"
        for name in ("num_frames", "width", "height"):
            _positive(own, name, getattr(self, name), integer=True)
        _positive(own, "frame_rate", self.frame_rate)
        _positive(own, "mean_lifetime", self.mean_lifetime)
        for name in (
            "num_objects",
            "velocity_noise",
            "size_jitter",
            "false_positives",
            "box_jitter",
        ):
            _positive(own, name, getattr(self, name), zero=True)
            if not math.isfinite(getattr(self, name)):
                raise ValueError(
                    f"{own}.{name}: expected a finite number, got {getattr(self, name)}"
                )
        for name in (
            "edge_entry_prob",
            "min_inside",
            "miss_prob",
            "occlusion_iou",
            "occluded_miss_prob",
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 <= value <= 1
            ):
                raise ValueError(f"{own}.{name}: expected a probability in [0, 1], got {value!r}")
        for name in ("speed_range", "height_range", "aspect_range", "true_score", "false_score"):
            value = getattr(self, name)
            try:
                lo, hi = (float(v) for v in value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{own}.{name}: expected a pair of numbers, got {value!r}"
                ) from None
            if name in ("true_score", "false_score"):
                if not (0 < lo < math.inf and 0 < hi < math.inf):
                    raise ValueError(
                        f"{own}.{name}: expected Beta (a, b) with a, b > 0, got {value!r}"
                    )
            elif not (0 <= lo <= hi < math.inf) or (lo == 0 and name != "speed_range"):
                low = "0 <= low" if name == "speed_range" else "0 < low"
                raise ValueError(f"{own}.{name}: expected finite {low} <= high, got {value!r}")
            object.__setattr__(self, name, (lo, hi))
        if (
            self.height_range[1] >= self.height
            or self.height_range[1] * self.aspect_range[1] >= self.width
        ):
            raise ValueError(
                f"{own}: the largest box ({self.height_range[1] * self.aspect_range[1]:g} x "
                f"{self.height_range[1]:g}) must fit in the image ({self.width} x {self.height}); "
                "lower height_range or aspect_range"
            )
        if not isinstance(self.name, str) or not self.name or any(c in self.name for c in "/\\"):
            raise ValueError(f"{own}.name: expected a non-empty file name, got {self.name!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise ValueError(f"{own}.seed: expected an integer, got {self.seed!r}")


@dataclass(frozen=True, eq=False)
class SyntheticSequence:
    """A generated sequence (arrays are read-only).

    Attributes
    ----------
    config : SyntheticConfig
    info : SeqInfo
    gt : ndarray, shape (G, 9)
        MOT17-style ``frame, id, x, y, w, h, 1, 1, visibility``, sorted by (frame, id); boxes
        clipped to the image and rounded to 2 decimals.
    det : ndarray, shape (N, 10)
        ``frame, -1, x, y, w, h, score, -1, -1, -1``, in frame order, shuffled within a frame.
    det_gt_ids : ndarray, shape (N,)
        Object id behind each det row, -1 for a false positive.
    gt_full_xyxy : ndarray, shape (G, 4)
        The unclipped box of each gt row (for rendering).
    colors : ndarray, shape (T, 3), uint8
        RGB colour of object id ``k`` at row ``k - 1``.
    patterns : ndarray, shape (T,)
        Pattern id (``0..NUM_PATTERNS-1``) of object id ``k`` at row ``k - 1``.
    """

    config: SyntheticConfig
    info: SeqInfo
    gt: F64
    det: F64
    det_gt_ids: NDArray[np.int64]
    gt_full_xyxy: F64
    colors: NDArray[np.uint8]
    patterns: NDArray[np.int64]

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def num_objects(self) -> int:
        """Number of distinct object ids (ids are ``1..num_objects``)."""
        return int(self.patterns.shape[0])

    def frames(
        self, embeddings: NDArray[np.floating] | None = None
    ) -> Iterator[tuple[int, Detections]]:
        """Yield ``(frame, Detections)`` for every frame, like :meth:`MOTSequence.frames`.

        Parameters
        ----------
        embeddings : ndarray, shape (N, D), optional
            One feature row per :attr:`det` row (e.g. :meth:`feature_vectors`).
        """
        return iter_detections(self.det, self.info.seq_length, embeddings, source=self.name)

    def feature_vectors(
        self, dim: int = 128, noise: float = 0.3, seed: int | None = None
    ) -> NDArray[np.float32]:
        """Simulated re-ID features for the :attr:`det` rows, shape ``(N, dim)``, unit norm.

        Each object has a random unit prototype; a detection's feature is its object's
        prototype plus isotropic Gaussian noise of total norm about ``noise``, renormalised
        (false positives get random directions). Seeded by ``seed`` (default: the config's).
        """
        if not (isinstance(dim, int) and dim >= 2) or not noise >= 0:
            raise ValueError(f"feature_vectors: need dim >= 2 and noise >= 0, got {dim}, {noise}")
        rng = np.random.default_rng(self.config.seed if seed is None else seed)
        proto = rng.standard_normal((self.num_objects + 1, dim))
        proto /= np.linalg.norm(proto, axis=1, keepdims=True)
        ids = self.det_gt_ids
        base = np.where((ids > 0)[:, None], proto[np.maximum(ids, 0)], 0.0)
        fp = ids <= 0
        base[fp] = rng.standard_normal((int(fp.sum()), dim))
        base[fp] /= np.linalg.norm(base[fp], axis=1, keepdims=True)
        feats = base + rng.standard_normal(base.shape) * (noise / math.sqrt(dim))
        return (feats / np.linalg.norm(feats, axis=1, keepdims=True)).astype(np.float32)

    def appearance(self, object_id: int) -> tuple[tuple[int, int, int], int]:
        """Return ``((r, g, b), pattern)`` of an object id."""
        if not 1 <= int(object_id) <= self.num_objects:
            raise ValueError(
                f"appearance: object_id must be in 1..{self.num_objects}, got {object_id}"
            )
        r, g, b = (int(v) for v in self.colors[int(object_id) - 1])
        return (r, g, b), int(self.patterns[int(object_id) - 1])

    def render_frame(self, frame: int) -> NDArray[np.uint8]:
        """Draw ``frame`` (1-based): objects far to near over a gradient; RGB, shape (H, W, 3)."""
        n = self.info.seq_length
        if (
            isinstance(frame, bool)
            or not isinstance(frame, (int, np.integer))
            or not 1 <= frame <= n
        ):
            raise ValueError(f"render_frame: frame must be an integer in 1..{n}, got {frame!r}")
        h, w = self.info.im_height, self.info.im_width
        shade = np.linspace(90, 170, h, dtype=np.float64)[:, None]
        img = np.empty((h, w, 3), np.uint8)
        img[...] = np.stack([shade * 0.8, shade * 0.9, shade], axis=-1).astype(np.uint8)
        lo, hi = np.searchsorted(self.gt[:, 0], [frame, frame + 1])
        rows = np.arange(lo, hi)[np.argsort(self.gt_full_xyxy[lo:hi, 3], kind="stable")]
        for i in rows:
            oid = int(self.gt[i, 1])
            _draw_object(
                img, self.gt_full_xyxy[i], self.colors[oid - 1], int(self.patterns[oid - 1])
            )
        return img

    def write(self, root: str | os.PathLike[str], render: bool = False) -> Path:
        """Write ``<root>/<name>/`` with seqinfo.ini, gt/gt.txt, det/det.txt (and img1/ if render).

        Returns the sequence folder. The same config gives byte-identical text files.
        """
        folder = Path(root) / self.name
        write_sequence(folder, self.info, self.gt, self.det)
        if render:
            (folder / self.info.im_dir).mkdir(parents=True, exist_ok=True)
            for f in range(1, self.info.seq_length + 1):
                path = folder / self.info.im_dir / f"{f:06d}{self.info.im_ext}"
                if not cv2.imwrite(str(path), self.render_frame(f)[:, :, ::-1]):
                    raise ValueError(f"write: OpenCV could not write {path}")
        return folder


def _draw_object(img: NDArray[np.uint8], box: F64, color: NDArray[np.uint8], pattern: int) -> None:
    x1, y1, x2, y2 = np.rint(box).astype(int).tolist()
    main = tuple(int(c) for c in color)
    dark = tuple(int(c) // 2 for c in color)
    cv2.rectangle(img, (x1, y1), (x2, y2), main, -1)
    if pattern == 1:
        step = max(4, (y2 - y1) // 8)
        for y in range(y1 + step, y2, 2 * step):
            cv2.rectangle(img, (x1, y), (x2, min(y + step, y2)), dark, -1)
    elif pattern == 2:
        step = max(3, (x2 - x1) // 5)
        for x in range(x1 + step, x2, 2 * step):
            cv2.rectangle(img, (x, y1), (min(x + step, x2), y2), dark, -1)
    elif pattern == 3:
        other = tuple(255 - int(c) for c in color)
        cv2.rectangle(img, (x1, y1 + (y2 - y1) * 9 // 20), (x2, y2), other, -1)
    cv2.rectangle(img, (x1, y1), (x2, y2), (20, 20, 20), 1)


# ----------------------------------------------------------------------------- generation


class _Population:
    """Struct-of-arrays state of the objects present: ids, centre, height, aspect, velocity."""

    keys = ("cx", "cy", "h", "aspect", "vx", "vy")

    def __init__(self) -> None:
        self.ids = np.zeros(0, np.int64)
        self.state = {k: np.zeros(0) for k in self.keys}

    def add(self, ids: NDArray[np.int64], state: dict[str, F64]) -> None:
        self.ids = np.concatenate([self.ids, ids])
        self.state = {k: np.concatenate([self.state[k], state[k]]) for k in self.keys}

    def keep(self, mask: NDArray[np.bool_]) -> None:
        self.ids = self.ids[mask]
        self.state = {k: v[mask] for k, v in self.state.items()}

    def boxes(self) -> F64:
        s = self.state
        half_w, half_h = s["h"] * s["aspect"] / 2, s["h"] / 2
        return np.stack([s["cx"] - half_w, s["cy"] - half_h, s["cx"] + half_w, s["cy"] + half_h], 1)


def _spawn(rng: np.random.Generator, cfg: SyntheticConfig, n: int, edges: bool) -> dict[str, F64]:
    """Draw ``n`` new objects: inside the image, or (with ``edge_entry_prob``) at an edge."""
    W, H = cfg.width, cfg.height
    h = rng.uniform(*cfg.height_range, n)
    aspect = rng.uniform(*cfg.aspect_range, n)
    w = h * aspect
    speed = rng.uniform(*cfg.speed_range, n)
    angle = rng.uniform(-np.pi, np.pi, n)
    cx = rng.uniform(w / 2, W - w / 2)
    cy = rng.uniform(h / 2, H - h / 2)
    at_edge = (rng.random(n) < cfg.edge_entry_prob) & edges
    edge = rng.choice(4, size=n, p=[0.4, 0.4, 0.1, 0.1])  # left, right, top, bottom
    frac = np.minimum(rng.uniform(cfg.min_inside + 0.05, cfg.min_inside + 0.35, n), 1.0)
    inward = np.array([0.0, np.pi, np.pi / 2, -np.pi / 2])[edge] + angle * (40 / 180)
    angle = np.where(at_edge, inward, angle)
    out_x = np.select([edge == 0, edge == 1], [w * (frac - 0.5), W - w * (frac - 0.5)], cx)
    out_y = np.select([edge == 2, edge == 3], [h * (frac - 0.5), H - h * (frac - 0.5)], cy)
    cx = np.where(at_edge, out_x, cx)
    cy = np.where(at_edge, out_y, cy)
    vx, vy = speed * np.cos(angle), 0.5 * speed * np.sin(angle)
    return {"cx": cx, "cy": cy, "h": h, "aspect": aspect, "vx": vx, "vy": vy}


def _colors(rng: np.random.Generator, ids: NDArray[np.int64]) -> NDArray[np.uint8]:
    """RGB colours: golden-ratio hue steps over ids (neighbours differ), random saturation/value."""
    n = ids.shape[0]
    hue = np.mod(ids * 0.6180339887, 1.0) * 180.0
    hsv = np.stack([hue, rng.integers(130, 256, n), rng.integers(110, 256, n)], axis=-1)
    return cv2.cvtColor(hsv.astype(np.uint8)[None], cv2.COLOR_HSV2RGB)[0]


def _clip(boxes: F64, cfg: SyntheticConfig) -> F64:
    return np.clip(boxes, 0.0, [cfg.width, cfg.height, cfg.width, cfg.height])


def _area(boxes: F64) -> F64:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _max_cover(visible: F64, depth: F64) -> F64:
    """Largest fraction of each visible box covered by one nearer (larger ``depth``) box."""
    if visible.shape[0] < 2:
        return np.zeros(visible.shape[0])
    v = visible.astype(np.float32)
    iw = np.minimum(v[:, None, 2], v[None, :, 2]) - np.maximum(v[:, None, 0], v[None, :, 0])
    ih = np.minimum(v[:, None, 3], v[None, :, 3]) - np.maximum(v[:, None, 1], v[None, :, 1])
    inter = np.maximum(iw, 0) * np.maximum(ih, 0)
    inter *= depth[None, :] > depth[:, None]
    area = np.maximum(_area(visible), 1e-9)
    return np.minimum(inter.max(axis=1) / area, 1.0)


def _to_mot(boxes: F64) -> F64:
    """``xyxy`` -> rounded ``x, y, w, h`` whose corners are the rounded corners."""
    r = np.round(boxes, 2)
    return np.round(np.concatenate([r[:, :2], r[:, 2:] - r[:, :2]], axis=1), 2)


def _detect(rng: np.random.Generator, cfg: SyntheticConfig, full: F64, cover: F64) -> tuple:
    """Noisy detections of the present objects: (kept mask, xyxy (n, 4), scores)."""
    n = full.shape[0]
    miss = np.where(cover > cfg.occlusion_iou, cfg.occluded_miss_prob, cfg.miss_prob)
    found = rng.random(n) >= miss
    wh = np.tile(full[:, 2:] - full[:, :2], 2)
    noisy = full + rng.normal(0.0, 1.0, (n, 4)) * cfg.box_jitter * wh
    noisy[:, 2:] = np.maximum(noisy[:, 2:], noisy[:, :2] + 1.0)
    noisy = _clip(noisy, cfg)
    found &= _area(noisy) > 0
    scores = rng.beta(*cfg.true_score, n)
    return found, noisy, scores


def _false_positives(rng: np.random.Generator, cfg: SyntheticConfig) -> tuple[F64, F64]:
    k = int(rng.poisson(cfg.false_positives))
    h = rng.uniform(*cfg.height_range, k)
    w = h * rng.uniform(*cfg.aspect_range, k)
    cx, cy = rng.uniform(0, cfg.width, k), rng.uniform(0, cfg.height, k)
    boxes = _clip(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1), cfg)
    return boxes, rng.beta(*cfg.false_score, k)


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
    pop = _Population()
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
            s, n = pop.state, pop.ids.shape[0]
            s["vx"] = s["vx"] + rng.normal(0.0, cfg.velocity_noise, n)
            s["vy"] = s["vy"] + rng.normal(0.0, cfg.velocity_noise, n)
            scale = np.minimum(
                1.0, cfg.speed_range[1] / np.maximum(np.hypot(s["vx"], s["vy"]), 1e-9)
            )
            s["vx"], s["vy"] = s["vx"] * scale, s["vy"] * scale
            s["cx"], s["cy"] = s["cx"] + s["vx"], s["cy"] + s["vy"]
            s["h"] = np.clip(
                s["h"] * np.exp(rng.normal(0.0, cfg.size_jitter, n)), *cfg.height_range
            )
            full = pop.boxes()
            inside = _area(_clip(full, cfg)) / _area(full)
            pop.keep((inside >= cfg.min_inside) & (rng.random(n) >= vanish))
            n_new = int(rng.poisson(max(0.0, cfg.num_objects - pop.ids.shape[0])))
        if n_new:
            new_ids = np.arange(next_id, next_id + n_new)
            pop.add(new_ids, _spawn(rng, cfg, n_new, frame > 1))
            colors.append(_colors(rng, new_ids))
            patterns.append(rng.integers(0, NUM_PATTERNS, n_new))
            next_id += n_new

        full = pop.boxes()
        visible = _clip(full, cfg)
        inside = _area(visible) / _area(full)
        cover = _max_cover(visible, full[:, 3])
        n = pop.ids.shape[0]
        gt = np.ones((n, 9))
        gt[:, 0], gt[:, 1], gt[:, 2:6] = frame, pop.ids, _to_mot(visible)
        gt[:, 8] = np.round(inside * (1.0 - cover), 4)
        gt_parts.append(gt)
        full_parts.append(full)

        found, noisy, scores = _detect(rng, cfg, full, cover)
        fp_boxes, fp_scores = _false_positives(rng, cfg)
        boxes = np.concatenate([noisy[found], fp_boxes])
        det = np.full((boxes.shape[0], 10), -1.0)
        det[:, 0], det[:, 2:6] = frame, _to_mot(boxes)
        det[:, 6] = np.round(np.concatenate([scores[found], fp_scores]), 3)
        ids = np.concatenate([pop.ids[found], np.full(fp_boxes.shape[0], -1, np.int64)])
        order = rng.permutation(boxes.shape[0])
        det_parts.append(det[order])
        det_id_parts.append(ids[order])

    def stack(parts: list[Any], shape: tuple[int, ...], dtype: Any = np.float64) -> Any:
        arr = np.concatenate(parts).astype(dtype) if parts else np.zeros(shape, dtype)
        arr.flags.writeable = False
        return arr

    info = SeqInfo(cfg.name, cfg.num_frames, cfg.frame_rate, cfg.width, cfg.height)
    return SyntheticSequence(
        config=cfg,
        info=info,
        gt=stack(gt_parts, (0, 9)),
        det=stack(det_parts, (0, 10)),
        det_gt_ids=stack(det_id_parts, (0,), np.int64),
        gt_full_xyxy=stack(full_parts, (0, 4)),
        colors=stack(colors, (0, 3), np.uint8),
        patterns=stack(patterns, (0,), np.int64),
    )
