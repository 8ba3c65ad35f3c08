"""The ``mottrack`` command: ``demo``, ``track``, ``eval``, ``train reid|fairmot``, ``convert``.

A user's mistake is one line on standard error and exit status 2, never a traceback: bad
options are refused by the parser, bad files and unwritable outputs before the work starts
(output paths by :mod:`mottrack.io.outputs`), and a results file that cannot be written at the
end is saved to the temporary folder instead (the message says where). Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .cli_jobs import add_run_parser, add_tune_parser
from .cli_tools import add_convert, add_train, device_arg, int_at_least
from .io.outputs import SavedElsewhere, check_output_dir, check_output_file, save_with_fallback
from .registry import get_tracker_class, list_trackers

__all__ = ["main", "parse_params"]

BENCHMARKS = ("MOT15", "MOT16", "MOT17", "MOT20")


def parse_params(tracker: str, items: Sequence[str]) -> dict[str, Any]:
    """Turn ``["key=value", ...]`` into config overrides typed like the config's defaults.

    Raises
    ------
    ValueError
        For a malformed item, an unknown key (listing the valid ones) or an unparsable value.
    """
    config_class = get_tracker_class(tracker).config_class
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--param: expected key=value, got {item!r}")
        if key not in fields:
            raise ValueError(f"--param: unknown key {key!r} for {tracker}; valid: {sorted(fields)}")
        default = fields[key].default
        try:
            if isinstance(default, bool):
                if text.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(text)
                value: Any = text.lower() in ("true", "1")
            elif isinstance(default, int):
                value = int(text)
            elif isinstance(default, float):
                value = float(text)
            else:
                value = text
        except ValueError:
            kind = type(default).__name__
            raise ValueError(f"--param {key}: expected a {kind}, got {text!r}") from None
        out[key] = value
    return out


def _cmd_track(args: argparse.Namespace) -> int:
    from .io import MOTSequence, write_results
    from .pipeline import Pipeline, track_frames, tracker_for_sequence

    det = Path(args.det)
    if not det.is_file():
        raise FileNotFoundError(f"--det: file not found: {det}")
    out = check_output_file(args.out, "--out")
    # A det file inside a MOTChallenge folder (<seq>/det/det.txt) picks up its seqinfo.ini.
    root = det.parent.parent if det.parent.name == "det" else det.parent
    features = None if args.features is None else Path(args.features).resolve()
    seq = MOTSequence(root, det_file=det.resolve(), features=features, min_score=args.min_score)
    tracker = tracker_for_sequence(args.tracker, seq.info, **parse_params(args.tracker, args.param))
    embedder = None
    if tracker.requires_embeddings and features is None:
        if not args.images:
            raise ValueError(
                f"--tracker {args.tracker} needs appearance features: pass --features FILE.npy "
                "(det rows + embeddings) or --images (crops embedded with --embedder)"
            )
        embedder = _embedder(args)
    frames = seq.frames()
    if args.images:
        frames = ((f, d, seq.read_image(f)) for f, d in seq.frames())
    pipeline = Pipeline(tracker, embedder=embedder)
    run = track_frames(pipeline, frames, progress=not args.quiet, total=len(seq))
    save_with_fallback(out, lambda path: write_results(path, run.rows), "--out")
    print(
        f"{seq.name}: {run.num_frames} frames, {len(run.rows)} result rows, "
        f"{run.fps:.0f} frames/s (tracker only) -> {out}"
    )
    return 0


def _embedder(args: argparse.Namespace) -> Any:
    """The crop embedder ``--embedder`` names (``--embedder-weights``, ``--device``)."""
    from .deepsort.embedder import create_embedder

    return create_embedder(args.embedder, weights=args.embedder_weights, device=args.device)


def _cmd_eval(args: argparse.Namespace) -> int:
    from .eval import evaluate
    from .io.seqinfo import atomic_write_text

    json_path = None if args.json is None else check_output_file(args.json, "--json")
    result = evaluate(args.gt_root, args.results, benchmark=args.benchmark, split=args.split)
    print(result.table())
    if json_path is not None:
        text = json.dumps(result.to_dict(), indent=1)
        save_with_fallback(json_path, lambda path: atomic_write_text(path, text), "--json")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .datasets import generate
    from .deepsort.histogram import HistogramEmbedder
    from .eval import evaluate
    from .io import write_results
    from .pipeline import Pipeline, track_frames
    from .registry import create_tracker

    out = None if args.out is None else check_output_dir(args.out, "--out")
    seq = generate(num_frames=args.frames, num_objects=args.objects, seed=args.seed)
    tracker = create_tracker(args.tracker)
    pipeline = Pipeline(tracker)
    frames: Any = seq.frames()
    if args.tracker == "deepsort":  # appearance from the rendered frames (histogram embedder)
        pipeline = Pipeline(tracker, embedder=HistogramEmbedder())
        frames = ((f, d, seq.render_frame(f)[:, :, ::-1].copy()) for f, d in seq.frames())
    elif args.tracker == "fairmot":  # association only: simulated re-ID features
        frames = seq.frames(seq.feature_vectors())
    run = track_frames(pipeline, frames, progress=not args.quiet, total=args.frames)

    def write(folder: Path) -> None:
        seq.write(folder / "gt")
        write_results(folder / "results" / f"{seq.name}.txt", run.rows)

    failure: SavedElsewhere | None = None
    with tempfile.TemporaryDirectory(prefix="mottrack-demo-") as tmp:
        folder = Path(tmp) if out is None else out
        try:
            save_with_fallback(folder, write, "--out", folder=True)
        except SavedElsewhere as exc:  # evaluate the copy, then report where it is
            if exc.fallback is None:
                raise
            failure, folder = exc, exc.fallback
        result = evaluate(folder / "gt", folder / "results", benchmark="MOT17")
        print(f"Synthetic sequence {seq.name}: {args.frames} frames, ~{args.objects} objects")
        print(f"Tracker: {tracker!r}")
        print(result.table())
        print(f"Tracker speed: {run.fps:.0f} frames/s ({run.num_frames} frames, tracker only)")
        if out is not None and failure is None:
            print(f"Sequence and results written under {out}")
    if failure is not None:
        raise failure
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mottrack`` command."""
    parser = argparse.ArgumentParser(
        prog="mottrack",
        description="Online multi-object tracking (SORT, DeepSORT, FairMOT): demo, track, "
        "eval, train reid|fairmot, convert. 'mottrack COMMAND --help' for each.",
    )
    parser.add_argument("--version", action="version", version=f"mottrack {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="track and evaluate a generated synthetic sequence")
    demo.add_argument(
        "--tracker",
        default="sort",
        choices=("sort", "deepsort", "fairmot"),
        help="tracker to run (default sort; deepsort embeds the rendered frames, fairmot uses "
        "simulated re-ID features)",
    )
    demo.add_argument(
        "--frames", type=int_at_least(1), default=300, help="sequence length (default 300)"
    )
    demo.add_argument(
        "--objects", type=int_at_least(1), default=15, help="objects per frame (default 15)"
    )
    demo.add_argument("--seed", type=int_at_least(0), default=0, help="scene seed (default 0)")
    demo.add_argument("--out", help="keep the sequence and results in this folder")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=_cmd_demo)

    track = sub.add_parser("track", help="run a tracker over a MOTChallenge det.txt")
    track.add_argument(
        "--tracker", default="sort", choices=list_trackers(), help="tracker to run (default sort)"
    )
    track.add_argument("--det", required=True, help="det.txt (inside <seq>/det/ for seqinfo)")
    track.add_argument("--out", required=True, help="results file to write")
    track.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a tracker setting, repeatable (e.g. --param max_age=3); unknown keys list the "
        "valid ones",
    )
    track.add_argument("--min-score", type=float, default=None, help="drop weaker detections")
    track.add_argument(
        "--features",
        help="(N, 7 + D) .npy of det rows + embeddings (replaces --det's rows), for deepsort",
    )
    track.add_argument(
        "--images",
        action="store_true",
        help="read each frame's image (<seq>/img1) and embed the detections' crops",
    )
    track.add_argument(
        "--embedder",
        default="histogram",
        choices=("histogram", "cnn"),
        help="crop embedder for --images (default histogram; cnn needs --embedder-weights)",
    )
    track.add_argument("--embedder-weights", help="checkpoint of the cnn embedder")
    track.add_argument(
        "--device",
        type=device_arg(),
        default="cpu",
        help="torch device of the cnn embedder: cpu, cuda, cuda:N or mps (default cpu)",
    )
    track.add_argument("--quiet", action="store_true", help="no progress bar")
    track.set_defaults(func=_cmd_track)

    ev = sub.add_parser("eval", help="evaluate results with TrackEval (HOTA, CLEAR, Identity)")
    ev.add_argument("--gt-root", required=True, help="folder of <seq>/gt/gt.txt + seqinfo.ini")
    ev.add_argument("--results", required=True, help="folder of <seq>.txt results")
    ev.add_argument("--benchmark", default="MOT17", choices=BENCHMARKS)
    ev.add_argument("--split", default="train")
    ev.add_argument("--json", help="also write the metrics as JSON here")
    ev.set_defaults(func=_cmd_eval)

    add_train(sub)
    add_convert(sub)
    add_run_parser(sub)
    add_tune_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mottrack`` console script.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 after a one-line error (a bad value or file, an output that cannot be
        written: ``ValueError``, ``TypeError``, ``OSError``); 130 after Ctrl-C. Bad options
        exit with status 2 from the parser (``SystemExit``).
    """
    parser = build_parser()
    name = "mottrack"
    try:
        args = parser.parse_args(argv)
        words = (args.command, getattr(args, "network", None), getattr(args, "source", None))
        name = " ".join([name, *(word for word in words if word)])
        return int(args.func(args))
    except (ValueError, TypeError, OSError) as exc:
        lines = [line.strip() for line in str(exc).splitlines()]  # one line, paths kept whole
        message = " ".join(line for line in lines if line) or type(exc).__name__
        print(f"{name}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
