"""Appearance embedder throughput (crops/s) on CPU, or on a torch device for the CNN.

Crops come from a rendered synthetic 1920x1080 frame (``mottrack.datasets.generate``); each
figure is the median of ``--repeat`` calls on ``--crops`` boxes, after one warm-up call.

Example::

    python benchmarks/embedders.py --crops 64 --repeat 5 --json results/embedders.json
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
from _common import environment, print_table, write_json

from mottrack.boxes import convert
from mottrack.datasets import generate
from mottrack.deepsort import create_embedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--embedders", nargs="+", default=["histogram", "cnn"])
    parser.add_argument("--device", default="cpu", help="torch device of the CNN")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--json", default="results/embedders.json")
    args = parser.parse_args()

    seq = generate(num_frames=1, num_objects=args.crops, width=1920, height=1080, seed=0)
    frame = np.ascontiguousarray(seq.render_frame(1)[:, :, ::-1])
    boxes = convert(seq.gt[:, 2:6], "xywh", "xyxy")
    boxes = np.resize(boxes, (args.crops, 4))  # repeat rows if the scene has fewer objects
    rows, report = [], []
    for name in args.embedders:
        kwargs: dict[str, Any] = {}
        if name == "cnn":
            import torch

            torch.set_num_threads(args.threads)
            kwargs["device"] = args.device
        embed = create_embedder(name, **kwargs)  # the CNN is untrained: speed only
        embed(frame, boxes)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            embed(frame, boxes)
            times.append(time.perf_counter() - start)
        rate = args.crops / statistics.median(times)
        report.append({"embedder": name, "dim": embed.dim, "crops_per_s": rate})
        rows.append([name, embed.dim, args.crops, round(rate)])
    print_table(["embedder", "dim", "crops/call", "crops/s"], rows)
    write_json(args.json, {"args": vars(args), "results": report, "env": environment()})


if __name__ == "__main__":
    main()
