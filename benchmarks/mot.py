"""Run a registered tracker over every sequence of a MOTChallenge split and evaluate it.

Example::

    python benchmarks/mot.py --tracker sort --root ../shared/data/MOT15/train --benchmark MOT15

Writes ``<out>/<tracker>/<seq>.txt`` and ``<out>/<tracker>.json`` (metrics, frames/s, params) and
prints a table. Evaluation goes through TrackEval (``mottrack.eval``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import environment, print_table, sequence_dirs, shared_root, write_json

from mottrack import create_tracker
from mottrack.cli import parse_params
from mottrack.eval import evaluate
from mottrack.io import MOTSequence, write_results
from mottrack.pipeline import track_frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracker", default="sort")
    parser.add_argument("--root", default=str(shared_root() / "data" / "MOT15" / "train"))
    parser.add_argument(
        "--benchmark", default="MOT15", choices=("MOT15", "MOT16", "MOT17", "MOT20")
    )
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", default="results/mot")
    args = parser.parse_args()

    params = parse_params(args.tracker, args.param)
    tracker = create_tracker(args.tracker, **params)
    out_dir = Path(args.out) / args.tracker
    speed = {}
    for seq_dir in sequence_dirs(Path(args.root)):
        seq = MOTSequence(seq_dir)
        frames = list(seq.frames())  # preload: time the tracker only
        run = track_frames(tracker, frames)
        write_results(out_dir / f"{seq.name}.txt", run.rows)
        speed[seq.name] = {"frames": run.num_frames, "fps": run.fps}
    result = evaluate(args.root, out_dir, benchmark=args.benchmark)
    cols = ["HOTA", "MOTA", "IDF1", "IDSW", "FP", "FN"]
    rows = [
        [name, *[m[c] for c in cols], speed.get(name, {}).get("fps", float("nan"))]
        for name, m in [*result.per_sequence.items(), ("COMBINED", result.combined)]
    ]
    total_frames = sum(s["frames"] for s in speed.values())
    total_time = sum(s["frames"] / s["fps"] for s in speed.values())
    rows[-1][-1] = total_frames / total_time
    print(f"{tracker!r} on {args.root} ({args.benchmark})")
    print_table(["sequence", *cols, "frames/s"], rows)
    write_json(
        Path(args.out) / f"{args.tracker}.json",
        {
            "tracker": args.tracker,
            "params": params,
            "root": args.root,
            "benchmark": args.benchmark,
            "metrics": result.to_dict(),
            "speed": speed,
            "env": environment(),
        },
    )


if __name__ == "__main__":
    main()
