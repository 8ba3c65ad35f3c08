"""Finding the sequences under a root: MOTChallenge folders or videos, longest first.

A root is a MOTChallenge split (sub-folders with ``det/det.txt``), one such sequence folder, or
a folder of videos (the suffixes of :data:`mottrack.io.sources.VIDEO_EXTENSIONS`), each with its
detections beside it as ``<stem>.det.txt`` (MOTChallenge rows, frames numbered as the video's).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2

from ..io import MOTSequence, load_mot_txt
from ..io.sources import VIDEO_EXTENSIONS

__all__ = ["SequenceJob", "discover"]


@dataclass(frozen=True)
class SequenceJob:
    """One sequence to track.

    Attributes
    ----------
    name : str
        Sequence name; its results file is ``<name>.txt``.
    path : str
        The sequence folder, or the video file.
    kind : {"mot", "video"}
        A MOTChallenge folder or a video.
    num_frames : int
        Length (seqinfo's ``seqLength``, the video's frame count, or the last det frame); used
        to schedule the longest first and for the progress bar.
    """

    name: str
    path: str
    kind: str
    num_frames: int

    @property
    def det_path(self) -> Path:
        """The detections file: ``<folder>/det/det.txt`` or ``<video stem>.det.txt``."""
        path = Path(self.path)
        if self.kind == "video":
            return path.with_name(path.stem + ".det.txt")
        return path / "det" / "det.txt"


def _mot_job(folder: Path) -> SequenceJob:
    """The job of a sequence folder, named and sized by :attr:`MOTSequence.info`.

    Without ``seqinfo.ini``, a det file that cannot be read counts 0 frames: that sequence
    fails when it runs, with the file's error, and the others go on. A bad ``seqinfo.ini``
    stops the discovery.
    """
    try:
        info = MOTSequence(folder).info
    except (ValueError, OSError):
        if (folder / "seqinfo.ini").is_file():
            raise
        return SequenceJob(folder.name, str(folder), "mot", 0)
    return SequenceJob(info.name, str(folder), "mot", info.seq_length)


def _video_job(video: Path) -> SequenceJob:
    """The job of a video: OpenCV's frame count, else the last frame of its det file (0 when
    that cannot be read: the sequence fails when it runs, with the file's error)."""
    cap = cv2.VideoCapture(str(video))
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
    cap.release()
    job = SequenceJob(video.stem, str(video), "video", max(count, 0))
    if count > 0:
        return job
    try:
        rows = load_mot_txt(job.det_path, min_cols=7)
    except (ValueError, OSError):
        return job
    return SequenceJob(job.name, job.path, "video", int(rows[:, 0].max()) if len(rows) else 0)


def discover(root: str | os.PathLike[str]) -> list[SequenceJob]:
    """The sequences under ``root``, longest first (ties by name).

    Parameters
    ----------
    root : str or os.PathLike
        A MOTChallenge split folder, one sequence folder, or a folder of videos.

    Returns
    -------
    list of SequenceJob

    Raises
    ------
    FileNotFoundError
        If ``root`` is not a folder.
    ValueError
        If it holds no sequence, or two sequences share a name.
    """
    folder = Path(root)
    if not folder.is_dir():
        raise FileNotFoundError(f"--root: folder not found: {folder}")
    if (folder / "det" / "det.txt").is_file():
        jobs = [_mot_job(folder)]
    else:
        entries = sorted(folder.iterdir())
        jobs = [_mot_job(p) for p in entries if (p / "det" / "det.txt").is_file()]
        jobs += [
            _video_job(p)
            for p in entries
            if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS and not p.name.startswith(".")
        ]
    if not jobs:
        raise ValueError(
            f"--root: expected sequence folders with det/det.txt or videos "
            f"({', '.join(VIDEO_EXTENSIONS)}) in {folder}, found none"
        )
    names = [job.name for job in jobs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"--root: two sequences in {folder} share the name(s) {twice}")
    return sorted(jobs, key=lambda job: (-job.num_frames, job.name))
