"""``mottrack track --det FILE --out FILE``: the det-file-only form (no frames, or a
MOTChallenge sequence's own images with ``--images``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from ..io.outputs import check_output_file, save_with_fallback
from .common import parse_params

__all__ = ["check_features_match", "make_embedder", "run_det_file"]


def make_embedder(args: argparse.Namespace) -> Any:
    """The crop embedder ``--embedder`` names (``--embedder-weights``, ``--device``)."""
    from ..deepsort.embedder import create_embedder

    return create_embedder(args.embedder, weights=args.embedder_weights, device=args.device)


def check_features_match(det: Path, rows: np.ndarray) -> None:
    """Refuse ``--features`` whose detection columns (0-6) are not ``--det``'s rows.

    Parameters
    ----------
    det : pathlib.Path
        The ``--det`` file.
    rows : ndarray, shape (N, 7)
        Columns 0-6 of the features file.
    """
    from ..io import load_mot_txt

    own = load_mot_txt(det)
    own = own[:, :7] if own.ndim == 2 and own.shape[1] >= 7 else np.zeros((0, 7))
    same = own.shape == rows.shape and np.allclose(own, rows, atol=1e-3, rtol=0)
    if not same:
        first = "" if own.shape != rows.shape else f", first different row {_first_diff(own, rows)}"
        raise ValueError(
            f"--features: its detection rows (columns 0-6) are not those of --det {det} "
            f"({rows.shape[0]} vs {own.shape[0]} rows{first}); features of another sequence?"
        )


def _first_diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.argmax(~np.isclose(a, b, atol=1e-3, rtol=0).all(axis=1)))


def run_det_file(args: argparse.Namespace) -> int:
    """Track ``--det`` rows (``--features`` embeddings, ``--images`` crops) into ``--out``."""
    from ..io import MOTSequence, write_results
    from ..io.sources import VIDEO_EXTENSIONS
    from ..pipeline import Pipeline, track_frames, tracker_for_sequence

    det = Path(args.det)
    if not det.is_file():
        raise FileNotFoundError(f"--det: file not found: {det}")
    if det.suffix.lower() in VIDEO_EXTENSIONS:
        raise ValueError(
            f"--det: {args.det} is a video, not detections; pass it as SOURCE: "
            f"mottrack track {args.det} --det DETECTIONS.txt (or --detector ...)"
        )
    if args.out is None:
        raise ValueError("--out: expected a results file (the --det form writes only results)")
    out = check_output_file(args.out, "--out")
    det = det.resolve()  # a bare file name has a named parent folder
    # A det file inside a MOTChallenge folder (<seq>/det/det.txt) picks up its seqinfo.ini.
    root = det.parent.parent if det.parent.name == "det" else det.parent
    if args.images and not (root / "seqinfo.ini").is_file():
        raise ValueError(
            f"--images: {root} has no seqinfo.ini (--images reads <seq>/img1 of a "
            "MOTChallenge folder); for a video or an image folder pass it as SOURCE: "
            f"mottrack track SOURCE --det {args.det}"
        )
    features = None if args.features is None else Path(args.features).resolve()
    seq = MOTSequence(root, det_file=det, features=features, min_score=args.min_score)
    if features is not None:
        check_features_match(det, seq.detections[:, :7])
    tracker = tracker_for_sequence(args.tracker, seq.info, **parse_params(args.tracker, args.param))
    embedder = None
    if tracker.requires_embeddings and features is None:
        if not args.images:
            raise ValueError(
                f"--tracker {args.tracker} needs appearance features: pass --features FILE.npy "
                "(det rows + embeddings), or --images (crops embedded with --embedder), or the "
                "video as SOURCE (mottrack track SOURCE --det FILE)"
            )
        embedder = make_embedder(args)
    frames: Any = seq.frames()
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
