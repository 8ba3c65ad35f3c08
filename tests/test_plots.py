"""Plots: ID-switch and fragmentation marks equal TrackEval's counts; ``mottrack plot`` writes
PNGs that show what they say."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mottrack.cli import main
from mottrack.eval import evaluate
from mottrack.io import MOTSequence, load_mot_txt, write_results
from mottrack.pipeline import track_frames
from mottrack.plots import clear_events
from mottrack.plots.common import id_color
from mottrack.plots.events import evaluated_gt
from mottrack.registry import create_tracker


def _row(frame: int, tid: int, x: float, y: float = 10.0) -> list[float]:
    return [frame, tid, x, y, 20, 40, 1, -1, -1, -1]


def test_events_of_a_planted_switch_and_gap() -> None:
    gt = np.array([_row(f, 1, 10.0 * f) for f in range(1, 7)])
    spec = [(1, 10, 10), (2, 10, 20), (3, 12, 500), (4, 11, 40), (5, 11, 50), (6, 11, 60)]
    results = np.array([_row(*item) for item in spec])  # frame 3: gt 1 unmatched
    events = clear_events(gt, results)
    assert events.switches.tolist() == [[4, 1, 11]]
    assert events.fragmentations.tolist() == [[4, 1, 11]]
    same = np.array([_row(f, 10, 10.0 * f) for f in range(1, 7)])
    assert len(clear_events(gt, same).switches) == len(clear_events(gt, same).fragmentations) == 0


@pytest.mark.parametrize("name", ["TUD-Campus", "KITTI-17"])
def test_event_counts_equal_trackeval(shared_root: Path, tmp_path: Path, name: str) -> None:
    seq = MOTSequence(shared_root / "data" / "MOT15" / "train" / name)
    rows = track_frames(create_tracker("sort"), seq.frames()).rows
    write_results(tmp_path / f"{name}.txt", rows)
    metrics = evaluate(seq.root.parent, tmp_path, benchmark="MOT15").per_sequence[name]
    events = clear_events(evaluated_gt(seq.gt), load_mot_txt(tmp_path / f"{name}.txt"))
    assert metrics["IDSW"] > 0 and metrics["Frag"] > 0
    assert (len(events.switches), len(events.fragmentations)) == (
        metrics["IDSW"],
        metrics["Frag"],
    )


def _png(path: Path) -> np.ndarray:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(path))
    assert image is not None and image.shape[0] > 100 and image.shape[1] > 100
    return image


def _pixels_near(image: np.ndarray, rgb: tuple[float, ...], tol: int = 12) -> int:
    bgr = np.array([rgb[2], rgb[1], rgb[0]]) * 255
    return int((np.abs(image.astype(float) - bgr).max(axis=2) <= tol).sum())


def test_timeline_marks_switches_only_against_gt(tmp_path: Path) -> None:
    gt = np.array([_row(f, 1, 10.0 * f) for f in range(1, 31)])
    res = np.array([_row(f, 2 if f < 15 else 3, 10.0 * f) for f in range(1, 31)])
    write_results(tmp_path / "res.txt", res)
    np.savetxt(tmp_path / "gt.txt", gt, delimiter=",", fmt="%g")
    plain, marked = tmp_path / "plain.png", tmp_path / "marked.png"
    assert main(["plot", "timeline", str(tmp_path / "res.txt"), "--out", str(plain)]) == 0
    argv = ["plot", "timeline", str(tmp_path / "res.txt"), "--gt", str(tmp_path / "gt.txt")]
    assert main([*argv, "--out", str(marked)]) == 0
    red = (1.0, 0.0, 0.0)
    assert _pixels_near(_png(plain), red) == 0 and _pixels_near(_png(marked), red) > 10
    assert _pixels_near(_png(plain), id_color(2)) > 200  # track 2's bar


def test_trajectories_draw_each_track_in_its_colour(tmp_path: Path) -> None:
    res = np.array([_row(f, 3, 5.0 * f, 40) for f in range(1, 30)])
    write_results(tmp_path / "res.txt", res)
    frame = tmp_path / "frame.png"
    cv2.imwrite(str(frame), np.zeros((120, 200, 3), np.uint8))
    out = tmp_path / "traj.png"
    argv = ["plot", "trajectories", str(tmp_path / "res.txt"), "--frame", str(frame)]
    assert main([*argv, "--out", str(out)]) == 0
    assert _pixels_near(_png(out), id_color(3), tol=30) > 100


def test_metrics_plot_and_its_input_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = {"HOTA": 50.0, "MOTA": 60.0, "IDF1": 55.0}
    for name, scale in (("a", 1.0), ("b", 0.5)):
        data = {"per_sequence": {"S1": {k: v * scale for k, v in table.items()}}, "combined": table}
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    out = tmp_path / "m.png"
    argv = ["plot", "metrics", str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    assert main([*argv, "--out", str(out)]) == 0
    image = _png(out)
    tab10 = [(0.12, 0.47, 0.71), (1.0, 0.5, 0.05)]  # the two trackers' bars
    assert all(_pixels_near(image, c, tol=20) > 200 for c in tab10)
    (tmp_path / "bad.json").write_text('{"per_sequence": {}}')
    capsys.readouterr()
    assert main(["plot", "metrics", str(tmp_path / "bad.json"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.json" in err and "mottrack eval --json" in err
