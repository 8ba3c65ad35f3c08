"""Where ``mottrack track SOURCE`` gets detections: a MOTChallenge file (:class:`DetRows`) or a
detector (:func:`load_detector`: FairMOT's network, or any ``module:callable``)."""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..types import Detections
from .common import int_at_least

__all__ = ["DetRows", "add_detector_options", "load_detector"]


@dataclass
class DetRows:
    """Detections of a MOTChallenge file, served frame by frame.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    frames : list of Detections
        ``frames[f - 1]``: detections of frame ``f``, for ``f`` up to the file's last frame.
    embedding_dim : int or None
        Size of the ``--features`` embeddings, if given.
    """

    path: Path
    frames: list[Detections]
    embedding_dim: int | None
    _warned: bool = False

    @classmethod
    def load(cls, det: str, features: str | None, scale: float, min_score: float | None) -> DetRows:
        """Read ``--det`` (and ``--features``) with :func:`mottrack.io.load_detections`, as
        :class:`~mottrack.io.MOTSequence` does (a 9-column gt file is refused), scale the boxes
        by ``scale``, drop weak rows."""
        from ..io import iter_detections, load_detections
        from .track_detfile import check_features_match

        path = Path(det)
        if not path.is_file():
            raise FileNotFoundError(f"--det: file not found: {path}")
        rows, emb = load_detections(path, features)
        if features is not None:
            check_features_match(path, rows)
        rows = np.array(rows[:, :7] if rows.size else np.zeros((0, 7)), dtype=np.float64)
        rows[:, 2:6] *= scale
        last = int(rows[:, 0].max()) if len(rows) else 0
        pairs = iter_detections(rows, last, emb, min_score, f"--det {path}")
        dim = None if emb is None else int(emb.shape[1])
        return cls(path, [dets for _, dets in pairs], dim)

    @property
    def has_embeddings(self) -> bool:
        """Whether the rows carry ``--features`` embeddings."""
        return self.embedding_dim is not None

    def at(self, frame: int) -> Detections:
        """Detections of ``frame`` (1-based); empty after the file's last frame."""
        if frame <= len(self.frames):
            return self.frames[frame - 1]
        return Detections.empty(self.embedding_dim)

    def check_scale(self, width: int, height: int) -> None:
        """Warn (stderr) when the boxes reach far beyond a ``width`` x ``height`` frame."""
        boxes = [d.xyxy for d in self.frames if len(d)]
        if not boxes:
            return
        xyxy = np.concatenate(boxes)
        right, bottom = float(xyxy[:, 2].max()), float(xyxy[:, 3].max())
        if right > 1.2 * width or bottom > 1.2 * height:
            print(
                f"mottrack track: warning: --det boxes reach x={right:.0f}, y={bottom:.0f} but "
                f"the frames are {width}x{height}: made on a larger copy? (--det-scale)",
                file=sys.stderr,
            )

    def warn_beyond(self, num_frames: int) -> None:
        """Warn (stderr) when the file has rows after the source's last frame."""
        later = sum(len(d) for d in self.frames[num_frames:])
        if later:
            print(
                f"mottrack track: warning: --det {self.path} has {later} rows after frame "
                f"{num_frames}, where the source ended (ignored)",
                file=sys.stderr,
            )


def _callable_detector(spec: str) -> Any:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--detector: expected 'fairmot' or 'module:callable', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"--detector: cannot import module {module_name!r} ({exc})") from None
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise ValueError(f"--detector: module {module_name!r} has no attribute {attr!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"--detector: {spec} is not callable (expected frame -> detections)")
    return target


def load_detector(args: argparse.Namespace) -> Any:
    """The ``--detector``: FairMOT (``--weights``, ``--device``, ``--conf``) or a callable.

    Returns
    -------
    callable
        ``frame (H, W, 3) uint8 BGR -> Detections`` or an ``(N, 5)``/``(N, 6)`` array.
    """
    if args.detector != "fairmot":
        if args.weights is not None:
            raise ValueError("--weights: only for --detector fairmot")
        return _callable_detector(args.detector)
    if args.weights is None:
        raise ValueError("--detector fairmot: expected --weights CKPT (a FairMOT checkpoint)")
    weights = Path(args.weights)
    if not weights.is_file():
        raise FileNotFoundError(f"--weights: file not found: {weights}")
    from ..fairmot.detector import FairMOTDetector  # torch

    return FairMOTDetector(
        weights, args.input_size, conf_thres=args.conf, device=args.device, arch=args.arch
    )


def add_detector_options(parser: argparse.ArgumentParser) -> None:
    """``--detector`` and the FairMOT network's options (``--weights``, ``--conf``, ``--arch``,
    ``--input-size``, ``--resize``)."""
    parser.add_argument(
        "--detector",
        metavar="NAME",
        help="'fairmot' (the FairMOT network, needs torch and --weights) or 'module:callable', "
        "any callable BGR frame -> Detections or (N, 5/6) array (default: none)",
    )
    parser.add_argument(
        "--weights",
        metavar="CKPT",
        help="FairMOT checkpoint for --detector fairmot (default: none)",
    )
    parser.add_argument(
        "--conf",
        type=float,
        default=0.4,
        help="score threshold of --detector fairmot (default: 0.4, FairMOT's)",
    )
    parser.add_argument(
        "--arch",
        default="dla34",
        choices=("dla34", "dla34_tiny", "tiny"),
        help="network of --weights for --detector fairmot (default: dla34)",
    )
    parser.add_argument(
        "--input-size",
        type=int_at_least(32),
        nargs=2,
        default=(1088, 608),
        metavar=("W", "H"),
        help="network input of --detector fairmot, multiples of 32 (default: 1088 608)",
    )
    parser.add_argument(
        "--resize",
        type=int_at_least(32),
        nargs=2,
        metavar=("W", "H"),
        help="resize every frame to W x H before the detector (FairMOT's video demo uses 1920 "
        "1080; results and video are then in that size) (default: none)",
    )
