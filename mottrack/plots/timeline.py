"""Each track's lifetime as a bar (frames on x); against ground truth, ID switches and
fragmentations marked where they happen (:func:`.events.clear_events`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..io.seqinfo import PathLike
from .common import id_color, pyplot, rows_by_id, save_png
from .events import clear_events

__all__ = ["plot_timeline", "segments"]


def segments(frames: NDArray[np.float64]) -> list[tuple[int, int]]:
    """Runs of consecutive frames as ``(first, length)`` pairs."""
    f = np.unique(frames.astype(int))
    if not len(f):
        return []
    breaks = np.flatnonzero(np.diff(f) > 1)
    starts = np.r_[f[0], f[breaks + 1]]
    ends = np.r_[f[breaks], f[-1]]
    return [(int(a), int(b - a + 1)) for a, b in zip(starts, ends)]


def plot_timeline(
    results: NDArray[np.float64], out: PathLike, gt: NDArray[np.float64] | None = None
) -> Path:
    """Draw one bar per track ID over the frames it is reported in.

    Parameters
    ----------
    results : ndarray, shape (K, >=6)
        MOTChallenge rows ``frame, id, x, y, w, h``.
    out : path
        PNG to write.
    gt : ndarray, shape (G, >=6), optional
        Ground-truth rows of the evaluated objects: ID switches (red x, on the track that
        takes over) and fragmentations (orange triangle, where tracking resumes) are marked.

    Returns
    -------
    pathlib.Path
    """
    plt = pyplot()
    ids, rows = rows_by_id(results)
    frames = {int(i): r[:, 0] for i, r in zip(ids, rows)}  # in frame order: first is [0]
    order = sorted(frames, key=lambda i: (frames[i][0], i))
    row = {i: k for k, i in enumerate(order)}
    fig, ax = plt.subplots(figsize=(11, min(40.0, max(3.0, 0.16 * len(order) + 1.5))))
    for i in order:
        ax.broken_barh(segments(frames[i]), (row[i] - 0.4, 0.8), color=id_color(i))
    title = f"{len(order)} tracks"
    if gt is not None:
        events = clear_events(gt, results)
        for marks, style, label in (
            (events.switches, {"marker": "x", "color": "red", "s": 36}, "ID switch"),
            (
                events.fragmentations,
                {"marker": "v", "color": "darkorange", "s": 30},
                "fragmentation",
            ),
        ):
            if len(marks):
                y = [row[int(t)] for t in marks[:, 2]]
                ax.scatter(marks[:, 0], y, label=f"{label} ({len(marks)})", zorder=3, **style)
        title += (
            f", {len(events.switches)} ID switches, {len(events.fragmentations)} fragmentations"
        )
        if len(events.switches) or len(events.fragmentations):
            ax.legend(loc="upper right", fontsize=8)
    step = max(1, len(order) // 40)
    ax.set_yticks(range(0, len(order), step), [str(order[k]) for k in range(0, len(order), step)])
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlabel("frame")
    ax.set_ylabel("track ID (by first frame)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return save_png(fig, out)
