"""Atomic file writes: a fresh temporary file beside the target, filled, then renamed over it.

A reader never sees a half-written file, only the old one or the new one, and a failed write
leaves no temporary file behind. Text files, images, links, PNG plots and trial plots all go
through :func:`atomic_write`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path: str | os.PathLike[str], fill: Callable[[str], object]) -> Path:
    """Create or replace ``path`` by calling ``fill(tmp)`` on a temporary name beside it.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its parent folders are created.
    fill : callable
        ``fill(tmp)`` writes the content to the file name ``tmp`` (an empty file of mode 0600
        exists there; ``fill`` may replace it, e.g. by a link, and sets the mode it wants).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    BaseException
        Whatever ``fill`` or the rename raised, after removing the temporary file.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        fill(tmp)
        os.replace(tmp, out)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    return out
