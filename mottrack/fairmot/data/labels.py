"""The JDE dataset format (Towards-Realtime-MOT / FairMOT): image lists and label files.

An *image list* has one image path per line, relative to a root folder. Each image has a *label
file* whose path is the image path with every ``images`` replaced by ``labels_with_ids`` and every
``.png`` / ``.jpg`` by ``.txt`` (the rule of FairMOT's ``jde.py``; here applied to the list entry,
not to the root joined in front of it). A label file has one row per box,
``class identity x_center y_center width height``, the box normalised by the image size and
identity -1 for a box without identity. An empty label file means no boxes; a missing one is an
error (FairMOT's ``JointDataset`` fails on it too, in ``np.loadtxt``).

Combining datasets (data configs, identity offsets, ``nID``) is in :mod:`.index`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...io.seqinfo import atomic_write_text

__all__ = [
    "label_path",
    "read_image_list",
    "read_labels",
    "write_image_list",
    "write_labels",
]

PathLike = str | os.PathLike[str]
F32 = NDArray[np.float32]
ROW_FORM = "6 numbers `class identity x_center y_center width height`"


def label_path(image: str) -> str:
    """The label file of an image path: ``images`` -> ``labels_with_ids``; ``.png``, ``.jpg``
    -> ``.txt`` (every occurrence, as ``jde.py``).

    Raises
    ------
    ValueError
        If the rule leaves the path unchanged (the label file would be the image itself).
    """
    out = image.replace("images", "labels_with_ids").replace(".png", ".txt").replace(".jpg", ".txt")
    if out == image:
        raise ValueError(
            f"image: expected a path containing 'images' or ending in .jpg/.png, got {image!r}"
        )
    return out


def _row_problem(row: Sequence[float]) -> str:
    if len(row) != 6:
        return f"expected {ROW_FORM}, got {len(row)} fields"
    if not all(math.isfinite(v) for v in row):
        return "expected finite numbers, got NaN or infinity"
    cls, ident, _, _, w, h = row
    if cls != int(cls) or cls < 0:
        return f"expected an integer class >= 0, got {cls:g}"
    if ident != int(ident) or ident < -1:
        return f"expected an integer identity >= -1, got {ident:g}"
    if w < 0 or h < 0:
        return f"expected width and height >= 0, got {w:g}, {h:g}"
    return ""


def read_labels(path: PathLike) -> F32:
    """Read one label file.

    Returns
    -------
    ndarray, shape (N, 6), float32
        ``class, identity, x_center, y_center, width, height`` (float32 as ``jde.py`` loads
        them); ``(0, 6)`` for an empty file. Text after ``#`` and blank lines are ignored.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        Naming the file and 1-based line of a malformed row (not 6 numbers, non-finite, class not
        an integer >= 0, identity not an integer >= -1, negative width or height).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"label file not found: {path}")
    rows: list[list[float]] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            row = [float(v) for v in line.split()]
        except ValueError:
            row, problem = [], f"expected {ROW_FORM}, got non-numeric fields"
        else:
            problem = _row_problem(row)
        if problem:
            raise ValueError(f"{path}, line {lineno}: {problem}: {raw.strip()[:120]!r}")
        rows.append(row)
    return np.array(rows, dtype=np.float32).reshape(-1, 6)


def write_labels(path: PathLike, labels: ArrayLike) -> None:
    """Write ``labels`` (N, 6) as a label file, atomically (an empty file for N = 0).

    Rows are written as ``gen_labels_16.py`` writes them: ``%d %d %.6f %.6f %.6f %.6f``.

    Raises
    ------
    ValueError
        If ``labels`` is not (N, 6) or a row breaks the rules of :func:`read_labels`.
    """
    arr = np.asarray(labels, dtype=np.float64)
    if arr.size == 0:
        arr = arr.reshape(0, 6)
    if arr.ndim != 2 or arr.shape[1] != 6:
        raise ValueError(f"labels: expected an array of shape (N, 6), got {arr.shape}")
    lines = []
    for i, row in enumerate(arr.tolist()):
        problem = _row_problem(row)
        if problem:
            raise ValueError(f"labels: row {i}: {problem}: {row}")
        c, ident, x, y, w, h = row
        lines.append(f"{int(c):d} {int(ident):d} {x:.6f} {y:.6f} {w:.6f} {h:.6f}\n")
    atomic_write_text(Path(path), "".join(lines))


def read_image_list(path: PathLike) -> list[str]:
    """The entries of an image list (each line stripped; blank lines skipped)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image list not found: {path}")
    return [s for s in (line.strip() for line in path.read_text("utf-8").splitlines()) if s]


def write_image_list(path: PathLike, entries: Sequence[str]) -> None:
    """Write an image list (one entry per line), atomically."""
    atomic_write_text(Path(path), "".join(f"{e}\n" for e in entries))
