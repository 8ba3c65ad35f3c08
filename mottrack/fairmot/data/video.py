"""Converting a video file plus a MOTChallenge gt file to the JDE layout (frames extracted with
OpenCV). The gt rules and the output layout are those of :mod:`.convert`."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ...io.motfile import load_mot_txt
from ...io.video import video_frames
from ._atomic import atomic_write_image
from .convert import Conversion, check_name, finish, gt_to_labels, select_gt_rows
from .labels import PathLike, label_path, write_labels

__all__ = ["convert_video"]


def convert_video(
    video: PathLike,
    gt: PathLike,
    out: PathLike,
    *,
    name: str | None = None,
    frames: tuple[int, int] | None = None,
    scale: float = 1.0,
    gt_format: str = "auto",
    start_identity: int = 1,
    jpeg_quality: int = 95,
) -> Conversion:
    """Extract video frames with OpenCV and convert a MOT-format gt file for them.

    Video frame ``i`` (1-based) is gt frame ``i`` and is written as
    ``images/<name>/img1/<i:06d>.jpg``. Gt rows outside the extracted frames are ignored;
    identities are assigned over the rows kept.

    Parameters
    ----------
    video, gt : path
        The video file and a MOTChallenge gt file (MOT15 or MOT16/17 layout).
    out : path
        Output root.
    name : str, optional
        Dataset and sequence name (default: the video's file stem).
    frames : (int, int), optional
        First and last frame, 1-based and inclusive (default: the whole video).
    scale : float
        Factor applied to the gt ``x, y, w, h`` (0.625 maps MOT15 PETS09-S2L1 gt, 768x576, onto
        the 480x360 ``vtest.avi``).
    gt_format : {"auto", "mot17", "mot15"}
    start_identity : int
    jpeg_quality : int
        OpenCV JPEG quality (0-100).

    Raises
    ------
    FileNotFoundError
        If the video or gt file does not exist.
    ValueError
        If OpenCV cannot open or read the video (naming it), for a bad ``frames`` / ``scale``,
        or when the video ends before ``frames[1]`` (:func:`mottrack.io.video.video_frames`).
    """
    video, out = Path(video), Path(out)
    name = check_name(video.stem if name is None else name, "name")
    if not video.is_file():
        raise FileNotFoundError(f"video: file not found: {video}")
    if not (isinstance(scale, (int, float)) and np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale: expected a finite number > 0, got {scale!r}")
    first, last = (1, None) if frames is None else (int(frames[0]), int(frames[1]))
    if first < 1 or (last is not None and last < first):
        raise ValueError(f"frames: expected (first, last) with 1 <= first <= last, got {frames}")
    rows = select_gt_rows(load_mot_txt(gt), gt_format, str(gt))
    entries, size, i = [], (0, 0), first - 1
    for i, img in video_frames(video, first, last):  # raises if the video ends before `last`
        size = (img.shape[1], img.shape[0])
        entry = f"images/{name}/img1/{i:06d}.jpg"
        atomic_write_image(out / entry, img, (cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)))
        entries.append(entry)
    rows = rows[(rows[:, 0] >= first) & (rows[:, 0] <= i)]
    labels, nxt = gt_to_labels(rows, int(start_identity), size, float(scale))
    num_boxes = 0
    for f, entry in zip(range(first, i + 1), entries):
        rows_f = labels.get(f, np.zeros((0, 6)))
        write_labels(out / label_path(entry), rows_f)
        num_boxes += rows_f.shape[0]
    return finish(out, name, entries, num_boxes, int(start_identity), nxt)
