"""``mottrack convert mot|video``: MOTChallenge sequences or a video + gt to FairMOT's JDE
training layout."""

from __future__ import annotations

import argparse
from typing import Any

from ..io.outputs import check_output_dir
from .common import int_at_least

__all__ = ["add_parser"]


def _cmd_convert(args: argparse.Namespace) -> int:
    from ..fairmot.data.convert import convert_mot
    from ..fairmot.data.video import convert_video

    check_output_dir(args.out, "--out")
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


def add_parser(sub: Any) -> None:
    """Add ``convert mot`` and ``convert video`` to the ``mottrack`` sub-commands."""
    convert = sub.add_parser("convert", help="convert data to the JDE layout (FairMOT training)")
    source = convert.add_subparsers(dest="source", required=True)
    mot = source.add_parser("mot", help="MOTChallenge sequences (seqinfo.ini, gt/gt.txt, img1/)")
    mot.add_argument("--seq", nargs="+", required=True, metavar="DIR", help="sequence folders")
    mot.add_argument(
        "--link",
        default="symlink",
        choices=("symlink", "hardlink", "copy"),
        help="how images are placed in the output (default: symlink)",
    )
    video = source.add_parser("video", help="a video file plus a MOTChallenge gt file")
    video.add_argument("--video", required=True, metavar="FILE", help="the video file")
    video.add_argument("--gt", required=True, metavar="FILE", help="gt.txt (MOT15 or MOT16/17)")
    video.add_argument("--scale", type=float, default=1.0, help="gt box scale (default 1)")
    video.add_argument(
        "--frames",
        type=int_at_least(1),
        nargs=2,
        metavar=("A", "B"),
        help="first and last frame (1-based)",
    )
    for parser in (mot, video):
        parser.add_argument("--out", required=True, metavar="DIR", help="output root")
        parser.add_argument("--name", help="dataset name (<out>/<name>.train and .json)")
        parser.add_argument(
            "--gt-format",
            default="auto",
            choices=("auto", "mot17", "mot15"),
            help="gt.txt layout (default: auto, from the column count)",
        )
        parser.set_defaults(func=_cmd_convert, prog=parser.prog)
