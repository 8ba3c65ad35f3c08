"""Every user error of issue 12 is one line without a traceback, and every option has help text
that states its default."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mottrack.cli import build_parser, main


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1 and err.endswith("\n"), err
    return lines[0]


CASES = [
    # a video given as --det
    (["track", "--det", "{video}", "--out", "{tmp}/r.txt"], "is a video, not detections"),
    # --images without seqinfo.ini
    (["track", "--det", "{loose}", "--images", "--out", "{tmp}/r.txt"], "has no seqinfo.ini"),
    # eval of MOT15 gt under the default benchmark
    (
        ["eval", "--gt-root", "{mot15}", "--results", "{tmp}/res"],
        "for MOT15 ground truth pass --benchmark MOT15",
    ),
    # deepsort without features: CLI options, not the Python API
    (["track", "--tracker", "deepsort", "--det", "{det}", "--out", "{tmp}/r.txt"], "--features"),
    # features of another sequence
    (
        ["track", "--det", "{det05}", "--features", "{feat09}", "--out", "{tmp}/r.txt"],
        "features of another sequence?",
    ),
    (["track", "{tmp}/none.mp4", "--det", "{det}"], "SOURCE: no such file or folder"),
    (["track", "{tmp}/bad.mp4", "--det", "{det}"], "cannot read"),
    (["track", "{tmp}", "--det", "{det}"], "no images"),
    (["track", "{video}"], "expected detections too"),
    (["track", "{video}", "--detector", "nope"], "'module:callable'"),
    (["track", "{video}", "--detector", "fairmot"], "expected --weights"),
    (["track", "{video}", "--det", "{det}", "--video", "{tmp}/a.gif"], ".mp4 or .avi"),
    (["track"], "SOURCE: expected"),
    (["plot", "timeline", "{tmp}/none.txt", "--out", "{tmp}/t.png"], "RESULTS: file not found"),
]


@pytest.mark.parametrize(("argv", "expected"), CASES)
def test_user_errors_are_one_line(
    argv: list[str],
    expected: str,
    shared_root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = shared_root / "data"
    (tmp_path / "bad.mp4").write_text("not a video")
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "TUD-Campus.txt").write_text("1,1,10,10,20,40,1,-1,-1,-1\n")
    det = data / "MOT15" / "train" / "TUD-Campus" / "det" / "det.txt"
    (tmp_path / "loose.txt").write_bytes(det.read_bytes())
    mot17 = data / "MOT17" / "train"
    places = {
        "tmp": tmp_path,
        "video": data / "video" / "vtest.avi",
        "det": det,
        "loose": tmp_path / "loose.txt",
        "mot15": data / "MOT15" / "train",
        "det05": mot17 / "MOT17-05-FRCNN" / "det" / "det.txt",
        "feat09": mot17 / "MOT17-09-FRCNN" / "det" / "MOT17-09-FRCNN.deepsort_feat128.npy",
    }
    line = _error(capsys, [a.format(**places) for a in argv])
    assert expected in line, line


def test_bare_det_file_name_runs(
    shared_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(shared_root / "data" / "MOT15" / "train" / "TUD-Campus" / "det")
    assert main(["track", "--det", "det.txt", "--out", str(tmp_path / "r.txt"), "--quiet"]) == 0
    assert (tmp_path / "r.txt").stat().st_size > 0


@pytest.mark.parametrize(
    ("package", "extra", "argv"),
    [
        ("trackeval", "eval", ["demo", "--frames", "5", "--quiet"]),
        ("supervision", "viz", ["demo", "--frames", "5", "--quiet", "--video", "{tmp}/d.mp4"]),
        ("matplotlib", "viz", ["plot", "timeline", "{tmp}/r.txt", "--out", "{tmp}/t.png"]),
    ],
)
def test_a_missing_package_names_its_extra(
    package: str,
    extra: str,
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "r.txt").write_text("1,1,10,10,20,40,1,-1,-1,-1\n")
    (tmp_path / "w").write_bytes(b"0")
    (tmp_path / "000001.jpg").write_bytes(b"0")
    monkeypatch.setitem(sys.modules, package, None)  # import fails as if not installed
    line = _error(capsys, [a.format(tmp=tmp_path) for a in argv])
    assert f"pip install 'mottrack[{extra}]'" in line and package in line, line


def test_the_cnn_embedder_without_torch_is_one_line(
    shared_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    det = shared_root / "data" / "MOT15" / "train" / "TUD-Campus" / "det" / "det.txt"
    monkeypatch.setitem(sys.modules, "torch", None)  # import fails as if not installed
    argv = ["track", "--det", str(det), "--tracker", "deepsort", "--images", "--embedder", "cnn"]
    line = _error(capsys, [*argv, "--out", str(tmp_path / "r.txt"), "--quiet"])
    assert line.startswith("mottrack track: error: create_embedder('cnn') needs PyTorch"), line
    assert "pip install mottrack[torch]" in line and not (tmp_path / "r.txt").exists()


def _parsers(parser: argparse.ArgumentParser, name: str = "mottrack"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, child in action.choices.items():
                yield from _parsers(child, f"{name} {sub}")


def test_every_option_has_help_stating_its_default() -> None:
    missing = []
    for name, parser in _parsers(build_parser()):
        assert "``" not in parser.format_help(), name
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            if isinstance(action, argparse._SubParsersAction):
                continue
            text = action.help or ""
            has_default = action.default not in (None, False, [], argparse.SUPPRESS)
            if not text or (has_default and not action.required and "default" not in text):
                missing.append(f"{name} {action.dest}: {text!r}")
    assert not missing, "\n".join(missing)


def test_fairmot_detector_without_torch_names_the_torch_extra(tmp_path: Path) -> None:
    """In a fresh interpreter where torch cannot be imported: one line, before any frame."""
    (tmp_path / "w.pth").write_bytes(b"0")
    cv2.imwrite(str(tmp_path / "000001.png"), np.zeros((8, 8, 3), np.uint8))
    argv = ["track", str(tmp_path), "--detector", "fairmot", "--weights", str(tmp_path / "w.pth")]
    code = "import sys\nsys.modules['torch'] = None\nfrom mottrack.cli import main\n"
    code += f"sys.exit(main({argv!r}))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and "pip install 'mottrack[torch]'" in proc.stderr


def test_show_without_a_display_is_refused_before_the_work(
    shared_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    data = shared_root / "data"
    det = data / "MOT15" / "train" / "PETS09-S2L1" / "det" / "det.txt"
    out = tmp_path / "r.txt"
    argv = ["track", str(data / "video" / "vtest.avi"), "--det", str(det), "--show"]
    line = _error(capsys, [*argv, "--out", str(out)])
    assert "--show: no display" in line and not out.exists()
