"""CenterNet/FairMOT training targets (``jde.py``'s ``JointDataset.__getitem__`` with ``ltrb``).

For label ``k < max_objs`` (slot ``k``; a box with zero width or height leaves its slot empty),
with the box scaled to the output grid (``input // down_ratio``):

- ``bbox_amodal`` is its unclipped ``x1, y1, x2, y2``; the centre ``ct`` is clipped to
  ``[0, out_w - 1] x [0, out_h - 1]`` and ``ct_int = int(ct)``.
- ``hm[class]``: a Gaussian of radius ``max(0, int(gaussian_radius((ceil(h), ceil(w)), 0.7)))``
  at ``ct_int`` (``draw_umich_gaussian``: sigma ``(2r + 1) / 6``, peak 1, element-wise max
  with what is there).
- ``wh[k] = (ct_x - x1, ct_y - y1, x2 - ct_x, y2 - ct_y)`` (ltrb, from the clipped centre),
  ``reg[k] = ct - ct_int``, ``ind[k] = ct_int_y * out_w + ct_int_x``, ``reg_mask[k] = 1``,
  ``ids[k]`` the identity (-1 stays -1), ``bbox[k]`` the box about the clipped centre.

Arithmetic is float32 as in the original. :func:`gaussian_radius` is CenterNet's formula as
written there (its three "roots" are not the smaller quadratic roots the derivation intends; the
original uses it as is, and so do we).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["MAX_OBJS", "draw_umich_gaussian", "encode_targets", "gaussian2d", "gaussian_radius"]

MAX_OBJS = 500  # FairMOT's opt.K


def gaussian_radius(det_size: tuple[ArrayLike, ArrayLike], min_overlap: float = 0.7) -> Any:
    """CenterNet's Gaussian radius for a ``(height, width)`` box in output pixels.

    ``height`` and ``width`` may be arrays (same shape): one radius per box, float64.
    """
    height, width = (np.asarray(v, dtype=np.float64) for v in det_size)
    b1 = height + width
    c1 = width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + np.sqrt(b1**2 - 4 * c1)) / 2
    b2 = 2 * (height + width)
    c2 = (1 - min_overlap) * width * height
    r2 = (b2 + np.sqrt(b2**2 - 16 * c2)) / 2
    a3 = 4 * min_overlap
    b3 = -2 * min_overlap * (height + width)
    c3 = (min_overlap - 1) * width * height
    r3 = (b3 + np.sqrt(b3**2 - 4 * a3 * c3)) / 2
    return np.minimum(np.minimum(r1, r2), r3)[()]


def gaussian2d(shape: tuple[int, int], sigma: float = 1.0) -> NDArray[np.float64]:
    """``exp(-(x^2 + y^2) / (2 sigma^2))`` on a centred ``shape`` grid; values below
    ``eps * max`` set to 0 (as CenterNet)."""
    m, n = ((s - 1.0) / 2.0 for s in shape)
    y, x = np.ogrid[-m : m + 1, -n : n + 1]
    g = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    g[g < np.finfo(g.dtype).eps * g.max()] = 0
    return g


def draw_umich_gaussian(
    heatmap: NDArray[np.float32], center: ArrayLike, radius: int, k: float = 1.0
) -> NDArray[np.float32]:
    """Max a ``(2r+1)``-wide Gaussian (sigma ``(2r+1)/6``) into ``heatmap`` (H, W) at the
    integer ``center`` ``(x, y)``, cut at the borders; in place, returns ``heatmap``."""
    diameter = 2 * radius + 1
    gaussian = gaussian2d((diameter, diameter), sigma=diameter / 6)
    x, y = int(center[0]), int(center[1])  # type: ignore[index]
    height, width = heatmap.shape[:2]
    left, right = min(x, radius), min(width - x, radius + 1)
    top, bottom = min(y, radius), min(height - y, radius + 1)
    patch = heatmap[y - top : y + bottom, x - left : x + right]
    g = gaussian[radius - top : radius + bottom, radius - left : radius + right]
    if min(g.shape) > 0 and min(patch.shape) > 0:
        np.maximum(patch, g * k, out=patch)
    return heatmap


def _draw_gaussians(
    hm: NDArray[np.float32], cls: NDArray[np.int64], centers: NDArray[np.int32], radii: NDArray
) -> None:
    """:func:`draw_umich_gaussian` of every box at once, in place: box ``i`` at the in-image
    integer ``centers[i]`` of ``hm[cls[i]]`` with radius ``radii[i]`` (element-wise max)."""
    diameter = 2 * radii + 1
    cells = diameter * diameter
    box = np.repeat(np.arange(len(radii)), cells)  # every cell of every box's full square
    local = np.arange(cells.sum()) - np.repeat(np.cumsum(cells) - cells, cells)
    d, r = diameter[box], radii[box]
    dy, dx = local // d - r, local % d - r
    sigma = d / 6
    g = np.exp(-(dx * dx + dy * dy).astype(np.float64) / (2 * sigma * sigma))
    g[g < np.finfo(g.dtype).eps] = 0  # gaussian2d's cut (its peak is 1)
    y, x = centers[box, 1] + dy, centers[box, 0] + dx
    inside = (y >= 0) & (y < hm.shape[1]) & (x >= 0) & (x < hm.shape[2])
    np.maximum.at(hm, (cls[box][inside], y[inside], x[inside]), g[inside].astype(np.float32))


def encode_targets(
    labels: ArrayLike,
    input_size: tuple[int, int],
    down_ratio: int = 4,
    max_objs: int = MAX_OBJS,
    num_classes: int = 1,
) -> dict[str, NDArray]:
    """Encode one image's boxes as FairMOT's training targets.

    Parameters
    ----------
    labels : ndarray, shape (N, 6)
        ``cls, id, xc, yc, w, h`` normalised by the input size (as :func:`.augment.jde_sample`
        returns them), identities already offset.
    input_size : (int, int)
        ``(width, height)`` of the network input.
    down_ratio : int
        Output stride.
    max_objs : int
        Slots K; labels after the first K are ignored.
    num_classes : int

    Returns
    -------
    dict
        ``hm`` (C, H/4, W/4) float32, ``reg_mask`` (K,) uint8, ``ind`` (K,) int64, ``wh`` (K, 4)
        float32, ``reg`` (K, 2) float32, ``ids`` (K,) int64, ``bbox`` (K, 4) float32.

    Raises
    ------
    ValueError
        For labels not of shape (N, 6) or a class outside ``0..num_classes-1``.
    """
    lab = np.array(labels, dtype=np.float32)
    if lab.size == 0:
        lab = lab.reshape(0, 6)
    if lab.ndim != 2 or lab.shape[1] != 6:
        raise ValueError(f"labels: expected an array of shape (N, 6), got {lab.shape}")
    out_w, out_h = int(input_size[0]) // down_ratio, int(input_size[1]) // down_ratio
    hm = np.zeros((num_classes, out_h, out_w), dtype=np.float32)
    wh = np.zeros((max_objs, 4), dtype=np.float32)
    reg = np.zeros((max_objs, 2), dtype=np.float32)
    ind = np.zeros((max_objs,), dtype=np.int64)
    reg_mask = np.zeros((max_objs,), dtype=np.uint8)
    ids = np.zeros((max_objs,), dtype=np.int64)
    bbox = np.zeros((max_objs, 4), dtype=np.float32)

    lab = lab[:max_objs]
    cls = lab[:, 0].astype(np.int64)
    bad = (cls < 0) | (cls >= num_classes) | (cls != lab[:, 0])
    if bad.any():
        raise ValueError(
            f"labels: expected integer classes in 0..{num_classes - 1}, got {lab[bad][0, 0]:g}"
        )
    box = lab[:, 2:6].copy()
    box[:, [0, 2]] *= out_w
    box[:, [1, 3]] *= out_h
    x1, y1 = box[:, 0] - box[:, 2] / 2.0, box[:, 1] - box[:, 3] / 2.0
    x2, y2 = x1 + box[:, 2], y1 + box[:, 3]
    ct = np.stack([np.clip(box[:, 0], 0, out_w - 1), np.clip(box[:, 1], 0, out_h - 1)], axis=1)
    ct_int = ct.astype(np.int32)
    w, h = box[:, 2], box[:, 3]
    slots = np.flatnonzero((h > 0) & (w > 0))
    c, ci = ct[slots], ct_int[slots]
    radius = gaussian_radius((np.ceil(h[slots]), np.ceil(w[slots]))).astype(np.int64)
    _draw_gaussians(hm, cls[slots], ci, np.maximum(radius, 0))
    wh[slots] = np.stack([c[:, 0] - x1[slots], c[:, 1] - y1[slots],
                          x2[slots] - c[:, 0], y2[slots] - c[:, 1]], axis=1)  # fmt: skip
    ind[slots] = ci[:, 1] * out_w + ci[:, 0]
    reg[slots] = c - ci
    reg_mask[slots] = 1
    ids[slots] = lab[slots, 1].astype(np.int64)
    bx1, by1 = c[:, 0] - w[slots] / 2, c[:, 1] - h[slots] / 2
    bbox[slots] = np.stack([bx1, by1, bx1 + w[slots], by1 + h[slots]], axis=1)
    return {"hm": hm, "reg_mask": reg_mask, "ind": ind, "wh": wh, "reg": reg, "ids": ids,
            "bbox": bbox}  # fmt: skip
