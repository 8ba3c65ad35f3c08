"""What a search leaves: ``trials.csv``, ``trials.png`` and the best set as a ``--param`` line."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

from ..io.seqinfo import atomic_write_text
from .tune import LOWER_IS_BETTER, TrialResult

__all__ = ["CSV_METRICS", "best_trial", "param_line", "plot_trials", "write_csv"]

#: Metric columns of ``trials.csv`` (the objective is added when it is another one).
CSV_METRICS = ("HOTA", "MOTA", "IDF1")


def best_trial(trials: Sequence[TrialResult], metric: str) -> TrialResult | None:
    """The trial with the best ``metric`` (lowest index on ties); None if every trial failed."""
    scored = [t for t in trials if metric in t.metrics and not math.isnan(t.metrics[metric])]
    if not scored:
        return None
    sign = 1.0 if metric in LOWER_IS_BETTER else -1.0
    return min(scored, key=lambda t: (sign * t.metrics[metric], t.index))


def param_line(trial: TrialResult) -> str:
    """``--param k=v --param k2=v2`` for ``mottrack run`` / ``mottrack track``."""
    return " ".join(f"--param {k}={v!r}" if isinstance(v, str) else f"--param {k}={v}"
                    for k, v in trial.params.items())  # fmt: skip


def write_csv(path: Path, trials: Sequence[TrialResult], metric: str) -> None:
    """One row per trial: ``trial``, a column per parameter, per metric, ``seconds``, ``error``."""
    keys = list(dict.fromkeys(k for t in trials for k in t.params))
    metrics = list(dict.fromkeys([*CSV_METRICS, metric]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["trial", *keys, *metrics, "seconds", "error"])
    for t in trials:
        values = [t.metrics.get(m, "") for m in metrics]
        writer.writerow(
            [t.index, *(t.params.get(k, "") for k in keys), *values, f"{t.seconds:.3f}",
             t.error or ""]
        )  # fmt: skip
    atomic_write_text(path, buffer.getvalue())


def plot_trials(path: Path, trials: Sequence[TrialResult], metric: str) -> None:
    """``metric`` against each parameter (one panel per parameter), the best trial in red.

    Needs matplotlib (``pip install 'mottrack[tune]'``); written to a PNG file atomically.
    """
    from ..plots.common import pyplot, save_png

    plt = pyplot("the trials plot", "tune")

    keys = list(dict.fromkeys(k for t in trials for k in t.params))
    scored = [t for t in trials if metric in t.metrics]
    best = best_trial(trials, metric)
    fig, axes = plt.subplots(1, max(len(keys), 1), figsize=(4 * max(len(keys), 1), 3.4))
    axes = [axes] if len(keys) <= 1 else list(axes)
    for ax, key in zip(axes, keys):
        xs = [t.params[key] for t in scored]
        ax.scatter(xs, [t.metrics[metric] for t in scored], s=28, alpha=0.7, label="trial")
        if best is not None:
            ax.scatter([best.params[key]], [best.metrics[metric]], s=80, c="red", label="best")
        ax.set_xlabel(key)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="best", fontsize=8)
    fig.suptitle(f"{len(scored)} trials: {metric} per parameter")
    fig.tight_layout()
    save_png(fig, path)
