"""Atomic writes of binary files, through :func:`mottrack.io.atomic.atomic_write` (a temp file
beside the target, then ``os.replace``).

A reader never sees a half-written file: either the old one or the new one. Used for extracted
frames and linked or copied images; text files (label files, image lists, data configs) go
through the library's one text writer, :func:`mottrack.io.seqinfo.atomic_write_text`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from ...io.atomic import atomic_write

__all__ = ["atomic_write_bytes", "atomic_write_image", "place_file"]

LINK_MODES = ("symlink", "hardlink", "copy")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (mode 0644)."""

    def fill(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)

    atomic_write(path, fill)


def atomic_write_image(
    path: str | os.PathLike[str], image: NDArray[np.uint8], params: Sequence[int] = ()
) -> None:
    """Encode ``image`` (H, W, 3) uint8 BGR by the file extension of ``path`` (with OpenCV
    ``imencode`` ``params``) and write it atomically.

    Raises
    ------
    ValueError
        If OpenCV cannot encode the image for that extension.
    """
    path = Path(path)
    ok, buf = cv2.imencode(path.suffix or ".jpg", image, list(params))
    if not ok:
        raise ValueError(f"path: OpenCV could not encode an image as {path.suffix!r}: {path}")
    atomic_write_bytes(path, buf.tobytes())


def place_file(src: str | os.PathLike[str], dst: str | os.PathLike[str], mode: str) -> None:
    """Put ``src`` at ``dst`` atomically as a ``"symlink"`` (absolute target), ``"hardlink"``
    or ``"copy"``; an existing ``dst`` is replaced.

    Raises
    ------
    FileNotFoundError
        If ``src`` is not a file.
    ValueError
        For an unknown ``mode``.
    """
    if mode not in LINK_MODES:
        raise ValueError(f"link: expected one of {LINK_MODES}, got {mode!r}")
    src = Path(src).resolve()
    if not src.is_file():
        raise FileNotFoundError(f"image file not found: {src}")

    def fill(tmp: str) -> None:
        os.unlink(tmp)
        if mode == "symlink":
            os.symlink(src, tmp)
        elif mode == "hardlink":
            os.link(src, tmp)
        else:
            shutil.copyfile(src, tmp)
            os.chmod(tmp, 0o644)

    atomic_write(dst, fill)
