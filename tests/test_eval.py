"""Tests of mottrack.eval: TrackEval numbers on real MOTChallenge files."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest

from mottrack.eval import TABLE_COLUMNS, EvalResult, evaluate

TRACKEVAL_PEDES = "data/MOT17/tracker_outputs/TrackEval-pedes_20221127"


@pytest.fixture(scope="module")
def mot17_fixture(shared_root: Path) -> EvalResult:
    return evaluate(
        shared_root / "data/MOT17/train", shared_root / TRACKEVAL_PEDES / "data", benchmark="MOT17"
    )


@pytest.fixture(scope="module")
def motmetrics_fixture(shared_root: Path) -> EvalResult:
    files = {
        s: shared_root / f"data/motmetrics/{s}/test.txt" for s in ("TUD-Campus", "TUD-Stadtmitte")
    }
    return evaluate(shared_root / "data/MOT15/train", files, benchmark="MOT15")


@pytest.fixture(scope="module")
def sort_reference(shared_root: Path) -> EvalResult:
    return evaluate(
        shared_root / "data/MOT15/train", shared_root / "reference/sort/MOT15", benchmark="MOT15"
    )


# TrackEval's pedestrian_detailed.csv column -> (our key, scale)
CSV_COLUMNS = {
    "HOTA___AUC": ("HOTA", 100), "DetA___AUC": ("DetA", 100), "AssA___AUC": ("AssA", 100),
    "LocA___AUC": ("LocA", 100), "MOTA": ("MOTA", 100), "MOTP": ("MOTP", 100),
    "IDF1": ("IDF1", 100), "IDR": ("IDR", 100), "IDP": ("IDP", 100), "CLR_TP": ("TP", 1),
    "CLR_FN": ("FN", 1), "CLR_FP": ("FP", 1), "IDSW": ("IDSW", 1), "MT": ("MT", 1),
    "PT": ("PT", 1), "ML": ("ML", 1), "Frag": ("Frag", 1), "IDTP": ("IDTP", 1),
    "IDFN": ("IDFN", 1), "IDFP": ("IDFP", 1), "Dets": ("Dets", 1), "GT_Dets": ("GT_Dets", 1),
    "IDs": ("IDs", 1), "GT_IDs": ("GT_IDs", 1),
}  # fmt: skip


@pytest.mark.parametrize("seq", ["MOT17-05-FRCNN", "MOT17-09-FRCNN"])
def test_mot17_fixture_matches_trackeval_csv(
    mot17_fixture: EvalResult, shared_root: Path, seq: str
) -> None:
    with open(shared_root / TRACKEVAL_PEDES / "pedestrian_detailed.csv") as fh:
        row = next(r for r in csv.DictReader(fh) if r["seq"] == seq)
    got = mot17_fixture.per_sequence[seq]
    for column, (key, scale) in CSV_COLUMNS.items():
        assert got[key] == pytest.approx(float(row[column]) * scale, abs=1e-6), key


def test_mot17_fixture_matches_sources_table(mot17_fixture: EvalResult) -> None:
    # The rounded numbers quoted in shared/data/SOURCES.md.
    expected = {
        "MOT17-05-FRCNN": dict(HOTA=70.197, DetA=73.751, AssA=67.088, MOTA=85.528, IDF1=82.784,
                               IDSW=57, FP=409, FN=535),
        "MOT17-09-FRCNN": dict(HOTA=65.188, DetA=77.567, AssA=54.889, MOTA=88.038, IDF1=73.969,
                               IDSW=32, FP=227, FN=378),
    }  # fmt: skip
    for seq, metrics in expected.items():
        for key, value in metrics.items():
            assert mot17_fixture.per_sequence[seq][key] == pytest.approx(value, abs=1e-3), key
    assert mot17_fixture.combined["HOTA"] == pytest.approx(68.111, abs=1e-3)
    assert mot17_fixture.combined["GT_Dets"] == 6917 + 5325  # pedestrians with consider==1


MOTMETRICS_TABLE = {  # SOURCES.md, TrackEval @ 12c8791 with benchmark MOT15
    "TUD-Campus": dict(HOTA=39.14, DetA=41.805, AssA=36.912, LocA=77.005, MOTA=52.646,
                       MOTP=72.28, IDF1=55.766, IDR=45.125, IDP=72.973, TP=209, FN=150, FP=13,
                       IDSW=7, MT=1, PT=6, ML=1, Frag=7, IDTP=162, IDFN=197, IDFP=60),
    "TUD-Stadtmitte": dict(HOTA=39.785, DetA=39.227, AssA=40.884, LocA=73.752, MOTA=56.401,
                           MOTP=65.41, IDF1=64.462, IDR=53.114, IDP=81.976, TP=704, FN=452,
                           FP=45, IDSW=7, MT=5, PT=4, ML=1, Frag=6, IDTP=614, IDFN=542,
                           IDFP=135),
    "COMBINED": dict(HOTA=39.996, DetA=39.768, AssA=41.245, LocA=73.248, MOTA=55.512,
                     MOTP=66.982, IDF1=62.43, IDR=51.221, IDP=79.918, TP=913, FN=602, FP=58,
                     IDSW=14, MT=6, PT=10, ML=2, Frag=13, IDTP=776, IDFN=739, IDFP=195),
}  # fmt: skip


@pytest.mark.parametrize("seq", list(MOTMETRICS_TABLE))
def test_motmetrics_fixture_crlf_mot15(motmetrics_fixture: EvalResult, seq: str) -> None:
    got = motmetrics_fixture.combined if seq == "COMBINED" else motmetrics_fixture.per_sequence[seq]
    for key, value in MOTMETRICS_TABLE[seq].items():
        assert got[key] == pytest.approx(value, abs=1e-3), key


def test_sort_reference_reproduces_trackeval_json(
    sort_reference: EvalResult, shared_root: Path
) -> None:
    expected = json.loads((shared_root / "reference/sort/trackeval_MOT15.json").read_text())
    rename = {"CLR_FN": "FN", "CLR_FP": "FP", "CLR_TP": "TP"}
    table = expected["metrics"]
    assert len(table) == 12 and set(sort_reference.per_sequence) | {"COMBINED_SEQ"} == set(table)
    for seq, metrics in table.items():
        got = sort_reference.combined if seq == "COMBINED_SEQ" else sort_reference.per_sequence[seq]
        for key, value in metrics.items():
            assert got[rename.get(key, key)] == pytest.approx(value, abs=1e-3), (seq, key)


def _motmetrics_summary(
    gt_file: Path, test_file: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, float]:
    import motmetrics as mm  # in the test extra: a missing package fails, never skips

    # motmetrics 1.4.0 calls np.asfarray, which NumPy 2 removed; restore it for this test only.
    if not hasattr(np, "asfarray"):
        monkeypatch.setattr(np, "asfarray", lambda a: np.asarray(a, dtype=float), raising=False)
    gt = mm.io.loadtxt(str(gt_file), fmt="mot15-2D", min_confidence=1)
    ts = mm.io.loadtxt(str(test_file), fmt="mot15-2D")
    acc = mm.utils.compare_to_groundtruth(gt, ts, "iou", distth=0.5)
    names = ["mota", "idf1", "num_false_positives", "num_misses", "num_switches"]
    summary = mm.metrics.create().compute(acc, metrics=names, name="seq")
    return {name: float(summary[name].iloc[0]) for name in names}


@pytest.mark.parametrize("seq", ["TUD-Campus", "TUD-Stadtmitte"])
def test_cross_check_with_py_motmetrics(
    motmetrics_fixture: EvalResult, shared_root: Path, seq: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The TUD gt has no conf==0 rows, so MOT15's only preprocessing (dropping them) changes
    # nothing and py-motmetrics' plain CLEAR/ID metrics must agree with TrackEval's.
    gt_file = shared_root / f"data/MOT15/train/{seq}/gt/gt.txt"
    assert not (np.loadtxt(gt_file, delimiter=",")[:, 6] == 0).any()
    ref = _motmetrics_summary(gt_file, shared_root / f"data/motmetrics/{seq}/test.txt", monkeypatch)
    got = motmetrics_fixture.per_sequence[seq]
    assert got["MOTA"] == pytest.approx(100 * ref["mota"], abs=1e-3)
    assert got["IDF1"] == pytest.approx(100 * ref["idf1"], abs=1e-3)
    assert (got["FP"], got["FN"], got["IDSW"]) == (
        ref["num_false_positives"],
        ref["num_misses"],
        ref["num_switches"],
    )


def test_cross_check_with_conf0_rows(
    sort_reference: EvalResult, shared_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # KITTI-17 has 99 conf==0 gt rows: MOT15 drops them, as py-motmetrics' min_confidence=1 does.
    gt_file = shared_root / "data/MOT15/train/KITTI-17/gt/gt.txt"
    assert (np.loadtxt(gt_file, delimiter=",")[:, 6] == 0).sum() == 99
    ref = _motmetrics_summary(
        gt_file, shared_root / "reference/sort/MOT15/KITTI-17.txt", monkeypatch
    )
    got = sort_reference.per_sequence["KITTI-17"]
    assert got["MOTA"] == pytest.approx(100 * ref["mota"], abs=1e-3)
    assert (got["FP"], got["FN"]) == (ref["num_false_positives"], ref["num_misses"])


def test_table_and_to_dict(motmetrics_fixture: EvalResult) -> None:
    lines = motmetrics_fixture.table().splitlines()
    assert len(lines) == 4
    assert lines[0].split() == ["sequence", *TABLE_COLUMNS]
    assert [line.split()[0] for line in lines[1:]] == ["TUD-Campus", "TUD-Stadtmitte", "COMBINED"]
    assert lines[1].split()[1] == "39.140" and len({len(line) for line in lines}) == 1
    data = json.loads(json.dumps(motmetrics_fixture.to_dict()))
    assert data["benchmark"] == "MOT15"
    assert data["combined"]["MOTA"] == pytest.approx(55.512, abs=1e-3)
    assert data["per_sequence"]["TUD-Campus"]["IDSW"] == 7
    with pytest.raises(ValueError, match="unknown columns"):
        motmetrics_fixture.table(["HOTA", "nope"])


def test_evaluate_is_silent_and_writes_nothing(
    shared_root: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "res"
    results.mkdir()
    src = shared_root / "data/motmetrics/TUD-Campus/test.txt"
    (results / "TUD-Campus.txt").write_bytes(src.read_bytes())
    result = evaluate(shared_root / "data/MOT15/train", results, benchmark="MOT15")
    assert result.sequences == ("TUD-Campus",)
    assert result.per_sequence["TUD-Campus"]["HOTA"] == pytest.approx(39.14, abs=1e-3)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert os.listdir(results) == ["TUD-Campus.txt"]


def test_sequences_argument_selects(shared_root: Path) -> None:
    result = evaluate(
        shared_root / "data/MOT15/train",
        shared_root / "reference/sort/MOT15",
        benchmark="MOT15",
        sequences=["KITTI-17"],
    )
    assert list(result.per_sequence) == ["KITTI-17"]
    assert result.combined["HOTA"] == pytest.approx(result.per_sequence["KITTI-17"]["HOTA"])


def test_results_without_gt_are_listed(shared_root: Path, tmp_path: Path) -> None:
    (tmp_path / "NoSuchSeq.txt").write_text("1,1,1,1,5,5,1,-1,-1,-1\n")
    (tmp_path / "TUD-Campus.txt").write_text("1,1,1,1,5,5,1,-1,-1,-1\n")
    with pytest.raises(FileNotFoundError, match=r"without ground truth.*NoSuchSeq"):
        evaluate(shared_root / "data/MOT15/train", tmp_path, benchmark="MOT15")


def test_input_errors(shared_root: Path, tmp_path: Path) -> None:
    gt = shared_root / "data/MOT15/train"
    res = tmp_path / "TUD-Campus.txt"
    res.write_text("1,1,1,1,5,5,1,-1,-1,-1\n")
    with pytest.raises(ValueError, match=r"benchmark.*'MOT99'"):
        evaluate(gt, {"TUD-Campus": res}, benchmark="MOT99")
    with pytest.raises(FileNotFoundError, match=r"no results file.*TUD-Stadtmitte"):
        evaluate(gt, {"TUD-Campus": res}, benchmark="MOT15", sequences=["TUD-Stadtmitte"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no sequences"):
        evaluate(gt, empty)
    res.write_text("1,1,1,1,5,5,1,-1,-1,-1\n99,1,1,1,5,5,1,-1,-1,-1\n")
    with pytest.raises(ValueError, match=r"TUD-Campus\.txt.*1\.\.71.*got frame 99"):
        evaluate(gt, {"TUD-Campus": res}, benchmark="MOT15")
    res.write_text("1,1,1,1,5,5,1,-1,-1,-1\n2,1,1,one,5,5,1,-1,-1,-1\n")
    with pytest.raises(ValueError, match=r"TUD-Campus\.txt, line 2"):
        evaluate(gt, {"TUD-Campus": res}, benchmark="MOT15")
    res.write_text("1,1,1,1,5,5,1,-1,-1,-1\n1,1,9,9,5,5,1,-1,-1,-1\n")  # duplicate id in a frame
    with pytest.raises(ValueError, match="TrackEval rejected"):
        evaluate(gt, {"TUD-Campus": res}, benchmark="MOT15")
