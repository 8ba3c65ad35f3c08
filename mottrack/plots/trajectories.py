"""Tracks' paths drawn over a frame: each ID's box bottom centres joined, in its colour."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from ..io.seqinfo import PathLike
from .common import id_color, pyplot, rows_by_id, save_png

__all__ = ["plot_trajectories", "read_frame"]


def read_frame(path: PathLike) -> NDArray[np.uint8]:
    """An image file, or the first frame of a video, as BGR uint8 (H, W, 3)."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"--frame: file not found: {file}")
    image = cv2.imread(str(file), cv2.IMREAD_COLOR)
    if image is None:
        cap = cv2.VideoCapture(str(file))
        ok, image = cap.read() if cap.isOpened() else (False, None)
        cap.release()
        if not ok:
            raise ValueError(f"--frame: OpenCV cannot read {file} as an image or a video")
    return image


def plot_trajectories(
    results: NDArray[np.float64], frame: NDArray[np.uint8], out: PathLike, min_length: int = 2
) -> Path:
    """Draw every track's path (bottom centre of its boxes) over ``frame``.

    Parameters
    ----------
    results : ndarray, shape (K, >=6)
        MOTChallenge rows ``frame, id, x, y, w, h``.
    frame : ndarray, shape (H, W, 3), uint8
        BGR background image (the results' pixel coordinates).
    out : path
        PNG to write.
    min_length : int, default 2
        Tracks with fewer rows are left out.

    Returns
    -------
    pathlib.Path
    """
    plt = pyplot()
    height, width = frame.shape[:2]
    fig, ax = plt.subplots(figsize=(10, 10 * height / max(width, 1)))
    ax.imshow(frame[:, :, ::-1], alpha=0.75)
    shown = 0
    for track_id, rows in zip(*rows_by_id(results)):
        if len(rows) < min_length:
            continue
        x = rows[:, 2] + rows[:, 4] / 2
        y = rows[:, 3] + rows[:, 5]
        color = id_color(track_id)
        ax.plot(x, y, "-", color=color, lw=1.6)
        ax.plot(x[-1], y[-1], "o", color=color, ms=4)
        ax.annotate(
            str(track_id),
            (x[-1], y[-1]),
            color="white",
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
            bbox={"boxstyle": "round,pad=0.15", "fc": color, "ec": "none"},
        )
        shown += 1
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    ax.set_title(f"{shown} tracks (bottom-centre paths; dot and label at the last frame)")
    return save_png(fig, out)
