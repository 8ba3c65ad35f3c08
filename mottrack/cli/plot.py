"""``mottrack plot metrics|timeline|trajectories``: PNG pictures of runs (matplotlib, the viz
extra)."""

from __future__ import annotations

import argparse
from typing import Any

from ..io.outputs import check_output_file

__all__ = ["add_parser", "run"]


def _results(path: str, option: str) -> Any:
    from pathlib import Path

    from ..io import load_mot_txt

    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"{option}: file not found: {file}")
    rows = load_mot_txt(file, min_cols=6)
    if not len(rows):
        raise ValueError(f"{option}: {file} holds no rows (expected MOTChallenge rows)")
    return rows


def run(args: argparse.Namespace) -> int:
    """Draw the picture ``args.plot`` names into ``--out``."""
    out = check_output_file(args.out, "--out")
    from ..plots.common import pyplot

    pyplot()  # fail before reading anything when matplotlib is missing
    if args.plot == "metrics":
        from ..plots import plot_metrics

        plot_metrics(args.files, out, args.label)
    elif args.plot == "timeline":
        from ..plots import plot_timeline
        from ..plots.events import evaluated_gt

        gt = None if args.gt is None else evaluated_gt(_results(args.gt, "--gt"))
        plot_timeline(_results(args.results, "RESULTS"), out, gt)
    else:
        from ..plots import plot_trajectories
        from ..plots.trajectories import read_frame

        frame = read_frame(args.frame)
        plot_trajectories(_results(args.results, "RESULTS"), frame, out, args.min_length)
    print(f"wrote {out}")
    return 0


def add_parser(sub: Any) -> None:
    """Add ``plot metrics|timeline|trajectories`` to the ``mottrack`` sub-commands."""
    plot = sub.add_parser("plot", help="draw metrics, track timelines or trajectories as PNG")
    kind = plot.add_subparsers(dest="plot", required=True, metavar="PLOT")
    metrics = kind.add_parser(
        "metrics", help="HOTA / MOTA / IDF1 per sequence and tracker, side by side"
    )
    metrics.add_argument(
        "files",
        nargs="+",
        metavar="EVAL.json",
        help="'mottrack eval --json' files, one per tracker",
    )
    metrics.add_argument(
        "--label",
        action="append",
        help="legend name of each file, in order, repeatable (default: the file names)",
    )
    timeline = kind.add_parser(
        "timeline", help="each track's lifetime as a bar; ID switches and fragmentations vs --gt"
    )
    timeline.add_argument("results", metavar="RESULTS.txt", help="MOTChallenge results file")
    timeline.add_argument(
        "--gt",
        metavar="GT.txt",
        help="ground truth (MOT15 or MOT16/17 gt.txt) to mark ID switches and fragmentations "
        "(default: none)",
    )
    traj = kind.add_parser("trajectories", help="tracks' paths drawn over a frame")
    traj.add_argument("results", metavar="RESULTS.txt", help="MOTChallenge results file")
    traj.add_argument(
        "--frame",
        required=True,
        metavar="IMAGE",
        help="background: an image, or a video (its first frame), in the results' pixels",
    )
    traj.add_argument(
        "--min-length",
        type=int,
        default=2,
        help="leave out tracks with fewer rows (default: 2)",
    )
    for parser in (metrics, timeline, traj):
        parser.add_argument("--out", required=True, metavar="FILE.png", help="PNG to write")
        parser.set_defaults(func=run, prog=parser.prog)
