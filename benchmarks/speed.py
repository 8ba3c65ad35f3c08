"""Tracker-only throughput of SORT or DeepSORT: mottrack against the original, in the same run.

Detections (and features) are preloaded (I/O excluded); each figure is the median of
``--repeat`` runs.

``--tracker sort`` (default):

(a) frames/s over all 11 MOT15 train sequences (``$MOTTRACK_SHARED/data/MOT15/train``);
(b) scaling: frames/s and peak traced memory at 10, 100, 300 and 1000 objects per frame on
    synthetic crowds (``mottrack.datasets.crowd``);
(c) the same for the original SORT as packaged on PyPI (``simple-online-realtime-tracking==0.3``,
    ``pip install --no-deps``) when it is importable, with the ratio and an output check.

``--tracker deepsort``: the same on the three MOT17 sequences shipped with deep_sort's 128-d
features (detections with score >= 0.3, as deep_sort's MOTChallenge runs) and on synthetic
scenes with simulated features, against ``deep-sort-realtime==1.3.2`` (``pip install --no-deps``;
``DeepSort(max_age=30, n_init=3, max_iou_distance=0.7, max_cosine_distance=0.2, nn_budget=100,
embedder=None).update_tracks(raw_detections, embeds=...)``). Outputs (confirmed tracks with
``time_since_update <= 1``, Kalman boxes) are compared per frame with IDs up to a bijection.

``--tracker fairmot``: FairMOT's association alone on the same MOT17 detections and features
(score >= 0.4, the input convention of ``reference/fairmot_assoc``; frame rate 30) and on
synthetic scenes with simulated features. FairMOT has no installable package, so there is no
same-run original; ``reference/fairmot_assoc/run_info.json`` records its loop speed.

``--peers``: the published table and curve (:mod:`peers`): mottrack against the original
SORT, roboflow ``trackers`` (SORTTracker, ByteTrackTracker), deep-sort-realtime and the JDE
transcription, interleaved in one process, on MOT15 / MOT17 and on synthetic scenes of
``--objects`` per frame; writes the JSON and ``--png`` (log-log frames/s against objects).

Example::

    python benchmarks/speed.py --peers --json results/peers.json --png results/scaling.png

    python benchmarks/speed.py --repeat 5 --json results/speed.json
    python benchmarks/speed.py --tracker deepsort --objects 10 100 --json results/speed_ds.json
    python benchmarks/speed.py --tracker fairmot --objects 10 100 300 --json results/speed_fm.json
"""

# ruff: noqa: E402  (the BLAS thread count must be set before numpy is imported)
from __future__ import annotations

import os

# Tiny per-frame matrix products: threaded BLAS only adds contention (set before numpy loads).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import environment, print_table, sequence_dirs, shared_root, write_json

from mottrack import Detections, Pipeline, create_tracker
from mottrack.boxes import convert
from mottrack.datasets import crowd
from mottrack.io import MOTSequence

Frames = list[Detections]
ORIGINAL_PACKAGE = {
    "sort": "simple-online-realtime-tracking==0.3",
    "deepsort": "deep-sort-realtime==1.3.2",
}
DEEPSORT_PARAMS = {
    "max_age": 30,
    "n_init": 3,
    "max_iou_distance": 0.7,
    "max_cosine_distance": 0.2,
    "nn_budget": 100,
}


def load_mot15() -> list[Frames]:
    root = shared_root() / "data" / "MOT15" / "train"
    return [[d for _, d in MOTSequence(p).frames()] for p in sequence_dirs(root)]


def load_mot17_features(min_score: float = 0.3) -> list[Frames]:
    root = shared_root() / "data" / "MOT17" / "train"
    seqs = []
    for p in sequence_dirs(root):
        feats = p / "det" / f"{p.name}.deepsort_feat128.npy"
        if feats.is_file():
            seq = MOTSequence(p, features=feats, min_score=min_score)
            seqs.append([d for _, d in seq.frames()])
    return seqs


def synthetic(objects: int, frames: int, seed: int = 0, features: bool = False) -> list[Frames]:
    """A crowd of ``objects`` per frame at :data:`~mottrack.datasets.CROWD_DENSITY` (no
    occlusion misses: about 0.9 * objects detections per frame)."""
    seq = crowd(objects, frames, seed)
    emb = seq.feature_vectors() if features else None
    return [[d for _, d in seq.frames(emb)]]


def mottrack_runner(name: str) -> Callable[[list[Frames]], list[np.ndarray]]:
    params = DEEPSORT_PARAMS if name == "deepsort" else {}

    def run(seqs: list[Frames]) -> list[np.ndarray]:
        pipeline = Pipeline(create_tracker(name, **params))  # the one way trackers are fed
        outputs = []
        for frames in seqs:
            pipeline.reset()
            for dets in frames:
                t = pipeline.update(detections=dets)
                outputs.append(np.column_stack([t.xyxy, t.ids]))
        return outputs

    run.prepare = lambda seqs: seqs  # type: ignore[attr-defined]
    return run


def original_sort() -> Callable[[list[Frames]], list[np.ndarray]] | None:
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


def original_deepsort() -> Callable[[list[Frames]], list[np.ndarray]] | None:
    try:
        from deep_sort_realtime.deepsort_tracker import DeepSort
    except ImportError:
        return None

    def prepare(seqs: list[Frames]) -> list[list[tuple[list[Any], list[np.ndarray]]]]:
        out = []
        for frames in seqs:
            rows = []
            for d in frames:
                ltwh = convert(d.xyxy, "xyxy", "xywh")
                raw = [(list(b), float(s), 0) for b, s in zip(ltwh, d.scores)]
                rows.append((raw, list(d.embeddings)))
            out.append(rows)
        return out

    def run(prepared: list[list[tuple[list[Any], list[np.ndarray]]]]) -> list[np.ndarray]:
        outputs = []
        for frames in prepared:
            tracker = DeepSort(**DEEPSORT_PARAMS, embedder=None)
            for raw, embeds in frames:
                tracks = tracker.update_tracks(raw, embeds=embeds)
                rows = [
                    [*t.to_ltrb(), float(t.track_id)]
                    for t in tracks
                    if t.is_confirmed() and t.time_since_update <= 1
                ]
                outputs.append(np.asarray(rows, dtype=np.float64).reshape(-1, 5))
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


def same_output(ours: list[np.ndarray], theirs: list[np.ndarray], bijection: bool) -> bool:
    """Same rows per frame, boxes within 1e-4 px, and the same IDs (or IDs up to a bijection)."""
    if len(ours) != len(theirs):
        return False
    pairs: dict[float, float] = {}
    for a, b in zip(ours, theirs):
        if a.shape != b.shape:
            return False
        key = np.round(a[:, :4], 3)
        ka = a[np.lexsort(key.T[::-1])]
        kb = b[np.lexsort(np.round(b[:, :4], 3).T[::-1])]
        if not np.allclose(ka[:, :4], kb[:, :4], atol=1e-4):
            return False
        for x, y in zip(ka[:, 4], kb[:, 4]):
            if pairs.setdefault(x, y) != y or (not bijection and x != y):
                return False
    return len(set(pairs.values())) == len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracker", choices=("sort", "deepsort", "fairmot"), default="sort")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scaling-frames", type=int, default=100)
    parser.add_argument("--scaling-repeat", type=int, default=3, help="repeats for scaling cases")
    parser.add_argument("--objects", type=int, nargs="+", default=[10, 100, 300, 1000])
    parser.add_argument("--json", default="results/speed.json")
    parser.add_argument("--peers", action="store_true", help="the peers table and scaling PNG")
    parser.add_argument("--png", default="results/scaling.png", help="scaling plot (--peers)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per point (--peers)")
    args = parser.parse_args()
    if args.peers:
        run_peers(args)
        return

    ours = mottrack_runner(args.tracker)
    deepsort = args.tracker == "deepsort"
    features = args.tracker != "sort"
    original = {"sort": original_sort, "deepsort": original_deepsort}.get(args.tracker)
    original = original() if original else None
    if features:
        real = load_mot17_features(0.3 if deepsort else 0.4)
        real_name = f"MOT17 + features ({len(real)} seqs)"
    else:
        real, real_name = load_mot15(), "MOT15 train (11 seqs)"
    cases: list[tuple[str, list[Frames]]] = [(real_name, real)]
    cases += [
        (f"synthetic {n} obj/frame", synthetic(n, args.scaling_frames, features=features))
        for n in args.objects
    ]
    rows, report = [], []
    for name, seqs in cases:
        n_frames = sum(len(f) for f in seqs)
        n_dets = sum(len(d) for f in seqs for d in f)
        repeat = args.repeat if name == real_name else args.scaling_repeat
        t_ours, out_ours = timed(ours, seqs, repeat)
        entry: dict[str, Any] = {
            "case": name,
            "frames": n_frames,
            "detections_per_frame": n_dets / n_frames,
            "mottrack_fps": n_frames / t_ours,
            "mottrack_peak_mib": peak_memory(ours, seqs),
        }
        if original is not None:
            prepared = original.prepare(seqs)  # type: ignore[attr-defined]
            t_orig, out_orig = timed(original, prepared, repeat)
            entry["original_fps"] = n_frames / t_orig
            entry["original_peak_mib"] = peak_memory(original, prepared)
            entry["speedup"] = t_orig / t_ours
            entry["identical_output"] = same_output(out_ours, out_orig, bijection=deepsort)
        report.append(entry)
        rows.append(
            [
                name,
                n_frames,
                round(entry["detections_per_frame"], 1),
                round(entry["mottrack_fps"]),
                round(entry["mottrack_peak_mib"], 2),
                round(entry["original_fps"]) if "original_fps" in entry else "-",
                round(entry["original_peak_mib"], 2) if "original_fps" in entry else "-",
                f"{entry['speedup']:.2f}x" if "speedup" in entry else "-",
                entry.get("identical_output", "-"),
            ]
        )
    if original is None and args.tracker in ORIGINAL_PACKAGE:
        package = ORIGINAL_PACKAGE[args.tracker]
        print(f"original {args.tracker} not installed: pip install --no-deps {package}")
    elif original is None:
        print(f"no installable original {args.tracker}: see reference/*/run_info.json")
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
    payload = {"tracker": args.tracker, "repeat": args.repeat, "results": report}
    payload["blas_threads"] = os.environ["OPENBLAS_NUM_THREADS"]
    write_json(args.json, {**payload, "env": environment()})


def _adapt(runner: Callable[[Any], list[np.ndarray]] | None) -> Any:
    """A ``run`` with a ``prepare`` attribute as a ``(prepare, run)`` pair (None if absent)."""
    return None if runner is None else (runner.prepare, runner)  # type: ignore[attr-defined]


def run_peers(args: argparse.Namespace) -> None:
    """The peers table (real data) and the scaling curve (synthetic crowds)."""
    import platform

    from peers import (
        interleaved,
        jde_transcription,
        loglog_slope,
        mottrack_arrays,
        plot,
        roboflow,
        scaling,
    )

    suites = [
        (
            "SORT, MOT15 train (11 seqs)",
            load_mot15(),
            {
                "mottrack SORT": mottrack_arrays("sort"),
                "original SORT (PyPI 0.3)": _adapt(original_sort()),
                "roboflow SORTTracker": roboflow("sort"),
                "roboflow ByteTrackTracker": roboflow("bytetrack"),
            },
            "original SORT (PyPI 0.3)",
        ),
        (
            "DeepSORT, MOT17 + 128-d features (3 seqs)",
            load_mot17_features(0.3),
            {
                "mottrack DeepSORT": mottrack_arrays("deepsort", **DEEPSORT_PARAMS),
                "deep-sort-realtime 1.3.2": _adapt(original_deepsort()),
            },
            None,
        ),
        (
            "FairMOT association, MOT17 + features (3 seqs)",
            load_mot17_features(0.4),
            {
                "mottrack FairMOT": mottrack_arrays("fairmot"),
                "JDE transcription (tests/)": jde_transcription(),
            },
            "JDE transcription (tests/)",
        ),
    ]
    rows, report = [], []
    for case, seqs, runners, exact in suites:
        runners = {k: v for k, v in runners.items() if v is not None}
        n_frames = sum(len(f) for f in seqs)
        result = interleaved(runners, seqs, args.repeat)
        ours_name = next(iter(runners))
        ours_s = result["seconds"][ours_name]
        for name, seconds in result["seconds"].items():
            same: Any = "-"
            if name == exact:
                same = same_output(result["outputs"][ours_name], result["outputs"][name], False)
            entry = {
                "case": case,
                "runner": name,
                "fps": n_frames / seconds,
                "mottrack_speedup": seconds / ours_s,
                "identical_output": same,
            }
            report.append(entry)
            rows.append([case, name, round(entry["fps"]), f"{seconds / ours_s:.2f}x", same])
    print_table(["case", "runner", "f/s", "mottrack is", "same output"], rows)

    def scene(n: int, frames: int, features: bool) -> list[Frames]:
        return synthetic(n, frames, seed=1, features=features)

    curve_runners = {
        "mottrack SORT": ("sort", mottrack_arrays("sort")),
        "mottrack DeepSORT": ("deepsort", mottrack_arrays("deepsort", **DEEPSORT_PARAMS)),
        "mottrack FairMOT": ("fairmot", mottrack_arrays("fairmot")),
        "original SORT (PyPI 0.3)": ("sort", _adapt(original_sort())),
        "roboflow SORTTracker": ("sort", roboflow("sort")),
        "roboflow ByteTrackTracker": ("sort", roboflow("bytetrack")),
        "deep-sort-realtime 1.3.2": ("deepsort", _adapt(original_deepsort())),
        "JDE transcription (tests/)": ("fairmot", jde_transcription()),
    }
    curve_runners = {k: v for k, v in curve_runners.items() if v[1] is not None}
    print("scaling (synthetic crowds, CPU time):")
    points = scaling(
        curve_runners,
        scene,
        args.objects,
        lambda n: 100 if n <= 300 else 30 if n <= 1000 else 10,
        args.budget,
    )
    slopes = {
        name: loglog_slope(points, name, 1000, 10000)
        for name in curve_runners
        if name.startswith("mottrack")
    }
    print("log-log slope of time per frame, 1,000 -> 10,000 objects:", slopes)
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    plot(points, Path(args.png), f"tracker-only throughput, {cpu}, {os.cpu_count()} cores")
    payload = {"table": report, "scaling": points, "slopes_1000_10000": slopes, "cpu": cpu}
    write_json(args.json, {**payload, "rounds": args.repeat, "env": environment()})


if __name__ == "__main__":
    main()
