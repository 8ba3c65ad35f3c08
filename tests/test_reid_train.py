"""ReID training of the DeepSORT CNN on a tiny rendered synthetic sequence (CPU, small crops)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from mottrack.boxes import convert
from mottrack.cli import main
from mottrack.datasets import SyntheticSequence, generate
from mottrack.deepsort.checkpoint import save_checkpoint
from mottrack.deepsort.cnn import CNNEmbedder, CosineMetricNet
from mottrack.deepsort.embedder import extract_crops
from mottrack.deepsort.reid_data import collect_identity_crops, find_sequences, select_gt_rows
from mottrack.deepsort.train import ReIDTrainConfig, augment, train_reid
from mottrack.io.outputs import SavedElsewhere

SIZE = (64, 32)  # a 4x cheaper input than the paper's 128x64 keeps these tests fast on a CPU
SCENE = dict(width=320, height=240, height_range=(60.0, 120.0), mean_lifetime=float("inf"))


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticSequence, Path]:
    seq = generate(num_frames=30, num_objects=8, seed=1, **SCENE)
    return seq, seq.write(tmp_path_factory.mktemp("reid"), render=True)


def _distances(emb: CNNEmbedder, seq: SyntheticSequence, frames: range) -> tuple[float, float]:
    """Mean cosine distance of same- and of different-identity crop pairs over ``frames``."""
    crops, ids = [], []
    for f in frames:
        rows = seq.gt[(seq.gt[:, 0] == f) & (seq.gt[:, 8] > 0.5)]
        frame = seq.render_frame(f)[:, :, ::-1].copy()
        crops.append(extract_crops(frame, convert(rows[:, 2:6], "xywh", "xyxy"), SIZE))
        ids.append(rows[:, 1])
    feats = emb.embed_crops(np.concatenate(crops))
    label = np.concatenate(ids)
    dist = 1.0 - feats @ feats.T
    same = label[:, None] == label[None, :]
    np.fill_diagonal(same, False)
    return float(dist[same].mean()), float(dist[label[:, None] != label[None, :]].mean())


def test_training_lowers_the_loss_and_separates_identities(
    scene: tuple[SyntheticSequence, Path], tmp_path: Path
) -> None:
    seq, root = scene
    result = train_reid(
        root,
        tmp_path,
        epochs=100,
        batch_size=16,
        max_steps=40,
        progress=False,
        input_size=SIZE,
        frame_stride=2,
        seed=0,
    )
    assert result.steps == 40 and result.losses.shape == (40,)
    odd = seq.gt[seq.gt[:, 0] % 2 == 1]  # all boxes are usable: consider=1, class=1, tall
    assert result.num_identities == np.unique(odd[:, 1]).size and result.num_crops == len(odd)
    assert result.losses[-8:].mean() < result.losses[:8].mean() - 0.2
    with result.csv.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40 and rows[-1]["step"] == "40"
    np.testing.assert_allclose([float(r["loss"]) for r in rows], result.losses, atol=1e-5)
    # On frames not trained on (training used the odd ones), identities separate far better
    # than with the untrained network.
    trained = CNNEmbedder(result.checkpoint)
    assert trained.input_size == SIZE
    same, other = _distances(trained, seq, range(2, 31, 4))
    assert same < 0.5 * other and other - same > 0.3
    torch.manual_seed(0)
    initial = {"model": CosineMetricNet(SIZE).state_dict(), "input_size": list(SIZE)}
    untrained = CNNEmbedder(save_checkpoint(initial, tmp_path / "initial.pt"))
    same0, other0 = _distances(untrained, seq, range(2, 31, 4))
    assert other - same > 2 * (other0 - same0)


def test_resume_continues_at_the_next_epoch_with_the_optimizer_state(
    scene: tuple[SyntheticSequence, Path], tmp_path: Path
) -> None:
    _, root = scene
    options = dict(batch_size=16, progress=False, input_size=SIZE, max_crops_per_identity=8)
    straight = train_reid(root, tmp_path / "a", epochs=2, **options)
    per_epoch = -(-straight.num_crops // 16)
    assert straight.num_crops == 8 * straight.num_identities
    assert straight.steps == 2 * per_epoch and straight.epochs == 2
    first = train_reid(root, tmp_path / "b", epochs=1, **options)
    assert first.steps == per_epoch
    np.testing.assert_allclose(first.losses, straight.losses[:per_epoch], rtol=1e-6)
    first_ckpt = torch.load(first.checkpoint, weights_only=True)
    assert first_ckpt["epoch"] == 1 and first_ckpt["step"] == per_epoch
    assert all(int(s["step"]) == per_epoch for s in first_ckpt["optimizer"]["state"].values())
    second = train_reid(root, tmp_path / "b", epochs=2, resume=first.checkpoint, **options)
    assert second.steps == 2 * per_epoch and second.epochs == 2
    np.testing.assert_allclose(second.losses, straight.losses[per_epoch:], rtol=1e-5)
    ckpt = torch.load(second.checkpoint, weights_only=True)
    assert ckpt["epoch"] == 2 and tuple(ckpt["config"]["input_size"]) == SIZE
    assert all(int(s["step"]) == 2 * per_epoch for s in ckpt["optimizer"]["state"].values())
    with second.csv.open() as f:
        steps = [int(r["step"]) for r in csv.DictReader(f)]
    assert steps == list(range(1, 2 * per_epoch + 1))
    # Without the optimizer state the continuation would differ (Adam restarts its moments).
    first_ckpt["optimizer"]["state"] = {}
    torch.save(first_ckpt, tmp_path / "no_opt.pt")
    other = train_reid(root, tmp_path / "c", epochs=2, resume=tmp_path / "no_opt.pt", **options)
    assert not np.allclose(other.losses, straight.losses[per_epoch:], rtol=1e-3)


def test_max_steps_stops_mid_epoch_and_resume_rejects_other_data(
    scene: tuple[SyntheticSequence, Path], tmp_path: Path
) -> None:
    _, root = scene
    options = dict(batch_size=16, progress=False, input_size=SIZE, max_crops_per_identity=8)
    part = train_reid(root, tmp_path / "a", epochs=3, max_steps=2, **options)
    assert part.steps == 2 and part.epochs == 0 and part.checkpoint.is_file()
    assert not list((tmp_path / "a").glob("*.tmp")), "atomic writes leave no temporary file"
    other = generate(num_frames=10, num_objects=5, seed=9, name="OTHER", **SCENE)
    other_root = other.write(tmp_path / "other", render=True)
    with pytest.raises(ValueError, match="identities"):
        train_reid(other_root, tmp_path / "b", epochs=1, resume=part.checkpoint, **options)
    with pytest.raises(ValueError, match="input_size"):
        train_reid(
            root,
            tmp_path / "c",
            epochs=1,
            resume=part.checkpoint,
            batch_size=16,
            progress=False,
            max_crops_per_identity=8,
        )


def test_checkpoint_survives_a_failed_write(
    scene: tuple[SyntheticSequence, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    full_disk: Callable[[Path], None],
) -> None:
    _, root = scene
    out = tmp_path / "full"
    full_disk(out)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    options = dict(batch_size=16, progress=False, input_size=SIZE, max_crops_per_identity=8)
    failed = r"checkpoint: could not write .*checkpoint\.pt \(No space left on device\); "
    with pytest.raises(SavedElsewhere, match=failed) as info:
        train_reid(root, out, epochs=1, max_steps=2, **options)
    fallback = info.value.fallback
    assert fallback is not None and fallback.parent == tmp_path
    assert str(fallback) in str(info.value)
    assert torch.load(fallback, weights_only=True)["step"] == 2  # the finished steps were kept


def test_identity_crops_span_sequences(
    scene: tuple[SyntheticSequence, Path], tmp_path: Path
) -> None:
    seq, root = scene
    other = generate(num_frames=6, num_objects=3, seed=4, name="OTHER", **SCENE)
    other.write(tmp_path, render=True)
    data = collect_identity_crops([tmp_path, root], SIZE)  # a root of sequences, a sequence
    assert data.crops.shape[1:] == (*SIZE, 3) and data.crops.dtype == np.uint8
    assert data.identities[:2] == ("OTHER:1", "OTHER:2")
    assert sum(name.startswith("SYNTH-01:") for name in data.identities) == seq.num_objects
    assert np.bincount(data.labels).min() >= 1 and data.labels.max() == data.num_identities - 1
    capped = collect_identity_crops(root, SIZE, max_crops_per_identity=3, seed=1)
    assert np.bincount(capped.labels).max() == 3


def test_gt_row_selection_follows_the_file_layout() -> None:
    mot17 = np.array(
        [
            [1, 1, 0, 0, 10, 20, 1, 1, 0.9],
            [1, 2, 0, 0, 10, 20, 0, 1, 0.9],  # not considered
            [1, 3, 0, 0, 10, 20, 1, 7, 0.9],  # a distractor class
            [1, 4, 0, 0, 10, 20, 1, 1, 0.1],  # barely visible
            [1, 5, 0, 0, 10, 2, 1, 1, 0.9],  # too small
        ]
    )
    assert select_gt_rows(mot17, 0.25).tolist() == [True, False, False, False, False]
    assert select_gt_rows(mot17, 0.0).tolist() == [True, False, False, True, False]
    mot15 = np.array(
        [[1, 1, 0, 0, 10, 20, 1, -3.1, 16.3, 0.45], [1, 2, 0, 0, 10, 20, 0, -1, -1, -1]]
    )
    assert select_gt_rows(mot15, 0.5).tolist() == [True, False]


def test_bad_data_and_options(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="data"):
        find_sequences(tmp_path / "nope")
    with pytest.raises(ValueError, match="data: expected MOTChallenge sequence folders"):
        find_sequences(tmp_path)
    with pytest.raises(ValueError, match=r"ReIDTrainConfig\.epochs"):
        ReIDTrainConfig(epochs=0)
    with pytest.raises(ValueError, match=r"ReIDTrainConfig\.lr"):
        ReIDTrainConfig(lr=float("nan"))
    with pytest.raises(ValueError, match=r"ReIDTrainConfig\.input_size"):
        ReIDTrainConfig(input_size=(64,))
    with pytest.raises(TypeError):
        ReIDTrainConfig(learning_rate=1.0)  # type: ignore[call-arg]
    seq = generate(num_frames=3, num_objects=2, seed=0, **SCENE)
    no_images = seq.write(tmp_path / "noimg")
    with pytest.raises(FileNotFoundError, match="image not found"):
        train_reid(no_images, tmp_path / "out", progress=False)


def test_augment_flips_and_shifts() -> None:
    x = torch.arange(2 * 3 * 8 * 4, dtype=torch.float32).reshape(2, 3, 8, 4)
    rng = np.random.default_rng(0)
    assert torch.equal(augment(x, rng, flip=False, max_shift=0.0), x)
    flipped = [augment(x, rng, flip=True, max_shift=0.0) for _ in range(8)]
    for out in flipped:
        for i in range(2):
            assert torch.equal(out[i], x[i]) or torch.equal(out[i], x[i].flip(-1))
    assert any(not torch.equal(out, x) for out in flipped)
    shifted = augment(x, rng, flip=False, max_shift=0.25)  # up to 2 rows and 1 column
    assert shifted.shape == x.shape
    for i in range(2):  # a translation keeps some row of the original intact
        assert any(
            torch.equal(shifted[i, 0, 3, 1:3], x[i, 0, r, c : c + 2])
            for r in range(1, 6)
            for c in range(0, 3)
        )


def test_cli_train_reid(
    scene: tuple[SyntheticSequence, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, root = scene
    out = tmp_path / "run"
    args = ["train", "reid", "--data", str(root), "--out", str(out), "--epochs", "1"]
    args += ["--batch-size", "8", "--max-steps", "2", "--input-size", "64", "32", "--quiet"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Checkpoint:" in printed and "2 steps" in printed
    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ckpt["step"] == 2 and ckpt["input_size"] == [64, 32]
    assert main(["train", "reid", "--data", str(tmp_path / "nope"), "--out", str(out)]) == 2
    assert "folder not found" in capsys.readouterr().err
    bad = ["train", "reid", "--data", str(root), "--out", str(out), "--epochs", "0"]
    with pytest.raises(SystemExit) as info:  # refused by the parser, before any work
        main(bad)
    assert info.value.code == 2
    assert "argument --epochs: expected an integer >= 1, got 0" in capsys.readouterr().err


def test_numpy_numbers_in_the_config_are_stored_as_plain_python_numbers() -> None:
    """Checkpoints hold the config and are read with weights_only=True, which refuses NumPy
    scalars."""
    from mottrack.deepsort.train_config import ReIDTrainConfig

    cfg = ReIDTrainConfig(epochs=np.int64(3), lr=np.float64(0.01), max_steps=np.int64(5))
    assert type(cfg.epochs) is int and type(cfg.max_steps) is int and type(cfg.lr) is float
