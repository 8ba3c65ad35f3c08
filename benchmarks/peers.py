"""Peers table and scaling curve (``python benchmarks/speed.py --peers``).

One process; every runner gets its inputs prepared outside the timed loop in its own form;
rounds are interleaved (runner A, B, C, A, B, C, ...) so machine noise hits all alike, and
each figure is the median CPU time over the rounds.

- mottrack gets plain ``(N, 5)`` ``[x1, y1, x2, y2, score]`` arrays inside the loop, as users
  call it (DeepSORT / FairMOT: ``Detections(xyxy, scores, embeddings=...)`` built per frame);
- the original SORT (PyPI ``simple-online-realtime-tracking==0.3``) gets its ``(N, 6)`` rows;
- roboflow ``trackers`` (``SORTTracker(lost_track_buffer=1, minimum_consecutive_frames=3,
  minimum_iou_threshold=0.3)`` and ``ByteTrackTracker()``) get ``sv.Detections`` built
  beforehand;
- deep-sort-realtime 1.3.2 gets its ``([l, t, w, h], score, class)`` lists and features;
- FairMOT's association is compared with the plain per-object transcription of
  ``JDETracker.update`` in ``tests/jde_transcription.py``.

The scaling curve runs every tracker on synthetic scenes of 10 to 10,000 objects per frame at
a constant crowd density (``mottrack.datasets.CROWD_DENSITY``), dropping a runner once its
next point would take longer than ``--budget`` seconds; it is saved as a log-log PNG.
"""

from __future__ import annotations

import gc
import importlib
import math
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mottrack import Detections, create_tracker

Frames = list[Detections]
Runner = tuple[Callable[[list[Frames]], Any], Callable[[Any], list[np.ndarray]]]
ROBOFLOW_SORT = {
    "lost_track_buffer": 1,
    "minimum_consecutive_frames": 3,
    "minimum_iou_threshold": 0.3,
}


def _rows(seqs: list[Frames]) -> list[list[np.ndarray]]:
    return [[np.column_stack([d.xyxy, d.scores]) for d in frames] for frames in seqs]


def mottrack_arrays(name: str, **params: Any) -> Runner:
    """mottrack fed plain arrays (and features) inside the timed loop."""

    def prepare(seqs: list[Frames]) -> Any:
        emb = [[d.embeddings for d in frames] for frames in seqs]
        return list(zip(_rows(seqs), emb))

    def run(prepared: Any) -> list[np.ndarray]:
        outputs = []
        for rows, feats in prepared:
            tracker = create_tracker(name, **params)
            for r, f in zip(rows, feats):
                t = tracker.update(r if f is None else Detections(r[:, :4], r[:, 4], embeddings=f))
                outputs.append(np.column_stack([t.xyxy, t.ids]))
        return outputs

    return prepare, run


def roboflow(kind: str) -> Runner | None:
    try:
        import supervision as sv
        from trackers import ByteTrackTracker, SORTTracker
    except ImportError:
        return None
    make = (lambda: SORTTracker(**ROBOFLOW_SORT)) if kind == "sort" else ByteTrackTracker

    def prepare(seqs: list[Frames]) -> Any:
        return [
            [
                sv.Detections(
                    xyxy=d.xyxy.copy(), confidence=d.scores.copy(), class_id=np.zeros(len(d), int)
                )
                for d in frames
            ]
            for frames in seqs
        ]

    def run(prepared: Any) -> list[np.ndarray]:
        outputs = []
        for frames in prepared:
            tracker = make()
            for d in frames:
                out = tracker.update(d)
                outputs.append(np.column_stack([out.xyxy, out.tracker_id]))
        return outputs

    return prepare, run


def jde_transcription() -> Runner:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    transcription = importlib.import_module("jde_transcription")

    def prepare(seqs: list[Frames]) -> Any:
        return [[(d.xyxy, d.scores, d.embeddings) for d in frames] for frames in seqs]

    def run(prepared: Any) -> list[np.ndarray]:
        outputs = []
        for frames in prepared:
            tracker = transcription.JDETranscription(30.0, 30)
            for xyxy, scores, feats in frames:
                out = tracker.update(xyxy, scores, feats)
                outputs.append(
                    np.array([[*box, i] for i, box in out], dtype=np.float64).reshape(-1, 5)
                )
        return outputs

    return prepare, run


def interleaved(runners: dict[str, Runner], seqs: list[Frames], rounds: int) -> dict[str, Any]:
    """Median CPU seconds per runner over interleaved rounds, and each runner's outputs."""
    prepared = {name: prep(seqs) for name, (prep, _) in runners.items()}
    for prep, run in runners.values():  # warm-up: compiled kernels loaded, caches filled
        run(prep([seqs[0][:30]]))
    times: dict[str, list[float]] = {name: [] for name in runners}
    outputs: dict[str, list[np.ndarray]] = {}
    for _ in range(rounds):
        for name, (_, run) in runners.items():
            gc.collect()
            start = time.process_time()
            outputs[name] = run(prepared[name])
            times[name].append(time.process_time() - start)
    return {"seconds": {n: statistics.median(t) for n, t in times.items()}, "outputs": outputs}


def traced_peak_mib(run: Callable[[Any], Any], prepared: Any) -> float:
    gc.collect()
    tracemalloc.start()
    run(prepared)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def scaling(
    runners: dict[str, tuple[str, Runner]],
    make_scene: Callable[[int, int, bool], list[Frames]],
    objects: list[int],
    frames_for: Callable[[int], int],
    budget: float,
) -> list[dict[str, Any]]:
    """Frames/s of every runner per object count. A runner stops once its next point, extrapolated
    linearly from the last one, would take more than ``budget`` seconds. ``runners`` maps a
    label to ``(tracker kind, runner)``."""
    points = []
    alive = dict(runners)
    following = dict(zip(objects, [*objects[1:], None]))
    warm = make_scene(10, 30, True)
    for _, (prep, run) in runners.values():
        run(prep(warm))
    for n in objects:
        nframes = frames_for(n)
        scenes = {f: make_scene(n, nframes, f) for f in (False, True)}
        for label, (kind, (prep, run)) in list(alive.items()):
            prepared = prep(scenes[kind != "sort"])
            gc.collect()
            start = time.process_time()
            run(prepared)
            seconds = time.process_time() - start
            point = {"runner": label, "objects": n, "frames": nframes, "fps": nframes / seconds}
            if label.startswith("mottrack") and n >= 1000:
                point["traced_peak_mib"] = traced_peak_mib(run, prepared)
            points.append(point)
            print(f"  {label:28s} {n:6d} objects: {point['fps']:10.1f} f/s", flush=True)
            upcoming = following[n]
            if upcoming is not None:
                per_frame = seconds / nframes * upcoming / n
                if per_frame * frames_for(upcoming) > budget:
                    del alive[label]
    return points


def loglog_slope(points: list[dict[str, Any]], runner: str, lo: int, hi: int) -> float | None:
    """Slope of log(seconds per frame) against log(objects) between two object counts."""
    by_n = {p["objects"]: p["fps"] for p in points if p["runner"] == runner}
    if lo not in by_n or hi not in by_n:
        return None
    return math.log(by_n[lo] / by_n[hi]) / math.log(hi / lo)


def plot(points: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    for runner in dict.fromkeys(p["runner"] for p in points):
        xs = [p["objects"] for p in points if p["runner"] == runner]
        ys = [p["fps"] for p in points if p["runner"] == runner]
        style = "-" if runner.startswith("mottrack") else "--"
        ax.plot(xs, ys, style, marker="o", label=runner)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("objects per frame")
    ax.set_ylabel("frames per second (tracker only, CPU time)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    print(f"wrote {path}")
