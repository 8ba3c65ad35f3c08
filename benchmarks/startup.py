"""Start-up cost in fresh processes: ``import mottrack`` and each tracker's first ``update()``.

The compiled kernels are loaded from numba's on-disk cache; the first child process fills it
(reported as "cold"), the next ``--repeat`` measure the warm case users see. Times are wall
seconds inside the child (interpreter start-up excluded).

Example::

    python benchmarks/startup.py --json results/startup.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from _common import environment, print_table, write_json

CHILD = r"""
import json, time
t0 = time.perf_counter()
import mottrack
t1 = time.perf_counter()
import numpy as np
tracker = mottrack.create_tracker({name!r})
rows = np.array([[10.0, 10.0, 50.0, 90.0, 0.9], [200.0, 40.0, 240.0, 130.0, 0.8]])
dets = mottrack.Detections(rows[:, :4], rows[:, 4], embeddings=np.eye(2, 8))
t2 = time.perf_counter()
tracker.update(rows if {name!r} == "sort" else dets)
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "first_update": t3 - t2, "create": t2 - t1}}))
"""


def measure(name: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(name=name)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", default="results/startup.json")
    args = parser.parse_args()
    rows, report = [], []
    for name in ("sort", "deepsort", "fairmot"):
        cold = measure(name)
        warm = [measure(name) for _ in range(args.repeat)]
        entry = {
            "tracker": name,
            "cold": cold,
            "import_s": statistics.median(w["import"] for w in warm),
            "create_s": statistics.median(w["create"] for w in warm),
            "first_update_s": statistics.median(w["first_update"] for w in warm),
        }
        report.append(entry)
        rows.append(
            [
                name,
                round(entry["import_s"], 3),
                round(entry["create_s"], 3),
                round(entry["first_update_s"], 3),
                round(cold["create"] + cold["first_update"], 3),
            ]
        )
    print_table(
        ["tracker", "import s", "create s (warm)", "first update s (warm)", "cold create+update s"],
        rows,
    )
    write_json(args.json, {"results": report, "repeat": args.repeat, "env": environment()})


if __name__ == "__main__":
    main()
