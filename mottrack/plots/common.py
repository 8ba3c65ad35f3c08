"""What the plots share: the Agg backend, per-ID colours, rows split by track ID, atomic PNG
saving."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._extras import import_extra
from ..io.atomic import atomic_write
from ..io.seqinfo import PathLike

__all__ = ["id_color", "pyplot", "rows_by_id", "save_png"]


def pyplot(what: str = "plotting", extra: str | None = None) -> Any:
    """``matplotlib.pyplot`` on the Agg backend.

    Parameters
    ----------
    what : str, default "plotting"
        What needs matplotlib, for the message when it is missing.
    extra : str, optional
        The extra named in that message (default: ``viz``).

    Raises
    ------
    mottrack._extras.MissingExtraError
        A ``ModuleNotFoundError`` naming the extra, when matplotlib is not installed.
    """
    matplotlib = import_extra("matplotlib", what, extra)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def id_color(track_id: int) -> Any:
    """A colour per track ID (matplotlib's ``tab20``, the same for an ID in every plot)."""
    import matplotlib

    return matplotlib.colormaps["tab20"](int(track_id) % 20)


def rows_by_id(
    results: NDArray[np.float64],
) -> tuple[NDArray[np.int64], list[NDArray[np.float64]]]:
    """Split MOTChallenge rows by track ID (column 2), with one sort.

    Parameters
    ----------
    results : ndarray, shape (K, >=6)
        Rows ``frame, id, ...``.

    Returns
    -------
    ids : ndarray of int64, shape (M,)
        The track IDs, ascending.
    rows : list of ndarray
        ``rows[k]``: the rows of ``ids[k]``, in frame order.
    """
    ids = results[:, 1].astype(np.int64)
    if not len(ids):
        return ids, []
    order = np.lexsort((results[:, 0], ids))
    unique, starts = np.unique(ids[order], return_index=True)
    return unique, np.split(results[order], starts[1:])


def save_png(figure: Any, path: PathLike) -> Path:
    """Save ``figure`` to ``path`` as PNG (atomically: :func:`~mottrack.io.atomic.atomic_write`)
    and close it."""

    def fill(tmp: str) -> None:
        figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        os.chmod(tmp, 0o644)

    try:
        return atomic_write(path, fill)
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)
