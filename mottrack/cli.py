"""The ``mottrack`` command: ``demo``, ``track``, ``eval``, ``train reid|fairmot``, ``convert``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
    from .pipeline import track_frames
    from .registry import create_tracker

    det = Path(args.det)
    if not det.is_file():
        raise FileNotFoundError(f"--det: file not found: {det}")
    # A det file inside a MOTChallenge folder (<seq>/det/det.txt) picks up its seqinfo.ini.
    root = det.parent.parent if det.parent.name == "det" else det.parent
    features = None if args.features is None else Path(args.features).resolve()
    seq = MOTSequence(root, det_file=det.resolve(), features=features, min_score=args.min_score)
    params = parse_params(args.tracker, args.param)
    fields = get_tracker_class(args.tracker).config_class.__dataclass_fields__
    if "frame_rate" in fields and "frame_rate" not in params:
        params["frame_rate"] = seq.info.frame_rate  # seqinfo.ini's frameRate
    tracker = create_tracker(args.tracker, **params)
    frames = seq.frames()
    if args.images:
        frames = ((f, d, seq.read_image(f)) for f, d in seq.frames())
    run = track_frames(tracker, frames, progress=not args.quiet, total=len(seq))
    write_results(args.out, run.rows)
    print(
        f"{seq.name}: {run.num_frames} frames, {len(run.rows)} result rows, "
        f"{run.fps:.0f} frames/s (tracker only) -> {args.out}"
    )
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from .eval import evaluate

    result = evaluate(args.gt_root, args.results, benchmark=args.benchmark, split=args.split)
    print(result.table())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=1))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .datasets import generate
    from .eval import evaluate
    from .io import write_results
    from .pipeline import track_frames
    from .registry import create_tracker

    seq = generate(num_frames=args.frames, num_objects=args.objects, seed=args.seed)
    tracker = create_tracker("sort")
    run = track_frames(tracker, seq.frames(), progress=not args.quiet, total=args.frames)
    with tempfile.TemporaryDirectory(prefix="mottrack-demo-") as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        root = seq.write(out / "gt")
        write_results(out / "results" / f"{seq.name}.txt", run.rows)
        result = evaluate(root.parent, out / "results", benchmark="MOT17")
        print(f"Synthetic sequence {seq.name}: {args.frames} frames, ~{args.objects} objects")
        print(f"Tracker: {tracker!r}")
        print(result.table())
        print(f"Tracker speed: {run.fps:.0f} frames/s ({run.num_frames} frames, tracker only)")
        if args.out:
            print(f"Sequence and results written under {out}")
    return 0


def _cmd_train_reid(args: argparse.Namespace) -> int:
    try:
        from .deepsort.train import train_reid
    except ImportError as exc:
        print(
            f"mottrack train reid: error: needs PyTorch ({exc}); pip install mottrack[torch]",
            file=sys.stderr,
        )
        return 2
    result = train_reid(
        args.data,
        args.out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        device=args.device,
        seed=args.seed,
        resume=args.resume,
        max_steps=args.max_steps,
        progress=not args.quiet,
        input_size=tuple(args.input_size),
        min_visibility=args.min_visibility,
    )
    last = f", last loss {result.losses[-1]:.4f}" if result.losses.size else ""
    print(
        f"Trained on {result.num_crops} crops of {result.num_identities} identities: "
        f"{result.epochs} epochs, {result.steps} steps{last}"
    )
    print(f"Checkpoint: {result.checkpoint}")
    print(f"Losses: {result.csv}")
    return 0


def _cmd_train_fairmot(args: argparse.Namespace) -> int:
    try:
        from .fairmot.train import train_fairmot
    except ImportError as exc:
        print(
            f"mottrack train fairmot: error: needs PyTorch ({exc}); pip install mottrack[torch]",
            file=sys.stderr,
        )
        return 2
    options = {
        "epochs": 30 if args.epochs is None else args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "lr_step": tuple(args.lr_step),
        "input_size": tuple(args.input_size),
        "arch": args.arch,
        "seed": args.seed,
        "num_workers": args.workers,
        "amp": args.amp,
        "grad_clip": args.grad_clip,
        "max_steps": args.max_steps,
    }
    if args.resume:  # the checkpoint's options hold; only the epoch total may grow
        options = {} if args.epochs is None else {"epochs": args.epochs}
    result = train_fairmot(
        args.data,
        args.out,
        device=args.device,
        resume=args.resume,
        weights=args.weights,
        progress=not args.quiet,
        **options,
    )
    last = f", last loss {result.losses[-1]:.4f}" if result.losses else ""
    print(
        f"{result.epochs} epochs, {result.steps} steps{last}, "
        f"{result.images_per_s:.1f} images/s -> {result.checkpoint}"
    )
    return 0


def _add_train_fairmot(what: Any) -> None:
    fm = what.add_parser(
        "fairmot", help="train the FairMOT network (needs torch; torchrun for DDP)"
    )
    fm.add_argument("--data", required=True, help="data config JSON (FairMOT's layout)")
    fm.add_argument("--out", required=True, metavar="DIR", help="checkpoints and log.csv")
    fm.add_argument("--epochs", type=int, default=None, help="total epochs (default 30)")
    fm.add_argument("--batch-size", type=int, default=12, help="images per process (default 12)")
    fm.add_argument("--lr", type=float, default=None, help="default 1e-4 x global batch / 12")
    fm.add_argument("--lr-step", type=int, nargs="+", default=[20], help="decay epochs (20)")
    fm.add_argument("--input-size", type=int, nargs=2, default=(1088, 608), metavar=("W", "H"))
    fm.add_argument("--arch", default="dla34", choices=("dla34", "dla34_tiny"))
    fm.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    fm.add_argument("--amp", default="auto", choices=("auto", "bf16", "fp16", "off"))
    fm.add_argument("--grad-clip", type=float, default=None, help="max gradient norm")
    fm.add_argument("--workers", type=int, default=0, help="DataLoader workers (default 0)")
    fm.add_argument("--seed", type=int, default=0)
    fm.add_argument("--max-steps", type=int, default=None, help="stop after this many steps")
    fm.add_argument("--resume", metavar="CKPT", help="continue exactly from this checkpoint")
    fm.add_argument("--weights", metavar="CKPT", help="initial weights (e.g. fairmot_dla34.pth)")
    fm.add_argument("--quiet", action="store_true", help="no progress bar")
    fm.set_defaults(func=_cmd_train_fairmot)


def _add_train(sub: Any) -> None:
    train = sub.add_parser("train", help="train a network")
    what = train.add_subparsers(dest="network", required=True)
    reid = what.add_parser(
        "reid", help="train the DeepSORT appearance CNN on MOTChallenge gt tracks (needs torch)"
    )
    reid.add_argument(
        "--data",
        nargs="+",
        required=True,
        metavar="DIR",
        help="sequence folders (seqinfo.ini, gt/gt.txt, img1/) or roots of them",
    )
    reid.add_argument("--out", required=True, metavar="DIR", help="checkpoint and loss log folder")
    reid.add_argument("--epochs", type=int, default=10, help="total epochs (default 10)")
    reid.add_argument("--batch-size", type=int, default=64, help="crops per step (default 64)")
    reid.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    reid.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    reid.add_argument("--resume", metavar="CKPT", help="continue from this checkpoint")
    reid.add_argument("--seed", type=int, default=0)
    reid.add_argument("--max-steps", type=int, default=None, help="stop after this many steps")
    reid.add_argument(
        "--input-size",
        type=int,
        nargs=2,
        default=(128, 64),
        metavar=("H", "W"),
        help="crop size (default 128 64, the paper's)",
    )
    reid.add_argument(
        "--min-visibility",
        type=float,
        default=0.0,
        help="skip MOT16/17 gt boxes less visible than this (default 0)",
    )
    reid.add_argument("--quiet", action="store_true", help="no progress bar")
    reid.set_defaults(func=_cmd_train_reid)
    _add_train_fairmot(what)


def _cmd_convert(args: argparse.Namespace) -> int:
    from .fairmot.data.convert import convert_mot
    from .fairmot.data.video import convert_video

    if args.source == "mot":
        result = convert_mot(
            args.seq, args.out, name=args.name or "mot", link=args.link, gt_format=args.gt_format
        )
    else:
        frames = None if args.frames is None else tuple(args.frames)
        result = convert_video(
            args.video,
            args.gt,
            args.out,
            name=args.name,
            frames=frames,
            scale=args.scale,
            gt_format=args.gt_format,
        )
    first, last = result.identities
    print(
        f"{result.num_images} images, {result.num_boxes} boxes, identities {first}..{last} "
        f"-> {result.list_file} (data config {result.data_config})"
    )
    return 0


def _add_convert(sub: Any) -> None:
    convert = sub.add_parser("convert", help="convert data to the JDE layout (FairMOT training)")
    source = convert.add_subparsers(dest="source", required=True)
    mot = source.add_parser("mot", help="MOTChallenge sequences (seqinfo.ini, gt/gt.txt, img1/)")
    mot.add_argument("--seq", nargs="+", required=True, metavar="DIR", help="sequence folders")
    mot.add_argument(
        "--link", default="symlink", choices=("symlink", "hardlink", "copy"), help="image placing"
    )
    video = source.add_parser("video", help="a video file plus a MOTChallenge gt file")
    video.add_argument("--video", required=True, metavar="FILE")
    video.add_argument("--gt", required=True, metavar="FILE", help="gt.txt (MOT15 or MOT16/17)")
    video.add_argument("--scale", type=float, default=1.0, help="gt box scale (default 1)")
    video.add_argument(
        "--frames", type=int, nargs=2, metavar=("A", "B"), help="first and last frame (1-based)"
    )
    for parser in (mot, video):
        parser.add_argument("--out", required=True, metavar="DIR", help="output root")
        parser.add_argument("--name", help="dataset name (<out>/<name>.train and .json)")
        parser.add_argument("--gt-format", default="auto", choices=("auto", "mot17", "mot15"))
        parser.set_defaults(func=_cmd_convert)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mottrack`` command."""
    parser = argparse.ArgumentParser(prog="mottrack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="track and evaluate a generated synthetic sequence")
    demo.add_argument("--frames", type=int, default=300, help="sequence length (default 300)")
    demo.add_argument("--objects", type=int, default=15, help="objects per frame (default 15)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--out", help="keep the sequence and results in this folder")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=_cmd_demo)

    track = sub.add_parser("track", help="run a tracker over a MOTChallenge det.txt")
    track.add_argument("--tracker", default="sort", choices=list_trackers())
    track.add_argument("--det", required=True, help="det.txt (inside <seq>/det/ for seqinfo)")
    track.add_argument("--out", required=True, help="results file to write")
    track.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    track.add_argument("--min-score", type=float, default=None, help="drop weaker detections")
    track.add_argument(
        "--features",
        help="(N, 7 + D) .npy of det rows + embeddings (replaces --det's rows), for deepsort",
    )
    track.add_argument(
        "--images", action="store_true", help="pass each frame's image (<seq>/img1) to the tracker"
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

    _add_train(sub)
    _add_convert(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mottrack`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, FileNotFoundError, TypeError) as exc:
        print(f"mottrack {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
