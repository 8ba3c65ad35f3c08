"""FairMOT's losses on crafted inputs, checked against hand computations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mottrack.fairmot.losses import FairMOTLoss, focal_loss, gather_at, masked_l1

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_focal_loss_by_hand() -> None:
    gt = torch.tensor([[[[1.0, 0.5], [0.0, 0.0]]]])
    pred = torch.tensor([[[[0.8, 0.3], [0.1, 0.2]]]])
    pos = math.log(0.8) * 0.2**2
    neg = math.log(0.7) * 0.3**2 * 0.5**4 + math.log(0.9) * 0.1**2 + math.log(0.8) * 0.2**2
    assert focal_loss(pred, gt).item() == pytest.approx(-(pos + neg), rel=1e-6)
    no_pos = torch.tensor([[[[0.5, 0.0]]]])
    p = torch.tensor([[[[0.4, 0.3]]]])
    want = -(math.log(0.6) * 0.4**2 * 0.5**4 + math.log(0.7) * 0.3**2)
    assert focal_loss(p, no_pos).item() == pytest.approx(want, rel=1e-6)


def test_gather_and_masked_l1() -> None:
    out = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).view(2, 3, 2, 2)
    ind = torch.tensor([[3, 0], [1, 1]])
    got = gather_at(out, ind)
    assert got.shape == (2, 2, 3)
    assert got[0, 0].tolist() == out[0, :, 1, 1].tolist()
    assert got[1, 1].tolist() == out[1, :, 0, 1].tolist()
    target = got + 2.0
    mask = torch.tensor([[1, 0], [1, 1]])
    # 3 valid slots x 3 channels, each off by 2: 18 / (9 + 1e-4); the masked slot is ignored.
    target[0, 1] += 100
    assert masked_l1(out, mask, ind, target).item() == pytest.approx(18 / (9 + 1e-4), rel=1e-6)


def _batch(ids: list[int]) -> tuple[dict, dict]:
    torch.manual_seed(0)
    outputs = {
        "hm": torch.randn(1, 1, 4, 4),
        "wh": torch.randn(1, 4, 4, 4),
        "reg": torch.randn(1, 2, 4, 4),
        "id": torch.randn(1, 8, 4, 4),
    }
    hm = torch.zeros(1, 1, 4, 4)
    hm[0, 0, 1, 2] = 1.0
    hm[0, 0, 3, 0] = 1.0
    batch = {
        "hm": hm,
        "reg_mask": torch.tensor([[1, 1, 0]]),
        "ind": torch.tensor([[6, 12, 0]]),
        "wh": torch.rand(1, 3, 4),
        "reg": torch.rand(1, 3, 2),
        "ids": torch.tensor([ids]),
    }
    return outputs, batch


def test_total_loss_is_the_uncertainty_weighted_sum() -> None:
    outputs, batch = _batch([0, 4, 2])
    crit = FairMOTLoss(num_ids=5, emb_dim=8)
    assert crit.s_det.item() == pytest.approx(-1.85) and crit.s_id.item() == pytest.approx(-1.05)
    assert crit.emb_scale == pytest.approx(math.sqrt(2) * math.log(4))
    loss, parts = crit(outputs, batch)
    hm = torch.clamp(torch.sigmoid(outputs["hm"]), 1e-4, 1 - 1e-4)
    det = (
        focal_loss(hm, batch["hm"])
        + 0.1 * masked_l1(outputs["wh"], batch["reg_mask"], batch["ind"], batch["wh"])
        + masked_l1(outputs["reg"], batch["reg_mask"], batch["ind"], batch["reg"])
    )
    emb = gather_at(outputs["id"], batch["ind"])[0, :2]
    logits = crit.classifier(crit.emb_scale * F.normalize(emb, dim=1))
    idl = F.cross_entropy(logits, torch.tensor([0, 4]))
    want = 0.5 * (math.exp(1.85) * det + math.exp(1.05) * idl - 1.85 - 1.05)
    assert loss.item() == pytest.approx(want.item(), rel=1e-5)
    assert parts["det"].item() == pytest.approx(det.item(), rel=1e-6)
    loss.backward()
    assert crit.s_det.grad is not None and crit.classifier.weight.grad is not None


def test_unlabelled_identities_are_ignored() -> None:
    outputs, batch = _batch([-1, 3, 0])
    crit = FairMOTLoss(num_ids=5, emb_dim=8)
    _, parts = crit(outputs, batch)
    emb = gather_at(outputs["id"], batch["ind"])[0, 1:2]
    logits = crit.classifier(crit.emb_scale * F.normalize(emb, dim=1))
    assert parts["id"].item() == pytest.approx(F.cross_entropy(logits, torch.tensor([3])).item())
    outputs, batch = _batch([-1, -1, 0])
    loss, parts = crit(outputs, batch)
    assert parts["id"].item() == 0.0 and torch.isfinite(loss)


def test_bad_num_ids() -> None:
    with pytest.raises(ValueError, match="num_ids"):
        FairMOTLoss(num_ids=1)
