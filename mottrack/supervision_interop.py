"""Interoperability with roboflow ``supervision`` (the ``viz`` extra).

``supervision.Detections`` in, :class:`~mottrack.types.Detections` out (:func:`from_supervision`,
used by every tracker's ``update()`` through :func:`~mottrack.types.as_detections`), and
:class:`~mottrack.types.Tracks` back to ``supervision.Detections`` (:func:`to_supervision`) with
``tracker_id`` and the matched detections' ``class_id``, ``data`` and ``mask``. supervision is
imported only by :func:`to_supervision`; a missing package names the extra to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from .types import Detections, Tracks

__all__ = ["from_supervision", "is_supervision_detections", "to_supervision"]


def is_supervision_detections(value: Any) -> bool:
    """Whether ``value`` is a ``supervision.Detections`` (checked without importing it)."""
    cls = type(value)
    return cls.__name__ == "Detections" and cls.__module__.startswith("supervision")


def from_supervision(detections: Any) -> Detections:
    """Convert a ``supervision.Detections`` to :class:`~mottrack.types.Detections`.

    Parameters
    ----------
    detections : supervision.Detections
        ``xyxy`` (N, 4); ``confidence`` (N,) or None (ones); ``class_id`` (N,) or None;
        ``data["embeddings"]`` (N, D), optional, for trackers that need appearance features.

    Returns
    -------
    Detections
    """
    from .types import Detections

    embeddings = detections.data.get("embeddings") if detections.data else None
    try:
        return Detections(
            detections.xyxy, detections.confidence, detections.class_id, embeddings=embeddings
        )
    except ValueError as exc:
        raise ValueError(f"supervision.Detections: {exc}") from None


def _fill_value(values: NDArray[Any]) -> Any:
    """What a coasting track (no matched detection) gets in a ``data`` column."""
    kind = values.dtype.kind
    return {"f": np.nan, "c": np.nan, "i": -1, "u": 0, "b": False, "U": "", "S": b""}.get(kind)


def _take(values: Any, index: NDArray[np.int64]) -> NDArray[Any]:
    """Rows ``index`` of ``values``; rows where ``index < 0`` get :func:`_fill_value`."""
    arr = np.asarray(values)
    matched = index >= 0
    if len(arr):
        out = arr[np.where(matched, index, 0)]
    else:  # no detections: every track coasts
        out = np.zeros((len(index), *arr.shape[1:]), arr.dtype)
    fill = _fill_value(arr)
    if fill is None:  # objects
        out = out.astype(object)
    out[~matched] = fill
    return out


def to_supervision(tracks: Tracks, detections: Any = None) -> Any:
    """``tracks`` as ``supervision.Detections``, tied back to this frame's detections.

    Parameters
    ----------
    tracks : Tracks
        ``M`` reported tracks.
    detections : supervision.Detections or Detections, optional
        The ``N`` detections passed to ``update()`` for this frame. Through
        ``tracks.det_index`` each matched track gets its detection's ``class_id``, ``data``
        entries and ``mask``; a coasting track gets a fill value (NaN for floats, -1 for
        integers, False for booleans and masks, "" for strings, None for objects).

    Returns
    -------
    supervision.Detections
        ``xyxy`` (M, 4), ``confidence`` (M,), ``tracker_id`` (M,), ``class_id`` (M,) when the
        tracks or the detections carry classes, ``data`` (each value with M rows, plus
        ``"det_index"``), ``mask`` (M, H, W) when the detections have masks.
    """
    from ._extras import import_extra

    sv = import_extra("supervision", "to_supervision")
    index = np.asarray(tracks.det_index, np.int64)
    if detections is not None and len(index) and index.max() >= len(detections):
        raise ValueError(
            f"detections: expected the {index.max() + 1}+ detections of this frame's update(), "
            f"got {len(detections)}"
        )
    class_id = None if tracks.classes is None else np.array(tracks.classes)
    data: dict[str, Any] = {}
    mask = None
    det_classes = None
    if detections is not None:
        if is_supervision_detections(detections):
            det_classes = detections.class_id
            data = {key: _take(value, index) for key, value in detections.data.items()}
            if detections.mask is not None:
                mask = _take(detections.mask, index)
        else:
            det_classes = detections.classes
    if det_classes is not None:
        own = class_id if class_id is not None else np.full(len(index), -1)
        class_id = np.where(index >= 0, _take(det_classes, index), own).astype(int)
    data["det_index"] = index.copy()
    return sv.Detections(
        xyxy=np.array(tracks.xyxy),
        confidence=np.array(tracks.scores),
        class_id=class_id,
        tracker_id=np.array(tracks.ids),
        mask=mask,
        data=data,
    )
