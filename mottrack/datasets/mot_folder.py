"""Writing a synthetic sequence as a MOTChallenge folder (text files and, optionally, frames)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import cv2

from ..io import write_sequence

if TYPE_CHECKING:
    from .sequence import SyntheticSequence

__all__ = ["write_folder"]


def write_folder(
    seq: SyntheticSequence, root: str | os.PathLike[str], render: bool = False
) -> Path:
    """Write ``<root>/<name>/`` with seqinfo.ini, gt/gt.txt, det/det.txt (and img1/ if render).

    Parameters
    ----------
    seq : SyntheticSequence
    root : path
        Parent folder of the sequence folder.
    render : bool
        Also draw every frame (:meth:`SyntheticSequence.render_frame`) into ``img1/``.

    Returns
    -------
    Path
        The sequence folder. The same config gives byte-identical text files.
    """
    folder = Path(root) / seq.name
    write_sequence(folder, seq.info, seq.gt, seq.det)
    if render:
        (folder / seq.info.im_dir).mkdir(parents=True, exist_ok=True)
        for f in range(1, seq.info.seq_length + 1):
            path = folder / seq.info.im_dir / f"{f:06d}{seq.info.im_ext}"
            if not cv2.imwrite(str(path), seq.render_frame(f)[:, :, ::-1]):
                raise ValueError(f"write: OpenCV could not write {path}")
    return folder
