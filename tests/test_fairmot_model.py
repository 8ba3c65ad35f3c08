"""The FairMOT network: official state-dict layout, initialisation, checkpoints, forward shapes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from mottrack.fairmot.checkpoint import load_checkpoint, read_state_dict, save_checkpoint
from mottrack.fairmot.dla_up import fill_up_weights
from mottrack.fairmot.model import FairMOTNet, build_model, set_dcn_backend

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def dla34() -> FairMOTNet:
    torch.manual_seed(0)
    return build_model()


@pytest.fixture(scope="module")
def reference_rows(shared_root: Path) -> list[tuple[str, list[int], str]]:
    path = shared_root / "reference" / "fairmot" / "dla34_state_dict.tsv"
    rows = []
    for line in path.read_text().splitlines():
        key, shape, dtype = line.split("\t")
        rows.append((key, json.loads(shape), dtype))
    return rows


def _rows(state: dict[str, torch.Tensor]) -> list[tuple[str, list[int], str]]:
    return [(k, list(v.shape), str(v.dtype)) for k, v in state.items()]


def _tiny(seed: int = 0, **kwargs) -> FairMOTNet:
    torch.manual_seed(seed)
    return build_model("dla34_tiny", head_conv=8, **kwargs)


def _perturbed_state(model: FairMOTNet, seed: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {
        k: (v + torch.randn(v.shape, generator=gen) if v.is_floating_point() else v + 3)
        for k, v in model.state_dict().items()
    }


# ----------------------------------------------------------------------------- layout


def test_state_dict_equals_the_official_layout_except_the_classifier(dla34, reference_rows) -> None:
    expected = [row for row in reference_rows if not row[0].startswith("base.fc.")]
    assert len(reference_rows) == 404 and len(expected) == 402
    assert _rows(dla34.state_dict()) == expected  # keys, order, shapes and dtypes


def test_parameter_counts(dla34, shared_root) -> None:
    assert sum(p.numel() for p in dla34.parameters()) == 19_836_711
    assert sum(p.numel() for p in dla34.parameters() if p.requires_grad) == 19_836_711
    summary = json.loads((shared_root / "reference/fairmot/dla34_summary.json").read_text())
    per_module = {
        name: sum(p.numel() for p in getattr(dla34, name).parameters())
        for name in summary["per_top_module_parameters"]
    }
    expected = dict(summary["per_top_module_parameters"])
    expected["base"] -= summary["base_fc_parameters"]
    assert per_module == expected
    assert sum(isinstance(m, torch.nn.Module) and hasattr(m, "conv_offset_mask")
               for m in dla34.modules()) == summary["dcn_modules"]  # fmt: skip


def test_official_layout_checkpoint_has_every_official_key_in_order(
    tmp_path, reference_rows
) -> None:
    model = _tiny()
    path = save_checkpoint(tmp_path / "tiny.pth", model, epoch=3, official_layout=True)
    state = torch.load(path, weights_only=True)["state_dict"]
    assert [k for k, _, _ in _rows(state)] == [k for k, _, _ in reference_rows]
    assert list(state["base.fc.weight"].shape) == [1000, 32, 1, 1]
    assert state["base.fc.bias"].shape == (1000,) and not state["base.fc.bias"].any()
    assert 20_349_711 - 19_836_711 == 1000 * 512 + 1000  # the classifier in the full model


def test_head_and_up_path_initialisation(dla34) -> None:
    assert torch.all(dla34.hm[2].bias == torch.tensor(-2.19))
    assert dla34.hm[0].bias.abs().sum() > 0  # PyTorch's default init, as upstream
    for name in ("wh", "id", "reg"):
        head = getattr(dla34, name)
        assert not head[0].bias.any() and not head[2].bias.any(), name
        assert head[2].weight.abs().sum() > 0
    assert [m.out_channels for m in (dla34.hm[2], dla34.wh[2], dla34.id[2], dla34.reg[2])] == [
        1, 4, 128, 2,
    ]  # fmt: skip
    up = dla34.ida_up.up_2.weight  # [64, 1, 8, 8], f = 4
    f, c = 4, (2 * 4 - 1 - 0) / 8
    ramp = torch.tensor([1 - abs(i / f - c) for i in range(8)])
    torch.testing.assert_close(up[5, 0], torch.outer(ramp, ramp))
    assert torch.equal(up, up[:1].expand_as(up))
    dcn = dla34.dla_up.ida_0.proj_1.conv
    assert not dcn.conv_offset_mask.weight.any() and not dcn.bias.any()
    assert dcn.weight.abs().max() <= 1 / math.sqrt(512 * 9)


def test_fill_up_weights_makes_a_bilinear_upsampler() -> None:
    up = torch.nn.ConvTranspose2d(1, 1, 4, 2, 1, groups=1, bias=False)
    fill_up_weights(up)
    x = torch.tensor([[[[0.0, 4.0, 8.0]]]]).expand(1, 1, 3, 3)
    y = up(x)[0, 0, 2]  # interior row: linear interpolation between columns
    torch.testing.assert_close(y[1:5], torch.tensor([1.0, 3.0, 5.0, 7.0]))


# ----------------------------------------------------------------------------- forward


def test_tiny_forward_gives_head_maps_at_stride_4() -> None:
    model = _tiny().eval()
    with torch.inference_mode():
        out = model(torch.rand(1, 3, 64, 96))
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "hm": (1, 1, 16, 24), "wh": (1, 4, 16, 24), "id": (1, 128, 16, 24), "reg": (1, 2, 16, 24),
    }  # fmt: skip
    assert list(out) == ["hm", "wh", "id", "reg"]


def test_full_dla34_forward_runs_at_a_small_size(dla34) -> None:
    dla34.eval()
    with torch.inference_mode():
        out = dla34(torch.rand(1, 3, 32, 64))
    assert out["id"].shape == (1, 128, 8, 16) and out["hm"].shape == (1, 1, 8, 16)
    assert all(torch.isfinite(v).all() for v in out.values())


def test_training_mode_backpropagates_through_the_deformable_path() -> None:
    model = _tiny(dcn_backend="torch").train()
    out = model(torch.rand(2, 3, 32, 32))
    sum(v.square().mean() for v in out.values()).backward()
    grad = model.ida_up.node_2.conv.conv_offset_mask.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    assert set_dcn_backend(model, "torch") == 16


def test_build_model_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="arch: expected one of"):
        build_model("resnet18")
    with pytest.raises(ValueError, match="heads: expected"):
        build_model("dla34_tiny", heads={"hm": 0})
    with pytest.raises(ValueError, match="down_ratio"):
        build_model("dla34_tiny", down_ratio=3)
    with pytest.raises(ValueError, match="backend"):
        build_model("dla34_tiny", dcn_backend="cuda")


# ----------------------------------------------------------------------------- checkpoints


def test_official_style_checkpoint_loads_strictly(tmp_path) -> None:
    """``module.``-prefixed keys, the ImageNet classifier, epoch and Adam state, as FairMOT."""
    source = _tiny(seed=1)
    state = _perturbed_state(source, seed=2)
    state = {"module." + k: v for k, v in state.items()}
    state["module.base.fc.weight"] = torch.randn(1000, 32, 1, 1)
    state["module.base.fc.bias"] = torch.randn(1000)
    opt = torch.optim.Adam(source.parameters(), lr=1e-4)
    source(torch.rand(1, 3, 64, 64))["hm"].mean().backward()
    opt.step()
    path = tmp_path / "fairmot_tiny.pth"
    torch.save({"epoch": 30, "state_dict": state, "optimizer": opt.state_dict()}, path)

    target = _tiny(seed=5)
    extra = load_checkpoint(target, path)
    assert extra["epoch"] == 30 and "optimizer" in extra
    for key, value in target.state_dict().items():
        assert torch.equal(value, state["module." + key]), key
    loaded = build_model("dla34_tiny", head_conv=8, weights=path)
    assert torch.equal(loaded.reg[2].weight, state["module.reg.2.weight"])


def test_bare_state_dict_and_our_own_files_round_trip(tmp_path) -> None:
    model = _tiny(seed=3)
    torch.save(model.state_dict(), tmp_path / "bare.pth")
    assert load_checkpoint(_tiny(seed=4), tmp_path / "bare.pth") == {}
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for layout in (False, True):
        path = save_checkpoint(tmp_path / f"own{layout}.pth", model, 7, opt, official_layout=layout)
        target = _tiny(seed=4)
        assert load_checkpoint(target, path)["epoch"] == 7
        assert torch.equal(target.id[2].weight, model.id[2].weight)
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind


def _drop_two(state: dict) -> None:
    del state["wh.2.bias"], state["base.level5.root.bn.running_var"]


def _add_one(state: dict) -> None:
    state["neck.weight"] = torch.zeros(3)


def _reshape_one(state: dict) -> None:
    state["reg.2.bias"] = torch.zeros(3)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_drop_two, r"missing keys \(2\): base\.level5\.root\.bn\.running_var, wh\.2\.bias"),
        (_add_one, r"unexpected keys \(1\): neck\.weight"),
        (_reshape_one, r"shape mismatches \(1\): reg\.2\.bias \[3\] \(model: \[2\]\)"),
    ],
)
def test_mismatched_checkpoints_raise_listing_the_keys(tmp_path, edit, message) -> None:
    state = _tiny().state_dict()
    edit(state)
    path = tmp_path / "bad.pth"
    torch.save({"epoch": 1, "state_dict": state}, path)
    with pytest.raises(ValueError, match=message) as info:
        load_checkpoint(_tiny(), path)
    assert str(path) in str(info.value)


def test_checkpoint_for_other_heads_names_both_configurations(tmp_path) -> None:
    other = build_model("dla34_tiny", heads={"hm": 1, "wh": 2, "id": 64, "reg": 2}, head_conv=8)
    torch.save({"epoch": 1, "state_dict": other.state_dict()}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match=r"checkpoint's heads are \{'hm': 1, 'wh': 2, 'id': 64"):
        load_checkpoint(_tiny(), tmp_path / "other.pth")


def test_unreadable_files_raise_naming_the_path(tmp_path) -> None:
    good = tmp_path / "good.pth"
    save_checkpoint(good, _tiny(), 1)
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"\x00not a checkpoint" * 10)
    for path in (truncated, garbage):
        with pytest.raises(ValueError, match="not a readable PyTorch checkpoint") as info:
            load_checkpoint(_tiny(), path)
        assert str(path) in str(info.value)
    with pytest.raises(FileNotFoundError, match=r"missing\.pth"):
        load_checkpoint(_tiny(), tmp_path / "missing.pth")
    torch.save({"epoch": 1, "state_dict": {"a": 1}}, tmp_path / "nontensor.pth")
    with pytest.raises(ValueError, match="not tensors: a"):
        read_state_dict(tmp_path / "nontensor.pth")
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(ValueError, match="expected a state dict"):
        read_state_dict(tmp_path / "list.pth")
