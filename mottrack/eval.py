"""Tracking metrics through TrackEval (HOTA, CLEAR, Identity) -- never home-made metrics.

:func:`evaluate` runs ``trackeval.Evaluator`` with ``trackeval.datasets.MotChallenge2DBox`` so the
benchmark's own conventions apply: for MOT15 only gt rows with ``conf == 0`` are dropped; for
MOT16/17/20 only pedestrians (class 1, ``consider == 1``) are evaluated and tracker boxes matched
to distractor gt (classes 2, 7, 8, 12; plus 6 for MOT20) are removed first. CLEAR and Identity use
IoU 0.5; the HOTA family is the mean over alpha = 0.05..0.95. TrackEval's printing is silenced and
it writes no files.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .io.mot import load_mot_txt, read_seqinfo

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .datasets import SyntheticSequence

__all__ = [
    "BENCHMARKS",
    "TABLE_COLUMNS",
    "EvalResult",
    "evaluate",
    "evaluate_synthetic",
    "write_synthetic",
]

PathLike = str | os.PathLike[str]

BENCHMARKS = ("MOT15", "MOT16", "MOT17", "MOT20")
TABLE_COLUMNS = (
    "HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1", "IDR", "IDP", "IDSW", "FP", "FN",
    "TP", "Frag", "MT", "PT", "ML", "Dets", "GT_Dets", "IDs", "GT_IDs",
)  # fmt: skip

# our key -> (TrackEval metric, TrackEval field, kind); "pct" = x100, "mean" = x100 mean over alpha
_FIELDS: dict[str, tuple[str, str, str]] = {
    "HOTA": ("HOTA", "HOTA", "mean"),
    "DetA": ("HOTA", "DetA", "mean"),
    "AssA": ("HOTA", "AssA", "mean"),
    "LocA": ("HOTA", "LocA", "mean"),
    "MOTA": ("CLEAR", "MOTA", "pct"),
    "MOTP": ("CLEAR", "MOTP", "pct"),
    "IDF1": ("Identity", "IDF1", "pct"),
    "IDR": ("Identity", "IDR", "pct"),
    "IDP": ("Identity", "IDP", "pct"),
    "IDSW": ("CLEAR", "IDSW", "int"),
    "FP": ("CLEAR", "CLR_FP", "int"),
    "FN": ("CLEAR", "CLR_FN", "int"),
    "TP": ("CLEAR", "CLR_TP", "int"),
    "Frag": ("CLEAR", "Frag", "int"),
    "MT": ("CLEAR", "MT", "int"),
    "PT": ("CLEAR", "PT", "int"),
    "ML": ("CLEAR", "ML", "int"),
    "Dets": ("Count", "Dets", "int"),
    "GT_Dets": ("Count", "GT_Dets", "int"),
    "IDs": ("Count", "IDs", "int"),
    "GT_IDs": ("Count", "GT_IDs", "int"),
    "DetRe": ("HOTA", "DetRe", "mean"),
    "DetPr": ("HOTA", "DetPr", "mean"),
    "AssRe": ("HOTA", "AssRe", "mean"),
    "AssPr": ("HOTA", "AssPr", "mean"),
    "MODA": ("CLEAR", "MODA", "pct"),
    "Recall": ("CLEAR", "CLR_Re", "pct"),
    "Precision": ("CLEAR", "CLR_Pr", "pct"),
    "IDTP": ("Identity", "IDTP", "int"),
    "IDFN": ("Identity", "IDFN", "int"),
    "IDFP": ("Identity", "IDFP", "int"),
}


@dataclass(frozen=True)
class EvalResult:
    """Metrics of one tracker on a set of sequences.

    Attributes
    ----------
    per_sequence : dict[str, dict[str, float]]
        Sequence name -> metric name -> value. Percentages are x100 as in TrackEval's tables;
        counts (IDSW, FP, FN, TP, Frag, MT, PT, ML, Dets, GT_Dets, IDs, GT_IDs, IDTP, IDFN,
        IDFP) are ints.
    combined : dict[str, float]
        TrackEval's COMBINED_SEQ over all evaluated sequences, same keys.
    benchmark : str
        The benchmark whose conventions were applied.
    """

    per_sequence: dict[str, dict[str, float]]
    combined: dict[str, float]
    benchmark: str = "MOT17"
    tracker_name: str = "mottrack"
    sequences: tuple[str, ...] = field(default=())

    def table(self, columns: Sequence[str] = TABLE_COLUMNS) -> str:
        """Return an aligned text table: one row per sequence plus ``COMBINED``."""
        unknown = [c for c in columns if c not in self.combined]
        if unknown:
            raise ValueError(f"table: unknown columns {unknown}; known: {list(self.combined)}")
        rows = [("sequence", *columns)]
        for name, metrics in [*self.per_sequence.items(), ("COMBINED", self.combined)]:
            rows.append((name, *(_fmt(metrics[c]) for c in columns)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = []
        for r in rows:
            cells = [r[0].ljust(widths[0])] + [
                v.rjust(w) for v, w in zip(r[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (plain Python numbers and strings)."""
        return {
            "benchmark": self.benchmark,
            "tracker": self.tracker_name,
            "per_sequence": {s: dict(m) for s, m in self.per_sequence.items()},
            "combined": dict(self.combined),
        }


def _fmt(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def _collect(metrics: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, (metric, name, kind) in _FIELDS.items():
        value = metrics[metric][name]
        if kind == "int":
            out[key] = int(value)
        elif kind == "mean":
            out[key] = float(100.0 * np.mean(value))
        else:
            out[key] = float(100.0 * value)
    return out


def _results_files(results: PathLike | Mapping[str, PathLike]) -> dict[str, Path]:
    if isinstance(results, Mapping):
        return {str(seq): Path(p) for seq, p in results.items()}
    folder = Path(results)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"evaluate: results must be a folder of <seq>.txt files or a mapping seq -> path, "
            f"got {str(folder)!r}, which is not a folder"
        )
    return {p.stem: p for p in sorted(folder.glob("*.txt"))}


def _check_inputs(
    gt_root: Path, files: dict[str, Path], sequences: Sequence[str]
) -> dict[str, int]:
    """Check gt, seqinfo and results of every sequence; return the sequence lengths."""
    no_results = [s for s in sequences if s not in files or not files[s].is_file()]
    if no_results:
        raise FileNotFoundError(f"evaluate: no results file for sequences {no_results}")
    no_gt = [s for s in sequences if not (gt_root / s / "gt" / "gt.txt").is_file()]
    if no_gt:
        raise FileNotFoundError(
            f"evaluate: results given for sequences without ground truth in {gt_root} "
            f"(expected <seq>/gt/gt.txt): {no_gt}"
        )
    lengths = {}
    for seq in sequences:
        length = read_seqinfo(gt_root / seq / "seqinfo.ini").seq_length
        rows = load_mot_txt(files[seq], min_cols=7)
        if rows.shape[0] and rows[:, 0].max() > length:
            raise ValueError(
                f"{files[seq]}: expected frames in 1..{length} (seqLength of {seq}), "
                f"got frame {int(rows[:, 0].max())}"
            )
        lengths[seq] = length
    return lengths


def evaluate(
    gt_root: PathLike,
    results: PathLike | Mapping[str, PathLike],
    benchmark: str = "MOT17",
    split: str = "train",
    sequences: Sequence[str] | None = None,
    tracker_name: str = "mottrack",
) -> EvalResult:
    """Evaluate MOTChallenge results files with TrackEval.

    Parameters
    ----------
    gt_root : str or os.PathLike
        Folder holding ``<seq>/gt/gt.txt`` and ``<seq>/seqinfo.ini`` (e.g. ``MOT17/train``).
    results : str, os.PathLike or mapping of str to path
        Folder of ``<seq>.txt`` results files, or a mapping sequence name -> results file.
    benchmark : {"MOT15", "MOT16", "MOT17", "MOT20"}
        Whose conventions to apply (see the module docstring).
    split : {"train", "test", "all"}
        The split name TrackEval records (the folder layout is given by ``gt_root``).
    sequences : sequence of str, optional
        Sequences to evaluate; by default every sequence that has a results file.
    tracker_name : str
        Name under which TrackEval sees the tracker.

    Returns
    -------
    EvalResult
    """
    import trackeval

    if benchmark not in BENCHMARKS:
        raise ValueError(f"evaluate: benchmark must be one of {BENCHMARKS}, got {benchmark!r}")
    if split not in ("train", "test", "all"):
        raise ValueError(f"evaluate: split must be 'train', 'test' or 'all', got {split!r}")
    if not tracker_name or any(c in tracker_name for c in "/\\") or tracker_name in (".", ".."):
        raise ValueError(f"evaluate: tracker_name must be a plain file name, got {tracker_name!r}")
    gt_root = Path(gt_root)
    if not gt_root.is_dir():
        raise FileNotFoundError(f"evaluate: gt_root folder not found: {gt_root}")
    files = _results_files(results)
    seqs = list(files) if sequences is None else [str(s) for s in sequences]
    if not seqs:
        raise ValueError(f"evaluate: no sequences to evaluate (results: {results!r})")
    lengths = _check_inputs(gt_root, files, seqs)

    with tempfile.TemporaryDirectory(prefix="mottrack-eval-") as tmp:
        data = Path(tmp, "trackers", tracker_name, "data")
        data.mkdir(parents=True)
        for seq in seqs:
            _link(files[seq].resolve(), data / f"{seq}.txt")
        dataset_config = {
            "GT_FOLDER": str(gt_root),
            "TRACKERS_FOLDER": str(Path(tmp, "trackers")),
            "OUTPUT_FOLDER": str(Path(tmp, "output")),
            "TRACKERS_TO_EVAL": [tracker_name],
            "CLASSES_TO_EVAL": ["pedestrian"],
            "BENCHMARK": benchmark,
            "SPLIT_TO_EVAL": split,
            "INPUT_AS_ZIP": False,
            "PRINT_CONFIG": False,
            "DO_PREPROC": True,
            "TRACKER_SUB_FOLDER": "data",
            "OUTPUT_SUB_FOLDER": "",
            "SEQ_INFO": dict(lengths),
            "GT_LOC_FORMAT": "{gt_folder}/{seq}/gt/gt.txt",
            "SKIP_SPLIT_FOL": True,
        }
        eval_config = {
            "USE_PARALLEL": False,
            "BREAK_ON_ERROR": True,
            "RETURN_ON_ERROR": False,
            "LOG_ON_ERROR": None,
            "PRINT_RESULTS": False,
            "PRINT_ONLY_COMBINED": False,
            "PRINT_CONFIG": False,
            "TIME_PROGRESS": False,
            "DISPLAY_LESS_PROGRESS": True,
            "OUTPUT_SUMMARY": False,
            "OUTPUT_EMPTY_CLASSES": False,
            "OUTPUT_DETAILED": False,
            "PLOT_CURVES": False,
        }
        metric_config = {"THRESHOLD": 0.5, "PRINT_CONFIG": False}
        sink = io.StringIO()
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                dataset = trackeval.datasets.MotChallenge2DBox(dataset_config)
                metrics = [
                    trackeval.metrics.HOTA(),
                    trackeval.metrics.CLEAR(dict(metric_config)),
                    trackeval.metrics.Identity(dict(metric_config)),
                ]
                evaluator = trackeval.Evaluator(eval_config)
                output, _ = evaluator.evaluate([dataset], metrics)
        except trackeval.utils.TrackEvalException as exc:
            raise ValueError(f"evaluate: TrackEval rejected the input: {exc}") from None
    res = output[dataset.get_name()][tracker_name]
    per_sequence = {seq: _collect(res[seq]["pedestrian"]) for seq in seqs}
    combined = _collect(res["COMBINED_SEQ"]["pedestrian"])
    return EvalResult(per_sequence, combined, benchmark, tracker_name, tuple(seqs))


def write_synthetic(seq: SyntheticSequence, rows: ArrayLike, folder: PathLike) -> Path:
    """Write a generated sequence and its results as :func:`evaluate` reads them.

    Parameters
    ----------
    seq : SyntheticSequence
        Written as the MOTChallenge folder ``<folder>/gt/<name>/`` (seqinfo, gt, det).
    rows : array_like, shape (K, 10)
        MOTChallenge results rows (e.g. ``track_frames(...).rows``), written atomically to
        ``<folder>/results/<name>.txt``.
    folder : str or os.PathLike

    Returns
    -------
    pathlib.Path
        ``folder``.
    """
    from .io import write_results

    folder = Path(folder)
    seq.write(folder / "gt")
    write_results(folder / "results" / f"{seq.name}.txt", rows)
    return folder


def evaluate_synthetic(
    seq: SyntheticSequence, rows: ArrayLike, benchmark: str = "MOT17"
) -> EvalResult:
    """Evaluate results of a generated sequence: its ground truth and ``rows`` (MOTChallenge
    results rows, ``(K, 10)``, e.g. ``track_frames(...).rows``) go to a temporary folder
    (:func:`write_synthetic`)."""
    with tempfile.TemporaryDirectory(prefix="mottrack-eval-") as tmp:
        folder = write_synthetic(seq, rows, tmp)
        return evaluate(folder / "gt", folder / "results", benchmark=benchmark)


def _link(src: Path, dst: Path) -> None:
    try:
        os.symlink(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
