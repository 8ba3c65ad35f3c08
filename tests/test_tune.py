"""``mottrack tune``: grid and Optuna searches, trials.csv, the plot, the best --param line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import pytest
from jobs_helpers import mot15_root

from mottrack.cli import main
from mottrack.jobs.tune import TrialResult, grid_trials, parse_grid, parse_ranges
from mottrack.jobs.tune_report import best_trial, param_line

NAMES = ("TUD-Campus", "KITTI-17", "TUD-Stadtmitte")


@pytest.fixture(scope="module")
def root(shared_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mot15_root(tmp_path_factory.mktemp("mot15"), shared_root, NAMES)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_grid_best_equals_run_and_eval(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tune"
    assert main(["tune", "--root", str(root), "--benchmark", "MOT15", "--grid",
                 "max_age=1,3,5", "--grid", "min_hits=1,3", "--out", str(out), "--workers", "2",
                 "--quiet"]) == 0  # fmt: skip
    printed = capsys.readouterr().out.strip().splitlines()
    table = rows(out / "trials.csv")
    assert list(table[0]) == ["trial", "max_age", "min_hits", "HOTA", "MOTA", "IDF1", "seconds",
                              "error"]  # fmt: skip
    assert [(r["max_age"], r["min_hits"]) for r in table] == [
        (a, h) for a in ("1", "3", "5") for h in ("1", "3")
    ]
    hota = [float(r["HOTA"]) for r in table]
    assert len(set(hota)) > 1  # the parameters matter on these sequences
    best = max(range(len(table)), key=lambda i: (hota[i], -i))
    line = f"--param max_age={table[best]['max_age']} --param min_hits={table[best]['min_hits']}"
    assert printed[-1] == line
    image = cv2.imread(str(out / "trials.png"))
    assert image is not None and image.shape[0] > 100 and image.shape[1] > 200
    # The best trial's score is what run + eval give for its parameters.
    results, report = tmp_path / "results", tmp_path / "eval.json"
    assert main(["run", "--root", str(root), "--out", str(results), "--quiet",
                 *line.split()]) == 0  # fmt: skip
    assert main(["eval", "--gt-root", str(root), "--results", str(results), "--benchmark",
                 "MOT15", "--json", str(report)]) == 0  # fmt: skip
    combined = json.loads(report.read_text())["combined"]
    assert combined["HOTA"] == hota[best]
    assert combined["IDF1"] == float(table[best]["IDF1"])


def test_optuna_ranges_are_sampled_reproducibly(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tune"
    command = ["tune", "--root", str(root), "--benchmark", "MOT15", "--range", "max_age=1:20",
               "--range", "iou_threshold=0.1:0.6", "--trials", "3", "--metric", "IDF1",
               "--out", str(out), "--quiet"]  # fmt: skip
    assert main(command) == 0
    first = rows(out / "trials.csv")
    assert len(first) == 3
    for r in first:
        assert int(r["max_age"]) in range(1, 21)
        assert 0.1 <= float(r["iou_threshold"]) <= 0.6
        assert float(r["IDF1"]) > 0 and not r["error"]
    best = max(first, key=lambda r: float(r["IDF1"]))
    assert (
        capsys.readouterr()
        .out.strip()
        .endswith(
            f"--param max_age={best['max_age']} --param iou_threshold={best['iou_threshold']}"
        )
    )
    assert main(command) == 0  # same seed: the same trials, all resumed
    again = rows(out / "trials.csv")
    assert [r["iou_threshold"] for r in again] == [r["iou_threshold"] for r in first]
    assert all(float(r["seconds"]) == 0.0 for r in again)


def test_parsing_grids_and_ranges() -> None:
    grid = parse_grid("sort", ["max_age=1,3", "iou_threshold=0.2,0.4"])
    assert grid == {"max_age": [1, 3], "iou_threshold": [0.2, 0.4]}
    assert grid_trials(grid) == [
        {"max_age": 1, "iou_threshold": 0.2}, {"max_age": 1, "iou_threshold": 0.4},
        {"max_age": 3, "iou_threshold": 0.2}, {"max_age": 3, "iou_threshold": 0.4},
    ]  # fmt: skip
    assert parse_ranges("sort", ["max_age=1:30:log"]) == {"max_age": (1, 30, True)}
    for items, message in (
        (["max_age"], "--grid: expected key=v1,v2"),
        (["max_age=1,x"], "--grid max_age: expected a int"),
        (["nope=1"], "--grid: unknown key 'nope'"),
        (["max_age=1", "max_age=2"], "given twice"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_grid("sort", items)
    for items, message in (
        (["max_age=5:1"], "low < high"),
        (["max_age=1-5"], "--range: expected key=low:high"),
        (["iou_threshold=0:0.5:log"], "a log range needs low > 0"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_ranges("sort", items)


def test_best_trial_direction_and_param_line() -> None:
    trials = [
        TrialResult(0, {"max_age": 1}, {"HOTA": 40.0, "IDSW": 9}, 1.0),
        TrialResult(1, {"max_age": 3}, {"HOTA": 45.0, "IDSW": 12}, 1.0),
        TrialResult(2, {"max_age": 5}, {}, 1.0, "SEQ: ValueError: x"),
    ]
    assert best_trial(trials, "HOTA").index == 1
    assert best_trial(trials, "IDSW").index == 0  # fewer identity switches is better
    assert best_trial(trials[2:], "HOTA") is None
    assert param_line(trials[1]) == "--param max_age=3"


def test_tune_needs_a_grid_or_ranges(root: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    base = ["tune", "--root", str(root), "--benchmark", "MOT15", "--out", str(tmp_path)]
    assert main(base) == 2
    assert "expected --grid KEY=V1,V2,... or --range" in capsys.readouterr().err
    assert main([*base, "--grid", "max_age=1", "--range", "min_hits=1:3"]) == 2
