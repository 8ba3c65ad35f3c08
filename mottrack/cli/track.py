"""``mottrack track``: tracks from a video, an image folder, a MOTChallenge sequence or a camera.

``mottrack track SOURCE`` reads frames (:func:`mottrack.io.sources.open_source`), takes
detections from ``--det FILE`` or a detector (``--detector fairmot`` or ``module:callable``),
runs the tracker through :func:`~mottrack.pipeline.track_frames` and writes ``--out``
(MOTChallenge rows, atomically), ``--video`` (drawn tracks) and ``--show``; it prints a JSON
summary. ``mottrack track --det FILE --out FILE`` (no SOURCE) is the frame-less form
(:mod:`.track_detfile`). Ctrl-C (or ``q`` in the window) stops a run: the frames tracked so
far are written (results and video) and the exit status is 130.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..io.outputs import check_output_file, save_with_fallback
from ..registry import list_trackers
from .common import add_tracker_options, device_arg, int_at_least, parse_params, positive_float
from .detectors import DetRows, add_detector_options, load_detector
from .track_detfile import make_embedder, run_det_file

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    """``mottrack track``: the SOURCE form, or the ``--det``-only form without SOURCE."""
    if args.source is None:
        if args.det is None:
            raise ValueError(
                "SOURCE: expected a video, an image folder, a sequence folder or a camera "
                "index (or --det FILE --out FILE to track a det file alone)"
            )
        return run_det_file(args)
    return run_source(args)


def _check_args(args: argparse.Namespace) -> None:
    if args.det is not None and args.detector is not None:
        raise ValueError("--det and --detector: expected one source of detections, got both")
    if args.images:
        raise ValueError("--images: only for the --det form without SOURCE (SOURCE gives frames)")
    if args.resize is not None and args.detector is None:
        raise ValueError(
            "--resize: only with --detector (--det rows are in the source's own pixels)"
        )
    if args.features is not None and args.det is None:
        raise ValueError("--features: expected --det FILE too (the det rows of the features)")


def _frames(source: Any, rows: DetRows | None, resize: Any, seconds: dict[str, float]) -> Iterator:
    """``(frame, detections or None, image)`` items; time spent reading goes to ``seconds``."""
    import cv2

    stream = iter(source.frames())
    while True:
        start = time.perf_counter()
        item = next(stream, None)
        if item is None:
            return
        number, image = item
        if resize is not None:
            image = cv2.resize(image, tuple(resize), interpolation=cv2.INTER_AREA)
        seconds["read"] += time.perf_counter() - start
        if rows is not None and number == 1:
            rows.check_scale(image.shape[1], image.shape[0])
        yield number, None if rows is None else rows.at(number), image


def run_source(args: argparse.Namespace) -> int:
    """Track SOURCE's frames; write ``--out``/``--video``, ``--show``; print a JSON summary."""
    from ..io import SeqInfo, write_results
    from ..io.sources import open_source, quiet_opencv
    from ..pipeline import Pipeline, track_frames, tracker_for_sequence
    from .frame_outputs import FrameOutputs, check_display, check_video_name

    _check_args(args)
    quiet_opencv()
    out = None if args.out is None else check_output_file(args.out, "--out")
    video = None if args.video is None else check_video_name(args.video)
    source = open_source(args.source)
    det = args.det
    if det is None and args.detector is None and source.root is not None:
        default = source.root / "det" / "det.txt"
        det = str(default) if default.is_file() else None
    rows = None
    detector = None
    if det is not None:
        rows = DetRows.load(det, args.features, args.det_scale, args.min_score)
    elif args.detector is not None:
        detector = load_detector(args)
    else:
        raise ValueError(
            f"SOURCE {args.source}: expected detections too: --det FILE (MOTChallenge rows), "
            "--detector fairmot --weights CKPT, or --detector module:callable"
        )
    info = SeqInfo(source.name, source.num_frames or 0, source.fps, 0, 0)  # its frame rate
    tracker = tracker_for_sequence(args.tracker, info, **parse_params(args.tracker, args.param))
    embedder = None
    has_embeddings = rows.has_embeddings if rows is not None else args.detector == "fairmot"
    if tracker.requires_embeddings and not has_embeddings:
        embedder = make_embedder(args)  # crops of the frames
    outputs = None
    if video is not None or args.show:
        if args.show:
            check_display()
        outputs = FrameOutputs(video, args.show, source.fps, args.trail)
    seconds = {"read": 0.0}
    pipeline = Pipeline(tracker, detector=detector, embedder=embedder)
    frames = _frames(source, rows, args.resize, seconds)
    finished = False
    started = time.perf_counter()
    try:  # Ctrl-C (or q) stops the run: the frames tracked so far are kept
        run = track_frames(
            pipeline,
            frames,
            not args.quiet,
            source.num_frames,
            source.name,
            on_frame=outputs,
            keep_on_interrupt=True,
        )
        finished = True
    finally:
        written = None if outputs is None else outputs.finish(finished)
    results, stopped = run.rows, run.interrupted
    if out is not None:
        save_with_fallback(out, lambda path: write_results(path, results), "--out")
    if rows is not None and not stopped:
        rows.warn_beyond(run.num_frames)
    seconds.update(run.seconds)
    if outputs is not None:
        seconds.update(outputs.seconds)
    wall = time.perf_counter() - started
    summary = {
        "source": args.source,
        "frames": run.num_frames,
        "tracks": int(np.unique(results[:, 1]).size),
        "result_rows": len(results),
        "seconds": {key: round(value, 4) for key, value in seconds.items()},
        "frames_per_s": round(run.num_frames / wall, 2) if wall > 0 else None,
        "out": None if out is None else str(out),
        "video": None if written is None else str(written),
        "stopped": stopped,
    }
    print(json.dumps(summary))
    if stopped:
        print(
            f"mottrack track: interrupted after {run.num_frames} frames; what was tracked is "
            "written",
            file=sys.stderr,
        )
        return 130
    return 0


def add_parser(sub: Any) -> None:
    """Add ``track`` to the ``mottrack`` sub-commands."""
    track = sub.add_parser(
        "track",
        help="track a video, image folder, MOTChallenge sequence, camera or det file",
        description="Track objects in SOURCE, with detections from --det or --detector. "
        "Without SOURCE, --det FILE --out FILE tracks a det file alone.",
    )
    track.add_argument(
        "source",
        nargs="?",
        metavar="SOURCE",
        help="video file, folder of images, MOTChallenge sequence folder (its det/det.txt is "
        "used unless --det or --detector), camera index (0) or stream URL (default: none, "
        "the --det-only form)",
    )
    add_tracker_options(track, list_trackers())
    track.add_argument(
        "--det",
        metavar="FILE",
        help="MOTChallenge detections (frame,-1,x,y,w,h,score; frames 1-based against SOURCE's "
        "frames); without SOURCE, a det.txt (inside <seq>/det/ for seqinfo) (default: none)",
    )
    track.add_argument(
        "--det-scale",
        type=positive_float,
        default=1.0,
        help="multiply --det's x, y, w, h by this (detections made on a resized copy of the "
        "video; default: 1)",
    )
    add_detector_options(track)
    track.add_argument(
        "--out",
        metavar="FILE",
        help="results file (MOTChallenge rows, written atomically) "
        "(default: none with SOURCE; required without)",
    )
    track.add_argument(
        "--video",
        metavar="FILE.mp4",
        help="write the frames with boxes, IDs, trails and frame numbers drawn (needs the viz "
        "extra) (default: none)",
    )
    track.add_argument(
        "--show", action="store_true", help="show the drawn frames in a window (q stops)"
    )
    track.add_argument(
        "--trail",
        type=int_at_least(0),
        default=30,
        help="frames of trail drawn behind each track in --video/--show (default: 30)",
    )
    track.add_argument(
        "--min-score", type=float, default=None, help="drop weaker detections (default: keep all)"
    )
    track.add_argument(
        "--features",
        metavar="FILE.npy",
        help="(N, 7 + D) .npy of --det's rows + embeddings, for deepsort/fairmot (default: none)",
    )
    track.add_argument(
        "--images",
        action="store_true",
        help="--det form only: read each frame's image (<seq>/img1) and embed the detections' "
        "crops",
    )
    track.add_argument(
        "--embedder",
        default="histogram",
        choices=("histogram", "cnn"),
        help="crop embedder when deepsort/fairmot get detections without features (default: "
        "histogram; cnn needs --embedder-weights)",
    )
    track.add_argument(
        "--embedder-weights", metavar="CKPT", help="checkpoint of the cnn embedder (default: none)"
    )
    track.add_argument(
        "--device",
        type=device_arg(),
        default="cpu",
        help="torch device of the networks: cpu, cuda, cuda:N or mps (default: cpu)",
    )
    track.add_argument("--quiet", action="store_true", help="no progress bar")
    track.set_defaults(func=run, prog=track.prog)
