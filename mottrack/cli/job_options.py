"""Options and set-up shared by ``mottrack run`` and ``mottrack tune`` (many sequences,
:mod:`mottrack.jobs`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..registry import list_trackers
from .common import add_tracker_options, int_at_least, parse_params

__all__ = ["MAX_STATUS", "add_job_options", "clear_manifest", "setup_job"]

#: Largest exit status for failures (statuses above 125 mean other things to a shell).
MAX_STATUS = 100


def add_job_options(p: argparse.ArgumentParser) -> None:
    """Options ``run`` and ``tune`` share: input, tracker, feeding, engine."""
    p.add_argument("--root", required=True, help="MOTChallenge split folder, or videos folder")
    add_tracker_options(p, list_trackers())
    p.add_argument("--out", required=True, help="results folder")
    p.add_argument("--workers", type=int_at_least(1), default=1, help="parallel tasks (default 1)")
    p.add_argument("--engine", default="local", choices=("local", "ray"), help="default local")
    p.add_argument("--address", help="Ray cluster address (--engine ray; default: local Ray)")
    p.add_argument("--min-score", type=float, default=None, help="drop weaker detections")
    p.add_argument(
        "--features",
        metavar="PATTERN",
        help="(N, 7 + D) .npy per sequence, relative to its folder; {name} = sequence name",
    )
    p.add_argument("--images", action="store_true", help="embed crops of each frame's image")
    p.add_argument(
        "--embedder",
        default="histogram",
        choices=("histogram", "cnn"),
        help="appearance model with --images (default histogram)",
    )
    p.add_argument("--embedder-weights", help="checkpoint of the cnn embedder")
    p.add_argument("--fresh", action="store_true", help="ignore finished results; redo all")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def setup_job(args: argparse.Namespace, out: Path) -> tuple[Any, list[Any], dict[str, Any]]:
    """``(spec, jobs, params)``: everything checked before any work."""
    from ..io.outputs import check_output_dir
    from ..jobs import RunSpec, discover
    from ..registry import create_tracker

    check_output_dir(out, "--out")
    params = parse_params(args.tracker, args.param)
    create_tracker(args.tracker, **params)  # the config refuses bad values now, in one line
    spec = RunSpec(
        args.tracker, params, args.images, args.embedder, args.embedder_weights,
        args.features, args.min_score,
    )  # fmt: skip
    return spec, discover(args.root), params


def clear_manifest(folder: Path) -> None:
    from ..jobs.manifest import MANIFEST_NAME

    (folder / MANIFEST_NAME).unlink(missing_ok=True)
