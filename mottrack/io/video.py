"""Video files as a frame source (OpenCV)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from .seqinfo import PathLike

__all__ = ["video_frames"]


def video_frames(
    path: PathLike, first: int = 1, last: int | None = None
) -> Iterator[tuple[int, NDArray[np.uint8]]]:
    """Yield ``(frame, image)`` for frames ``first..last`` (1-based) of a video, BGR uint8.

    Frames before ``first`` are skipped without decoding.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If OpenCV cannot open it, if ``first``/``last`` are not ``1 <= first <= last``, or if
        the video ends before ``last`` (or holds no frame at or after ``first``).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"video: file not found: {path}")
    if first < 1 or (last is not None and last < first):
        raise ValueError(f"frames: expected 1 <= first <= last, got first={first}, last={last}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise ValueError(f"video: OpenCV cannot open {path}")
    i = 0
    try:
        while last is None or i < last:
            if not cap.grab():
                break
            i += 1
            if i < first:
                continue
            ok, img = cap.retrieve()
            if not ok:
                i -= 1
                break
            yield i, img
    finally:
        cap.release()
    if i < first or (last is not None and i < last):
        want = f"frames {first}-{last}" if last is not None else f"frame {first}"
        raise ValueError(f"video: could not read {want} of {path} (it ended after {i} frames)")
