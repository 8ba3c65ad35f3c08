"""Drawing synthetic frames: objects as patterned boxes, far to near, over a vertical gradient.

An object is a box filled with its colour and one of :data:`NUM_PATTERNS` patterns, outlined in
near-black; nearer objects (larger unclipped bottom edge) are drawn over farther ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from numpy.typing import NDArray

from .._checks import check_frame_number

if TYPE_CHECKING:
    from .sequence import SyntheticSequence

__all__ = ["NUM_PATTERNS", "draw_object", "draw_objects", "render_frame"]

NUM_PATTERNS = 4  # 0 solid, 1 horizontal stripes, 2 vertical stripes, 3 two-tone


def draw_object(
    img: NDArray[np.uint8], box: NDArray[np.float64], color: NDArray[np.uint8], pattern: int
) -> None:
    """Draw one object into ``img`` in place.

    Parameters
    ----------
    img : ndarray, shape (H, W, 3), uint8
        RGB image.
    box : ndarray, shape (4,)
        Unclipped ``xyxy`` box (rounded to whole pixels).
    color : ndarray, shape (3,), uint8
        RGB colour.
    pattern : int
        ``0`` solid, ``1`` horizontal stripes, ``2`` vertical stripes, ``3`` two-tone.
    """
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


def render_frame(seq: SyntheticSequence, frame: int) -> NDArray[np.uint8]:
    """Draw ``frame`` (1-based) of ``seq``: objects far to near over a gradient.

    Parameters
    ----------
    seq : SyntheticSequence
    frame : int
        In ``1..seq.info.seq_length``.

    Returns
    -------
    ndarray, shape (H, W, 3), uint8
        RGB image.
    """
    check_frame_number("render_frame", frame, seq.info.seq_length)
    h, w = seq.info.im_height, seq.info.im_width
    shade = np.linspace(90, 170, h, dtype=np.float64)[:, None]
    img = np.empty((h, w, 3), np.uint8)
    img[...] = np.stack([shade * 0.8, shade * 0.9, shade], axis=-1).astype(np.uint8)
    draw_objects(img, seq, frame)
    return img


def draw_objects(
    img: NDArray[np.uint8], seq: SyntheticSequence, frame: int, bgr: bool = False
) -> None:
    """Draw the objects of ``seq`` at ``frame`` into ``img`` in place, far to near (by the
    unclipped bottom edge), in the sequence's own (world) coordinates; ``bgr``: colours in
    OpenCV's channel order."""
    lo, hi = np.searchsorted(seq.gt[:, 0], [frame, frame + 1])
    full = seq.gt_full_xyxy
    for i in np.arange(lo, hi)[np.argsort(full[lo:hi, 3], kind="stable")]:
        oid = int(seq.gt[i, 1])
        color = seq.colors[oid - 1]
        draw_object(img, full[i], color[::-1] if bgr else color, int(seq.patterns[oid - 1]))
