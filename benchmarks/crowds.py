"""Steady-state crowds: frames/s and traced peak memory of each tracker once its tracks exist.

A tracker is fed ``--warm`` frames of a synthetic crowd (:func:`mottrack.datasets.crowd`, with
simulated re-ID features, which SORT ignores; one crowd per size for the three trackers), then
``--timed`` more frames are timed (CPU time) under ``tracemalloc``. Prints a table and writes JSON.

    python benchmarks/crowds.py --objects 1000 10000
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from _common import environment, print_table, write_json
from speed import synthetic

from mottrack import Detections, create_tracker

TRACKERS = ("sort", "deepsort", "fairmot")


def steady(name: str, frames: list[Detections], warm: int) -> dict[str, float]:
    """Frames/s and traced peak MiB of the frames after the first ``warm``."""
    timed = len(frames) - warm
    tracker = create_tracker(name)
    for d in frames[:warm]:
        tracker.update(d)
    tracemalloc.start()
    start = time.process_time()
    for d in frames[warm:]:
        tracker.update(d)
    seconds = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"fps": timed / seconds, "peak_mib": peak, "tracks": len(tracker.tracks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--warm", type=int, default=None, help="default 20 (8 from 5,000)")
    parser.add_argument("--timed", type=int, default=None, help="default 40 (8 from 5,000)")
    parser.add_argument("--json", default="results/crowds.json")
    args = parser.parse_args()
    rows, report = [], []
    for n in args.objects:
        warm = args.warm or (20 if n < 5000 else 8)
        timed = args.timed or (40 if n < 5000 else 8)
        frames = synthetic(n, warm + timed, features=True)[0]  # one crowd for the three
        for name in TRACKERS:
            r = steady(name, frames, warm)
            report.append({"tracker": name, "objects": n, "warm": warm, "timed": timed, **r})
            rows.append([name, n, warm, timed, round(r["fps"], 1), round(r["peak_mib"], 1)])
    print_table(["tracker", "objects", "warm", "timed", "frames/s", "peak MiB"], rows)
    write_json(args.json, {"results": report, "env": environment()})


if __name__ == "__main__":
    main()
