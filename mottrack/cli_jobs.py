"""``mottrack run`` and ``mottrack tune``: many sequences on all cores or a Ray cluster.

``run`` tracks every sequence (or video) under ``--root`` into ``--out/<sequence>.txt``,
resumably (``--out/manifest.json``), then optionally evaluates; its exit status is the number
of failed sequences (at most :data:`MAX_STATUS`). ``tune`` searches tracker parameters (a
``--grid`` or Optuna ``--range``s) with a TrackEval metric as the objective. The library is
:mod:`mottrack.jobs`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .eval import BENCHMARKS, TABLE_COLUMNS
from .registry import list_trackers

__all__ = ["MAX_STATUS", "add_run_parser", "add_tune_parser"]

#: Largest exit status for failures (statuses above 125 mean other things to a shell).
MAX_STATUS = 100


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    return parse


def _add_common(p: argparse.ArgumentParser) -> None:
    """Options ``run`` and ``tune`` share: input, tracker, feeding, engine."""
    p.add_argument("--root", required=True, help="MOTChallenge split folder, or videos folder")
    p.add_argument("--tracker", default="sort", choices=list_trackers(), help="default sort")
    p.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="tracker setting"
    )
    p.add_argument("--out", required=True, help="results folder")
    p.add_argument("--workers", type=_at_least(1), default=1, help="parallel tasks (default 1)")
    p.add_argument("--engine", default="local", choices=("local", "ray"), help="default local")
    p.add_argument("--address", help="Ray cluster address (--engine ray; default: local Ray)")
    p.add_argument("--min-score", type=float, default=None, help="drop weaker detections")
    p.add_argument(
        "--features",
        metavar="PATTERN",
        help="(N, 7 + D) .npy per sequence, relative to its folder; {name} = sequence name",
    )
    p.add_argument("--images", action="store_true", help="embed crops of each frame's image")
    p.add_argument("--embedder", default="histogram", choices=("histogram", "cnn"))
    p.add_argument("--embedder-weights", help="checkpoint of the cnn embedder")
    p.add_argument("--fresh", action="store_true", help="ignore finished results; redo all")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _setup(args: argparse.Namespace, out: Path) -> tuple[Any, list[Any], dict[str, Any]]:
    """``(spec, jobs, params)``: everything checked before any work."""
    from .cli import parse_params
    from .io.outputs import check_output_dir
    from .jobs import RunSpec, discover
    from .registry import create_tracker

    check_output_dir(out, "--out")
    params = parse_params(args.tracker, args.param)
    create_tracker(args.tracker, **params)  # the config refuses bad values now, in one line
    spec = RunSpec(
        args.tracker, params, args.images, args.embedder, args.embedder_weights,
        args.features, args.min_score,
    )  # fmt: skip
    return spec, discover(args.root), params


def _clear(folder: Path) -> None:
    from .jobs.manifest import MANIFEST_NAME

    (folder / MANIFEST_NAME).unlink(missing_ok=True)


def _cmd_run(args: argparse.Namespace) -> int:
    from .jobs import Task, create_engine, run_tasks

    out = Path(args.out)
    spec, jobs, _ = _setup(args, out)
    if args.fresh:
        _clear(out)
    with create_engine(args.engine, args.workers, args.address) as engine:
        report = run_tasks(
            [Task(job, spec, out, job.name) for job in jobs], engine, progress=not args.quiet
        )
    print(report.table())
    for o in report.failed:
        print(f"mottrack run: {o.task.job.name} failed: {o.result.error}", file=sys.stderr)
    done = [o.task.job.name for o in report.outcomes if not o.failed]
    if args.eval and done:
        from .eval import evaluate

        gt_root = Path(jobs[0].path).parent
        print(evaluate(gt_root, out, benchmark=args.eval, sequences=done).table())
    return min(len(report.failed), MAX_STATUS)


def add_run_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``mottrack run`` on the sub-parsers ``sub``."""
    p = sub.add_parser(
        "run",
        help="a tracker over every sequence or video under a root (parallel, resumable)",
        description="Track every sequence (folders with det/det.txt) or video (with "
        "<stem>.det.txt beside it) under --root into --out/<sequence>.txt, longest first, on "
        "--workers processes or Ray. Finished sequences are recorded in --out/manifest.json "
        "and skipped on a rerun. Exit status: the number of failed sequences.",
    )
    _add_common(p)
    p.add_argument("--eval", choices=BENCHMARKS, help="then evaluate with TrackEval (gt in root)")
    p.set_defaults(func=_cmd_run)
    return p


def _cmd_tune(args: argparse.Namespace) -> int:
    from .jobs import create_engine
    from .jobs.engine import require
    from .jobs.tune import grid_trials, optuna_search, parse_grid, parse_ranges, run_trials
    from .jobs.tune_report import best_trial, param_line, plot_trials, write_csv

    out = Path(args.out)
    spec, jobs, _ = _setup(args, out)
    if bool(args.grid) == bool(args.range):
        raise ValueError("tune: expected --grid KEY=V1,V2,... or --range KEY=LOW:HIGH (not both)")
    require("matplotlib", "tune", "the trials plot")  # before any work
    if args.range:
        require("optuna", "tune", "--range (the Optuna sampler)")
    if args.fresh:
        for folder in sorted((out / "trials").glob("*")):
            _clear(folder)
    with create_engine(args.engine, args.workers, args.address) as engine:

        def run(trials: list[dict[str, Any]], first: int) -> list[Any]:
            return run_trials(trials, first, jobs, spec, out, engine, args.benchmark,
                              progress=not args.quiet)  # fmt: skip

        if args.grid:
            trials = run(grid_trials(parse_grid(args.tracker, args.grid)), 0)
        else:
            ranges = parse_ranges(args.tracker, args.range)
            batch = max(1, -(-engine.workers // len(jobs)))
            trials = optuna_search(ranges, args.trials, args.metric, args.seed, batch, run)
    write_csv(out / "trials.csv", trials, args.metric)
    plot_trials(out / "trials.png", trials, args.metric)
    for t in trials:
        score = f"{t.metrics[args.metric]:.3f}" if args.metric in t.metrics else t.error
        print(f"trial {t.index:3d}  {args.metric} {score}  {t.params}")
    best = best_trial(trials, args.metric)
    failed = [t for t in trials if t.error]
    if best is None:
        print("mottrack tune: every trial failed", file=sys.stderr)
        return min(max(len(failed), 1), MAX_STATUS)
    print(f"wrote {out / 'trials.csv'} and {out / 'trials.png'}")
    print(f"best: trial {best.index}, {args.metric} {best.metrics[args.metric]:.3f}")
    print(param_line(best))
    return min(len(failed), MAX_STATUS)


def add_tune_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``mottrack tune`` on the sub-parsers ``sub``."""
    p = sub.add_parser(
        "tune",
        help="search tracker parameters (grid or Optuna) with a TrackEval objective",
        description="Run a tracker over --root for each parameter set of a --grid (or of "
        "--trials Optuna samples of --range's) and evaluate it with TrackEval; writes "
        "--out/trials.csv and --out/trials.png and prints the best set as --param options.",
    )
    _add_common(p)
    p.add_argument("--benchmark", required=True, choices=BENCHMARKS, help="gt conventions")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...")
    p.add_argument("--range", action="append", default=[], metavar="KEY=LOW:HIGH[:log]")
    p.add_argument("--trials", type=_at_least(1), default=20, help="Optuna trials (default 20)")
    p.add_argument("--seed", type=_at_least(0), default=0, help="Optuna sampler seed")
    p.add_argument("--metric", default="HOTA", choices=TABLE_COLUMNS, help="default HOTA")
    p.set_defaults(func=_cmd_tune)
    return p
