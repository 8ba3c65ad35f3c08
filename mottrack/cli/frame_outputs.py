"""What ``mottrack track`` and ``mottrack demo`` do with each tracked frame: draw it into an
annotated video (written atomically) and show it in a window."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..io.video import AtomicVideoWriter
from ..types import Tracks

__all__ = ["FrameOutputs", "check_display", "check_video_name"]

WINDOW = "mottrack (q: stop)"


def check_video_name(path: str) -> Path:
    """``--video``'s path, checked writable and named ``.mp4`` or ``.avi`` (before any work)."""
    from ..io.outputs import check_output_file

    if Path(path).suffix.lower() not in (".mp4", ".avi"):
        raise ValueError(f"--video: expected a .mp4 or .avi file name, got {path!r}")
    return check_output_file(path, "--video")


def check_display() -> None:
    """Refuse ``--show`` where no window can open (one line, before any work)."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise ValueError("--show: no display here ($DISPLAY is not set); write --video FILE.mp4")
    import cv2

    try:
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)
    except cv2.error as exc:
        reason = " ".join(str(exc).split())[-160:]
        raise ValueError(f"--show: OpenCV cannot open a window ({reason})") from None


class FrameOutputs:
    """``on_frame`` callback of :func:`~mottrack.pipeline.track_frames`: draw, write, show.

    Parameters
    ----------
    video : pathlib.Path, optional
        Annotated video to write (checked writable by the caller).
    show : bool
        Show each annotated frame in a window (``q`` stops the run like Ctrl-C).
    fps : float
        Frame rate of the video (0: 25).
    trail_length : int
        Frames of trail drawn behind each track.

    Attributes
    ----------
    seconds : dict of str to float
        Time spent drawing (``"draw"``) and writing or showing (``"output"``).
    """

    def __init__(self, video: Path | None, show: bool, fps: float, trail_length: int = 30) -> None:
        from ..viz import TrackDrawer

        self.drawer = TrackDrawer(trail_length=trail_length)
        self.writer = None if video is None else AtomicVideoWriter(video, fps, "--video")
        self.show = show
        self.seconds = {"draw": 0.0, "output": 0.0}

    def __call__(self, number: int, image: NDArray[np.uint8] | None, tracks: Tracks) -> None:
        """Draw frame ``number`` (``image`` BGR, (H, W, 3) uint8) with ``tracks``."""
        if image is None:
            return
        start = time.perf_counter()
        scene = self.drawer.draw(image, tracks, number)
        drawn = time.perf_counter()
        if self.writer is not None:
            self.writer.write(scene)
        if self.show:
            import cv2

            cv2.imshow(WINDOW, scene)
            if cv2.waitKey(1) & 0xFF == ord("q"):
                raise KeyboardInterrupt
        self.seconds["draw"] += drawn - start
        self.seconds["output"] += time.perf_counter() - drawn

    def finish(self, ok: bool) -> Path | None:
        """Commit the video when the run succeeded (else discard it); close the window."""
        path = None
        if self.writer is not None:
            try:
                if ok:
                    path = self.writer.commit()
            finally:
                self.writer.close()
        if self.show:
            import cv2

            cv2.destroyAllWindows()
        return path
