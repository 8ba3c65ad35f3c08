"""Tracker speed of this checkout against an earlier revision, in one process, alternating.

The package as it was at ``--base`` (a git revision) is exported to a temporary folder and
imported as ``mottrack_base``; both versions then track the same preloaded detections, one
after the other, ``--rounds`` times, and the best CPU-time frames/s of each is compared. CPU
time and alternation keep the ratio meaningful on a shared, noisy machine; run it twice and
quote the range.

Data: SORT on the 11 MOT15 train sequences; DeepSORT (score >= 0.3) and FairMOT (score >= 0.4)
on the MOT17 sequences with deep_sort's 128-d features (``$MOTTRACK_SHARED/data``).

Example::

    python benchmarks/ab.py --base 1ea8ca1 --json results/ab.json
"""

# ruff: noqa: E402  (the BLAS thread count must be set before numpy is imported)
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from _common import environment, print_table, write_json
from speed import load_mot15, load_mot17_features

import mottrack

REPO = Path(__file__).resolve().parents[1]


def export_base(rev: str, folder: Path) -> ModuleType:
    """Import ``mottrack`` as it was at ``rev``, under the name ``mottrack_base``."""
    try:
        blob = subprocess.run(
            ["git", "-C", str(REPO), "archive", rev, "mottrack"],
            capture_output=True,
            check=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise SystemExit(
            f"--base: git archive {rev} failed: {exc.stderr.decode().strip()}"
        ) from None
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(folder, filter="data")
    package = folder / "mottrack_base"
    (folder / "mottrack").rename(package)
    for path in package.rglob("*.py"):  # absolute module names in strings (lazy imports)
        text = path.read_text()
        path.write_text(text.replace('"mottrack.', '"mottrack_base.'))
    sys.path.insert(0, str(folder))
    return importlib.import_module("mottrack_base")


def load(tracker: str) -> list[list[Any]]:
    """Preloaded detections (with features for the appearance trackers), one list per sequence:
    ``speed.py``'s inputs."""
    if tracker == "sort":
        return load_mot15()
    return load_mot17_features(0.3 if tracker == "deepsort" else 0.4)


def frames_per_second(package: ModuleType, tracker: str, seqs: list[list[Any]]) -> float:
    """CPU-time frames/s of one pass over ``seqs`` (detections already converted)."""
    instance = package.create_tracker(tracker)
    frames = 0
    start = time.process_time()
    for seq in seqs:
        instance.reset()
        for dets in seq:
            instance.update(dets)
            frames += 1
    return frames / (time.process_time() - start)


def compare(base: ModuleType, tracker: str, rounds: int) -> dict[str, float]:
    """Best frames/s of this checkout and of the base over alternating rounds."""
    ours = load(tracker)
    theirs = [
        [base.Detections(d.xyxy, d.scores, d.classes, d.embeddings) for d in seq] for seq in ours
    ]
    best = {"new": 0.0, "base": 0.0}
    for i in range(rounds):
        order = [("new", mottrack, ours), ("base", base, theirs)]
        for label, package, seqs in order if i % 2 == 0 else order[::-1]:
            best[label] = max(best[label], frames_per_second(package, tracker, seqs))
    return {**best, "ratio": best["new"] / best["base"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--trackers", nargs="+", default=["sort", "deepsort", "fairmot"])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", default="results/ab.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mottrack-ab-") as tmp:
        base = export_base(args.base, Path(tmp))
        results = {t: compare(base, t, args.rounds) for t in args.trackers}
    rows = [[t, r["base"], r["new"], f"{r['ratio']:.3f}"] for t, r in results.items()]
    print(f"this checkout against {args.base} (best CPU-time frames/s of {args.rounds} rounds)")
    print_table(["tracker", "base f/s", "new f/s", "new/base"], rows)
    write_json(Path(args.json), {"base": args.base, "results": results, "env": environment()})


if __name__ == "__main__":
    main()
