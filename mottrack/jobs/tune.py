"""Hyper-parameter search: a grid or an Optuna sampler, TrackEval's metrics as the objective.

A trial is one set of tracker parameters run over every sequence of a root into
``<out>/trials/<NNN>/`` (a resumable results folder with its own manifest: rerunning the same
search redoes only what is missing) and evaluated with :func:`mottrack.eval.evaluate`; the
score of a trial is therefore exactly what ``mottrack run`` + ``mottrack eval`` give for its
parameters. The sequences of all trials in a batch run as one flat set of tasks on the engine.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._extras import import_extra
from ..registry import parse_params
from .batch import Task, run_tasks
from .discover import SequenceJob
from .engine import Engine
from .runner import RunSpec

__all__ = [
    "LOWER_IS_BETTER",
    "TrialResult",
    "grid_trials",
    "optuna_search",
    "parse_grid",
    "parse_ranges",
    "run_trials",
]

#: Metrics minimised (all others, HOTA, MOTA, IDF1, ..., are maximised).
LOWER_IS_BETTER = frozenset({"IDSW", "FP", "FN", "Frag", "ML", "IDFP", "IDFN"})


@dataclass(frozen=True)
class TrialResult:
    """One evaluated parameter set.

    Attributes
    ----------
    index : int
        Trial number (from 0); its results are in ``<out>/trials/<index:03d>/``.
    params : dict of str to Any
    metrics : dict of str to float
        TrackEval's COMBINED metrics (empty when a sequence failed).
    seconds : float
        Tracking wall time summed over the trial's sequences run now (0 when resumed).
    error : str or None
        The first failed sequence and its error.
    """

    index: int
    params: dict[str, Any]
    metrics: dict[str, float]
    seconds: float
    error: str | None = None


def _typed(tracker: str, key: str, texts: Sequence[str], option: str) -> list[Any]:
    return [parse_params(tracker, [f"{key}={t}"], option)[key] for t in texts]


def parse_grid(tracker: str, items: Sequence[str]) -> dict[str, list[Any]]:
    """``["max_age=1,3,5", "min_hits=1,3"]`` -> ``{"max_age": [1, 3, 5], "min_hits": [1, 3]}``.

    Values are typed like the tracker config's defaults. Raises ``ValueError`` naming
    ``--grid`` for a malformed item, an unknown key, a repeated key or a bad value.
    """
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        values = [v for v in text.split(",") if v]
        if not sep or not key or not values:
            raise ValueError(f"--grid: expected key=v1,v2,..., got {item!r}")
        if key in grid:
            raise ValueError(f"--grid: key {key!r} given twice")
        grid[key] = _typed(tracker, key, values, "--grid")
    return grid


def parse_ranges(tracker: str, items: Sequence[str]) -> dict[str, tuple[Any, Any, bool]]:
    """``["max_iou_distance=0.5:0.9", "max_age=1:60:log"]`` -> ``{key: (low, high, log)}``.

    Ints stay ints (an integer range), floats give a continuous range. Raises ``ValueError``
    naming ``--range`` for a malformed item, an unknown key or ``low >= high``.
    """
    ranges: dict[str, tuple[Any, Any, bool]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        parts = text.split(":")
        log = len(parts) == 3 and parts[2] == "log"
        if not sep or not key or len(parts) not in (2, 3) or (len(parts) == 3 and not log):
            raise ValueError(f"--range: expected key=low:high or key=low:high:log, got {item!r}")
        low, high = _typed(tracker, key, parts[:2], "--range")
        if isinstance(low, bool) or not isinstance(low, (int, float)) or not low < high:
            raise ValueError(f"--range {key}: expected numbers low < high, got {text!r}")
        if log and low <= 0:
            raise ValueError(f"--range {key}: a log range needs low > 0, got {low}")
        ranges[key] = (low, high, log)
    return ranges


def grid_trials(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the last key varying fastest."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*grid.values())]


def run_trials(
    trials: Sequence[dict[str, Any]],
    first: int,
    jobs: Sequence[SequenceJob],
    spec: RunSpec,
    out: Path,
    engine: Engine,
    benchmark: str,
    progress: bool = False,
) -> list[TrialResult]:
    """Run and evaluate trials ``first, first + 1, ...``: every sequence of every trial on the
    engine as one set of tasks, then TrackEval on each trial's folder (``gt`` under the root).
    """
    from ..eval import evaluate

    folders = [out / "trials" / f"{first + k:03d}" for k in range(len(trials))]
    tasks = [
        Task(job, dataclasses.replace(spec, params={**spec.params, **p}), folder,
             f"trial {folder.name}/{job.name}")
        for p, folder in zip(trials, folders)
        for job in jobs
    ]  # fmt: skip
    report = run_tasks(tasks, engine, progress=progress)
    gt_root = Path(jobs[0].path).parent
    names = [job.name for job in jobs]
    results = []
    for k, (params, folder) in enumerate(zip(trials, folders)):
        mine = [o for o in report.outcomes if o.task.out == folder]
        bad = [o for o in mine if o.failed]
        seconds = sum(o.result.seconds for o in mine if o.result is not None)
        if bad:
            failed = bad[0].result
            error = f"{bad[0].task.job.name}: {failed.error if failed else '?'}"
            results.append(TrialResult(first + k, params, {}, seconds, error))
            continue
        metrics = evaluate(gt_root, folder, benchmark=benchmark, sequences=names).combined
        results.append(TrialResult(first + k, params, metrics, seconds))
    return results


def _distributions(optuna: Any, ranges: dict[str, tuple[Any, Any, bool]]) -> dict[str, Any]:
    dist = optuna.distributions
    return {
        key: dist.IntDistribution(low, high, log=log)
        if isinstance(low, int) and isinstance(high, int)
        else dist.FloatDistribution(float(low), float(high), log=log)
        for key, (low, high, log) in ranges.items()
    }


def optuna_search(
    ranges: dict[str, tuple[Any, Any, bool]],
    num_trials: int,
    metric: str,
    seed: int,
    batch: int,
    run: Any,
) -> list[TrialResult]:
    """Optuna's TPE sampler over ``ranges``: ask ``batch`` trials, ``run(params, first)`` them,
    tell the scores, until ``num_trials`` (``pip install 'mottrack[tune]'``).
    """
    optuna = import_extra("optuna", "--range (the Optuna sampler)")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    direction = "minimize" if metric in LOWER_IS_BETTER else "maximize"
    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction=direction, sampler=sampler)
    distributions = _distributions(optuna, ranges)
    results: list[TrialResult] = []
    while len(results) < num_trials:
        asked = [study.ask(distributions) for _ in range(min(batch, num_trials - len(results)))]
        done = run([dict(t.params) for t in asked], len(results))
        for trial, result in zip(asked, done):
            value = result.metrics.get(metric, math.nan)
            if math.isnan(value):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
        results.extend(done)
    return results
