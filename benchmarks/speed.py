"""Tracker-only throughput of SORT: mottrack against the original, in the same run.

Detections are preloaded (I/O excluded); each figure is the median of ``--repeat`` runs.

(a) frames/s over all 11 MOT15 train sequences (``$MOTTRACK_SHARED/data/MOT15/train``);
(b) scaling: frames/s and peak traced memory at 10, 100, 300 and 1000 objects per frame on
    synthetic scenes (``mottrack.datasets.generate``);
(c) the same for the original SORT as packaged on PyPI (``simple-online-realtime-tracking==0.3``,
    ``pip install --no-deps``) when it is importable, with the ratio and an output check.

Example::

    python benchmarks/speed.py --repeat 5 --json results/speed.json
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import environment, print_table, sequence_dirs, shared_root, write_json

from mottrack import Detections, create_tracker
from mottrack.datasets import generate
from mottrack.io import MOTSequence

Frames = list[Detections]


def load_mot15() -> list[Frames]:
    root = shared_root() / "data" / "MOT15" / "train"
    return [[d for _, d in MOTSequence(p).frames()] for p in sequence_dirs(root)]


def synthetic(objects: int, frames: int, seed: int = 0) -> list[Frames]:
    # occlusion_iou=1.0: no occlusion misses, so about 0.9 * objects detections per frame.
    seq = generate(
        num_frames=frames,
        num_objects=objects,
        seed=seed,
        width=1920,
        height=1080,
        occlusion_iou=1.0,
    )
    return [[d for _, d in seq.frames()]]


def run_mottrack(seqs: list[Frames]) -> list[np.ndarray]:
    tracker = create_tracker("sort")
    outputs = []
    for frames in seqs:
        tracker.reset()
        for dets in frames:
            t = tracker.update(dets)
            outputs.append(np.column_stack([t.xyxy, t.ids]))
    return outputs


def original_runner() -> Callable[[list[Frames]], list[np.ndarray]] | None:
    try:
        from sort.sort import KalmanBoxTracker, Sort  # the PyPI package, a test oracle
    except ImportError:
        return None

    def prepare(seqs: list[Frames]) -> list[list[np.ndarray]]:
        return [
            [np.column_stack([d.xyxy, d.scores, np.zeros(len(d))]) for d in frames]
            for frames in seqs
        ]

    def run(prepared: list[list[np.ndarray]]) -> list[np.ndarray]:
        outputs = []
        for frames in prepared:
            KalmanBoxTracker.count = 0
            tracker = Sort(max_age=1, min_hits=3, iou_threshold=0.3)
            for rows in frames:
                out = tracker.update(rows)
                outputs.append(out[::-1, :5].reshape(-1, 5))
        return outputs

    run.prepare = prepare  # type: ignore[attr-defined]
    return run


def timed(fn: Callable[[Any], Any], arg: Any, repeat: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn(arg)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_memory(fn: Callable[[Any], Any], arg: Any) -> float:
    """Peak memory traced (Python + NumPy allocations) during one run, MiB."""
    gc.collect()
    tracemalloc.start()
    fn(arg)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def same_output(ours: list[np.ndarray], theirs: list[np.ndarray]) -> bool:
    if len(ours) != len(theirs):
        return False
    for a, b in zip(ours, theirs):
        if a.shape != b.shape:
            return False
        ka, kb = a[np.argsort(a[:, 4])], b[np.argsort(b[:, 4])]
        if not (
            np.array_equal(ka[:, 4], kb[:, 4]) and np.allclose(ka[:, :4], kb[:, :4], atol=1e-6)
        ):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scaling-frames", type=int, default=100)
    parser.add_argument("--scaling-repeat", type=int, default=3, help="repeats for scaling cases")
    parser.add_argument("--objects", type=int, nargs="+", default=[10, 100, 300, 1000])
    parser.add_argument("--json", default="results/speed.json")
    args = parser.parse_args()

    original = original_runner()
    cases: list[tuple[str, list[Frames]]] = [("MOT15 train (11 seqs)", load_mot15())]
    cases += [(f"synthetic {n} obj/frame", synthetic(n, args.scaling_frames)) for n in args.objects]
    rows, report = [], []
    for name, seqs in cases:
        n_frames = sum(len(f) for f in seqs)
        n_dets = sum(len(d) for f in seqs for d in f)
        repeat = args.repeat if name.startswith("MOT15") else args.scaling_repeat
        t_ours, out_ours = timed(run_mottrack, seqs, repeat)
        entry: dict[str, Any] = {
            "case": name,
            "frames": n_frames,
            "detections_per_frame": n_dets / n_frames,
            "mottrack_fps": n_frames / t_ours,
            "mottrack_peak_mib": peak_memory(run_mottrack, seqs),
        }
        if original is not None:
            prepared = original.prepare(seqs)  # type: ignore[attr-defined]
            t_orig, out_orig = timed(original, prepared, repeat)
            entry["original_fps"] = n_frames / t_orig
            entry["original_peak_mib"] = peak_memory(original, prepared)
            entry["speedup"] = t_orig / t_ours
            entry["identical_output"] = same_output(out_ours, out_orig)
        report.append(entry)
        rows.append(
            [
                name,
                n_frames,
                round(entry["detections_per_frame"], 1),
                round(entry["mottrack_fps"]),
                round(entry["mottrack_peak_mib"], 2),
                round(entry.get("original_fps", float("nan"))),
                round(entry.get("original_peak_mib", float("nan")), 2),
                f"{entry['speedup']:.2f}x" if "speedup" in entry else "-",
                entry.get("identical_output", "-"),
            ]
        )
    if original is None:
        hint = "pip install --no-deps simple-online-realtime-tracking==0.3"
        print(f"original SORT not installed: {hint}")
    print_table(
        [
            "case",
            "frames",
            "dets/frame",
            "mottrack f/s",
            "peak MiB",
            "original f/s",
            "orig peak MiB",
            "speedup",
            "same output",
        ],
        rows,
    )
    write_json(args.json, {"repeat": args.repeat, "results": report, "env": environment()})


if __name__ == "__main__":
    main()
