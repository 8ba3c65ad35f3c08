"""``mottrack run`` and :mod:`mottrack.jobs`: discovery, parallel = serial, failures, resume."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from jobs_helpers import mot15_root, read_all, rendered_root

from mottrack._extras import import_extra
from mottrack.cli import main
from mottrack.jobs import LocalEngine, MissingExtraError, discover

REPO = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"(\d+) run \((\d+) failed\), (\d+) skipped")


def counts(out: str) -> tuple[int, int, int]:
    """``(run, failed, skipped)`` from ``mottrack run``'s last table line."""
    found = SUMMARY.search(out)
    assert found, out
    return int(found[1]), int(found[2]), int(found[3])


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four rendered synthetic sequences of 30, 37, 44 and 51 frames (read only)."""
    return rendered_root(tmp_path_factory.mktemp("rendered"), count=4)


@pytest.fixture(scope="module")
def deepsort_serial(rendered: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DeepSORT (histogram embedder on the frames) over ``rendered``, one worker."""
    out = tmp_path_factory.mktemp("serial")
    assert main(["run", "--root", str(rendered), "--tracker", "deepsort", "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    return out


def test_discover_orders_longest_first(shared_root: Path, tmp_path: Path) -> None:
    jobs = discover(shared_root / "data" / "MOT15" / "train")
    assert len(jobs) == 11
    lengths = [j.num_frames for j in jobs]
    assert lengths == sorted(lengths, reverse=True)
    assert (jobs[0].name, jobs[0].num_frames) == ("ETH-Bahnhof", 1000)
    assert jobs[-1].name == "TUD-Campus"
    one = discover(shared_root / "data" / "MOT15" / "train" / "KITTI-17")
    assert [(j.name, j.kind, j.num_frames) for j in one] == [("KITTI-17", "mot", 145)]
    with pytest.raises(ValueError, match="--root: expected sequence folders"):
        discover(tmp_path)


def test_workers_two_equal_one_worker_and_the_track_command(
    rendered: Path, deepsort_serial: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "two"
    assert main(["run", "--root", str(rendered), "--tracker", "deepsort", "--out", str(out),
                 "--workers", "2", "--quiet"]) == 0  # fmt: skip
    assert counts(capsys.readouterr().out) == (4, 0, 0)
    serial = read_all(deepsort_serial)
    assert len(serial) == 4 and all(serial.values())
    assert read_all(out) == serial
    # Each file is what the one-sequence command writes for that sequence.
    single = tmp_path / "single.txt"
    det = rendered / "SYN-03" / "det" / "det.txt"
    assert main(["track", "--tracker", "deepsort", "--det", str(det), "--images",
                 "--out", str(single), "--quiet"]) == 0  # fmt: skip
    assert single.read_bytes() == serial["SYN-03.txt"]


def test_failed_sequences_are_named_and_counted(
    rendered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "root"
    shutil.copytree(rendered, root, symlinks=True)
    for name in ("BAD-1", "BAD-2"):
        (root / name / "det").mkdir(parents=True)
        (root / name / "det" / "det.txt").write_text("1,-1,oops\n")
    out = tmp_path / "out"
    code = main(["run", "--root", str(root), "--out", str(out), "--workers", "2", "--quiet"])
    captured = capsys.readouterr()
    assert code == 2  # two failed
    assert counts(captured.out) == (6, 2, 0)
    for name in ("BAD-1", "BAD-2"):
        line = next(x for x in captured.err.splitlines() if x.startswith(f"mottrack run: {name}"))
        assert "failed: ValueError" in line and "det.txt" in line
    assert sorted(read_all(out)) == [f"SYN-0{i}.txt" for i in range(1, 5)]
    entries = json.loads((out / "manifest.json").read_text())["entries"]
    assert sorted(entries) == [f"SYN-0{i}" for i in range(1, 5)]
    shutil.rmtree(root / "BAD-2")
    assert main(["run", "--root", str(root), "--out", str(out), "--quiet"]) == 1
    assert counts(capsys.readouterr().out) == (1, 1, 4)  # only the failed one is retried


KILL_AFTER_TWO = """
import os, signal, sys
from pathlib import Path
from mottrack.jobs import RunSpec, SerialEngine, Task, discover, run_tasks
seen = []
def kill(outcome):
    seen.append(outcome.task.job.name)
    if len(seen) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
tasks = [Task(j, RunSpec("deepsort"), Path(sys.argv[2]), j.name) for j in discover(sys.argv[1])]
run_tasks(tasks, SerialEngine(), on_result=kill)
"""


def test_rerun_after_sigkill_redoes_only_the_rest(
    rendered: Path, deepsort_serial: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_TWO, str(rendered), str(out)], env=env, cwd=REPO,
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    entries = json.loads((out / "manifest.json").read_text())["entries"]
    assert sorted(entries) == ["SYN-03", "SYN-04"]  # the longest two ran first
    assert main(["run", "--root", str(rendered), "--tracker", "deepsort", "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    table = capsys.readouterr().out
    assert counts(table) == (2, 0, 2)
    assert re.search(r"SYN-04 .*done before \(skipped\)", table)
    assert re.search(r"SYN-01 +30 .* ok", table)
    assert read_all(out) == read_all(deepsort_serial)


def test_changed_parameters_or_inputs_invalidate_entries(
    rendered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "root"
    shutil.copytree(rendered, root)
    out = tmp_path / "out"
    run = ["run", "--root", str(root), "--out", str(out), "--quiet"]
    assert main(run) == 0 and counts(capsys.readouterr().out) == (4, 0, 0)
    assert main(run) == 0 and counts(capsys.readouterr().out) == (0, 0, 4)
    first = read_all(out)
    assert main([*run, "--param", "max_age=3"]) == 0
    assert counts(capsys.readouterr().out) == (4, 0, 0)
    assert main([*run, "--param", "max_age=3"]) == 0
    assert counts(capsys.readouterr().out) == (0, 0, 4)
    det = root / "SYN-02" / "det" / "det.txt"
    stat = det.stat()
    os.utime(det, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    (out / "SYN-04.txt").unlink()
    assert main(run) == 0
    table = capsys.readouterr().out
    assert counts(table) == (4, 0, 0)  # back to the default max_age: every entry differs
    assert read_all(out) == first
    os.utime(det, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2 * 10**9))
    (out / "SYN-04.txt").unlink()
    assert main(run) == 0
    table = capsys.readouterr().out
    assert counts(table) == (2, 0, 2)
    ran = {line.split()[0] for line in table.splitlines() if line.endswith(" ok")}
    assert ran == {"SYN-02", "SYN-04"}
    assert read_all(out) == first


def test_videos_with_detections_beside_them(
    rendered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    seq = rendered / "SYN-01"
    writer = cv2.VideoWriter(str(videos / "SYN-01.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10,
                             (480, 360))  # fmt: skip
    for i in range(1, 31):
        writer.write(cv2.imread(str(seq / "img1" / f"{i:06d}.jpg")))
    writer.release()
    shutil.copyfile(seq / "det" / "det.txt", videos / "SYN-01.det.txt")
    [job] = discover(videos)
    assert (job.kind, job.num_frames) == ("video", 30)
    out, mot = tmp_path / "out", tmp_path / "mot"
    assert main(["run", "--root", str(videos), "--out", str(out), "--quiet"]) == 0
    assert main(["run", "--root", str(seq), "--out", str(mot), "--quiet"]) == 0
    assert read_all(out) == read_all(mot)  # SORT: the same detections, the same results
    code = main(["run", "--root", str(videos), "--tracker", "deepsort", "--out",
                 str(tmp_path / "ds"), "--quiet"])  # fmt: skip
    assert code == 0
    assert re.search(r"SYN-01 +30 .* ok", capsys.readouterr().out)


def test_user_mistakes_are_one_line(
    shared_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = mot15_root(tmp_path / "root", shared_root, ("TUD-Campus",))
    out = tmp_path / "out"
    assert main(["run", "--root", str(root), "--out", str(out), "--param", "nope=1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mottrack run: error: --param: unknown key 'nope'")
    assert "\n" not in err
    assert main(["run", "--root", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "--root: folder not found" in capsys.readouterr().err
    out.mkdir()
    (out / "manifest.json").write_text("{not json")
    assert main(["run", "--root", str(root), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "manifest.json: expected a mottrack manifest" in err and "delete it" in err
    assert main(["run", "--root", str(root), "--out", str(out), "--quiet", "--fresh"]) == 0


def test_missing_extra_names_it() -> None:
    with pytest.raises(MissingExtraError, match=r"pip install 'mottrack\[ray\]'") as info:
        import_extra("mottrack_no_such_module", "--engine ray", "ray")
    assert isinstance(info.value, ValueError)  # the command prints it as one line


def test_pool_workers_run_one_blas_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # a user's setting is kept
    names = [("OMP_NUM_THREADS",), ("OPENBLAS_NUM_THREADS",), ("MKL_NUM_THREADS",)]
    with LocalEngine(2) as engine:
        seen = dict(engine.imap(os.getenv, names))
    assert seen[0] == "1" and seen[2] == "3"
    assert "OMP_NUM_THREADS" not in os.environ  # the parent's environment is put back
