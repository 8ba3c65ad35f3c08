"""Box formats and box geometry, vectorized over rows.

Formats (one row per box, float64):

``xyxy``
    ``[x1, y1, x2, y2]`` corners (the public format of the library).
``xywh``
    ``[x, y, w, h]`` top-left corner plus size (MOTChallenge files).
``cxcywh``
    ``[cx, cy, w, h]`` centre plus size.
``xyah``
    ``[cx, cy, w / h, h]`` centre, aspect ratio, height (deep_sort / FairMOT Kalman state).
``xysr``
    ``[cx, cy, w * h, w / h]`` centre, area, aspect ratio (SORT Kalman state).

Every conversion goes through ``xyxy``; :func:`convert` is the only entry point.
"""

from __future__ import annotations

from typing import Callable, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["FORMATS", "BoxFormat", "convert", "iou_matrix"]

BoxFormat = Literal["xyxy", "xywh", "cxcywh", "xyah", "xysr"]
FORMATS: tuple[str, ...] = ("xyxy", "xywh", "cxcywh", "xyah", "xysr")

F64 = NDArray[np.float64]


def _xywh_to_xyxy(b: F64) -> F64:
    out = b.copy()
    out[:, 2:4] += b[:, 0:2]
    return out


def _xyxy_to_xywh(b: F64) -> F64:
    out = b.copy()
    out[:, 2:4] -= b[:, 0:2]
    return out


def _cxcywh_to_xyxy(b: F64) -> F64:
    half = b[:, 2:4] / 2.0
    return np.concatenate([b[:, 0:2] - half, b[:, 0:2] + half], axis=1)


def _xyxy_to_cxcywh(b: F64) -> F64:
    wh = b[:, 2:4] - b[:, 0:2]
    return np.concatenate([b[:, 0:2] + wh / 2.0, wh], axis=1)


def _xyah_to_xyxy(b: F64) -> F64:
    h = b[:, 3]
    w = b[:, 2] * h
    return _cxcywh_to_xyxy(np.stack([b[:, 0], b[:, 1], w, h], axis=1))


def _xyxy_to_xyah(b: F64) -> F64:
    c = _xyxy_to_cxcywh(b)
    c[:, 2] /= c[:, 3]
    return c


def _xysr_to_xyxy(b: F64) -> F64:
    # SORT's convert_x_to_bbox: w = sqrt(s * r), h = s / w.
    w = np.sqrt(b[:, 2] * b[:, 3])
    h = b[:, 2] / w
    return _cxcywh_to_xyxy(np.stack([b[:, 0], b[:, 1], w, h], axis=1))


def _xyxy_to_xysr(b: F64) -> F64:
    # SORT's convert_bbox_to_z: centre x1 + w/2, s = w * h, r = w / h.
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    return np.stack([b[:, 0] + w / 2.0, b[:, 1] + h / 2.0, w * h, w / h], axis=1)


_TO_XYXY: dict[str, Callable[[F64], F64]] = {
    "xyxy": np.copy,
    "xywh": _xywh_to_xyxy,
    "cxcywh": _cxcywh_to_xyxy,
    "xyah": _xyah_to_xyxy,
    "xysr": _xysr_to_xyxy,
}
_FROM_XYXY: dict[str, Callable[[F64], F64]] = {
    "xyxy": np.copy,
    "xywh": _xyxy_to_xywh,
    "cxcywh": _xyxy_to_cxcywh,
    "xyah": _xyxy_to_xyah,
    "xysr": _xyxy_to_xysr,
}


def convert(boxes: ArrayLike, src: BoxFormat, dst: BoxFormat) -> F64:
    """Convert boxes between formats.

    Parameters
    ----------
    boxes : array_like, shape (N, 4) or (4,)
        Boxes in format ``src``.
    src, dst : {"xyxy", "xywh", "cxcywh", "xyah", "xysr"}
        Source and destination formats (see the module docstring).

    Returns
    -------
    ndarray, shape (N, 4) or (4,)
        A new float64 array in format ``dst`` (same leading shape as the input).

    Notes
    -----
    ``xyah``/``xysr`` divide by the height; a zero-height box gives an infinite or NaN aspect
    ratio, as in the reference trackers.
    """
    for name, fmt in (("src", src), ("dst", dst)):
        if fmt not in _TO_XYXY:
            raise ValueError(f"convert: {name} must be one of {FORMATS}, got {fmt!r}")
    arr = np.asarray(boxes, dtype=np.float64)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"convert: boxes must have shape (N, 4) or (4,), got {np.shape(boxes)}")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _FROM_XYXY[dst](_TO_XYXY[src](arr)) if src != dst else arr.copy()
    return out[0] if single else out


def iou_matrix(a: ArrayLike, b: ArrayLike, pixel_offset: float = 0.0) -> F64:
    """Pairwise intersection over union of two sets of ``xyxy`` boxes.

    Parameters
    ----------
    a : array_like, shape (N, 4)
    b : array_like, shape (M, 4)
    pixel_offset : float, default 0.0
        Added to every width and height (``1.0`` gives the inclusive-pixel convention of
        FairMOT's ``cython_bbox``).

    Returns
    -------
    ndarray, shape (N, M)
        IoU in [0, 1]; pairs whose union is empty get 0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 4 or b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"iou_matrix: expected (N, 4) and (M, 4) boxes, got {a.shape} and {b.shape}")
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((a.shape[0], b.shape[0]))
    a_ = a[:, None, :]
    b_ = b[None, :, :]
    off = float(pixel_offset)
    w = np.maximum(0.0, np.minimum(a_[..., 2], b_[..., 2]) - np.maximum(a_[..., 0], b_[..., 0]) + off)
    h = np.maximum(0.0, np.minimum(a_[..., 3], b_[..., 3]) - np.maximum(a_[..., 1], b_[..., 1]) + off)
    inter = w * h
    area_a = (a_[..., 2] - a_[..., 0] + off) * (a_[..., 3] - a_[..., 1] + off)
    area_b = (b_[..., 2] - b_[..., 0] + off) * (b_[..., 3] - b_[..., 1] + off)
    union = area_a + area_b - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / union
    iou[~(union > 0)] = 0.0
    return iou
