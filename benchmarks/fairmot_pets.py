"""Train FairMOT on PETS09-S2L1 frames 1-397, track frames 398-795, compare with SORT/DeepSORT.

Data: ``$MOTTRACK_SHARED/data/video/vtest.avi`` (480x360; frame i is MOT15 PETS09-S2L1 frame i)
and ``data/MOT15/train/PETS09-S2L1`` (gt and public detections, in 768x576 pixels: scaled by
0.625 to the video, see ``data/SOURCES.md``). No pretrained weights exist here: the network
trains from scratch (random initialisation), which the report says beside its numbers.

1. ``convert_video`` turns frames 1-397 and their gt into a JDE training set.
2. ``train_fairmot`` trains (``--arch``, ``--epochs``, ``--input-size``, ``--device``...).
3. The trained network tracks frames 398-795 from the video (``Pipeline(create_tracker(
   "fairmot"), detector=FairMOTDetector(checkpoint))``); SORT and DeepSORT (histogram embedder
   on the same frames) track the public detections of the same frames.
4. TrackEval scores all of them on a sequence folder holding only frames 398-795 (renumbered
   1-398, gt scaled to the video).

Example (a short CPU run that proves the path; on a GPU use dla34, 1088x608, more epochs)::

    python benchmarks/fairmot_pets.py --arch dla34_tiny --epochs 2 --input-size 320 192
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import environment, print_table, shared_root, write_json

from mottrack import create_tracker
from mottrack.deepsort.histogram import HistogramEmbedder
from mottrack.eval import evaluate
from mottrack.fairmot.data import convert_video
from mottrack.fairmot.detector import FairMOTDetector
from mottrack.fairmot.train import train_fairmot
from mottrack.io import (
    SeqInfo,
    iter_detections,
    load_mot_txt,
    video_frames,
    write_results,
    write_sequence,
)
from mottrack.pipeline import Pipeline, track_frames

SCALE = 0.625  # 768x576 MOT15 boxes -> 480x360 video
TRAIN, TEST = (1, 397), (398, 795)


def _scaled(rows: np.ndarray, first: int, last: int) -> np.ndarray:
    """MOT rows of frames ``first..last``, renumbered from 1, boxes scaled to the video."""
    out = rows[(rows[:, 0] >= first) & (rows[:, 0] <= last)].copy()
    out[:, 0] -= first - 1
    out[:, 2:6] *= SCALE
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="dla34", choices=("dla34", "dla34_tiny"))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--input-size", type=int, nargs=2, default=(1088, 608), metavar=("W", "H"))
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--amp", default="auto")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parents[1] / "results" / "pets")
    )
    args = parser.parse_args()

    shared = shared_root() / "data"
    video = shared / "video" / "vtest.avi"
    seq_dir = shared / "MOT15" / "train" / "PETS09-S2L1"
    out = Path(args.out)

    # 1-2. Convert the first half and train from scratch.
    conv = convert_video(video, seq_dir / "gt" / "gt.txt", out / "jde", frames=TRAIN, scale=SCALE)
    start = time.perf_counter()
    trained = train_fairmot(
        conv.data_config,
        out / "train",
        device=args.device,
        arch=args.arch,
        epochs=args.epochs,
        batch_size=args.batch_size,
        input_size=tuple(args.input_size),
        lr=args.lr,
        amp=args.amp,
        num_workers=args.workers,
        max_steps=args.max_steps,
        lr_step=(max(1, int(args.epochs * 2 / 3)),),
    )
    train_s = time.perf_counter() - start
    training: dict[str, Any] = {
        "from_scratch": True,
        "images": conv.num_images,
        "epochs": trained.epochs,
        "steps": trained.steps,
        "wall_s": train_s,
        "images_per_s": trained.images_per_s,
        "last_loss": trained.losses[-1] if trained.losses else None,
    }
    if torch.cuda.is_available():
        training["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20

    # 3. The second half as its own sequence: gt and public detections in video pixels.
    first, last = TEST
    n = last - first + 1
    gt = _scaled(load_mot_txt(seq_dir / "gt" / "gt.txt"), first, last)
    det = _scaled(load_mot_txt(seq_dir / "det" / "det.txt"), first, last)
    info = SeqInfo("PETS09-S2L1-test", n, 7.0, 480, 360)
    gt_root = out / "gt"
    folder = write_sequence(gt_root / info.name, info, gt, det)
    images = [img for _, img in video_frames(video, first, last)]
    public = list(iter_detections(det, n, source="det.txt"))
    use_cuda = args.device in ("auto", "cuda") and torch.cuda.is_available()
    detector = FairMOTDetector(
        str(trained.checkpoint),
        input_size=tuple(args.input_size),
        device="cuda" if use_cuda else "cpu",
        arch=args.arch,
    )
    runs = {
        "fairmot (trained here)": track_frames(
            Pipeline(create_tracker("fairmot", frame_rate=info.frame_rate), detector=detector),
            [(f, None, img) for f, img in enumerate(images, 1)],
        ),
        "sort (public dets)": track_frames(create_tracker("sort"), public),
        "deepsort (public dets, histogram)": track_frames(
            Pipeline(create_tracker("deepsort"), embedder=HistogramEmbedder()),
            [(f, d, images[f - 1]) for f, d in public],
        ),
    }
    rows, report = [], {}
    for name, run in runs.items():
        res_dir = out / "results" / name.split(" ")[0]
        write_results(res_dir / f"{info.name}.txt", run.rows)
        metrics = evaluate(gt_root, res_dir, benchmark="MOT15", sequences=[info.name]).combined
        report[name] = {"metrics": metrics, "fps": run.total_fps, "seconds": run.seconds}
        rows.append([name, *(metrics[k] for k in ("HOTA", "MOTA", "IDF1", "IDSW")), run.total_fps])
    print(f"Trained from scratch on frames {TRAIN} ({conv.num_images} images): {training}")
    print(f"Tracked frames {TEST} of {folder}")
    print_table(["tracker", "HOTA", "MOTA", "IDF1", "IDSW", "frames/s (all stages)"], rows)
    write_json(
        out / "pets.json",
        {"args": vars(args), "training": training, "runs": report, "env": environment()},
    )


if __name__ == "__main__":
    main()
