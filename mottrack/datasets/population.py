"""The objects of a synthetic scene: their state arrays, how new ones are drawn, how they move.

A :class:`Population` holds one row per object present (struct of arrays): id, centre
``(cx, cy)``, height ``h``, ``aspect`` (width / height) and velocity ``(vx, vy)`` in pixels/frame.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from .config import SyntheticConfig

__all__ = ["Population", "draw_colors", "spawn"]

F64 = NDArray[np.float64]


class Population:
    """Struct-of-arrays state of the objects present: ids, centre, height, aspect, velocity.

    Attributes
    ----------
    ids : ndarray, shape (n,), int64
        Object ids, in order of appearance.
    state : dict of str to ndarray, shape (n,)
        One float64 array per key of :attr:`keys`, aligned with :attr:`ids`.
    """

    keys = ("cx", "cy", "h", "aspect", "vx", "vy")

    def __init__(self) -> None:
        self.ids = np.zeros(0, np.int64)
        self.state = {k: np.zeros(0) for k in self.keys}

    def add(self, ids: NDArray[np.int64], state: dict[str, F64]) -> None:
        """Append objects ``ids`` (shape (k,)) with ``state`` (one (k,) array per key)."""
        self.ids = np.concatenate([self.ids, ids])
        self.state = {k: np.concatenate([self.state[k], state[k]]) for k in self.keys}

    def keep(self, mask: NDArray[np.bool_]) -> None:
        """Keep the objects where ``mask`` (shape (n,)) is true."""
        self.ids = self.ids[mask]
        self.state = {k: v[mask] for k, v in self.state.items()}

    def step(self, rng: np.random.Generator, cfg: SyntheticConfig) -> None:
        """Advance one frame: perturb velocities (speed capped), move, jitter heights.

        Draws ``velocity_noise`` normals for ``vx`` then ``vy``, then ``size_jitter`` normals.
        """
        s, n = self.state, self.ids.shape[0]
        s["vx"] = s["vx"] + rng.normal(0.0, cfg.velocity_noise, n)
        s["vy"] = s["vy"] + rng.normal(0.0, cfg.velocity_noise, n)
        scale = np.minimum(1.0, cfg.speed_range[1] / np.maximum(np.hypot(s["vx"], s["vy"]), 1e-9))
        s["vx"], s["vy"] = s["vx"] * scale, s["vy"] * scale
        s["cx"], s["cy"] = s["cx"] + s["vx"], s["cy"] + s["vy"]
        s["h"] = np.clip(s["h"] * np.exp(rng.normal(0.0, cfg.size_jitter, n)), *cfg.height_range)

    def boxes(self) -> F64:
        """Unclipped ``xyxy`` boxes of the objects, shape (n, 4)."""
        s = self.state
        half_w, half_h = s["h"] * s["aspect"] / 2, s["h"] / 2
        return np.stack([s["cx"] - half_w, s["cy"] - half_h, s["cx"] + half_w, s["cy"] + half_h], 1)


def spawn(rng: np.random.Generator, cfg: SyntheticConfig, n: int, edges: bool) -> dict[str, F64]:
    """Draw ``n`` new objects: inside the image, or (with ``edge_entry_prob``) at an edge.

    Parameters
    ----------
    rng : numpy.random.Generator
    cfg : SyntheticConfig
    n : int
        Number of objects.
    edges : bool
        Whether objects may enter at an edge (false on the first frame).

    Returns
    -------
    dict of str to ndarray, shape (n,)
        The :attr:`Population.keys` arrays of the new objects.
    """
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


def draw_colors(rng: np.random.Generator, ids: NDArray[np.int64]) -> NDArray[np.uint8]:
    """RGB colours: golden-ratio hue steps over ids (neighbours differ), random saturation/value.

    Parameters
    ----------
    rng : numpy.random.Generator
    ids : ndarray, shape (k,), int64
        Object ids.

    Returns
    -------
    ndarray, shape (k, 3), uint8
    """
    n = ids.shape[0]
    hue = np.mod(ids * 0.6180339887, 1.0) * 180.0
    hsv = np.stack([hue, rng.integers(130, 256, n), rng.integers(110, 256, n)], axis=-1)
    return cv2.cvtColor(hsv.astype(np.uint8)[None], cv2.COLOR_HSV2RGB)[0]
