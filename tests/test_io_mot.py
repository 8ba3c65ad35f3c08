"""Tests of mottrack.io.mot: MOTChallenge text files, sequences and results writing."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mottrack.boxes import convert
from mottrack.io import (
    MOTSequence,
    ResultsWriter,
    SeqInfo,
    group_by_frame,
    load_mot_txt,
    motfile,
    read_seqinfo,
    write_results,
    write_sequence,
)
from mottrack.types import Tracks

SEQINFO = """[Sequence]
name=demo
imDir=img1
frameRate=25
seqLength={length}
imWidth=640
imHeight=480
imExt=.jpg
"""


def _write(path: Path, text: str, newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode())
    return path


def _make_seq(root: Path, det_text: str, length: int | None = 5) -> Path:
    if length is not None:
        _write(root / "seqinfo.ini", SEQINFO.format(length=length))
    _write(root / "det" / "det.txt", det_text)
    return root


# ----------------------------------------------------------------------------- seqinfo


def test_read_seqinfo_real_file(shared_root: Path) -> None:
    info = read_seqinfo(shared_root / "data/MOT15/train/TUD-Campus/seqinfo.ini")
    assert info == SeqInfo("TUD-Campus", 71, 25.0, 640, 480, "img1", ".jpg")


def test_read_seqinfo_missing_key_names_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path / "seqinfo.ini", SEQINFO.format(length=5).replace("imWidth=640\n", ""))
    with pytest.raises(ValueError, match=r"seqinfo\.ini.*imWidth"):
        read_seqinfo(path)


def test_read_seqinfo_bad_value_and_missing_section(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.ini", SEQINFO.format(length="ten"))
    with pytest.raises(ValueError, match=r"a\.ini.*seqLength.*'ten'"):
        read_seqinfo(path)
    path = _write(tmp_path / "b.ini", "[Other]\nx=1\n")
    with pytest.raises(ValueError, match=r"b\.ini.*\[Sequence\]"):
        read_seqinfo(path)
    with pytest.raises(FileNotFoundError, match=r"missing\.ini"):
        read_seqinfo(tmp_path / "missing.ini")


def test_seqinfo_with_byte_order_mark_is_read_and_utf16_is_named(tmp_path: Path) -> None:
    path = tmp_path / "seqinfo.ini"
    path.write_bytes(b"\xef\xbb\xbf" + SEQINFO.format(length=7).encode())
    assert read_seqinfo(path).seq_length == 7
    path.write_bytes(SEQINFO.format(length=7).encode("utf-16"))
    with pytest.raises(ValueError, match=r"seqinfo\.ini: expected UTF-8 text, got UTF-16"):
        read_seqinfo(path)


def test_seqinfo_optional_keys_default(tmp_path: Path) -> None:
    text = SEQINFO.format(length=3).replace("imDir=img1\n", "").replace("imExt=.jpg\n", "")
    info = read_seqinfo(_write(tmp_path / "seqinfo.ini", text))
    assert (info.im_dir, info.im_ext, info.seq_length) == ("img1", ".jpg", 3)


# ----------------------------------------------------------------------------- load_mot_txt


def test_load_real_det_file(shared_root: Path) -> None:
    rows = load_mot_txt(shared_root / "data/MOT15/train/TUD-Campus/det/det.txt", min_cols=7)
    assert rows.shape == (321, 10) and rows.dtype == np.float64
    np.testing.assert_array_equal(
        rows[0], [1, -1, 281.931, 187.466, 79.93, 209.537, 0.997784, -1, -1, -1]
    )


def test_crlf_fixture_equals_lf_copy(shared_root: Path, tmp_path: Path) -> None:
    src = shared_root / "data/motmetrics/TUD-Campus/test.txt"
    assert b"\r\n" in src.read_bytes()
    lf = tmp_path / "lf.txt"
    lf.write_bytes(src.read_bytes().replace(b"\r\n", b"\n"))
    crlf = load_mot_txt(src)
    assert crlf.shape == (222, 10)
    np.testing.assert_array_equal(crlf, load_mot_txt(lf))


def test_separators_blank_lines_trailing_commas(tmp_path: Path) -> None:
    expected = np.array([[1, 2, 10, 20, 5, 6, 0.5], [2, 3, 11.5, 21, 5, 6, 0.25]])
    variants = {
        "comma.txt": "1,2,10,20,5,6,0.5\n2,3,11.5,21,5,6,0.25\n",
        "space.txt": "1 2 10 20 5 6 0.5\n2\t3  11.5 21 5 6 0.25",
        "blank.txt": "\n1,2,10,20,5,6,0.5\n   \n\n2,3,11.5,21,5,6,0.25\n\n",
        "trail.txt": "1, 2, 10, 20, 5, 6, 0.5,\n2, 3, 11.5, 21, 5, 6, 0.25,\n",
    }
    for name, text in variants.items():
        for newline in ("\n", "\r\n"):
            got = load_mot_txt(_write(tmp_path / newline.encode().hex() / name, text, newline))
            np.testing.assert_array_equal(got, expected, err_msg=f"{name} {newline!r}")


def test_empty_file_gives_zero_rows(tmp_path: Path) -> None:
    assert load_mot_txt(_write(tmp_path / "e.txt", ""), min_cols=7).shape == (0, 7)
    assert load_mot_txt(_write(tmp_path / "b.txt", "\n \n"), min_cols=6).shape == (0, 6)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.txt"):
        load_mot_txt(tmp_path / "nope.txt")


GOOD = "1,-1,10,20,30,40,0.9,-1,-1,-1"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("1,-1,10,abc,30,40,0.9,-1,-1,-1", "column 4: expected a number, got 'abc'"),
        ("1,-1,10,20", "at least 6 columns, got 4"),
        ("1,-1,10,20,30,40,0.9", "10 columns"),
        ("1,-1,nan,20,30,40,0.9,-1,-1,-1", "column 3: expected finite"),
        ("1,-1,10,20,inf,40,0.9,-1,-1,-1", "column 5: expected finite"),
        ("1.5,-1,10,20,30,40,0.9,-1,-1,-1", "column 1: expected an integer frame"),
        ("0,-1,10,20,30,40,0.9,-1,-1,-1", "frame"),
        ("2,-1,10,20,-30,40,0.9,-1,-1,-1", "width and height"),
        ("2,-1,10,20,30,-0.5,0.9,-1,-1,-1", "width and height"),
        ("2,-1,10,,30,40,0.9,-1,-1,-1", "column 4: expected a number, got ''"),
    ],
)
def test_malformed_line_names_file_line_and_text(tmp_path: Path, bad: str, reason: str) -> None:
    path = _write(tmp_path / "det.txt", f"{GOOD}\n\n{GOOD}\n{bad}\n{GOOD}\n", "\r\n")
    with pytest.raises(ValueError) as info:
        load_mot_txt(path, min_cols=6)
    msg = str(info.value)
    assert str(path) in msg and "line 4" in msg and reason in msg
    assert bad[:10] in msg


def test_first_error_in_file_order(tmp_path: Path) -> None:
    # A NaN on line 2 is reported before a non-numeric field on line 3.
    path = _write(tmp_path / "d.txt", f"{GOOD}\n1,-1,nan,1,1,1,1\n1,x,1,1,1,1,1\n")
    with pytest.raises(ValueError, match="line 2"):
        load_mot_txt(path)


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "det.txt"
    path.write_bytes(b"\xef\xbb\xbf" + f"{GOOD}\r\n{GOOD}\r\n".encode())
    np.testing.assert_array_equal(
        load_mot_txt(path), [[1, -1, 10, 20, 30, 40, 0.9, -1, -1, -1]] * 2
    )


@pytest.mark.parametrize(
    ("first_line", "message"),
    [
        (
            b"frame,id,x,y,w,h,score\n",
            r"line 1: column 1: expected a number, got 'frame' \(a header",
        ),
        (b"1;-1;10;20;30;40;0.9\n", r"line 1: column 1: expected fields separated by commas or "),
        (b"1,-1,10,20,30,40,0.9\n\x89PNG\r\n\x1a\n", r"line 2, column 1: expected UTF-8 text"),
        (b"1,-1,10\x0020\n", r"line 1, column 8: expected UTF-8 text, got the byte 0x00"),
        (GOOD.encode("utf-16"), r"expected UTF-8 text, got UTF-16 \(byte order mark FF FE\)"),
        (GOOD.encode("utf-16-le"), r"line 1, column 2: expected UTF-8 text"),
    ],
    ids=["header", "semicolons", "binary", "nul", "utf16", "utf16-no-bom"],
)
def test_unreadable_first_line_names_file_line_and_column(
    tmp_path: Path, first_line: bytes, message: str
) -> None:
    path = tmp_path / "det.txt"
    path.write_bytes(first_line)
    with pytest.raises(ValueError, match=message) as info:
        load_mot_txt(path, min_cols=7)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_valid_file_takes_fast_path(shared_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise AssertionError("line-by-line scan used for a valid file")

    monkeypatch.setattr(motfile, "_scan", fail)
    rows = load_mot_txt(shared_root / "data/MOT15/train/ADL-Rundle-8/det/det.txt", min_cols=7)
    assert rows.shape == (5203, 10)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 30),
            st.integers(1, 99),
            *[st.integers(-5000, 500000).map(lambda v: v / 100) for _ in range(2)],
            *[st.integers(0, 50000).map(lambda v: v / 100) for _ in range(3)],
        ),
        max_size=40,
    )
)
def test_write_results_load_round_trip(
    tmp_path_factory: pytest.TempPathFactory, rows: list
) -> None:
    arr = np.array(rows, dtype=np.float64).reshape(-1, 7)
    path = tmp_path_factory.mktemp("rt") / "res.txt"
    write_results(path, arr)
    back = load_mot_txt(path, min_cols=7)
    order = np.lexsort((arr[:, 1], arr[:, 0]))
    np.testing.assert_array_equal(back[:, :7], arr[order])
    assert back.shape[1] == (10 if len(arr) else 7) and np.all(back[:, 7:] == -1)


# ----------------------------------------------------------------------------- grouping


def test_group_by_frame_stable_with_out_of_order_frames() -> None:
    rows = np.array([[3, 0], [1, 1], [3, 2], [1, 3], [2, 4], [3, 5], [1, 6]], dtype=float)
    groups = group_by_frame(rows, 4)
    assert [g[:, 1].tolist() for g in groups] == [[1, 3, 6], [4], [0, 2, 5], []]
    assert groups[3].shape == (0, 2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 12), max_size=80), st.integers(12, 15))
def test_group_by_frame_matches_reference_mask(frames: list[int], num_frames: int) -> None:
    rows = np.column_stack([frames, np.arange(len(frames))]).astype(float).reshape(-1, 2)
    groups = group_by_frame(rows, num_frames)
    assert len(groups) == num_frames
    for f, group in enumerate(groups, start=1):
        np.testing.assert_array_equal(group, rows[rows[:, 0] == f])  # SORT's per-frame mask


def test_group_by_frame_rejects_out_of_range_frames() -> None:
    with pytest.raises(ValueError, match=r"1\.\.3.*got 4"):
        group_by_frame(np.array([[1.0, 0], [4.0, 0]]), 3)
    with pytest.raises(ValueError, match=r"got 1\.5"):
        group_by_frame(np.array([[1.5, 0]]), 3)
    assert group_by_frame(np.zeros((0, 10)), 0) == []


# ----------------------------------------------------------------------------- MOTSequence


def test_sequence_frames_real_tud_campus(shared_root: Path) -> None:
    seq = MOTSequence(shared_root / "data/MOT15/train/TUD-Campus")
    assert (seq.name, len(seq), seq.has_images) == ("TUD-Campus", 71, False)
    frames = list(seq.frames())
    assert [f for f, _ in frames] == list(range(1, 72))
    assert sum(len(d) for _, d in frames) == 321
    rows = seq.detections[seq.detections[:, 0] == 1]
    np.testing.assert_allclose(frames[0][1].xyxy, convert(rows[:, 2:6], "xywh", "xyxy"))
    np.testing.assert_array_equal(frames[0][1].scores, rows[:, 6])
    assert seq.gt.shape == (359, 10)
    assert seq.image_path(7) == seq.root / "img1" / "000007.jpg"
    with pytest.raises(ValueError, match=r"1\.\.71"):
        seq.image_path(72)


def test_sequence_empty_frames_before_first_detection(shared_root: Path) -> None:
    seq = MOTSequence(shared_root / "data/MOT15/train/KITTI-13")
    counts = [len(d) for _, d in seq.frames()]
    assert len(counts) == 340 and counts[:3] == [0, 0, 0] and counts[3] > 0
    assert sum(counts) == 945


def test_sequence_other_det_file_and_min_score(shared_root: Path) -> None:
    root = shared_root / "data/MOT15/train/TUD-Campus"
    acf = MOTSequence(root, det_file="det/det_acf_public.txt")
    assert acf.detections.shape[0] == 322
    kept = MOTSequence(root, det_file="det/det_acf_public.txt", min_score=20.0)
    n = sum(len(d) for _, d in kept.frames())
    assert n == int((acf.detections[:, 6] >= 20.0).sum()) and 0 < n < 322
    assert all((d.scores >= 20.0).all() for _, d in kept.frames())


def test_sequence_features_carry_embeddings(shared_root: Path) -> None:
    root = shared_root / "data/MOT17/train/MOT17-05-FRCNN"
    npy = root / "det" / "MOT17-05-FRCNN.deepsort_feat128.npy"
    seq = MOTSequence(root, features=npy)
    plain = MOTSequence(root)
    np.testing.assert_array_equal(seq.detections, plain.detections)  # det.txt == npy[:, :7]
    feats = np.load(npy)
    frames = list(seq.frames())
    assert len(frames) == 837
    first = feats[feats[:, 0] == 1]
    np.testing.assert_array_equal(frames[0][1].embeddings, first[:, 7:])
    assert all(d.embeddings is not None and d.embeddings.shape[1] == 128 for _, d in frames)


def test_out_of_order_det_file_grouped_stably(tmp_path: Path) -> None:
    lines = [
        "2,-1,1,1,10,10,0.1",
        "1,-1,2,2,10,10,0.2",
        "2,-1,3,3,10,10,0.3",
        "1,-1,4,4,10,10,0.4",
        "2,-1,5,5,10,10,0.5",
    ]
    seq = MOTSequence(_make_seq(tmp_path / "s", "\n".join(lines), length=3))
    scores = [d.scores.tolist() for _, d in seq.frames()]
    assert scores == [[0.2, 0.4], [0.1, 0.3, 0.5], []]


def test_empty_det_file_yields_every_frame_empty(tmp_path: Path) -> None:
    seq = MOTSequence(_make_seq(tmp_path / "s", "", length=5))
    frames = list(seq.frames())
    assert [f for f, _ in frames] == [1, 2, 3, 4, 5]
    assert all(len(d) == 0 and d.xyxy.shape == (0, 4) for _, d in frames)


def test_missing_seqinfo_falls_back(tmp_path: Path) -> None:
    seq = MOTSequence(_make_seq(tmp_path / "MySeq", "4,-1,1,1,2,2,1\n2,-1,1,1,2,2,1\n", None))
    assert (seq.name, seq.info.seq_length, len(list(seq.frames()))) == ("MySeq", 4, 4)


def test_det_frame_beyond_seq_length_names_file(tmp_path: Path) -> None:
    seq = MOTSequence(_make_seq(tmp_path / "s", "9,-1,1,1,2,2,1\n", length=5))
    with pytest.raises(ValueError, match=r"det\.txt.*1\.\.5.*got 9"):
        list(seq.frames())


def test_gt_file_given_as_det_file_is_refused(shared_root: Path, tmp_path: Path) -> None:
    """MOT16/17/20 gt rows have 9 columns (consider, class, visibility): column 7 is no score."""
    gt = shared_root / "data/MOT17/train/MOT17-09-FRCNN/gt/gt.txt"
    seq = MOTSequence(gt.parent.parent, det_file=gt)
    with pytest.raises(ValueError, match=r"gt\.txt: expected detections .* got 9 columns"):
        list(seq.frames())
    det10 = _make_seq(tmp_path / "s", "1,-1,1,1,2,2,0.5,-1,-1,-1\n", length=1)
    assert MOTSequence(det10).detections.shape == (1, 10)  # det layouts: 7 or 10 columns


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (np.array([{"a": 1}], dtype=object), r"dtype object\), which are never unpickled"),
        (b"not an array", r"not a \.npy file"),
    ],
    ids=["object-dtype", "not-npy"],
)
def test_bad_features_file_names_file_and_expected_form(
    tmp_path: Path, content: object, message: str
) -> None:
    root = _make_seq(tmp_path / "s", "", length=2)
    path = tmp_path / "feats.npy"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.save(path, content)
    with pytest.raises(ValueError, match=message) as info:
        list(MOTSequence(root, features=path).frames())
    assert str(info.value).startswith(f"{path}: expected a .npy float array of shape (N, 7 + D)")


def test_sequence_missing_folder_and_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        MOTSequence(tmp_path / "nowhere")
    seq = MOTSequence(_make_seq(tmp_path / "s", "", length=2))
    with pytest.raises(FileNotFoundError, match=r"gt\.txt"):
        _ = seq.gt


# ----------------------------------------------------------------------------- writing


def test_write_results_format_sorted(tmp_path: Path) -> None:
    rows = np.array(
        [[2, 5, 1.0, 2.0, 3.0, 4.0, 0.5], [1, 7, 1.234, 2, 3, 4, 1], [1, 3, 0, 0, 1, 1, 1]]
    )
    path = tmp_path / "deep" / "er" / "res.txt"
    write_results(path, rows)
    assert path.read_text().splitlines() == [
        "1,3,0.00,0.00,1.00,1.00,1.00,-1,-1,-1",
        "1,7,1.23,2.00,3.00,4.00,1.00,-1,-1,-1",
        "2,5,1.00,2.00,3.00,4.00,0.50,-1,-1,-1",
    ]


@pytest.mark.parametrize(
    "rows",
    [np.zeros((3, 4)), np.array([[1, 1, 0, 0, np.nan, 1, 1]]), np.array([[0, 1, 0, 0, 1, 1, 1]])],
)
def test_write_results_invalid_rows_keep_existing_file(tmp_path: Path, rows: np.ndarray) -> None:
    path = tmp_path / "res.txt"
    path.write_text("old contents\n")
    with pytest.raises(ValueError, match="rows"):
        write_results(path, rows)
    assert path.read_text() == "old contents\n"
    assert os.listdir(tmp_path) == ["res.txt"]


def test_write_results_failure_during_replace_is_atomic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "res.txt"
    path.write_text("old contents\n")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_results(path, np.array([[1, 1, 0, 0, 1, 1, 1.0]]))
    assert path.read_text() == "old contents\n"
    assert os.listdir(tmp_path) == ["res.txt"]  # the temp file was removed


def test_results_writer_accumulates_tracks(tmp_path: Path) -> None:
    writer = ResultsWriter()
    t1 = Tracks(np.array([2, 1]), np.array([[0, 0, 10, 20], [5, 5, 7.5, 9]]), np.ones(2), [0, 1])
    writer.add(1, t1)
    writer.add(2, Tracks.empty())
    writer.add(3, Tracks(np.array([1]), np.array([[1, 2, 3, 4.0]]), np.array([0.7]), [-1]))
    assert writer.rows.shape == (3, 10) and len(writer) == 3
    writer.write(tmp_path / "r.txt")
    back = load_mot_txt(tmp_path / "r.txt")
    np.testing.assert_allclose(back[:, :7], [[1, 1, 5, 5, 2.5, 4, 1], [1, 2, 0, 0, 10, 20, 1],
                                             [3, 1, 1, 2, 2, 2, 0.7]])  # fmt: skip
    with pytest.raises(ValueError, match="frame"):
        writer.add(0, t1)


def test_write_sequence_round_trip(tmp_path: Path) -> None:
    info = SeqInfo("seqA", 3, 30.0, 320, 240)
    gt = np.array([[1, 1, 10, 20, 30, 40, 1, 1, 0.75], [3, 2, 0, 0, 5.5, 6.25, 1, 1, 1]])
    det = np.array([[2, -1, 1, 2, 3, 4, 0.875, -1, -1, -1]])
    root = write_sequence(tmp_path / "seqA", info, gt, det)
    seq = MOTSequence(root)
    assert seq.info == info
    np.testing.assert_array_equal(seq.gt, gt)
    np.testing.assert_array_equal(seq.detections, det)
    assert [len(d) for _, d in seq.frames()] == [0, 1, 0]


def test_video_frames(shared_root: Path, tmp_path: Path) -> None:
    from mottrack.io import video_frames

    video = shared_root / "data" / "video" / "vtest.avi"
    got = list(video_frames(video, 3, 5))
    assert [f for f, _ in got] == [3, 4, 5]
    assert all(img.shape == (360, 480, 3) and img.dtype == np.uint8 for _, img in got)
    assert not np.array_equal(got[0][1], got[2][1])
    with pytest.raises(ValueError, match="ended after 795 frames"):
        list(video_frames(video, 790, 800))
    with pytest.raises(FileNotFoundError, match="not found"):
        list(video_frames(tmp_path / "none.avi"))
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"not a video")
    with pytest.raises(ValueError, match=r"bad\.avi"):
        list(video_frames(bad))
    with pytest.raises(ValueError, match="first <= last"):
        list(video_frames(video, 5, 2))


def test_iter_detections_carries_classes_per_row() -> None:
    """``classes`` follow their rows through the frame grouping and the score filter."""
    from mottrack.io import iter_detections

    rows = np.array(
        [
            [2, -1, 10, 10, 5, 5, 0.9],
            [1, -1, 0, 0, 5, 5, 0.8],
            [2, -1, 20, 20, 5, 5, 0.1],
            [2, -1, 30, 30, 5, 5, 0.7],
        ]
    )
    frames = dict(iter_detections(rows, 3, classes=np.array([4, 7, 9, 2]), min_score=0.5))
    np.testing.assert_array_equal(frames[1].classes, [7])
    np.testing.assert_array_equal(frames[2].classes, [4, 2])
    np.testing.assert_array_equal(frames[2].xyxy[:, 0], [10, 30])
    assert frames[3].classes is not None and len(frames[3].classes) == 0
    with pytest.raises(ValueError, match=r"rows: expected classes of shape \(4,\), got \(3,\)"):
        next(iter_detections(rows, 3, classes=np.array([1, 2, 3])))
