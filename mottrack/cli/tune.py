"""``mottrack tune``: search tracker parameters (a ``--grid`` or Optuna ``--range``s) over a
dataset with a TrackEval metric as the objective (:mod:`mottrack.jobs.tune`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..eval import BENCHMARKS, TABLE_COLUMNS
from .common import int_at_least
from .job_options import MAX_STATUS, add_job_options, clear_manifest, setup_job

__all__ = ["add_parser", "tune"]


def tune(args: argparse.Namespace) -> int:
    from .._extras import import_extra
    from ..jobs import create_engine
    from ..jobs.tune import grid_trials, optuna_search, parse_grid, parse_ranges, run_trials
    from ..jobs.tune_report import best_trial, param_line, plot_trials, write_csv
    from ..plots.common import pyplot

    out = Path(args.out)
    spec, jobs, _ = setup_job(args, out)
    if bool(args.grid) == bool(args.range):
        raise ValueError("tune: expected --grid KEY=V1,V2,... or --range KEY=LOW:HIGH (not both)")
    pyplot("the trials plot", "tune")  # before any work
    if args.range:
        import_extra("optuna", "--range (the Optuna sampler)")
    if args.fresh:
        for folder in sorted((out / "trials").glob("*")):
            clear_manifest(folder)
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


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``mottrack tune`` on the sub-parsers ``sub``."""
    p = sub.add_parser(
        "tune",
        help="search tracker parameters (grid or Optuna) with a TrackEval objective",
        description="Run a tracker over --root for each parameter set of a --grid (or of "
        "--trials Optuna samples of --range's) and evaluate it with TrackEval; writes "
        "--out/trials.csv and --out/trials.png and prints the best set as --param options.",
    )
    add_job_options(p)
    p.add_argument("--benchmark", required=True, choices=BENCHMARKS, help="gt conventions")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="values to try for a parameter (repeatable; every combination is a trial)",
    )
    p.add_argument(
        "--range",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH[:log]",
        help="a parameter range for the Optuna sampler (repeatable; tune extra)",
    )
    p.add_argument("--trials", type=int_at_least(1), default=20, help="Optuna trials (default 20)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="Optuna sampler seed")
    p.add_argument("--metric", default="HOTA", choices=TABLE_COLUMNS, help="default HOTA")
    p.set_defaults(func=tune, prog=p.prog)
    return p
