"""Run registered trackers over MOTChallenge (or rendered synthetic) sequences and evaluate them.

Examples::

    python benchmarks/mot.py --tracker sort --root ../shared/data/MOT15/train --benchmark MOT15
    python benchmarks/mot.py --compare sort deepsort --root ../shared/data/MOT17/train \\
        --benchmark MOT17 --features --min-score 0.3
    python benchmarks/mot.py --compare sort deepsort --synthetic 2 --embedder histogram sim

Every tracker sees the same detections (``--min-score`` drops lower scores for all of them).
``--features`` reads detections and embeddings from ``det/<seq>.deepsort_feat128.npy`` (only the
sequences that have it run). ``--synthetic N`` writes N rendered scenes of
``mottrack.datasets.generate`` (seeds 0..N-1) to ``<out>/synthetic_gt`` and reads their frames
back from disk. A tracker that needs embeddings (DeepSORT) and has no features file runs once per
``--embedder``: ``histogram`` or ``cnn`` embed crops of the frames, ``sim`` uses the generator's
simulated features (``SyntheticSequence.feature_vectors``; synthetic data only).

Writes ``<out>/[synthetic/]<label>/<seq>.txt`` and one JSON (params, metrics, frames/s,
environment), and prints one table: a row per sequence and tracker, then COMBINED per tracker.
frames/s is tracker-only: the time in the pipeline's embed and track stages, reading files
excluded. Evaluation goes through TrackEval (``mottrack.eval``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _common import environment, print_table, sequence_dirs, shared_root, write_json

from mottrack.datasets import SyntheticConfig, SyntheticSequence, generate
from mottrack.deepsort.embedder import create_embedder
from mottrack.eval import EvalResult, evaluate
from mottrack.io import MOTSequence, iter_detections, write_results
from mottrack.pipeline import Pipeline, track_frames, tracker_for_sequence
from mottrack.registry import get_tracker_class, list_trackers, parse_params
from mottrack.tracker import Tracker

COLUMNS = ["HOTA", "MOTA", "IDF1", "IDSW", "FP", "FN"]
FEATURES = "det/{name}.deepsort_feat128.npy"
EMBEDDERS = ("histogram", "cnn", "sim")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "results" / "mot"


@dataclass(frozen=True)
class Source:
    """One sequence: read through ``seq``; ``synthetic`` is its generator (synthetic data only)."""

    seq: MOTSequence
    synthetic: SyntheticSequence | None = None


@dataclass(frozen=True)
class Run:
    """One tracker to run: table label, registry name, config overrides and its input.

    ``feed`` is ``"dets"`` (detections, with the features file's embeddings if any), ``"frames"``
    (detections and BGR images) or ``"sim"`` (detections with simulated embeddings); ``embedder``
    names the crop embedder for ``"frames"`` (``create_embedder``'s ``histogram`` or ``cnn``).
    """

    label: str
    tracker: str
    params: dict[str, Any]
    feed: str
    embedder: str | None = None
    embedder_weights: str | None = None

    @property
    def folder(self) -> str:
        """Results folder name: ``deepsort[sim]`` -> ``deepsort-sim``."""
        return self.label.replace("[", "-").rstrip("]")


@dataclass(frozen=True)
class Outcome:
    """A finished run: the tracker, its metrics and its speed per sequence and COMBINED."""

    run: Run
    tracker: Tracker
    metrics: EvalResult
    speed: dict[str, dict[str, float]]


def parse_args() -> argparse.Namespace:
    d = SyntheticConfig()  # synthetic: --frames, --objects, --size W H
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tracker", default="sort", choices=list_trackers())
    p.add_argument("--compare", nargs="+", choices=list_trackers(), metavar="TRACKER")
    p.add_argument("--root", default=str(shared_root() / "data" / "MOT15" / "train"))
    p.add_argument("--benchmark", default="MOT15", choices=("MOT15", "MOT16", "MOT17", "MOT20"))
    p.add_argument("--param", action="append", default=[], metavar="[TRACKER.]KEY=VALUE")
    p.add_argument("--features", action="store_true", help=f"use {FEATURES} (skip others)")
    p.add_argument("--min-score", type=float, help="drop detections scoring below this")
    p.add_argument("--synthetic", type=int, metavar="N", help="N synthetic scenes, not --root")
    p.add_argument("--frames", type=int, default=200, help="per synthetic scene")
    p.add_argument("--objects", type=float, default=15.0, help="mean per synthetic frame")
    p.add_argument("--size", type=int, nargs=2, default=(d.width, d.height), metavar=("W", "H"))
    p.add_argument("--embedder", nargs="+", choices=EMBEDDERS, default=["histogram"])
    p.add_argument("--embedder-weights", help="checkpoint of the cnn embedder")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    args = p.parse_args()
    if "cnn" in args.embedder and not args.embedder_weights:
        p.error("--embedder cnn needs --embedder-weights PATH")
    if args.synthetic is not None and (args.synthetic < 1 or args.features):
        p.error("--synthetic: expected N >= 1, without --features")
    if "sim" in args.embedder and args.synthetic is None:
        p.error("--embedder sim: simulated features exist only with --synthetic")
    args.trackers = args.compare or [args.tracker]
    return args


def split_params(trackers: list[str], items: list[str]) -> dict[str, dict[str, Any]]:
    """Parse ``--param`` items: ``TRACKER.key=value``, or ``key=value`` for a single tracker."""
    per: dict[str, list[str]] = {t: [] for t in trackers}
    for item in items:
        key, sep, value = item.partition("=")
        name, dot, field = key.partition(".")
        if dot and name in per:
            per[name].append(f"{field}{sep}{value}")
        elif not dot and len(trackers) == 1:
            per[trackers[0]].append(item)
        else:
            raise SystemExit(
                f"--param: expected TRACKER.key=value with TRACKER one of {trackers}"
                f"{' (or key=value)' if len(trackers) == 1 else ''}, got {item!r}"
            )
    return {t: parse_params(t, v) for t, v in per.items()}


def plan_runs(args: argparse.Namespace) -> list[Run]:
    """One run per tracker; one per embedder for a tracker that needs embeddings it lacks."""
    runs = []
    for name, params in split_params(args.trackers, args.param).items():
        cls = get_tracker_class(name)
        if not cls.requires_embeddings or args.features:
            frames = cls.requires_frame or params.get("cmc") is not None  # cmc reads pixels
            runs.append(Run(name, name, params, "frames" if frames else "dets"))
            continue
        for emb in args.embedder:
            if emb == "sim":
                runs.append(Run(f"{name}[sim]", name, params, "sim"))
            else:
                weights = args.embedder_weights if emb == "cnn" else None
                runs.append(Run(f"{name}[{emb}]", name, params, "frames", emb, weights))
    return runs


def real_sources(root: Path, features: bool, min_score: float | None) -> list[Source]:
    """The sequences of a split folder (with ``features``: those having the features file)."""
    sources = []
    for seq_dir in sequence_dirs(root):
        path = FEATURES.format(name=seq_dir.name) if features else None
        if path is not None and not (seq_dir / path).is_file():
            print(f"skipping {seq_dir.name}: no {path}")
            continue
        sources.append(Source(MOTSequence(seq_dir, features=path, min_score=min_score)))
    return sources


def synthetic_sources(args: argparse.Namespace, gt_root: Path) -> list[Source]:
    """Generate, render and write ``args.synthetic`` scenes (seeds 0..N-1) under ``gt_root``."""
    sources = []
    for i in range(args.synthetic):
        gen = generate(
            num_frames=args.frames,
            num_objects=args.objects,
            seed=i,
            width=args.size[0],
            height=args.size[1],
            name=f"SYNTH-{i + 1:02d}",
        )
        folder = gen.write(gt_root, render=True)
        print(f"wrote {folder} ({gen.info.seq_length} frames, {gen.num_objects} objects)")
        sources.append(Source(MOTSequence(folder, min_score=args.min_score), gen))
    return sources


def feed(source: Source, how: str) -> Iterable[tuple[Any, ...]]:
    """``(frame, Detections[, image])`` items of one sequence for :func:`track_frames`."""
    seq = source.seq
    if how == "frames":
        return ((f, dets, seq.read_image(f)) for f, dets in seq.frames())
    if how == "sim":  # the det.txt rows as read back, row-aligned with the generator's det
        gen = source.synthetic
        assert gen is not None and len(seq.detections) == len(gen.det)
        emb = gen.feature_vectors(dim=128, noise=0.3)
        return iter_detections(seq.detections, len(seq), emb, seq.min_score, str(seq.det_path))
    return seq.frames()


def run_tracker(
    run: Run, sources: list[Source], folder: Path, gt_root: Path, bench: str
) -> Outcome:
    """Track each source into ``folder/<seq>.txt`` and evaluate the files."""
    speed: dict[str, dict[str, float]] = {}
    for src in sources:
        tracker = tracker_for_sequence(run.tracker, src.seq.info, **run.params)
        embedder = None
        if run.embedder is not None:
            embedder = create_embedder(run.embedder, weights=run.embedder_weights)
        result = track_frames(Pipeline(tracker, embedder=embedder), feed(src, run.feed))
        write_results(folder / f"{src.seq.name}.txt", result.rows)
        seconds = result.tracker_seconds
        speed[src.seq.name] = {"frames": result.num_frames, "seconds": seconds, "fps": result.fps}
        print(f"{run.label} {src.seq.name}: {result.num_frames} frames, {result.fps:.1f} frames/s")
    frames = sum(s["frames"] for s in speed.values())
    seconds = sum(s["seconds"] for s in speed.values())
    speed["COMBINED"] = {"frames": frames, "seconds": seconds, "fps": frames / seconds}
    names = [src.seq.name for src in sources]
    metrics = evaluate(gt_root, folder, benchmark=bench, sequences=names, tracker_name=folder.name)
    return Outcome(run, tracker, metrics, speed)


def report(outcomes: list[Outcome], names: list[str], title: str) -> None:
    """Print the trackers' configs and one row per sequence and tracker, then COMBINED."""
    print()
    for o in outcomes:
        print(f"{o.run.label}: {o.tracker!r}")
    print(title)
    rows = []
    for seq in [*names, "COMBINED"]:
        for o in outcomes:
            m = o.metrics.combined if seq == "COMBINED" else o.metrics.per_sequence[seq]
            rows.append([seq, o.run.label, *[m[c] for c in COLUMNS], o.speed[seq]["fps"]])
    print_table(["sequence", "tracker", *COLUMNS, "frames/s"], rows)


def main() -> None:
    args = parse_args()
    runs = plan_runs(args)
    out = Path(args.out)
    if args.synthetic is not None:
        gt_root, bench, res_root = out / "synthetic_gt", "MOT17", out / "synthetic"
        sources = synthetic_sources(args, gt_root)
    else:
        gt_root, bench, res_root = Path(args.root), args.benchmark, out
        sources = real_sources(gt_root, args.features, args.min_score)
    names = [src.seq.name for src in sources]
    no_images = [src.seq.name for src in sources if not src.seq.has_images]
    if not sources or (no_images and any(run.feed == "frames" for run in runs)):
        why = f"{no_images} have no images (use --features)" if sources else "no sequences"
        raise SystemExit(f"{gt_root}: {why}")

    outcomes = [run_tracker(r, sources, res_root / r.folder, gt_root, bench) for r in runs]
    where = f"{args.synthetic} synthetic scenes" if args.synthetic else str(gt_root)
    title = f"on {where} ({bench}), min_score={args.min_score}, features={args.features}"
    report(outcomes, names, title)

    data = {
        "root": str(gt_root),
        "benchmark": bench,
        "sequences": names,
        "features": args.features,
        "min_score": args.min_score,
        "synthetic": [asdict(s.synthetic.config) for s in sources if s.synthetic],
    }
    runs_json = {
        o.run.label: {
            "tracker": o.run.tracker,
            "input": o.run.feed,
            "params": o.run.params,
            "embedder": o.run.embedder,
            "config": asdict(o.tracker.config),
            "results_dir": str(res_root / o.run.folder),
            "metrics": o.metrics.to_dict(),
            "speed": o.speed,
        }
        for o in outcomes
    }
    stem = "-vs-".join(args.trackers) + ("-synthetic" if args.synthetic else "")
    payload = {"trackers": [r.label for r in runs], "data": data, "runs": runs_json}
    write_json(out / f"{stem}.json", {**payload, "env": environment()})


if __name__ == "__main__":
    main()
