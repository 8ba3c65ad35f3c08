"""``mottrack train reid|fairmot``: train the DeepSORT appearance CNN or the FairMOT network.

torch is imported when a training command runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from ..io.outputs import check_output_dir
from .common import device_arg, int_at_least

__all__ = ["add_parser"]


def _cmd_train_reid(args: argparse.Namespace) -> int:
    check_output_dir(args.out, "--out")
    module = importlib.import_module("mottrack.deepsort.train")  # torch
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
    check_output_dir(args.out, "--out")
    module = importlib.import_module("mottrack.fairmot.train")  # torch
    given = {  # the options on the command line; the others are the config's (or checkpoint's)
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "scale_lr_with_batch": args.scale_lr_with_batch,
        "lr_step": None if args.lr_step is None else tuple(args.lr_step),
        "input_size": None if args.input_size is None else tuple(args.input_size),
        "arch": args.arch,
        "seed": args.seed,
        "num_workers": args.workers,
        "amp": args.amp,
        "grad_clip": args.grad_clip,
        "max_steps": args.max_steps,
    }
    options = {key: value for key, value in given.items() if value is not None}
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
        "fairmot",
        help="train the FairMOT network (needs torch; torchrun for DDP)",
        epilog="With --resume the checkpoint's options hold: --epochs, --max-steps, --workers "
        "and --amp are applied; any other option given must equal the checkpoint's (an error "
        "names those that differ), and the data must have the checkpoint's identity count.",
    )
    fm.add_argument("--data", required=True, help="data config JSON (FairMOT's layout)")
    fm.add_argument("--out", required=True, metavar="DIR", help="checkpoints and log.csv")
    positive = int_at_least(1)
    fm.add_argument("--epochs", type=positive, help="total epochs (default 30)")
    fm.add_argument("--batch-size", type=positive, help="images per process (default 12)")
    fm.add_argument("--lr", type=float, help="Adam learning rate, as given (default 1e-4)")
    fm.add_argument(
        "--scale-lr-with-batch",
        action="store_true",
        default=None,
        help="multiply --lr by global batch / 12 (not FairMOT's recipe, which uses it as given)",
    )
    fm.add_argument("--lr-step", type=positive, nargs="+", help="decay epochs (default 20)")
    fm.add_argument(
        "--input-size", type=positive, nargs=2, metavar=("W", "H"), help="(default 1088 608)"
    )
    fm.add_argument(
        "--arch", choices=("dla34", "tiny", "dla34_tiny"), help="network (default dla34)"
    )
    fm.add_argument(
        "--device",
        type=device_arg(auto=True),
        default="auto",
        help="auto, cpu, cuda or cuda:N (default: auto)",
    )
    fm.add_argument(
        "--amp", choices=("auto", "bf16", "fp16", "off"), help="mixed precision (default auto)"
    )
    fm.add_argument("--grad-clip", type=float, help="max gradient norm (default none)")
    fm.add_argument("--workers", type=int_at_least(0), help="DataLoader workers (default 0)")
    fm.add_argument("--seed", type=int_at_least(0), help="(default 0)")
    fm.add_argument("--max-steps", type=positive, help="stop after this many steps in total")
    fm.add_argument(
        "--resume", metavar="CKPT", help="continue exactly from this checkpoint (see below)"
    )
    fm.add_argument("--weights", metavar="CKPT", help="initial weights (e.g. fairmot_dla34.pth)")
    fm.add_argument("--quiet", action="store_true", help="no progress bar")
    fm.set_defaults(func=_cmd_train_fairmot, prog=fm.prog)


def add_parser(sub: Any) -> None:
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
    reid.add_argument(
        "--epochs", type=int_at_least(1), default=10, help="total epochs (default 10)"
    )
    reid.add_argument(
        "--batch-size", type=int_at_least(2), default=64, help="crops per step (default 64)"
    )
    reid.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    reid.add_argument(
        "--device", default="cpu", choices=("cpu", "cuda"), help="torch device (default: cpu)"
    )
    reid.add_argument("--resume", metavar="CKPT", help="continue from this checkpoint")
    reid.add_argument("--seed", type=int_at_least(0), default=0, help="(default 0)")
    reid.add_argument(
        "--max-steps", type=int_at_least(1), help="stop after this many steps in total"
    )
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
    reid.set_defaults(func=_cmd_train_reid, prog=reid.prog)
    _add_train_fairmot(what)
