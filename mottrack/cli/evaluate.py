"""``mottrack eval``: score results against ground truth with TrackEval (HOTA, CLEAR, Identity)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..eval import BENCHMARKS
from ..io.outputs import check_output_file, save_with_fallback

__all__ = ["add_parser", "run"]

DEFAULT_BENCHMARK = "MOT17"


def run(args: argparse.Namespace) -> int:
    """Evaluate ``--results`` against ``--gt-root``; print the table, optionally write JSON."""
    from ..eval import evaluate
    from ..io.seqinfo import atomic_write_text

    json_path = None if args.json is None else check_output_file(args.json, "--json")
    benchmark = args.benchmark or DEFAULT_BENCHMARK
    try:
        result = evaluate(args.gt_root, args.results, benchmark=benchmark, split=args.split)
    except ValueError as exc:
        if args.benchmark is None and "gt classes" in str(exc):
            raise ValueError(
                f"--benchmark: the gt under {args.gt_root} has no MOT16/17/20 classes (the "
                f"default is --benchmark {DEFAULT_BENCHMARK}); for MOT15 ground truth pass "
                "--benchmark MOT15"
            ) from None
        raise
    print(result.table())
    if json_path is not None:
        text = json.dumps(result.to_dict(), indent=1)
        save_with_fallback(json_path, lambda path: atomic_write_text(path, text), "--json")
    return 0


def add_parser(sub: Any) -> None:
    """Add ``eval`` to the ``mottrack`` sub-commands."""
    ev = sub.add_parser("eval", help="evaluate results with TrackEval (HOTA, CLEAR, Identity)")
    ev.add_argument(
        "--gt-root", required=True, metavar="DIR", help="folder of <seq>/gt/gt.txt + seqinfo.ini"
    )
    ev.add_argument(
        "--results", required=True, metavar="DIR", help="folder of <seq>.txt results files"
    )
    ev.add_argument(
        "--benchmark",
        choices=BENCHMARKS,
        help=f"the gt's conventions (default: {DEFAULT_BENCHMARK}; MOT15 for MOT15 gt, whose "
        "rows carry no classes)",
    )
    ev.add_argument(
        "--split", default="train", help="split name TrackEval is given (default: train)"
    )
    ev.add_argument(
        "--json", metavar="FILE", help="also write the metrics as JSON here (default: none)"
    )
    ev.set_defaults(func=run, prog=ev.prog)
