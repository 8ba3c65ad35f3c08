"""Where frames come from: a video file, a folder of images, a MOTChallenge sequence folder,
or a camera index / stream URL (all read with OpenCV).

:func:`open_source` looks at what ``SOURCE`` names and returns a :class:`FrameSource`; its
errors are one line naming ``SOURCE`` and what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from .seqinfo import read_seqinfo
from .video import video_frames

__all__ = ["IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS", "FrameSource", "open_source", "quiet_opencv"]

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".m4v", ".wmv")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
EXPECTED = (
    "expected a video file, a folder of images, a MOTChallenge sequence folder (seqinfo.ini), "
    "a camera index or a stream URL"
)


@dataclass(frozen=True)
class FrameSource:
    """Frames to track, numbered from 1.

    Attributes
    ----------
    kind : str
        ``"video"``, ``"images"``, ``"sequence"`` (MOTChallenge folder) or ``"camera"``
        (an index or a URL).
    location : str
        What ``SOURCE`` said.
    name : str
        A name for the results (the file or folder stem, seqinfo's name).
    num_frames : int or None
        Frame count when known (a video's is OpenCV's estimate).
    fps : float
        Frames per second (0 when unknown).
    images : tuple of pathlib.Path
        The image files of an image or sequence folder, in frame order.
    root : pathlib.Path or None
        The sequence folder, for ``kind == "sequence"`` (its ``det/det.txt``).
    """

    kind: str
    location: str
    name: str
    num_frames: int | None
    fps: float
    images: tuple[Path, ...] = ()
    root: Path | None = None

    def frames(self) -> Iterator[tuple[int, NDArray[np.uint8]]]:
        """Yield ``(frame, image)``: frame numbers from 1, BGR uint8 images (H, W, 3)."""
        if self.kind == "video":
            yield from video_frames(self.location)
        elif self.kind == "camera":
            yield from _capture_frames(self.location)
        else:
            for number, path in enumerate(self.images, 1):
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if image is None:
                    raise ValueError(f"SOURCE: OpenCV cannot read the image {path}")
                yield number, image


def quiet_opencv() -> None:
    """Silence OpenCV's and FFmpeg's own log lines (an application's choice: its errors say
    what failed in one line)."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET, read on each open
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def _capture_frames(location: str) -> Iterator[tuple[int, NDArray[np.uint8]]]:
    target: int | str = int(location) if location.isdigit() else location
    cap = cv2.VideoCapture(target)
    if not cap.isOpened():
        raise ValueError(f"SOURCE: OpenCV cannot open the camera or stream {location!r}")
    try:
        number = 0
        while True:
            ok, image = cap.read()
            if not ok:
                break
            number += 1
            yield number, image
    finally:
        cap.release()


def _folder_images(folder: Path, ext: str | None = None) -> tuple[Path, ...]:
    exts = (ext.lower(),) if ext else IMAGE_EXTENSIONS
    return tuple(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in exts))


def open_source(text: str) -> FrameSource:
    """Interpret ``SOURCE``.

    Parameters
    ----------
    text : str
        A video file; a folder of images (sorted by name); a MOTChallenge sequence folder
        (``seqinfo.ini``, images in its ``imDir``); a camera index (``0``); a URL
        (``rtsp://...``).

    Returns
    -------
    FrameSource

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    ValueError
        If a folder holds no images, or OpenCV cannot read a file as a video.
    """
    if text.isdigit() or "://" in text:
        return FrameSource(
            "camera", text, f"camera{text}" if text.isdigit() else "stream", None, 0.0
        )
    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(f"SOURCE: no such file or folder: {text} ({EXPECTED})")
    if path.is_dir():
        return _open_folder(path)
    if path.suffix.lower() in (".txt", ".csv", ".npy"):
        raise ValueError(
            f"SOURCE: {text} is a detections file, not frames; to track it without images "
            "pass it as --det FILE (and no SOURCE)"
        )
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened() or not cap.grab():
            raise ValueError(f"SOURCE: OpenCV cannot read {text} as a video ({EXPECTED})")
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = float(cap.get(cv2.CAP_PROP_FPS))
    finally:
        cap.release()
    fps = fps if np.isfinite(fps) and 0 < fps < 1000 else 0.0
    return FrameSource("video", text, path.stem, count if count > 0 else None, fps)


def _open_folder(path: Path) -> FrameSource:
    if (path / "seqinfo.ini").is_file():
        info = read_seqinfo(path / "seqinfo.ini")
        folder = path / info.im_dir
        images = _folder_images(folder, info.im_ext) if folder.is_dir() else ()
        if not images:
            raise ValueError(
                f"SOURCE: the sequence {path} has no {info.im_ext} images in {folder}; to "
                "track its detections without images pass --det FILE and no SOURCE"
            )
        images = images[: info.seq_length] if info.seq_length else images
        return FrameSource(
            "sequence", str(path), info.name, len(images), info.frame_rate, images, path
        )
    images = _folder_images(path)
    if not images:
        raise ValueError(
            f"SOURCE: no images ({', '.join(IMAGE_EXTENSIONS)}) in the folder {path} ({EXPECTED})"
        )
    name = path.resolve().name or "images"
    return FrameSource("images", str(path), name, len(images), 0.0, images)
