"""The ``mottrack`` command never answers a user's mistake with a traceback, checks its outputs
before the work and never loses finished results to a failed write."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import mottrack
from mottrack import cli
from mottrack.cli import main
from mottrack.io import load_mot_txt

TUD = Path("data") / "MOT15" / "train" / "TUD-Campus"


class Forbidden:
    """Stands in for the work a command must not start; records any call."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> None:
        self.calls += 1
        raise AssertionError("the work started before the output was checked")


@pytest.fixture()
def places(tmp_path: Path) -> dict[str, Path]:
    """A regular file and a directory that cannot serve as the opposite kind of output."""
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me\n")
    a_dir = tmp_path / "a_dir"
    a_dir.mkdir()
    return {"file": a_file, "dir": a_dir}


def _one_line_error(capsys: pytest.CaptureFixture[str], prefix: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith(prefix) and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("out", "why"),
    [
        ("", "expected a file path, got an empty one"),
        ("{dir}", "it is a directory"),
        ("{file}/results.txt", "a_file is a file, not a folder"),
        ("{file}/deeper/results.txt", "a_file is a file, not a folder"),
        (os.devnull, "it exists and is not a regular file"),
        ("{dir}/" + "x" * 300 + ".txt", "the file name is too long"),
    ],
    ids=["empty", "directory", "under-a-file", "deep-under-a-file", "device", "long-name"],
)
def test_track_refuses_an_unwritable_out_before_tracking(
    shared_root: Path,
    places: dict[str, Path],
    out: str,
    why: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    forbidden = Forbidden()
    monkeypatch.setattr("mottrack.pipeline.track_frames", forbidden)
    out = out.format(**places)
    det = shared_root / TUD / "det" / "det.txt"
    assert main(["track", "--det", str(det), "--out", out, "--quiet"]) == 2
    err = _one_line_error(capsys, f"mottrack track: error: --out: cannot write {out!r}: ")
    assert why in err
    assert forbidden.calls == 0
    assert places["file"].read_text() == "keep me\n"


def test_out_in_a_folder_that_is_not_writable_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A read-only folder or file system: creating a file there fails (simulated, since root,
    who runs some test machines, may write to a chmod 0o555 folder)."""
    forbidden = Forbidden()
    monkeypatch.setattr("mottrack.datasets.generate", forbidden)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / "new" / "demo"
    assert main(["demo", "--out", str(out), "--quiet"]) == 2
    err = _one_line_error(capsys, f"mottrack demo: error: --out: cannot write {str(out)!r}: ")
    assert f"the folder {tmp_path} is not writable ({os.strerror(errno.EROFS)})" in err
    assert forbidden.calls == 0


@pytest.mark.parametrize(
    ("argv", "work", "why"),
    [
        (["demo", "--quiet", "--out", ""], "mottrack.datasets.generate", "empty"),
        (["demo", "--quiet", "--out", "{file}"], "mottrack.datasets.generate", "it is a file"),
        (
            ["train", "reid", "--data", "x", "--out", "{file}/run"],
            "mottrack.deepsort.train.train_reid",
            "a_file is a file, not a folder",
        ),
        (
            ["train", "fairmot", "--data", "x.json", "--out", "{file}"],
            "mottrack.fairmot.train.train_fairmot",
            "it is a file",
        ),
        (
            ["convert", "mot", "--seq", "x", "--out", "{file}"],
            "mottrack.fairmot.data.convert.convert_mot",
            "it is a file",
        ),
        (
            ["convert", "video", "--video", "v.avi", "--gt", "gt.txt", "--out", ""],
            "mottrack.fairmot.data.video.convert_video",
            "empty",
        ),
        (
            ["eval", "--gt-root", "g", "--results", "r", "--json", "{dir}"],
            "mottrack.eval.evaluate",
            "it is a directory",
        ),
    ],
    ids=["demo-empty", "demo-file", "train-reid", "train-fairmot", "convert-mot", "video", "eval"],
)
def test_every_command_checks_its_output_before_the_work(
    places: dict[str, Path],
    argv: list[str],
    work: str,
    why: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    forbidden = Forbidden()
    monkeypatch.setattr(work, forbidden)
    argv = [arg.format(**places) for arg in argv]
    assert main(argv) == 2
    option = "--json" if "--json" in argv else "--out"
    err = _one_line_error(capsys, "mottrack ")
    assert f"error: {option}: cannot write " in err and why in err
    assert forbidden.calls == 0


def _fallback_named(err: str) -> Path:
    found = re.search(r"the results were saved to (\S+) instead", err)
    assert found, err
    return Path(found.group(1))


def test_track_results_survive_a_full_disk_at_the_end(
    shared_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    full_disk: Callable[[Path], None],
) -> None:
    det = str(shared_root / TUD / "det" / "det.txt")
    good = tmp_path / "good.txt"
    assert main(["track", "--det", det, "--out", str(good), "--quiet"]) == 0
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the fallback goes
    full = tmp_path / "full"
    full.mkdir()
    full_disk(full)
    capsys.readouterr()
    out = full / "TUD-Campus.txt"
    assert main(["track", "--det", det, "--out", str(out), "--quiet"]) == 2
    err = _one_line_error(capsys, f"mottrack track: error: --out: could not write {out} (")
    assert os.strerror(errno.ENOSPC) in err
    fallback = _fallback_named(err)
    assert fallback.parent == tmp_path and not out.exists()
    np.testing.assert_array_equal(load_mot_txt(fallback), load_mot_txt(good))


def test_demo_results_survive_a_full_disk_at_the_end(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    full_disk: Callable[[Path], None],
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    full = tmp_path / "full"
    full.mkdir()
    full_disk(full)
    argv = ["demo", "--frames", "20", "--objects", "4", "--quiet", "--out", str(full / "demo")]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "COMBINED" in captured.out  # the metrics were still computed and printed
    err = captured.err
    assert err.startswith(f"mottrack demo: error: --out: could not write {full / 'demo'} (")
    fallback = _fallback_named(err)
    assert fallback.parent == tmp_path
    assert load_mot_txt(fallback / "results" / "SYNTH-01.txt").shape[0] > 20


def test_bad_features_file_is_a_one_line_error_naming_it(
    shared_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feats = tmp_path / "feats.npy"
    np.save(feats, np.array([[1, -1, 0, 0, 1, 1, 1, "x"]], dtype=object))
    det = shared_root / TUD / "det" / "det.txt"
    argv = ["track", "--tracker", "deepsort", "--det", str(det), "--features", str(feats)]
    assert main([*argv, "--out", str(tmp_path / "r.txt"), "--quiet"]) == 2
    err = _one_line_error(capsys, f"mottrack track: error: {feats}: expected a .npy float array")
    assert "dtype object" in err


def test_unreadable_input_is_a_one_line_error(
    shared_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An OSError (here: permission denied on reading det.txt) is reported, not raised."""
    det = shared_root / TUD / "det" / "det.txt"
    real_open = Path.open

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "det.txt":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", denied)
    assert main(["track", "--det", str(det), "--out", str(tmp_path / "r.txt"), "--quiet"]) == 2
    err = _one_line_error(capsys, "mottrack track: error: [Errno 13] Permission denied: ")
    assert str(det) in err or str(det.resolve()) in err  # as given, or with links resolved


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--seed", "-1"], "argument --seed: expected an integer >= 0, got -1"),
        (["demo", "--frames", "0"], "argument --frames: expected an integer >= 1, got 0"),
        (["demo", "--objects", "0"], "argument --objects: expected an integer >= 1, got 0"),
        (
            ["track", "--det", "d.txt", "--out", "r.txt", "--device", "tpu"],
            "argument --device: expected one of cpu, cuda, cuda:N, mps, got 'tpu'",
        ),
        (
            ["train", "fairmot", "--data", "d.json", "--out", "o", "--device", "tpu"],
            "argument --device: expected one of auto, cpu, cuda, cuda:N, got 'tpu'",
        ),
        (
            ["train", "reid", "--data", "d", "--out", "o", "--seed", "-3"],
            "argument --seed: expected an integer >= 0, got -3",
        ),
    ],
    ids=["seed", "frames", "objects", "track-device", "fairmot-device", "reid-seed"],
)
def test_bad_option_values_are_refused_by_the_parser(
    argv: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for work in ("mottrack.datasets.generate", "mottrack.pipeline.track_frames"):
        monkeypatch.setattr(work, Forbidden())
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].endswith(message) and "Traceback" not in err


def test_version_option_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"mottrack {mottrack.__version__}\n"


def test_ctrl_c_exits_130_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.demo, "run", interrupted)
    try:
        status = main(["demo", "--quiet"])
    except KeyboardInterrupt:  # would end this test session: report it as a failure instead
        pytest.fail("Ctrl-C escaped main() as KeyboardInterrupt (a traceback for the user)")
    assert status == 130
    assert capsys.readouterr().err == "mottrack demo: interrupted\n"


CHILD = """
import sys
import mottrack.datasets
from mottrack.cli import main

real_generate = mottrack.datasets.generate


def generate(*args, **kwargs):  # the demo's work has begun: say so, then go on
    print("ready", flush=True)
    return real_generate(*args, **kwargs)


mottrack.datasets.generate = generate
sys.exit(main(["demo", "--frames", "100000", "--quiet"]))
"""


def test_sigint_during_a_long_demo_exits_130_without_traceback() -> None:
    code = CHILD
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err == "mottrack demo: interrupted\n"
