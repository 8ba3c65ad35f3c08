"""``mottrack run``: a tracker over every sequence or video under a root, on all cores or a
Ray cluster, resumably; its exit status is the number of failed sequences (at most
:data:`~mottrack.cli.job_options.MAX_STATUS`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..eval import BENCHMARKS
from .job_options import MAX_STATUS, add_job_options, clear_manifest, setup_job

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    from ..jobs import Task, create_engine, run_tasks

    out = Path(args.out)
    spec, jobs, _ = setup_job(args, out)
    if args.fresh:
        clear_manifest(out)
    with create_engine(args.engine, args.workers, args.address) as engine:
        report = run_tasks(
            [Task(job, spec, out, job.name) for job in jobs], engine, progress=not args.quiet
        )
    print(report.table())
    for o in report.failed:
        print(f"mottrack run: {o.task.job.name} failed: {o.result.error}", file=sys.stderr)
    done = [o.task.job.name for o in report.outcomes if not o.failed]
    if args.eval and done:
        from ..eval import evaluate

        gt_root = Path(jobs[0].path).parent
        print(evaluate(gt_root, out, benchmark=args.eval, sequences=done).table())
    return min(len(report.failed), MAX_STATUS)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``mottrack run`` on the sub-parsers ``sub``."""
    p = sub.add_parser(
        "run",
        help="a tracker over every sequence or video under a root (parallel, resumable)",
        description="Track every sequence (folders with det/det.txt) or video (with "
        "<stem>.det.txt beside it) under --root into --out/<sequence>.txt, longest first, on "
        "--workers processes or Ray. Finished sequences are recorded in --out/manifest.json "
        "and skipped on a rerun. Exit status: the number of failed sequences.",
    )
    add_job_options(p)
    p.add_argument("--eval", choices=BENCHMARKS, help="then evaluate with TrackEval (gt in root)")
    p.set_defaults(func=run, prog=p.prog)
    return p
