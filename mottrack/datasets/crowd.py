"""Crowd scenes of any size at a constant density (the speed benchmarks' and tests' crowds)."""

from __future__ import annotations

from typing import Any

from .sequence import SyntheticSequence
from .simulate import generate

__all__ = ["CROWD_DENSITY", "crowd"]

#: Objects per 1920 x 1080 pixels. With the default boxes (60-250 px tall) each box overlaps
#: ~2.5 others, about a MOT20 crowd.
CROWD_DENSITY = 100.0


def crowd(
    objects: int,
    frames: int,
    seed: int = 0,
    density: float | None = CROWD_DENSITY,
    **overrides: Any,
) -> SyntheticSequence:
    """A synthetic scene of ``objects`` per frame on a canvas of at least 1920 x 1080, grown to
    keep ``density`` objects per 1920 x 1080 pixels (``None``: 1920 x 1080 whatever the count).

    Occlusions cause no misses (``occlusion_iou=1``), so about 0.9 * ``objects`` detections
    per frame; ``overrides`` go to :func:`~mottrack.datasets.generate`.
    """
    scale = 1.0 if density is None else max(1.0, (objects / density) ** 0.5)
    params: dict[str, Any] = {"occlusion_iou": 1.0, **overrides}
    return generate(
        num_frames=frames,
        num_objects=objects,
        seed=seed,
        width=round(1920 * scale),
        height=round(1080 * scale),
        **params,
    )
