"""HOTA, MOTA and IDF1 per sequence and tracker, side by side (from ``mottrack eval --json``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..io.seqinfo import PathLike
from .common import pyplot, save_png

__all__ = ["METRICS", "load_eval_json", "plot_metrics"]

METRICS = ("HOTA", "MOTA", "IDF1")


def load_eval_json(path: PathLike) -> dict[str, dict[str, float]]:
    """Sequence (and ``COMBINED``) -> metric -> value, from an ``eval --json`` file.

    Raises
    ------
    FileNotFoundError, ValueError
        A missing file, or one that is not ``mottrack eval --json`` output (named).
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"EVAL.json: file not found: {file}")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        table = {**data["per_sequence"], "COMBINED": data["combined"]}
        for metrics in table.values():
            for name in METRICS:
                float(metrics[name])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError) as exc:
        raise ValueError(
            f"EVAL.json {file}: expected the JSON of 'mottrack eval --json' (per_sequence, "
            f"combined, with {', '.join(METRICS)}), got a file that is not ({type(exc).__name__}"
            f": {exc})"
        ) from None
    return table


def _labels(paths: Sequence[PathLike]) -> list[str]:
    names = [Path(p).stem for p in paths]
    if len(set(names)) == len(names):
        return names
    return [f"{Path(p).parent.name}/{Path(p).stem}" for p in paths]


def plot_metrics(
    files: Sequence[PathLike], out: PathLike, labels: Sequence[str] | None = None
) -> Path:
    """Draw HOTA / MOTA / IDF1 bars: one panel per metric, sequences on x, one bar per tracker.

    Parameters
    ----------
    files : sequence of path
        ``mottrack eval --json`` files, one per tracker (or run).
    out : path
        PNG to write.
    labels : sequence of str, optional
        Legend names of the files (default: their stems).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    tables = [load_eval_json(f) for f in files]
    names = list(labels) if labels is not None else _labels(files)
    if len(names) != len(tables):
        raise ValueError(f"--label: expected {len(tables)} labels (one per file), got {len(names)}")
    sequences = [s for s in tables[0] if s != "COMBINED"]
    for table in tables[1:]:
        sequences += [s for s in table if s != "COMBINED" and s not in sequences]
    sequences.append("COMBINED")
    plt = pyplot()
    fig, axes = plt.subplots(
        len(METRICS),
        1,
        figsize=(max(6.0, 1.1 * len(sequences) * max(1, len(tables)) ** 0.5 + 2), 8),
        sharex=True,
    )
    x = np.arange(len(sequences))
    width = 0.8 / len(tables)
    cmap: Any = plt.get_cmap("tab10")
    for ax, metric in zip(axes, METRICS):
        for k, (name, table) in enumerate(zip(names, tables)):
            values = [table.get(s, {}).get(metric, np.nan) for s in sequences]
            bars = ax.bar(
                x + (k - (len(tables) - 1) / 2) * width,
                values,
                width,
                label=name,
                color=cmap(k % 10),
            )
            ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
        ax.set_ylabel(metric)
        ax.set_ylim(
            min(0.0, np.nanmin([t.get(s, {}).get(metric, 0) for t in tables for s in sequences])),
            105,
        )
        ax.grid(axis="y", alpha=0.3)
        ax.axvline(len(sequences) - 1.5, color="0.6", lw=0.8, ls="--")
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    axes[0].set_title("Tracking metrics (TrackEval), per sequence")
    axes[-1].set_xticks(x, sequences, rotation=30, ha="right")
    return save_png(fig, out)
