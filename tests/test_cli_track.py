"""``mottrack track SOURCE``: frames from a video, an image folder, a sequence folder; detections
from --det or a detector callable; results, annotated video and JSON summary."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

from mottrack.cli import main
from mottrack.datasets import generate
from mottrack.io import MOTSequence, load_mot_txt
from mottrack.io.sources import open_source


def _summary(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_video_with_scaled_det_gives_the_det_only_tracks_scaled(
    shared_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """vtest.avi is PETS09-S2L1 at 0.625 of MOT15's size: SORT (IoU is scale-free) must give
    the det-only form's IDs on every row and its boxes times 0.625."""
    det = shared_root / "data" / "MOT15" / "train" / "PETS09-S2L1" / "det" / "det.txt"
    video = shared_root / "data" / "video" / "vtest.avi"
    plain, scaled = tmp_path / "plain.txt", tmp_path / "scaled.txt"
    assert main(["track", "--det", str(det), "--out", str(plain), "--quiet"]) == 0
    capsys.readouterr()
    argv = ["track", str(video), "--det", str(det), "--det-scale", "0.625", "--quiet"]
    assert main([*argv, "--out", str(scaled)]) == 0
    summary = _summary(capsys)
    a, b = load_mot_txt(plain), load_mot_txt(scaled)
    assert a.shape == b.shape and len(a) > 3000
    np.testing.assert_array_equal(a[:, :2], b[:, :2])
    np.testing.assert_allclose(b[:, 2:6], a[:, 2:6] * 0.625, atol=0.01)
    assert summary["frames"] == 795 and summary["tracks"] == len(np.unique(a[:, 1]))
    assert summary["result_rows"] == len(a) and summary["out"] == str(scaled)
    assert set(summary["seconds"]) >= {"read", "detect", "embed", "track"}


def test_sequence_folder_and_image_folder_give_the_same_tracks_and_a_video(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = generate(num_frames=25, num_objects=4, seed=3)
    folder = seq.write(tmp_path / "syn", render=True)
    images = tmp_path / "frames"
    images.mkdir()
    for path in sorted((folder / "img1").iterdir()):  # a plain folder: PNG copies, no seqinfo
        cv2.imwrite(str(images / f"{path.stem}.png"), cv2.imread(str(path)))
    one, two, video = tmp_path / "seq.txt", tmp_path / "img.txt", tmp_path / "v" / "out.mp4"
    assert main(["track", str(folder), "--out", str(one), "--video", str(video), "--quiet"]) == 0
    summary = _summary(capsys)
    det = str(folder / "det" / "det.txt")
    assert main(["track", str(images), "--det", det, "--out", str(two), "--quiet"]) == 0
    np.testing.assert_array_equal(load_mot_txt(one), load_mot_txt(two))
    assert load_mot_txt(one).shape[0] > 25
    assert summary["video"] == str(video) and summary["frames"] == 25
    cap = cv2.VideoCapture(str(video))
    count, first = 0, None
    while True:
        ok, image = cap.read()
        if not ok:
            break
        count += 1
        first = image if first is None else first
    assert count == 25
    raw = cv2.imread(str(next(iter(sorted((folder / "img1").iterdir())))))
    assert first is not None and first.shape == raw.shape
    assert np.abs(first.astype(int) - raw).max() > 100  # drawn on (codec noise is far less)
    assert not list(video.parent.glob(".*"))  # no temporary file left beside it


DETECTOR = textwrap.dedent(
    """
    import cv2
    import numpy as np

    def white_boxes(frame):
        mask = (frame.min(axis=2) > 200).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        x, y, w, h = (stats[1:, i].astype(float) for i in range(4))
        return np.stack([x, y, x + w, y + h, np.ones(count - 1)], axis=1)
    """
)


def test_detector_callable_on_a_video(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two white squares moving on black: the module:callable detector finds them and SORT
    keeps one ID each (min_hits=1 so every frame is reported)."""
    (tmp_path / "blobs.py").write_text(DETECTOR)
    monkeypatch.syspath_prepend(str(tmp_path))
    video = tmp_path / "two.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for i in range(12):
        frame = np.zeros((120, 160, 3), np.uint8)
        frame[20:40, 10 + 3 * i : 30 + 3 * i] = 255
        frame[70:100, 120 - 4 * i : 140 - 4 * i] = 255
        writer.write(frame)
    writer.release()
    out = tmp_path / "r.txt"
    argv = ["track", str(video), "--detector", "blobs:white_boxes", "--param", "min_hits=1"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    rows = load_mot_txt(out)
    assert len(rows) == 24 and sorted(np.unique(rows[:, 1])) == [1, 2]
    top = rows[rows[:, 3] < 50]
    assert len(np.unique(top[:, 1])) == 1  # the upper square keeps one ID
    np.testing.assert_allclose(top[:, 2], 10 + 3 * (top[:, 0] - 1), atol=1.5)
    assert _summary(capsys)["frames"] == 12


def test_open_source_kinds(tmp_path: Path) -> None:
    assert open_source("0").kind == "camera"
    assert open_source("rtsp://example.invalid/stream").kind == "camera"
    folder = generate(num_frames=3, num_objects=2, seed=0).write(tmp_path, render=True)
    src = open_source(str(folder))
    assert (src.kind, src.num_frames, src.root) == ("sequence", 3, folder)
    assert [n for n, _ in src.frames()] == [1, 2, 3]
    shutil.copytree(folder / "img1", tmp_path / "plain")
    plain = open_source(str(tmp_path / "plain"))
    assert plain.kind == "images" and plain.num_frames == 3 and plain.root is None


def test_demo_renders_an_annotated_video(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = tmp_path / "demo.mp4"
    assert main(["demo", "--frames", "12", "--objects", "3", "--quiet", "--video", str(video)]) == 0
    assert f"Annotated video: {video}" in capsys.readouterr().out
    cap = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image)
    assert len(frames) == 12 and frames[0].shape[2] == 3
    corner = frames[-1][:20, :60].astype(int)
    assert (corner < 60).mean() > 0.3  # the frame-number label's black background


def test_fairmot_detector_on_resized_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], one_torch_thread: None
) -> None:
    """--detector fairmot runs the network (a tiny untrained one here) on frames resized first
    (--resize, FairMOT's video demo), and the annotated video has the resized size."""
    from mottrack.fairmot.checkpoint import save_checkpoint
    from mottrack.fairmot.model import build_model

    weights = save_checkpoint(tmp_path / "tiny.pth", build_model("dla34_tiny"), epoch=1)
    folder = generate(num_frames=4, num_objects=2, seed=1).write(tmp_path / "syn", render=True)
    video, out = tmp_path / "fm.mp4", tmp_path / "fm.txt"
    argv = ["track", str(folder / "img1"), "--tracker", "fairmot", "--detector", "fairmot"]
    argv += ["--weights", str(weights), "--arch", "dla34_tiny", "--input-size", "160", "96"]
    argv += ["--resize", "320", "192", "--video", str(video), "--out", str(out), "--quiet"]
    assert main(argv) == 0
    summary = _summary(capsys)
    assert summary["frames"] == 4 and summary["seconds"]["detect"] > 0 and out.is_file()
    cap = cv2.VideoCapture(str(video))
    ok, image = cap.read()
    assert ok and image.shape[:2] == (192, 320)


def test_a_gt_file_as_det_is_refused_as_motsequence_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A MOT16/17/20 gt file (9 columns: its column 7 is 'consider', not a score) given as
    --det with a SOURCE fails before tracking, with MOTSequence's own one-line error."""
    folder = generate(num_frames=3, num_objects=2, seed=0).write(tmp_path / "s", render=True)
    gt = tmp_path / "gt.txt"
    gt.write_text("1,1,10,10,20,40,1,1,1\n2,1,12,10,20,40,0,1,1\n")
    with pytest.raises(ValueError, match="9 columns") as refused:
        _ = MOTSequence(folder, det_file=gt).detections
    out = tmp_path / "r.txt"
    argv = ["track", str(folder / "img1"), "--det", str(gt), "--out", str(out), "--quiet"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == f"mottrack track: error: {refused.value}\n"
    assert captured.out == "" and not out.exists()


STOPPER = textwrap.dedent(
    """
    import numpy as np

    calls = 0

    def stop_at_five(frame):
        global calls
        calls += 1
        if calls == 5:
            raise KeyboardInterrupt  # as Ctrl-C on a camera that never ends
        return np.array([[10.0, 10.0, 30.0, 50.0, 0.9]])
    """
)


def test_ctrl_c_keeps_the_frames_tracked_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "stopper.py").write_text(STOPPER)
    monkeypatch.syspath_prepend(str(tmp_path))
    folder = generate(num_frames=8, num_objects=2, seed=0).write(tmp_path / "s", render=True)
    out, video = tmp_path / "r.txt", tmp_path / "v.mp4"
    argv = ["track", str(folder / "img1"), "--detector", "stopper:stop_at_five", "--quiet"]
    argv += ["--param", "min_hits=1", "--out", str(out), "--video", str(video)]
    assert main(argv) == 130
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["stopped"] is True and summary["frames"] == 4
    assert "interrupted after 4 frames" in captured.err and "Traceback" not in captured.err
    assert load_mot_txt(out)[:, 0].tolist() == [1, 2, 3, 4]
    assert int(cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FRAME_COUNT)) == 4
