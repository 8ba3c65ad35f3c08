"""The ``mottrack train`` and ``mottrack convert`` sub-commands (torch is imported only by the
train commands, when they run)."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any


def _torch_module(name: str, command: str) -> Any:
    """Import a training module, or print why ``mottrack train COMMAND`` cannot run (None)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        print(
            f"mottrack train {command}: error: needs PyTorch ({exc}); pip install mottrack[torch]",
            file=sys.stderr,
        )
        return None


def _cmd_train_reid(args: argparse.Namespace) -> int:
    module = _torch_module("mottrack.deepsort.train", "reid")
    if module is None:
        return 2
    result = module.train_reid(
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
    module = _torch_module("mottrack.fairmot.train", "fairmot")
    if module is None:
        return 2
    options = {
        "batch_size": args.batch_size,
        "lr": args.lr,
        "scale_lr_with_batch": args.scale_lr_with_batch,
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
        options = {}
    if args.epochs is not None:  # otherwise FairMOTTrainConfig's (or the checkpoint's)
        options["epochs"] = args.epochs
    result = module.train_fairmot(
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
    fm.add_argument(
        "--lr", type=float, default=1e-4, help="Adam learning rate, as given (default 1e-4)"
    )
    fm.add_argument(
        "--scale-lr-with-batch",
        action="store_true",
        help="multiply --lr by global batch / 12 (not FairMOT's recipe, which uses it as given)",
    )
    fm.add_argument("--lr-step", type=int, nargs="+", default=[20], help="decay epochs (20)")
    fm.add_argument("--input-size", type=int, nargs=2, default=(1088, 608), metavar=("W", "H"))
    fm.add_argument("--arch", default="dla34", choices=("dla34", "tiny", "dla34_tiny"))
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


def add_train(sub: Any) -> None:
    """Add ``train reid`` and ``train fairmot`` to the ``mottrack`` sub-commands."""
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


def add_convert(sub: Any) -> None:
    """Add ``convert mot`` and ``convert video`` to the ``mottrack`` sub-commands."""
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
