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

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FORMATS",
    "BoxFormat",
    "convert",
    "iou_matrix",
    "xyah_to_xyxy",
    "xysr_to_xyxy",
    "xyxy_to_xyah",
    "xyxy_to_xysr",
]

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


def xyah_to_xyxy(b: F64) -> F64:
    """``xyah`` (first 4 columns of ``b``, shape (N, >=4)) to ``xyxy``, no checks.

    deep_sort's ``to_tlwh``: ``w = a * h``, top-left ``centre - wh / 2``. The hot-path form of
    ``convert(b, "xyah", "xyxy")``.
    """
    out = np.empty((b.shape[0], 4))
    wh = out[:, 2:]
    np.multiply(b[:, 2], b[:, 3], out=wh[:, 0])
    wh[:, 1] = b[:, 3]
    out[:, :2] = b[:, :2] - wh / 2.0
    wh += out[:, :2]
    return out


def xyxy_to_xyah(b: F64) -> F64:
    """``xyxy`` (shape (N, 4)) to ``xyah``, no checks: the hot-path form of :func:`convert`.

    deep_sort's ``to_xyah``: centre ``x1 + w/2``, ``a = w / h``, ``h``.
    """
    out = np.empty((b.shape[0], 4))
    wh = b[:, 2:] - b[:, :2]
    out[:, :2] = b[:, :2] + wh / 2.0
    np.divide(wh[:, 0], wh[:, 1], out=out[:, 2])
    out[:, 3] = wh[:, 1]
    return out


def xysr_to_xyxy(b: F64) -> F64:
    """``xysr`` (first 4 columns of ``b``, shape (N, >=4)) to ``xyxy``, no checks.

    SORT's ``convert_x_to_bbox``: ``w = sqrt(s * r)``, ``h = s / w``. The hot-path form of
    ``convert(b, "xysr", "xyxy")``; call it inside ``np.errstate`` if ``s * r`` may be < 0.
    """
    half = np.empty((b.shape[0], 2))
    w = np.sqrt(b[:, 2] * b[:, 3], out=half[:, 0])
    np.divide(b[:, 2], w, out=half[:, 1])
    half *= 0.5
    centre = b[:, :2]
    return np.concatenate((centre - half, centre + half), axis=1)


def xyxy_to_xysr(b: F64) -> F64:
    """``xyxy`` (shape (N, 4)) to ``xysr``, no checks: the hot-path form of :func:`convert`.

    SORT's ``convert_bbox_to_z``: centre ``x1 + w/2``, ``s = w * h``, ``r = w / h``.
    """
    out = np.empty((b.shape[0], 4))
    wh = b[:, 2:] - b[:, :2]
    out[:, :2] = b[:, :2] + wh / 2.0
    out[:, 2] = wh[:, 0] * wh[:, 1]
    out[:, 3] = wh[:, 0] / wh[:, 1]
    return out


_TO_XYXY: dict[str, Callable[[F64], F64]] = {
    "xyxy": np.copy,
    "xywh": _xywh_to_xyxy,
    "cxcywh": _cxcywh_to_xyxy,
    "xyah": xyah_to_xyxy,
    "xysr": xysr_to_xyxy,
}
_FROM_XYXY: dict[str, Callable[[F64], F64]] = {
    "xyxy": np.copy,
    "xywh": _xyxy_to_xywh,
    "cxcywh": _xyxy_to_cxcywh,
    "xyah": xyxy_to_xyah,
    "xysr": xyxy_to_xysr,
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
        raise ValueError(
            f"iou_matrix: expected (N, 4) and (M, 4) boxes, got {a.shape} and {b.shape}"
        )
    off = float(pixel_offset)
    # Column-wise (N, M) operations, in place where possible: a few full-size temporaries only.
    w = np.minimum(a[:, 2:3], b[:, 2])
    w -= np.maximum(a[:, 0:1], b[:, 0])
    h = np.minimum(a[:, 3:4], b[:, 3])
    h -= np.maximum(a[:, 1:2], b[:, 1])
    if off:
        w += off
        h += off
    np.maximum(w, 0.0, out=w)
    np.maximum(h, 0.0, out=h)
    inter = np.multiply(w, h, out=w)
    area_a = (a[:, 2] - a[:, 0] + off) * (a[:, 3] - a[:, 1] + off)
    area_b = (b[:, 2] - b[:, 0] + off) * (b[:, 3] - b[:, 1] + off)
    union = np.add(area_a[:, None], area_b[None, :], out=h)
    union -= inter
    # An empty union means two empty boxes, whose intersection is 0: 0, not 0/0. Any positive
    # union, subnormal ones included, divides exactly as the scalar formula does.
    # (union > 0 fails only for two empty boxes, whose intersection is already 0.)
    return np.divide(inter, union, out=inter, where=union > 0)
