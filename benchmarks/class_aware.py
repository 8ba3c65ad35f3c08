"""``class_aware`` on the crossing-classes scene: TrackEval metrics with and without it.

Objects of two classes cross head-on and the occluded one is not detected
(:func:`mottrack.datasets.crossing_classes`); each tracker runs with its defaults (SORT with
``max_age=30, min_hits=1`` so coasting tracks can be handed a wrong detection), with
simulated re-ID features where it needs them. Prints a table and writes JSON.

    python benchmarks/class_aware.py [--seeds 0 1 2 3] [--json results/class_aware.json]
"""

from __future__ import annotations

import argparse
from typing import Any

from _common import environment, print_table, write_json

from mottrack import Detections, create_tracker
from mottrack.datasets import SyntheticSequence, crossing_classes, frames_with_classes
from mottrack.eval import evaluate_synthetic
from mottrack.pipeline import track_frames

TRACKERS: dict[str, dict[str, Any]] = {
    "sort": {"max_age": 30, "min_hits": 1},
    "deepsort": {},
    "fairmot": {},
}
METRICS = ("HOTA", "MOTA", "IDF1", "IDSW")


def metrics(seq: SyntheticSequence, frames: list[Detections], name: str, **params: Any) -> dict:
    """TrackEval's combined metrics of one run of ``name`` over ``frames``."""
    run = track_frames(create_tracker(name, **params), enumerate(frames, 1))
    combined = evaluate_synthetic(seq, run.rows).combined
    return {k: float(combined[k]) for k in METRICS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--json", default="results/class_aware.json")
    args = parser.parse_args()
    rows, report = [], []
    for name, params in TRACKERS.items():
        totals = {False: dict.fromkeys(METRICS, 0.0), True: dict.fromkeys(METRICS, 0.0)}
        for seed in args.seeds:
            seq = crossing_classes(seed=seed)
            frames, _ = frames_with_classes(seq, 2, seq.feature_vectors(noise=1.0), seed=seed)
            for aware in (False, True):
                m = metrics(seq, frames, name, class_aware=aware, **params)
                report.append({"tracker": name, "seed": seed, "class_aware": aware, **m})
                for k in METRICS:
                    totals[aware][k] += m[k] / (1 if k == "IDSW" else len(args.seeds))
        for aware in (False, True):
            t = totals[aware]
            rows.append([name, aware, *(round(t[k], 2) for k in METRICS)])
    print(f"crossing-classes scene, seeds {args.seeds} (mean; IDSW summed):")
    print_table(["tracker", "class_aware", *METRICS], rows)
    write_json(args.json, {"seeds": args.seeds, "runs": report, "env": environment()})


if __name__ == "__main__":
    main()
