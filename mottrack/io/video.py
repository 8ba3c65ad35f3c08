"""Video files as a frame source, and annotated videos written atomically (OpenCV)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from .seqinfo import PathLike

__all__ = ["AtomicVideoWriter", "video_frames"]


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


class AtomicVideoWriter:
    """Write BGR frames to a video file that appears only when complete.

    Frames go to a temporary file beside ``path`` (same extension, so OpenCV picks the same
    container); :meth:`commit` renames it to ``path``, :meth:`close` alone discards it. The
    size is fixed by the first frame.

    Parameters
    ----------
    path : str or os.PathLike
        The video to write (``.mp4``: MPEG-4 Part 2, ``.avi``: MJPG).
    fps : float
        Frames per second written in the file.
    option : str
        Name used in error messages (``"--video"``).
    """

    def __init__(self, path: PathLike, fps: float, option: str = "video") -> None:
        self.path = Path(path)
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self.option = option
        self._tmp: Path | None = None
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, int] | None = None
        self.frames_written = 0

    def write(self, image: NDArray[np.uint8]) -> None:
        """Append one ``(H, W, 3)`` uint8 BGR frame (every frame the first one's size)."""
        height, width = image.shape[:2]
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(
                prefix=f".{self.path.stem}.",
                suffix=self.path.suffix or ".mp4",
                dir=self.path.parent,
            )
            os.close(fd)
            self._tmp = Path(name)
            codec = "MJPG" if self.path.suffix.lower() == ".avi" else "mp4v"
            fourcc = cv2.VideoWriter_fourcc(*codec)
            self._writer = cv2.VideoWriter(str(self._tmp), fourcc, self.fps, (width, height))
            self._size = (width, height)
            if not self._writer.isOpened():
                self.close()
                raise ValueError(
                    f"{self.option}: OpenCV cannot write a {codec} video to {self.path} "
                    "(use a .mp4 or .avi name)"
                )
        if (width, height) != self._size:
            raise ValueError(
                f"{self.option}: expected every frame {self._size[0]}x{self._size[1]}, "  # type: ignore[index]
                f"got {width}x{height}"
            )
        self._writer.write(np.ascontiguousarray(image))
        self.frames_written += 1

    def close(self) -> None:
        """Release the writer and remove the temporary file if it was not committed."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self._tmp is not None and self._tmp.exists():
            self._tmp.unlink()
        self._tmp = None

    def commit(self) -> Path:
        """Finish the file and move it to :attr:`path` (nothing is written without frames)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self._tmp is None:
            raise ValueError(f"{self.option}: no frame was written to {self.path}")
        os.chmod(self._tmp, self.path.stat().st_mode & 0o777 if self.path.exists() else 0o644)
        os.replace(self._tmp, self.path)
        self._tmp = None
        return self.path
