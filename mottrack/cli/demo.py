"""``mottrack demo``: track a generated synthetic scene, score it, optionally render a video."""

from __future__ import annotations

import argparse
from typing import Any

from ..io.outputs import SavedElsewhere, check_output_dir, save_with_fallback
from .common import int_at_least

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    """Generate, track, evaluate; ``--video`` also writes the scene with its tracks drawn."""
    from ..datasets import generate
    from ..deepsort.histogram import HistogramEmbedder
    from ..eval import evaluate_synthetic, write_synthetic
    from ..pipeline import Pipeline, track_frames
    from ..registry import create_tracker
    from .frame_outputs import FrameOutputs, check_video_name

    out = None if args.out is None else check_output_dir(args.out, "--out")
    video = None if args.video is None else check_video_name(args.video)
    import trackeval  # noqa: F401  (fail before the work when the eval extra is missing)

    seq = generate(num_frames=args.frames, num_objects=args.objects, seed=args.seed)
    tracker = create_tracker(args.tracker)
    pipeline = Pipeline(tracker)
    rendered = args.tracker == "deepsort" or video is not None
    frames: Any = seq.frames()
    if args.tracker == "fairmot":  # association only: simulated re-ID features
        frames = seq.frames(seq.feature_vectors())
    if args.tracker == "deepsort":  # appearance from the rendered frames (histogram embedder)
        pipeline = Pipeline(tracker, embedder=HistogramEmbedder())
    if rendered:
        frames = ((f, d, seq.render_frame(f)[:, :, ::-1].copy()) for f, d in frames)
    outputs = None
    if video is not None:
        outputs = FrameOutputs(video, show=False, fps=float(seq.info.frame_rate or 25))
    ok = False
    try:
        run_ = track_frames(
            pipeline, frames, progress=not args.quiet, total=args.frames, on_frame=outputs
        )
        ok = True
    finally:
        if outputs is not None:
            outputs.finish(ok)

    failure: SavedElsewhere | None = None
    if out is not None:
        try:
            save_with_fallback(
                out, lambda folder: write_synthetic(seq, run_.rows, folder), "--out", folder=True
            )
        except SavedElsewhere as exc:  # print the metrics first, then say where the copy is
            if exc.fallback is None:
                raise
            failure = exc
    result = evaluate_synthetic(seq, run_.rows, benchmark="MOT17")
    print(f"Synthetic sequence {seq.name}: {args.frames} frames, ~{args.objects} objects")
    print(f"Tracker: {tracker!r}")
    print(result.table())
    print(f"Tracker speed: {run_.fps:.0f} frames/s ({run_.num_frames} frames, tracker only)")
    if out is not None and failure is None:
        print(f"Sequence and results written under {out}")
    if video is not None:
        print(f"Annotated video: {video}")
    if failure is not None:
        raise failure
    return 0


def add_parser(sub: Any) -> None:
    """Add ``demo`` to the ``mottrack`` sub-commands."""
    demo = sub.add_parser("demo", help="track and evaluate a generated synthetic sequence")
    demo.add_argument(
        "--tracker",
        default="sort",
        choices=("sort", "deepsort", "fairmot"),
        help="tracker to run (default: sort; deepsort embeds the rendered frames, fairmot uses "
        "simulated re-ID features)",
    )
    demo.add_argument(
        "--frames", type=int_at_least(1), default=300, help="sequence length (default: 300)"
    )
    demo.add_argument(
        "--objects", type=int_at_least(1), default=15, help="objects per frame (default: 15)"
    )
    demo.add_argument("--seed", type=int_at_least(0), default=0, help="scene seed (default: 0)")
    demo.add_argument(
        "--out", metavar="DIR", help="keep the sequence and results in this folder (default: none)"
    )
    demo.add_argument(
        "--video",
        metavar="FILE.mp4",
        help="also render the scene with its tracks drawn to this video (needs the viz extra; "
        "default: none)",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=run, prog=demo.prog)
