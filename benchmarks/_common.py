"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np


def shared_root() -> Path:
    """``$MOTTRACK_SHARED`` or ``../shared`` next to the repository."""
    default = Path(__file__).resolve().parents[1].parent / "shared"
    return Path(os.environ.get("MOTTRACK_SHARED", default))


def sequence_dirs(root: Path) -> list[Path]:
    """Sequence folders under a MOTChallenge split folder (those with ``det/det.txt``)."""
    return sorted(p for p in root.iterdir() if (p / "det" / "det.txt").is_file())


def environment() -> dict[str, Any]:
    """Versions and machine facts recorded next to benchmark numbers."""
    import lap
    import scipy

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "lap": getattr(lap, "__version__", "?"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def write_json(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Write ``payload`` as indented JSON, creating parent folders."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=1, default=float))
    print(f"wrote {out}")


def print_table(header: list[str], rows: list[list[Any]]) -> None:
    """Print an aligned text table."""
    cells = [[str(h) for h in header]] + [
        [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
