"""Tests of mottrack.datasets: the seeded synthetic scene generator."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mottrack.datasets import SyntheticConfig, generate
from mottrack.datasets.detector import max_cover
from mottrack.eval import evaluate
from mottrack.io import MOTSequence, write_results

SMALL = dict(width=320, height=240, height_range=(20.0, 60.0), num_frames=20)


def _inside_image(rows: np.ndarray, width: int, height: int) -> bool:
    x, y, w, h = rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 5]
    eps = 1e-9
    return bool(
        (x >= 0).all()
        and (y >= 0).all()
        and (w >= 0).all()
        and (h >= 0).all()
        and (x + w <= width + eps).all()
        and (y + h <= height + eps).all()
    )


def test_same_seed_same_arrays_different_seed_differs() -> None:
    a, b, c = generate(seed=7), generate(seed=7), generate(seed=8)
    for name in ("gt", "det", "det_gt_ids", "gt_full_xyxy", "colors", "patterns"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.gt.shape != c.gt.shape or not np.array_equal(a.gt, c.gt)


def test_write_is_byte_identical(tmp_path: Path) -> None:
    cfg = SyntheticConfig(seed=11, num_frames=60)
    first = generate(cfg).write(tmp_path / "a")
    second = generate(cfg).write(tmp_path / "b")
    for rel in ("seqinfo.ini", "gt/gt.txt", "det/det.txt"):
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    assert (first / "gt/gt.txt").stat().st_size > 0


def test_formats_and_round_trip(tmp_path: Path) -> None:
    seq = generate(num_frames=80, seed=2)
    gt, det = seq.gt, seq.det
    assert gt.shape[1] == 9 and det.shape[1] == 10
    assert (gt[:, 6] == 1).all() and (gt[:, 7] == 1).all()
    assert ((gt[:, 8] >= 0) & (gt[:, 8] <= 1)).all() and (gt[:, 8] < 1).any()
    assert (np.diff(gt[:, 0]) >= 0).all()
    key = gt[:, 0] * 1e6 + gt[:, 1]
    assert (np.diff(key) > 0).all()  # sorted by (frame, id), ids unique per frame
    assert (det[:, 1] == -1).all() and (det[:, 7:] == -1).all()
    assert ((det[:, 6] >= 0) & (det[:, 6] <= 1)).all()
    assert det.shape[0] == seq.det_gt_ids.shape[0]
    with pytest.raises(ValueError):
        gt[0, 0] = 5  # read-only
    folder = seq.write(tmp_path)
    back = MOTSequence(folder)
    assert back.info == seq.info and back.name == "SYNTH-01"
    np.testing.assert_array_equal(back.gt, gt)
    np.testing.assert_array_equal(back.detections, det)
    frames = list(seq.frames())
    assert len(frames) == 80 and sum(len(d) for _, d in frames) == det.shape[0]


def test_boxes_inside_image() -> None:
    seq = generate(num_objects=40, num_frames=100, seed=4)
    assert _inside_image(seq.gt, 1280, 720)
    assert _inside_image(seq.det, 1280, 720)
    # some objects are truncated at the border, and the unclipped boxes leave the image
    full = seq.gt_full_xyxy
    assert (full[:, 0] < 0).any() or (full[:, 2] > 1280).any()


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31), st.floats(0, 30), st.floats(0, 4))
def test_invariants_hold_for_random_configs(seed: int, num_objects: float, fps: float) -> None:
    seq = generate(
        SyntheticConfig(**SMALL, num_objects=num_objects, false_positives=fps, seed=seed)
    )
    assert _inside_image(seq.gt, 320, 240) and _inside_image(seq.det, 320, 240)
    assert set(np.unique(seq.gt[:, 0])) <= set(range(1, 21))
    true = seq.det_gt_ids >= 0
    for frame in range(1, 21):  # every true detection belongs to an object present in that frame
        present = seq.gt[seq.gt[:, 0] == frame, 1]
        ids = seq.det_gt_ids[(seq.det[:, 0] == frame) & true]
        assert np.isin(ids, present).all()


def test_miss_rate_and_false_positive_rate() -> None:
    cfg = SyntheticConfig(num_frames=400, miss_prob=0.2, false_positives=2.0, occlusion_iou=1.0)
    seq = generate(cfg)
    true = seq.det_gt_ids >= 0
    miss = 1.0 - true.sum() / seq.gt.shape[0]
    assert miss == pytest.approx(0.2, abs=0.02)
    assert (~true).sum() / 400 == pytest.approx(2.0, abs=0.2)
    assert seq.det[true, 6].mean() > seq.det[~true, 6].mean() + 0.3


def test_occluded_objects_are_the_missed_ones() -> None:
    cfg = SyntheticConfig(num_objects=40, miss_prob=0.0, occluded_miss_prob=1.0, occlusion_iou=0.5)
    seq = generate(cfg)
    found = np.zeros(seq.gt.shape[0], bool)
    for frame in range(1, cfg.num_frames + 1):
        rows = np.flatnonzero(seq.gt[:, 0] == frame)
        ids = seq.det_gt_ids[(seq.det[:, 0] == frame) & (seq.det_gt_ids >= 0)]
        found[rows] = np.isin(seq.gt[rows, 1], ids)
    visibility = seq.gt[:, 8]
    assert (~found).sum() > 0.05 * found.size  # a crowded scene has occlusion misses
    assert (visibility[~found] < 0.5 + 1e-3).all()  # missed => covered > 50 % => visibility < 0.5
    assert found[visibility > 0.5 + 1e-3].all()  # clearly visible objects are never missed


def test_max_cover_depth_order() -> None:
    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 12], [100, 100, 110, 110]], dtype=float)
    cover = max_cover(boxes, boxes[:, 3])
    # box 0 (bottom 10) is behind box 1 (bottom 12), which covers half of it
    np.testing.assert_allclose(cover, [0.5, 0.0, 0.0])


def test_population_stays_near_num_objects() -> None:
    for n in (12, 100):
        seq = generate(num_objects=n, num_frames=150, seed=1)
        per_frame = np.bincount(seq.gt[:, 0].astype(int), minlength=151)[1:]
        assert per_frame.mean() == pytest.approx(n, rel=0.1)
        assert per_frame.min() >= 0.8 * n
        assert seq.num_objects > n  # objects left and new ones entered


def test_generation_is_fast() -> None:
    generate(num_frames=5)  # warm-up
    start = time.perf_counter()
    generate(num_objects=12, num_frames=150)
    assert time.perf_counter() - start < 1.0


def test_ground_truth_as_results_scores_perfectly(tmp_path: Path) -> None:
    seq = generate(num_objects=15, num_frames=100, seed=5)
    seq.write(tmp_path / "gt")
    write_results(tmp_path / "res" / f"{seq.name}.txt", seq.gt)
    for benchmark in ("MOT17", "MOT15"):
        result = evaluate(tmp_path / "gt", tmp_path / "res", benchmark=benchmark)
        m = result.combined
        assert m["HOTA"] == pytest.approx(100.0, abs=1e-6)
        assert m["MOTA"] == pytest.approx(100.0) and m["IDF1"] == pytest.approx(100.0)
        assert (m["FP"], m["FN"], m["IDSW"], m["GT_Dets"]) == (0, 0, 0, seq.gt.shape[0])
        assert m["GT_IDs"] == m["IDs"] == seq.num_objects


def test_true_detections_as_results_miss_what_was_missed(tmp_path: Path) -> None:
    seq = generate(num_frames=60, seed=9, box_jitter=0.0)
    seq.write(tmp_path / "gt")
    true = seq.det_gt_ids >= 0
    rows = seq.det[true].copy()
    rows[:, 1] = seq.det_gt_ids[true]
    write_results(tmp_path / "res" / f"{seq.name}.txt", rows)
    m = evaluate(tmp_path / "gt", tmp_path / "res").combined
    assert (m["FP"], m["IDSW"]) == (0, 0)
    assert m["FN"] == seq.gt.shape[0] - true.sum()


def test_appearance_and_render(tmp_path: Path) -> None:
    seq = generate(SyntheticConfig(**{**SMALL, "num_frames": 3}, num_objects=4, seed=3))
    assert seq.colors.shape == (seq.num_objects, 3) and seq.colors.dtype == np.uint8
    color, pattern = seq.appearance(1)
    assert color == tuple(int(c) for c in seq.colors[0]) and 0 <= pattern < 4
    assert len({tuple(c) for c in seq.colors.tolist()}) == seq.num_objects
    img = seq.render_frame(1)
    assert img.shape == (240, 320, 3) and img.dtype == np.uint8
    # the nearest object of frame 1 is drawn last: its outline pixel is dark, its centre coloured
    rows = np.flatnonzero(seq.gt[:, 0] == 1)
    near = rows[np.argmax(seq.gt_full_xyxy[rows, 3])]
    x1, y1, x2, y2 = np.rint(seq.gt_full_xyxy[near]).astype(int)
    cx = int(np.clip((x1 + x2) // 2, 0, 319))
    assert img[int(np.clip(y2, 0, 239)), cx].tolist() == [20, 20, 20] or y2 > 239
    centre = img[int(np.clip((y1 + y2) // 2, 0, 239)), cx]
    obj = seq.colors[int(seq.gt[near, 1]) - 1]
    variants = [obj, obj // 2, 255 - obj]  # solid, stripe shade, two-tone lower half
    assert any(np.array_equal(centre, v) for v in variants)
    folder = seq.write(tmp_path, render=True)
    assert sorted(p.name for p in (folder / "img1").iterdir()) == [
        "000001.jpg",
        "000002.jpg",
        "000003.jpg",
    ]
    assert MOTSequence(folder).has_images
    with pytest.raises(ValueError, match=r"1\.\.3"):
        seq.render_frame(4)


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("num_frames", 0, "num_frames.*> 0"),
        ("num_frames", 2.5, "num_frames.*integer"),
        ("miss_prob", 1.5, r"miss_prob.*\[0, 1\]"),
        ("num_objects", -1.0, "num_objects"),
        ("height_range", (100.0, 50.0), "height_range"),
        ("height_range", (60.0, 800.0), "must fit in the image"),
        ("true_score", (0.0, 1.0), "true_score.*Beta"),
        ("name", "a/b", "name"),
        ("seed", 1.5, "seed"),
    ],
)
def test_config_validation(field: str, value: object, pattern: str) -> None:
    with pytest.raises(ValueError, match=f"SyntheticConfig.*{pattern}"):
        SyntheticConfig(**{field: value})


def test_generate_overrides_and_type_check() -> None:
    seq = generate(SyntheticConfig(num_frames=10), seed=4, num_objects=3)
    assert (seq.config.num_frames, seq.config.seed, seq.info.seq_length) == (10, 4, 10)
    with pytest.raises(ValueError, match="SyntheticConfig"):
        generate({"num_frames": 3})  # type: ignore[arg-type]
