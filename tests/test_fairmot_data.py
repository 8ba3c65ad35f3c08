"""FairMOT training data: JDE labels and lists, dataset combination, converters, augmentation and
the torch dataset."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from mottrack.datasets import build_synthetic_jde, generate
from mottrack.fairmot.data import (
    JDEIndex,
    convert_mot,
    convert_video,
    hflip,
    jde_sample,
    label_path,
    load_data_config,
    open_data,
    random_affine,
    read_image_list,
    read_labels,
    write_image_list,
    write_labels,
)
from mottrack.io import load_mot_txt

# ----------------------------------------------------------------------------- labels and lists


def test_label_path_rule() -> None:
    assert (
        label_path("MOT17/images/train/MOT17-02-SDP/img1/000001.jpg")
        == "MOT17/labels_with_ids/train/MOT17-02-SDP/img1/000001.txt"
    )
    assert label_path("Caltech/data/images/set00_V000_1271.png") == (
        "Caltech/data/labels_with_ids/set00_V000_1271.txt"
    )
    assert label_path("x/frame.jpg") == "x/frame.txt"  # no 'images': the label sits beside it
    with pytest.raises(ValueError, match="image: expected a path containing 'images'"):
        label_path("x/frame.bmp")


def test_label_round_trip_and_empty_file(tmp_path: Path) -> None:
    rows = np.array([[0, 5, 0.5, 0.25, 0.1, 0.2], [0, -1, -0.01, 1.2, 0.0312345678, 0.4]])
    path = tmp_path / "labels_with_ids" / "a.txt"
    write_labels(path, rows)
    assert path.read_text().splitlines()[1] == "0 -1 -0.010000 1.200000 0.031235 0.400000"
    back = read_labels(path)
    assert back.dtype == np.float32 and back.shape == (2, 6)
    np.testing.assert_allclose(back, rows, atol=1e-6)
    write_labels(path, np.zeros((0, 6)))
    assert path.read_text() == "" and read_labels(path).shape == (0, 6)
    assert not [p for p in path.parent.iterdir() if p.name != "a.txt"]  # no temp files left
    with pytest.raises(ValueError, match=r"labels: expected an array of shape \(N, 6\)"):
        write_labels(path, np.zeros((2, 5)))
    with pytest.raises(ValueError, match="labels: row 0: expected an integer identity >= -1"):
        write_labels(path, [[0, -2, 0.5, 0.5, 0.1, 0.1]])


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("0 1 0.5 0.5 0.1", "expected 6 numbers `class identity x_center y_center width height`"),
        ("0 1 0.5 0.5 0.1 0.2 7", "got 7 fields"),
        ("0 one 0.5 0.5 0.1 0.2", "non-numeric"),
        ("0 -2 0.5 0.5 0.1 0.2", "expected an integer identity >= -1, got -2"),
        ("0 1.5 0.5 0.5 0.1 0.2", "expected an integer identity >= -1, got 1.5"),
        ("-1 1 0.5 0.5 0.1 0.2", "expected an integer class >= 0, got -1"),
        ("0 1 0.5 0.5 -0.1 0.2", "expected width and height >= 0"),
        ("0 1 nan 0.5 0.1 0.2", "expected finite numbers"),
    ],
)
def test_malformed_label_rows_name_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(f"0 1 0.5 0.5 0.1 0.2\n\n{line}\n")
    with pytest.raises(ValueError, match="line 3") as err:
        read_labels(path)
    assert str(path) in str(err.value) and reason in str(err.value)
    with pytest.raises(FileNotFoundError, match="label file not found"):
        read_labels(tmp_path / "missing.txt")


def test_image_list_round_trip(tmp_path: Path) -> None:
    write_image_list(tmp_path / "a.train", ["images/a/1.jpg", "images/a/2.jpg"])
    (tmp_path / "b.train").write_text("  images/b/1.jpg \n\n images/b/2.jpg\r\n")
    assert read_image_list(tmp_path / "a.train") == ["images/a/1.jpg", "images/a/2.jpg"]
    assert read_image_list(tmp_path / "b.train") == ["images/b/1.jpg", "images/b/2.jpg"]


# ----------------------------------------------------------------------------- combining datasets


def _make_dataset(root: Path, name: str, frames: list[list[list[float]]]) -> Path:
    entries = []
    for i, rows in enumerate(frames):
        entry = f"{name}/images/{i:06d}.jpg"
        (root / entry).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / entry), np.full((48, 64, 3), 90, np.uint8))
        write_labels(root / label_path(entry), np.array(rows).reshape(-1, 6))
        entries.append(entry)
    write_image_list(root / "lists" / f"{name}.train", entries)
    return root / "lists" / f"{name}.train"


@pytest.fixture()
def two_datasets(tmp_path: Path) -> Path:
    box = [0.5, 0.5, 0.2, 0.4]
    _make_dataset(tmp_path, "a", [[[0, 3, *box], [0, -1, *box]], [], [[0, 0, *box]]])
    _make_dataset(tmp_path, "b", [[[0, 2, *box]], [[0, 1, *box], [0, -1, *box]]])
    _make_dataset(tmp_path, "c", [[[0, -1, *box]]])
    cfg = {
        "root": "..",
        "train": {"a": "../lists/a.train", "b": "../lists/b.train", "c": "../lists/c.train"},
        "test": {"b": "../lists/b.train"},
    }
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "data.json").write_text(json.dumps(cfg))
    return tmp_path / "cfg" / "data.json"


def test_identity_offsets_and_nid_over_datasets(two_datasets: Path) -> None:
    index = open_data(two_datasets)
    assert [(s.name, s.num_images, s.num_identities, s.start_identity) for s in index.sources] == [
        ("a", 3, 4, 0),
        ("b", 2, 3, 4),
        ("c", 1, 0, 7),
    ]
    assert len(index) == 6 and index.num_identities == 7
    assert index.nID == 8  # JointDataset: sum of (max id + 1) over datasets, plus one
    assert index.item_labels(0)[:, 1].tolist() == [3, -1]
    assert index.item_labels(3)[:, 1].tolist() == [2 + 4]
    assert index.item_labels(4)[:, 1].tolist() == [1 + 4, -1]  # -1 stays -1
    assert index.item_labels(5)[:, 1].tolist() == [-1]
    assert index.labels[3][0, 1] == 2  # the stored rows are not shifted
    assert open_data(two_datasets, split="test").nID == 4
    root, lists = load_data_config(two_datasets)
    assert list(lists) == ["a", "b", "c"] and (root / "a").is_dir()


def test_other_data_forms_and_errors(two_datasets: Path) -> None:
    lists = two_datasets.parent.parent / "lists"
    # a list file alone: entries relative to its folder, which holds no images here
    with pytest.raises(FileNotFoundError, match=r"a\.train: image file not found"):
        open_data(lists / "a.train")
    index = JDEIndex.build({"b": lists / "b.train", "a": lists / "a.train"}, root=lists.parent)
    assert [s.start_identity for s in index.sources] == [0, 3]
    assert open_data(index) is index
    cfg = json.loads(two_datasets.read_text())
    with pytest.raises(ValueError, match=r"expected .*got 'val'"):
        open_data({**cfg, "root": str(lists.parent)}, split="val")
    with pytest.raises(ValueError, match="no string 'root'"):
        open_data({"train": cfg["train"]} | {"root": 3})
    with pytest.raises(ValueError, match="data: expected a data config"):
        open_data(42)
    (lists.parent / "a" / "labels_with_ids" / "000001.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"label file not found: .*000001\.txt"):
        open_data(two_datasets)
    bad = lists.parent / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="expected JSON"):
        open_data(bad)


# ----------------------------------------------------------------------------- MOT converter


@pytest.fixture(scope="module")
def mot_seqs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("mot")
    seqs = []
    for k in range(2):
        seq = generate(
            num_frames=4, width=160, height=96, num_objects=3, height_range=(30.0, 60.0),
            name=f"S-{k}", seed=10 + k,
        )  # fmt: skip
        seqs.append(seq.write(root, render=True))
    # hand edits: seq 0's first row not to consider, its second a distractor (class 7)
    gt_file = seqs[0] / "gt" / "gt.txt"
    lines = gt_file.read_text().splitlines()
    lines[0] = ",".join([*lines[0].split(",")[:6], "0", "1", "1"])
    lines[1] = ",".join([*lines[1].split(",")[:6], "1", "7", "1"])
    gt_file.write_text("\n".join(lines) + "\n")
    return seqs


def test_mot_converter_filters_and_runs_identities(mot_seqs: list[Path], tmp_path: Path) -> None:
    result = convert_mot(mot_seqs, tmp_path / "out", name="syn", link="copy")
    out = tmp_path / "out"
    entries = read_image_list(result.list_file)
    assert result.num_images == len(entries) == 8
    assert entries[0] == "images/S-0/img1/000001.jpg" and entries[4].startswith("images/S-1/")
    assert json.loads(result.data_config.read_text()) == {
        "root": ".",
        "train": {"syn": "syn.train"},
    }
    gts = [load_mot_txt(s / "gt" / "gt.txt") for s in mot_seqs]
    kept = [g[(g[:, 6] != 0) & (g[:, 7] == 1)] for g in gts]
    assert result.num_boxes == sum(len(k) for k in kept) == len(gts[0]) + len(gts[1]) - 2
    n0, n1 = (len(np.unique(k[:, 1])) for k in kept)
    assert result.identities == (1, n0 + n1)
    index = open_data(result.data_config)
    assert index.nID == n0 + n1 + 2  # identity 0 unused (as gen_labels), plus JointDataset's one
    for i, entry in enumerate(entries):
        seq, frame = (0, i + 1) if i < 4 else (1, i - 3)
        g = kept[seq][kept[seq][:, 0] == frame]
        g = g[np.argsort(g[:, 1])]
        ids = np.searchsorted(np.unique(kept[seq][:, 1]), g[:, 1]) + 1 + (n0 if seq else 0)
        expect = np.stack(
            [0 * ids, ids, (g[:, 2] + g[:, 4] / 2) / 160, (g[:, 3] + g[:, 5] / 2) / 96,
             g[:, 4] / 160, g[:, 5] / 96], axis=1,
        )  # fmt: skip
        np.testing.assert_allclose(index.labels[i], expect.reshape(-1, 6), atol=2e-6)
        assert cv2.imread(str(out / entry)).shape == (96, 160, 3)
    first = read_labels(out / "labels_with_ids/S-0/img1/000001.txt")
    assert len(first) == (gts[0][:, 0] == 1).sum() - 2  # the two edited rows are gone


def test_mot15_gt_rule_and_errors(mot_seqs: list[Path], tmp_path: Path) -> None:
    seq = tmp_path / "M15"
    (seq / "gt").mkdir(parents=True)
    (seq / "seqinfo.ini").write_text((mot_seqs[0] / "seqinfo.ini").read_text())
    (seq / "img1").symlink_to(mot_seqs[0] / "img1")
    rows = [
        "1,4,10,10,20,40,1,-1,-1,-1",
        "2,4,12,10,20,40,0,-1,-1,-1",
        "1,2,50,20,10,30,1,-1,-1,-1",
    ]
    (seq / "gt" / "gt.txt").write_text("\n".join(rows) + "\n")
    result = convert_mot([seq], tmp_path / "out", link="symlink", start_identity=5)
    assert result.num_boxes == 2 and result.identities == (5, 6)
    labels = read_labels(tmp_path / "out/labels_with_ids/M15/img1/000001.txt")
    assert labels[:, 1].tolist() == [5, 6]  # sorted by gt id: 2 -> 5, 4 -> 6
    assert read_labels(tmp_path / "out/labels_with_ids/M15/img1/000002.txt").shape == (0, 6)
    assert (tmp_path / "out/images/M15/img1/000001.jpg").is_symlink()
    with pytest.raises(ValueError, match="sequence name 'M15' given twice"):
        convert_mot([seq, seq], tmp_path / "o2")
    (seq / "gt" / "gt.txt").write_text("9,1,1,1,5,5,1,-1,-1,-1\n")
    with pytest.raises(ValueError, match=r"expected frames in 1\.\.4 \(seqLength\), got 9"):
        convert_mot([seq], tmp_path / "o3")
    (seq / "gt" / "gt.txt").write_text("1,1,1,1,5,5,1\n")
    with pytest.raises(ValueError, match="cannot infer the gt format from 7 columns"):
        convert_mot([seq], tmp_path / "o4")
    assert not (tmp_path / "o3").exists() and not (tmp_path / "o4").exists()


# ----------------------------------------------------------------------------- video converter


def _write_video(path: Path, frames: int = 8) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    assert writer.isOpened()
    for i in range(frames):
        img = np.full((48, 64, 3), 40, np.uint8)
        img[10:30, 4 + 4 * i : 14 + 4 * i] = (0, 255, 0)
        writer.write(img)
    writer.release()


def test_video_converter_range_scale_and_errors(tmp_path: Path) -> None:
    video, gt = tmp_path / "clip.avi", tmp_path / "gt.txt"
    _write_video(video)
    # gt at twice the video's size: scale 0.5 maps it back
    rows = [f"{f},{7},{2 * (4 + 4 * (f - 1))},20,20,40,1,1,1" for f in range(1, 9)]
    rows += ["2,3,100,40,10,20,1,1,1", "6,9,10,10,10,10,1,1,1", "4,5,0,0,8,8,0,1,1"]
    gt.write_text("\n".join(rows) + "\n")
    result = convert_video(video, gt, tmp_path / "out", frames=(3, 6), scale=0.5)
    entries = read_image_list(result.list_file)
    assert entries == [f"images/clip/img1/{f:06d}.jpg" for f in range(3, 7)]
    assert result.identities == (1, 2) and result.num_boxes == 5  # ids 7 -> 1, 9 -> 2
    for f in range(3, 7):
        img = cv2.imread(str(tmp_path / "out" / f"images/clip/img1/{f:06d}.jpg"))
        assert img.shape == (48, 64, 3)
        green = np.argwhere((img[:, :, 1] > 180) & (img[:, :, 0] < 100))
        labels = read_labels(tmp_path / "out" / f"labels_with_ids/clip/img1/{f:06d}.txt")
        xc = labels[labels[:, 1] == 1][0, 2] * 64
        assert abs(xc - (green[:, 1].mean() + 0.5)) < 1.0  # the box is on the green square
    with pytest.raises(ValueError, match=r"could not read frames 5-12 of .*clip\.avi"):
        convert_video(video, gt, tmp_path / "o2", frames=(5, 12))
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(ValueError, match=r"video: .*bad\.avi"):
        convert_video(bad, gt, tmp_path / "o3")
    with pytest.raises(FileNotFoundError, match="video: file not found"):
        convert_video(tmp_path / "none.avi", gt, tmp_path / "o4")
    with pytest.raises(ValueError, match="scale: expected a finite number > 0"):
        convert_video(video, gt, tmp_path / "o5", scale=0)
    assert not (tmp_path / "o2" / "clip.train").exists()  # no list for a failed conversion


def test_video_converter_on_pets_video(shared_root: Path, tmp_path: Path) -> None:
    video = shared_root / "data" / "video" / "vtest.avi"
    gt = shared_root / "data" / "MOT15" / "train" / "PETS09-S2L1" / "gt" / "gt.txt"
    result = convert_video(video, gt, tmp_path, name="pets", frames=(1, 5), scale=0.625)
    assert result.num_images == 5
    img = cv2.imread(str(tmp_path / "images/pets/img1/000005.jpg"))
    assert img.shape == (360, 480, 3)
    g = load_mot_txt(gt)
    g = g[(g[:, 0] <= 5) & (g[:, 6] != 0)]
    assert result.num_boxes == len(g)
    ids = np.unique(g[:, 1])
    first = g[g[:, 0] == 1]
    first = first[np.argsort(first[:, 1])]
    labels = read_labels(tmp_path / "labels_with_ids/pets/img1/000001.txt")
    assert labels[:, 1].tolist() == (np.searchsorted(ids, first[:, 1]) + 1).tolist()
    x, y, w, h = (first[:, 2:6] * 0.625).T
    np.testing.assert_allclose(labels[:, 2:], np.stack(
        [(x + w / 2) / 480, (y + h / 2) / 360, w / 480, h / 360], axis=1), atol=1e-6)  # fmt: skip


# ----------------------------------------------------------------------------- augmentation


def _green_box_image() -> tuple[np.ndarray, np.ndarray]:
    img = np.zeros((120, 200, 3), np.uint8)
    img[30:90, 80:110] = (0, 255, 0)  # BGR green, 30 x 60 px
    return img, np.array([[0, 1, 95 / 200, 60 / 120, 30 / 200, 60 / 120]], np.float32)


def test_augmentation_is_deterministic_per_generator() -> None:
    img, labels = _green_box_image()
    a = jde_sample(img, labels, (160, 96), np.random.default_rng(3))
    b = jde_sample(img, labels, (160, 96), np.random.default_rng(3))
    c = jde_sample(img, labels, (160, 96), np.random.default_rng(4))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert a[0].shape == (96, 160, 3) and a[1].dtype == np.float32


@pytest.mark.parametrize("seed", range(6))
def test_augmented_box_stays_on_the_drawn_rectangle(seed: int) -> None:
    img, labels = _green_box_image()
    out, boxes = jde_sample(img, labels, (160, 96), np.random.default_rng(seed))
    assert boxes.shape == (1, 6) and boxes[0, 1] == 1
    r, g, b = (out[:, :, i].astype(int) for i in range(3))  # RGB now
    mask = g - np.maximum(r, b) > 40
    ys, xs = np.nonzero(mask)
    xc, yc, w, h = boxes[0, 2:] * [160, 96, 160, 96]
    x1, x2, y1, y2 = xc - w / 2, xc + w / 2, yc - h / 2, yc + h / 2
    inside = (
        (xs + 0.5 >= x1 - 1) & (xs + 0.5 <= x2 + 1) & (ys + 0.5 >= y1 - 1) & (ys + 0.5 <= y2 + 1)
    )
    assert inside.mean() > 0.97  # the rotated rectangle's corners may poke out a little
    assert mask.sum() > 0.8 * w * h  # and it fills the box


def test_flip_mirrors_image_and_boxes() -> None:
    img, labels = _green_box_image()
    flipped, out = hflip(img, labels)
    assert np.array_equal(flipped[:, ::-1], img)
    assert out[0, 2] == pytest.approx(1 - 95 / 200) and labels[0, 2] == pytest.approx(95 / 200)


def test_random_affine_box_policy() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    boxes = np.array(
        [
            [0, 1, 20, 20, 60, 80],  # kept as is
            [0, 2, 100, 10, 104, 50],  # 4 px wide: dropped
            [0, 3, -30, 20, -5, 60],  # fully outside: dropped
            [0, 4, 180, 20, 230, 60],  # partly outside: kept, not clipped
            [0, 5, 100, 10, 190, 18],  # aspect 11.25: dropped
        ],
        np.float32,
    )
    fixed = {"degrees": (0, 0), "translate": (0, 0), "scale": (1, 1), "shear": (0, 0)}
    out, kept, m = random_affine(img, boxes, np.random.default_rng(0), **fixed)
    np.testing.assert_allclose(m, np.eye(3), atol=1e-12)
    assert kept[:, 1].tolist() == [1, 4]
    np.testing.assert_allclose(kept[:, 2:], boxes[[0, 3], 2:])
    assert (out == 0).all()
    # scale 0.3: every area ratio is 0.09 < 0.1, so even large boxes go
    half = {**fixed, "scale": (0.3, 0.3)}
    out, kept, _ = random_affine(
        img, boxes[:1] * [1, 1, 3, 1, 3, 1], np.random.default_rng(0), **half
    )
    assert kept.shape == (0, 6)
    assert out[0, 0].tolist() == [128, 128, 128]  # border 127.5
    _, none, _ = random_affine(img, np.zeros((0, 6), np.float32), np.random.default_rng(0))
    assert none.shape == (0, 6)


def test_random_affine_in_image_test_runs_on_the_float32_boxes() -> None:
    """jde.py's random_affine stores the warped boxes into its float32 targets and only then
    drops boxes outside the image, on those float32 values: a box whose float64 left (top) edge
    lies within half a float32 step below the width (height) rounds onto it and is dropped."""
    height, width = 608, 1088
    shift = -5.00001  # the translation moves edges from 1093 / 613 to just inside the border
    draws = np.random.default_rng(3).random(4)  # angle, scale, then the two translations
    translate = (shift / ((draws[2] * 2 - 1) * height), shift / ((draws[3] * 2 - 1) * width))
    fixed = {"degrees": (0, 0), "translate": translate, "scale": (1, 1), "shear": (0, 0)}
    boxes = np.array(
        [
            [0, 1, 1093, 100, 1200, 300],  # left edge -> 1088 - 1e-5: 1088 in float32, dropped
            [0, 2, 100, 613, 300, 800],  # top edge -> 608 - 1e-5: 608 in float32, dropped
            [0, 3, 1092.999, 100, 1200, 300],  # left edge 1e-3 inside: kept either way
            [0, 4, 100, 100, 300, 300],  # well inside: kept
        ],
        np.float32,
    )
    img = np.zeros((height, width, 3), np.uint8)
    _, kept, m = random_affine(img, boxes, np.random.default_rng(3), **fixed)
    # the original's float64 box (no rotation: the reduction is 1): corners, centre, size
    corners = np.ones((16, 3))
    corners[:, :2] = boxes[:, [2, 3, 4, 5, 2, 5, 4, 3]].reshape(16, 2)
    warped = (corners @ m.T)[:, :2].reshape(4, 8)
    x, y = warped[:, [0, 2, 4, 6]], warped[:, [1, 3, 5, 7]]
    left = (x.max(1) + x.min(1)) / 2 - (x.max(1) - x.min(1)) / 2
    top = (y.max(1) + y.min(1)) / 2 - (y.max(1) - y.min(1)) / 2
    # the constructed case: float64 says inside, float32 says on the border
    assert left[0] < width and np.float32(left[0]) == width
    assert top[1] < height and np.float32(top[1]) == height
    assert np.float32(left[2]) < width
    assert kept[:, 1].tolist() == [3, 4]
    assert kept.dtype == np.float32


# ----------------------------------------------------------------------------- torch dataset


@pytest.fixture(scope="module")
def synthetic_jde(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_synthetic_jde(tmp_path_factory.mktemp("synth"), 2, seed=5).data_config


@pytest.mark.usefixtures("one_torch_thread")
def test_dataset_items_shapes_dtypes_and_determinism(synthetic_jde: Path) -> None:
    import torch

    from mottrack.fairmot.data import JDEDataset

    ds = JDEDataset(synthetic_jde, input_size=(160, 96), seed=7)
    assert (
        len(ds) == 16
        and ds.nID == ds.index.num_identities + 1 == ds.index.sources[0].num_identities + 1
    )
    item = ds[3]
    expect = {
        "input": ((3, 96, 160), torch.float32), "hm": ((1, 24, 40), torch.float32),
        "reg_mask": ((500,), torch.uint8), "ind": ((500,), torch.int64),
        "wh": ((500, 4), torch.float32), "reg": ((500, 2), torch.float32),
        "ids": ((500,), torch.int64), "bbox": ((500, 4), torch.float32),
    }  # fmt: skip
    assert {k: (tuple(v.shape), v.dtype) for k, v in item.items()} == expect
    assert 0 <= item["input"].min() and item["input"].max() <= 1
    assert item["reg_mask"].sum() > 0 and item["hm"].max() == 1.0
    assert (item["ids"][item["reg_mask"] > 0] >= 1).all()
    again = JDEDataset(synthetic_jde, input_size=(160, 96), seed=7)[3]
    assert all(torch.equal(item[k], again[k]) for k in item)
    ds.set_epoch(1)
    assert ds.epoch == 1 and not torch.equal(ds[3]["input"], item["input"])
    ds.set_epoch(0)
    assert torch.equal(ds[3]["input"], item["input"])
    plain = JDEDataset(synthetic_jde, input_size=(160, 96), augment=False)
    assert torch.equal(plain[2]["input"], plain[2]["input"])
    with pytest.raises(ValueError, match="epoch: expected an integer >= 0, got -1"):
        ds.set_epoch(-1)
    with pytest.raises(ValueError, match="input_size: expected"):
        JDEDataset(synthetic_jde, input_size=(161, 96))


@pytest.mark.usefixtures("one_torch_thread")
def test_dataset_with_persistent_workers_follows_set_epoch(synthetic_jde: Path) -> None:
    import torch
    from torch.utils.data import DataLoader

    from mottrack.fairmot.data import JDEDataset

    ds = JDEDataset(synthetic_jde, input_size=(96, 64), seed=1)
    loader = DataLoader(ds, batch_size=4, num_workers=2, persistent_workers=True)
    for epoch in (0, 2):
        ds.set_epoch(epoch)
        batches = list(loader)
        direct = torch.stack([ds[i]["input"] for i in range(len(ds))])
        assert torch.equal(torch.cat([b["input"] for b in batches]), direct)


# ----------------------------------------------------------------------------- command line


def test_cli_convert_without_torch(
    mot_seqs: list[Path], tmp_path: Path, run_without_torch: Callable[[str], str]
) -> None:
    out = run_without_torch(
        "from mottrack.cli import main\n"
        f"rc = main(['convert', 'mot', '--seq', {str(mot_seqs[0])!r}, {str(mot_seqs[1])!r}, "
        f"'--out', {str(tmp_path / 'm')!r}, '--name', 'two'])\n"
        "assert rc == 0, rc\n"
    )
    assert "8 images" in out
    assert read_image_list(tmp_path / "m" / "two.train")[0] == "images/S-0/img1/000001.jpg"


def test_cli_convert_video_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mottrack.cli import main

    video, gt = tmp_path / "v.avi", tmp_path / "gt.txt"
    _write_video(video, frames=4)
    gt.write_text("1,1,4,10,10,20,1,-1,-1,-1\n3,1,12,10,10,20,1,-1,-1,-1\n")
    args = ["convert", "video", "--video", str(video), "--gt", str(gt), "--out", str(tmp_path)]
    assert main([*args, "--frames", "2", "3", "--scale", "1"]) == 0
    assert "2 images, 1 boxes, identities 1..1" in capsys.readouterr().out
    assert main([*args[:3], str(tmp_path / "missing.avi"), *args[4:]]) == 2
    assert "video: file not found" in capsys.readouterr().err
