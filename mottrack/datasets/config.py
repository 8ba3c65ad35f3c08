"""The parameters of a synthetic scene: :class:`SyntheticConfig`, validated on construction."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SyntheticConfig"]


def _positive(owner: str, name: str, value: Any, integer: bool = False, zero: bool = False) -> None:
    """Raise a ``ValueError`` naming ``owner.name`` unless ``value`` is a number > 0 (>= 0 if
    ``zero``; an integer if ``integer``)."""
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
