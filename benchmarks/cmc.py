"""Camera motion compensation on a panning-camera scene: TrackEval with and without ``cmc``.

The scene is :func:`mottrack.datasets.panning.panning_scene` (a jerky pan over a textured
world; ground truth and detections move with the camera). SORT (detections only), DeepSORT and
FairMOT's association (both with the histogram embedder on the rendered frames: the scene has
no FairMOT network output) run with ``cmc=None`` and each estimator; the
table gives TrackEval's HOTA, MOTA, IDF1 and ID switches, and each estimator's error against
the true camera translation (mean and largest over frames, pixels).

Example::

    python benchmarks/cmc.py --frames 120 --seeds 0 1 --json results/cmc.json
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import environment, print_table, write_json

from mottrack import Pipeline, create_tracker, get_tracker_class
from mottrack.datasets.panning import PanningSequence, panning_scene
from mottrack.deepsort.histogram import HistogramEmbedder
from mottrack.eval import evaluate
from mottrack.io import write_results
from mottrack.motion.cmc import CMC_METHODS, CameraMotion
from mottrack.pipeline import track_frames

METRICS = ("HOTA", "MOTA", "IDF1", "IDSW")


def translation_errors(seq: PanningSequence, images: list[Any], method: str) -> np.ndarray:
    """Per-frame error (pixels) of ``method``'s translation against the true camera move."""
    motion = CameraMotion(method)
    errors = []
    for f, image in enumerate(images, start=1):
        estimated = motion.estimate(image)
        errors.append(np.abs(estimated[:, 2] - seq.true_affine(f)[:, 2]).max())
    return np.array(errors[1:])


def run(
    seq: PanningSequence, images: list[Any], tracker: str, cmc: str | None, out: Path
) -> tuple[Path, float]:
    """Track ``seq`` and write the results; returns the file and the seconds taken."""
    embedder = HistogramEmbedder() if get_tracker_class(tracker).requires_embeddings else None
    pipeline = Pipeline(create_tracker(tracker, cmc=cmc), embedder=embedder)
    frames = ((f, dets, images[f - 1]) for f, dets in seq.frames())
    start = time.perf_counter()
    result = track_frames(pipeline, frames)
    seconds = time.perf_counter() - start
    path = out / f"{seq.name}.txt"
    write_results(path, result.rows)
    return path, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--trackers", nargs="+", default=["sort", "deepsort", "fairmot"])
    parser.add_argument("--json", default="results/cmc.json")
    args = parser.parse_args()

    methods: list[str | None] = [None, *CMC_METHODS]
    report: dict[str, Any] = {"args": vars(args), "estimators": {}, "tracking": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        seqs = [panning_scene(args.frames, seed=s, name=f"PAN-{s:02d}") for s in args.seeds]
        images = {s.name: [s.render_frame(f) for f in range(1, args.frames + 1)] for s in seqs}
        gt_root = root / "gt"
        for seq in seqs:
            seq.write(gt_root)

        est_rows = []
        for method in CMC_METHODS:
            err = np.concatenate([translation_errors(s, images[s.name], method) for s in seqs])
            report["estimators"][method] = {"mean_px": err.mean(), "max_px": err.max()}
            est_rows.append([method, float(err.mean()), float(err.max())])
        print_table(["cmc", "mean |dt| px", "max |dt| px"], est_rows)
        print()

        rows = []
        for tracker in args.trackers:
            for method in methods:
                label = f"{tracker}-{method or 'none'}"
                files, seconds = {}, 0.0
                for seq in seqs:
                    path, took = run(seq, images[seq.name], tracker, method, root / label)
                    files[seq.name] = path
                    seconds += took
                result = evaluate(gt_root, files, benchmark="MOT17", tracker_name=label)
                combined = result.combined
                entry = {"tracker": tracker, "cmc": method, "seconds": seconds}
                entry.update({m: combined[m] for m in METRICS})
                report["tracking"].append(entry)
                rows.append([tracker, method or "-", *(combined[m] for m in METRICS)])
        print_table(["tracker", "cmc", *METRICS], rows)
    report["env"] = environment()
    write_json(args.json, report)


if __name__ == "__main__":
    main()
