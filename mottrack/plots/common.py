"""matplotlib set-up shared by the plots: the Agg backend, per-ID colours, atomic PNG saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..io.seqinfo import PathLike

__all__ = ["id_color", "pyplot", "save_png"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, or a ``ModuleNotFoundError`` naming the extra."""
    try:
        import matplotlib
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"plots need the 'viz' extra ({exc}): pip install 'mottrack[viz]'", name=exc.name
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def id_color(track_id: int) -> Any:
    """A colour per track ID (matplotlib's ``tab20``, the same for an ID in every plot)."""
    import matplotlib

    return matplotlib.colormaps["tab20"](int(track_id) % 20)


def save_png(figure: Any, path: PathLike) -> Path:
    """Save ``figure`` to ``path`` as PNG (through a temporary file beside it) and close it."""
    import os
    import tempfile

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".png", dir=out.parent)
    os.close(fd)
    try:
        figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        import matplotlib.pyplot as plt

        plt.close(figure)
    return out
