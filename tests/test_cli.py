"""The ``mottrack`` command: demo, track, eval and parameter parsing."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest

from mottrack.cli import main, parse_params
from mottrack.datasets import generate
from mottrack.io import load_mot_txt
from mottrack.registry import create_tracker


def test_demo_prints_metrics_and_speed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert (
        main(["demo", "--frames", "80", "--objects", "6", "--quiet", "--out", str(tmp_path)]) == 0
    )
    out = capsys.readouterr().out
    assert "HOTA" in out and "MOTA" in out and "IDF1" in out
    assert "frames/s (80 frames, tracker only)" in out
    header = next(line for line in out.splitlines() if line.startswith("sequence")).split()
    combined = next(line for line in out.splitlines() if line.startswith("COMBINED")).split()
    hota = float(combined[header.index("HOTA")])
    assert 20.0 < hota <= 100.0  # SORT on a clean synthetic scene tracks something sensible
    # Every frame's output was written and evaluated: the same rows as SORT run directly.
    seq = generate(num_frames=80, num_objects=6, seed=0)
    tracker = create_tracker("sort")
    expected = np.concatenate([tracker.update(dets).to_mot(f) for f, dets in seq.frames()])
    written = load_mot_txt(tmp_path / "results" / f"{seq.name}.txt")
    assert written.shape[0] == expected.shape[0] == int(combined[header.index("Dets")])
    order = np.lexsort((expected[:, 1], expected[:, 0]))
    np.testing.assert_allclose(written[:, :6], expected[order, :6], atol=0.006)


def _console_script(name: str) -> Path:
    """The installed console script ``name``, found through the package metadata and the
    interpreter's scripts folder (not through PATH)."""
    entry = [ep for ep in entry_points(group="console_scripts") if ep.name == name]
    assert [ep.value for ep in entry] == ["mottrack.cli:main"], entry
    exe = name + (".exe" if os.name == "nt" else "")
    folders = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    user_scheme = f"{os.name}_user"
    if user_scheme in sysconfig.get_scheme_names():
        folders.append(Path(sysconfig.get_path("scripts", user_scheme)))
    found = [folder / exe for folder in folders if (folder / exe).is_file()]
    assert found, f"pip install -e . installs the {name} console script in one of {folders}"
    return found[0]


def test_console_script_is_installed_and_runs_without_path() -> None:
    exe = _console_script("mottrack")
    env = {**os.environ, "PATH": os.defpath}  # the environment's bin/ need not be on PATH
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True, env=env)
    for command in ("demo", "track", "eval"):
        assert command in proc.stdout


def test_track_then_eval_reproduces_sort_reference(
    shared_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = shared_root / "data" / "MOT15" / "train" / "TUD-Campus"
    out = tmp_path / "res" / "TUD-Campus.txt"
    assert main(["track", "--det", str(seq / "det" / "det.txt"), "--out", str(out), "--quiet"]) == 0
    ours = load_mot_txt(out)
    ref = load_mot_txt(shared_root / "reference" / "sort" / "MOT15" / "TUD-Campus.txt")
    key = np.lexsort((ours[:, 1], ours[:, 0]))
    ref_key = np.lexsort((ref[:, 1], ref[:, 0]))
    np.testing.assert_allclose(ours[key, :6], ref[ref_key, :6], atol=0.011)
    capsys.readouterr()
    json_path = tmp_path / "m.json"
    args = ["eval", "--gt-root", str(seq.parent), "--results", str(out.parent)]
    assert main([*args, "--benchmark", "MOT15", "--json", str(json_path)]) == 0
    combined = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("COMBINED")
    )
    assert float(combined.split()[5]) == pytest.approx(62.674, abs=1e-3)  # MOTA, SORT README
    assert json_path.is_file()


def test_track_with_params(shared_root: Path, tmp_path: Path) -> None:
    det = shared_root / "data" / "MOT15" / "train" / "KITTI-17" / "det" / "det.txt"
    base, other = tmp_path / "a.txt", tmp_path / "b.txt"
    assert main(["track", "--det", str(det), "--out", str(base), "--quiet"]) == 0
    args = ["--param", "min_hits=1", "--param", "max_age=5"]
    assert main(["track", "--det", str(det), "--out", str(other), "--quiet", *args]) == 0
    assert len(load_mot_txt(other)) > len(load_mot_txt(base))


def test_parse_params_types_and_errors() -> None:
    assert parse_params("sort", ["max_age=4", "iou_threshold=0.5"]) == {
        "max_age": 4,
        "iou_threshold": 0.5,
    }
    with pytest.raises(ValueError, match="key=value"):
        parse_params("sort", ["max_age"])
    with pytest.raises(ValueError, match="unknown key 'nope'"):
        parse_params("sort", ["nope=1"])
    with pytest.raises(ValueError, match="expected a int"):
        parse_params("sort", ["max_age=two"])


def test_errors_exit_2_with_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none" / "det.txt"
    assert main(["track", "--det", str(missing), "--out", str(tmp_path / "r.txt")]) == 2
    assert "--det: file not found" in capsys.readouterr().err
    bad = tmp_path / "seq" / "det" / "det.txt"
    bad.parent.mkdir(parents=True)
    bad.write_text("1,-1,10,10,20,40,0.9\n2,-1,oops,10,20,40,0.9\n")
    assert main(["track", "--det", str(bad), "--out", str(tmp_path / "r.txt"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "det.txt" in err and "line 2" in err
    assert not (tmp_path / "r.txt").exists()


def test_module_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mottrack.cli", "track", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--param" in proc.stdout


def test_track_deepsort_with_features_and_with_images(
    shared_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = shared_root / "data" / "MOT17" / "train" / "MOT17-09-FRCNN"
    out = tmp_path / "ds.txt"
    argv = ["track", "--tracker", "deepsort", "--det", str(seq / "det" / "det.txt"), "--quiet"]
    feats = ["--features", str(seq / "det" / "MOT17-09-FRCNN.deepsort_feat128.npy")]
    assert main([*argv, *feats, "--param", "min_confidence=0.3", "--out", str(out)]) == 0
    ref = load_mot_txt(shared_root / "reference" / "deepsort" / "MOT17" / "MOT17-09-FRCNN.txt")
    got = load_mot_txt(out)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got[:, :6], ref[:, :6], atol=0.011)
    assert main([*argv, "--out", str(out)]) == 2  # no features, no images
    assert "appearance features" in capsys.readouterr().err

    from mottrack.datasets import generate

    folder = generate(num_frames=20, num_objects=5, seed=2).write(tmp_path / "syn", render=True)
    det = str(folder / "det" / "det.txt")
    out2 = tmp_path / "syn.txt"
    assert (
        main(
            [
                "track",
                "--tracker",
                "deepsort",
                "--det",
                det,
                "--images",
                "--quiet",
                "--out",
                str(out2),
            ]
        )
        == 0
    )
    assert load_mot_txt(out2).shape[0] > 20


def test_track_fairmot_takes_frame_rate_from_seqinfo(shared_root: Path, tmp_path: Path) -> None:
    seq = shared_root / "data" / "MOT17" / "train" / "MOT17-05-FRCNN"  # 14 frames/s
    out = tmp_path / "fm.txt"
    argv = ["track", "--tracker", "fairmot", "--det", str(seq / "det" / "det.txt"), "--quiet"]
    feats = ["--features", str(seq / "det" / "MOT17-05-FRCNN.deepsort_feat128.npy")]
    assert main([*argv, *feats, "--min-score", "0.4", "--out", str(out)]) == 0
    ref = load_mot_txt(shared_root / "reference" / "fairmot_assoc" / "MOT17" / "MOT17-05-FRCNN.txt")
    got = load_mot_txt(out)
    got, ref = got[np.lexsort(got[:, :2].T[::-1])], ref[np.lexsort(ref[:, :2].T[::-1])]
    np.testing.assert_allclose(got[:, :6], ref[:, :6], atol=0.011)


@pytest.mark.parametrize("tracker", ["deepsort", "fairmot"])
def test_demo_with_appearance_trackers(tracker: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--tracker", tracker, "--frames", "40", "--objects", "6", "--quiet"]) == 0
    out = capsys.readouterr().out
    combined = next(line for line in out.splitlines() if line.startswith("COMBINED"))
    assert float(combined.split()[1]) > 50.0  # HOTA with appearance on a clean synthetic scene
    assert tracker[:4] in out.lower()
