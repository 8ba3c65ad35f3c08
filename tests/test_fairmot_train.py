"""FairMOT training on CPU: the loss falls, resume is exact, two torchrun/gloo ranks agree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from mottrack.cli import main
from mottrack.datasets import build_synthetic_jde
from mottrack.fairmot.checkpoint import read_state_dict
from mottrack.fairmot.data.dataset import JDEDataset
from mottrack.fairmot.model import build_model
from mottrack.fairmot.train import train_fairmot
from mottrack.fairmot.train_config import FairMOTTrainConfig
from mottrack.io.outputs import SavedElsewhere

pytestmark = pytest.mark.usefixtures("one_torch_thread")
TINY = {"arch": "dla34_tiny", "input_size": (160, 96), "batch_size": 4, "device": "cpu"}


def _data(root: Path, frames: int) -> Path:
    conv = build_synthetic_jde(
        root, num_sequences=1, seed=0, num_frames=frames, num_objects=6, width=320, height=192
    )
    return Path(conv.data_config)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _data(tmp_path_factory.mktemp("jde"), 16)  # 4 steps per epoch at batch 4


def test_loss_falls_and_checkpoint_is_in_the_official_layout(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bigger = _data(tmp_path_factory.mktemp("jde40"), 40)
    result = train_fairmot(
        bigger, tmp_path, epochs=2, lr=2e-3, augment=False, progress=False, **TINY
    )
    first, last = sum(result.losses[:3]) / 3, sum(result.losses[-3:]) / 3
    assert result.steps == 20 and last < 0.6 * first, result.losses
    state, extra = read_state_dict(result.checkpoint)
    assert "base.fc.weight" not in state  # dropped on reading, as for official files
    assert extra["epoch"] == 2 and "optimizer" in extra and "loss" in extra
    raw = torch.load(result.checkpoint, map_location="cpu", weights_only=True)
    assert {"base.fc.weight", "base.fc.bias"} <= set(raw["state_dict"])  # FairMOT loads it
    model = build_model("dla34_tiny", weights=result.checkpoint)  # ours loads it strictly
    assert torch.equal(model.hm[2].bias, raw["state_dict"]["hm.2.bias"])
    log = (tmp_path / "log.csv").read_text().splitlines()
    assert log[0].startswith("epoch,step,loss") and len(log) == 21


def test_resume_continues_exactly(data: Path, tmp_path: Path) -> None:
    whole = train_fairmot(data, tmp_path / "a", epochs=2, progress=False, **TINY)
    half = train_fairmot(data, tmp_path / "b", epochs=1, progress=False, **TINY)
    assert half.losses == whole.losses[:4]
    rest = train_fairmot(
        data,
        tmp_path / "b",
        resume=tmp_path / "b" / "model_last.pth",
        epochs=2,
        progress=False,
        device="cpu",
    )
    assert rest.steps == 8 and rest.epochs == 2
    assert rest.losses == whole.losses[4:]  # model, optimizer, loss weights, schedule, data
    assert rest.digest == whole.digest
    assert len((tmp_path / "b" / "log.csv").read_text().splitlines()) == 9  # appended


def test_two_ranks_under_torchrun_hold_identical_weights(data: Path, tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "mottrack.cli",
        "train",
        "fairmot",
        "--data",
        str(data),
        "--out",
        str(tmp_path),
        "--arch",
        "tiny",
        "--input-size",
        "160",
        "96",
        "--batch-size",
        "2",
        "--max-steps",
        "2",
        "--device",
        "cpu",
        "--quiet",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2] and [r["steps"] for r in ranks] == [2, 2]
    assert ranks[0]["losses"] != ranks[1]["losses"]  # each rank trained on its own shard
    assert ranks[0]["digest"] == ranks[1]["digest"]  # ... and DDP kept the weights equal
    assert (tmp_path / "model_last.pth").is_file()


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["train", "fairmot", "--data", str(tmp_path / "none.json"), "--out", str(tmp_path)]
    assert main([*argv, "--device", "cpu", "--quiet"]) == 2
    assert "none.json" in capsys.readouterr().err
    with pytest.raises(ValueError, match="input_size"):
        train_fairmot(tmp_path / "none.json", tmp_path, input_size=(100, 96), device="cpu")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"bad\.pth"):
        train_fairmot(tmp_path / "none.json", tmp_path, resume=bad, device="cpu")
    torch.save({"epoch": 1, "state_dict": {"w": torch.zeros(1)}}, bad)  # not ours
    with pytest.raises(ValueError, match="not a checkpoint of this trainer"):
        train_fairmot(tmp_path / "none.json", tmp_path, resume=bad, device="cpu")


@pytest.fixture(scope="module")
def one_step(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkpoint of a one-step run (tiny network, batch 4, 160x96)."""
    out = tmp_path_factory.mktemp("one_step")
    return train_fairmot(data, out, epochs=2, max_steps=1, progress=False, **TINY).checkpoint


def test_resume_refuses_other_options_and_applies_the_resumable_ones(
    data: Path, one_step: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train", "fairmot", "--data", str(data), "--out", str(tmp_path), "--quiet"]
    argv += ["--resume", str(one_step), "--device", "cpu"]
    changed = ["--batch-size", "8", "--lr", "1e-3", "--arch", "dla34", "--input-size", "320", "192"]
    assert main([*argv, *changed]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot change" in err
    for option in ("arch='dla34'", "batch_size=8", "input_size=(320, 192)", "lr=0.001"):
        assert option in err
    assert not (tmp_path / "model_last.pth").exists()  # refused before training
    # The checkpoint's own values (arch under its short name) are accepted; max_steps applies.
    same = ["--batch-size", "4", "--arch", "tiny", "--input-size", "160", "96"]
    assert main([*argv, *same, "--max-steps", "3"]) == 0
    _, extra = read_state_dict(tmp_path / "model_last.pth")
    assert extra["mottrack"]["step"] == 3 and extra["mottrack"]["config"]["max_steps"] == 3
    with pytest.raises(ValueError, match="weights: not with resume"):
        train_fairmot(data, tmp_path, resume=one_step, weights=one_step, device="cpu")


def test_resume_on_data_with_another_identity_count_is_refused(
    data: Path, one_step: Path, tmp_path: Path
) -> None:
    conv = build_synthetic_jde(
        tmp_path / "other", seed=0, num_frames=8, num_objects=3, width=320, height=192
    )
    ids = [JDEDataset(cfg, input_size=(160, 96)).nID for cfg in (data, conv.data_config)]
    assert ids[0] != ids[1]
    found = rf"trained on data with {ids[0]} identity classes \(nID\), this data has {ids[1]};"
    with pytest.raises(ValueError, match=found):
        train_fairmot(
            conv.data_config, tmp_path / "run", resume=one_step, progress=False, device="cpu"
        )


def test_checkpoint_survives_a_failed_write(
    data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    full_disk: Callable[[Path], None],
) -> None:
    out = tmp_path / "full"
    full_disk(out)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    failed = r"checkpoint: could not write .*model_last\.pth \(No space left on device\); "
    with pytest.raises(SavedElsewhere, match=failed) as info:
        train_fairmot(data, out, epochs=1, max_steps=1, progress=False, **TINY)
    fallback = info.value.fallback
    assert fallback is not None and fallback.parent == tmp_path
    assert str(fallback) in str(info.value)
    _, extra = read_state_dict(fallback)
    assert extra["mottrack"]["step"] == 1  # the finished step was kept


def test_gradient_clipping_clips(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --grad-clip the global gradient norm handed to Adam is at most the limit."""
    seen: list[float] = []
    real_step = torch.optim.Adam.step

    def spy(self: torch.optim.Adam, *args: object, **kwargs: object) -> object:
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        seen.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", spy)
    train_fairmot(data, tmp_path, epochs=1, max_steps=2, grad_clip=0.5, progress=False, **TINY)
    assert len(seen) == 2 and max(seen) <= 0.5 + 1e-4


def _optimizer_lrs(checkpoint: Path) -> list[float]:
    raw = torch.load(checkpoint, map_location="cpu", weights_only=True)
    return [group["lr"] for group in raw["optimizer"]["param_groups"]]


def test_learning_rate_is_used_as_given_unless_scaling_is_asked_for(
    data: Path, tmp_path: Path
) -> None:
    """FairMOT's Adam runs at ``lr`` (1e-4) whatever the batch; batch/12 scaling is opt-in."""
    tiny8 = {**TINY, "batch_size": 8, "max_steps": 1, "progress": False}
    plain = train_fairmot(data, tmp_path / "plain", **tiny8)
    assert _optimizer_lrs(plain.checkpoint) == [1e-4, 1e-4]
    scaled = train_fairmot(data, tmp_path / "scaled", scale_lr_with_batch=True, **tiny8)
    assert _optimizer_lrs(scaled.checkpoint) == pytest.approx([8 / 12 * 1e-4] * 2, rel=1e-12)
    # A checkpoint written before the option existed (lr None meant "scaled") resumes scaled.
    raw = torch.load(plain.checkpoint, map_location="cpu", weights_only=True)
    old = dict(raw["mottrack"]["config"], lr=None)
    del old["scale_lr_with_batch"]
    raw["mottrack"]["config"] = old
    torch.save(raw, tmp_path / "old.pth")
    train_fairmot(
        data, tmp_path / "resumed", resume=tmp_path / "old.pth", progress=False, device="cpu"
    )
    _, extra = read_state_dict(tmp_path / "resumed" / "model_last.pth")
    config = extra["mottrack"]["config"]
    assert config["lr"] == 1e-4 and config["scale_lr_with_batch"] is True


def test_learning_rate_config_and_cli_option(monkeypatch: pytest.MonkeyPatch) -> None:
    assert FairMOTTrainConfig(batch_size=8).learning_rate() == 1e-4
    assert FairMOTTrainConfig(batch_size=8).learning_rate(world_size=4) == 1e-4
    scaled = FairMOTTrainConfig(batch_size=8, lr=3e-4, scale_lr_with_batch=True)
    assert scaled.learning_rate(world_size=3) == pytest.approx(3e-4 * 24 / 12, rel=1e-12)
    assert FairMOTTrainConfig(lr=None).lr == 1e-4  # an unset option forwarded as None
    with pytest.raises(ValueError, match="scale_lr_with_batch"):
        FairMOTTrainConfig(scale_lr_with_batch="yes")  # type: ignore[arg-type]
    seen: list[dict[str, object]] = []

    def fake_train(data: object, out: object, **kwargs: object) -> SimpleNamespace:
        seen.append(kwargs)
        return SimpleNamespace(losses=[], epochs=0, steps=0, images_per_s=0.0, checkpoint="-")

    monkeypatch.setattr("mottrack.fairmot.train.train_fairmot", fake_train)
    argv = ["train", "fairmot", "--data", "d.json", "--out", "o", "--quiet", "--batch-size", "8"]
    assert main(argv) == 0
    assert main([*argv, "--scale-lr-with-batch"]) == 0
    keys = set(FairMOTTrainConfig.__dataclass_fields__)
    configs = [FairMOTTrainConfig(**{k: v for k, v in s.items() if k in keys}) for s in seen]
    assert [c.learning_rate() for c in configs] == [1e-4, pytest.approx(8 / 12 * 1e-4)]
