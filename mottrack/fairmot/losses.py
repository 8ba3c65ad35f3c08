"""FairMOT's training losses: focal heat-map loss, masked L1 on sizes and offsets, identity
cross-entropy, and the learned uncertainty weighting of detection against re-ID.

All as FairMOT's ``trains/mot.py`` (``MotLoss``) with its defaults: ``hm_weight 1``,
``wh_weight 0.1``, ``off_weight 1``, ``multi_loss = "uncertainty"``, ``s_det = -1.85``,
``s_id = -1.05``, embeddings scaled by ``sqrt(2) * log(nID - 1)`` before a linear classifier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["FairMOTLoss", "focal_loss", "gather_at", "masked_l1"]


def focal_loss(pred: Tensor, gt: Tensor) -> Tensor:
    """CenterNet's penalty-reduced focal loss on a heat map.

    Parameters
    ----------
    pred : Tensor, shape (B, C, H, W)
        Predicted probabilities in (0, 1) (the clamped sigmoid of the ``hm`` head).
    gt : Tensor, shape (B, C, H, W)
        Gaussian targets, exactly 1 at object centres.

    Returns
    -------
    Tensor, shape ()
        ``-(sum_pos log(p)(1-p)^2 + sum_neg log(1-p) p^2 (1-gt)^4) / num_pos``
        (just the negative sum when there is no positive).
    """
    pos = gt.eq(1).float()
    neg = gt.lt(1).float()
    pos_loss = (torch.log(pred) * torch.pow(1 - pred, 2) * pos).sum()
    neg_loss = (torch.log(1 - pred) * torch.pow(pred, 2) * torch.pow(1 - gt, 4) * neg).sum()
    num_pos = pos.sum()
    if num_pos == 0:
        return -neg_loss
    return -(pos_loss + neg_loss) / num_pos


def gather_at(feature: Tensor, ind: Tensor) -> Tensor:
    """Feature vectors at flat cell indices.

    Parameters
    ----------
    feature : Tensor, shape (B, C, H, W)
    ind : Tensor of int64, shape (B, K)
        ``y * W + x`` per object slot.

    Returns
    -------
    Tensor, shape (B, K, C)
    """
    b, c = feature.shape[:2]
    flat = feature.view(b, c, -1).permute(0, 2, 1)
    return flat.gather(1, ind.unsqueeze(2).expand(-1, -1, c))


def masked_l1(output: Tensor, mask: Tensor, ind: Tensor, target: Tensor) -> Tensor:
    """L1 between the head at object cells and the targets, over valid slots only.

    Parameters
    ----------
    output : Tensor, shape (B, C, H, W)
    mask : Tensor, shape (B, K)
        1 for a valid object slot.
    ind : Tensor of int64, shape (B, K)
    target : Tensor, shape (B, K, C)

    Returns
    -------
    Tensor, shape ()
        ``sum |pred - target| over valid entries / (number of valid entries + 1e-4)``.
    """
    pred = gather_at(output, ind)
    m = mask.unsqueeze(2).expand_as(pred).float()
    return F.l1_loss(pred * m, target * m, reduction="sum") / (m.sum() + 1e-4)


class FairMOTLoss(nn.Module):
    """FairMOT's multi-task loss, with the identity classifier and the uncertainty weights.

    Parameters
    ----------
    num_ids : int
        Number of training identities ``nID`` (>= 2).
    emb_dim : int, default 128
        Size of the ``id`` head.
    wh_weight, off_weight, hm_weight : float
        Detection-loss weights (0.1, 1, 1).
    s_det, s_id : float
        Initial log-variances of the uncertainty weighting (-1.85, -1.05).

    Notes
    -----
    ``loss = 0.5 * (exp(-s_det) * L_det + exp(-s_id) * L_id + s_det + s_id)`` with
    ``L_det = hm_weight * L_hm + wh_weight * L_wh + off_weight * L_off``. Identity targets of
    ``-1`` (unlabelled boxes) are ignored by the cross-entropy.
    """

    def __init__(
        self,
        num_ids: int,
        emb_dim: int = 128,
        wh_weight: float = 0.1,
        off_weight: float = 1.0,
        hm_weight: float = 1.0,
        s_det: float = -1.85,
        s_id: float = -1.05,
    ) -> None:
        super().__init__()
        if not isinstance(num_ids, int) or num_ids < 2:
            raise ValueError(f"num_ids: expected an int >= 2 (nID of the data), got {num_ids!r}")
        self.num_ids, self.emb_dim = num_ids, emb_dim
        self.weights = {"hm": hm_weight, "wh": wh_weight, "off": off_weight}
        self.classifier = nn.Linear(emb_dim, num_ids)
        self.emb_scale = math.sqrt(2) * math.log(num_ids - 1)
        self.s_det = nn.Parameter(torch.full((1,), float(s_det)))
        self.s_id = nn.Parameter(torch.full((1,), float(s_id)))

    def forward(
        self, outputs: Mapping[str, Tensor], batch: Mapping[str, Tensor]
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Total loss and its parts.

        Parameters
        ----------
        outputs : mapping
            Head outputs ``hm`` (logits), ``wh``, ``reg``, ``id``, each (B, C, H, W).
        batch : mapping
            Targets ``hm`` (B, 1, H, W), ``reg_mask`` (B, K), ``ind`` (B, K), ``wh`` (B, K, 4),
            ``reg`` (B, K, 2), ``ids`` (B, K).

        Returns
        -------
        loss : Tensor, shape ()
        parts : dict of str to Tensor
            ``hm``, ``wh``, ``off``, ``id``, ``det`` (detached).
        """
        hm = torch.clamp(torch.sigmoid(outputs["hm"].float()), 1e-4, 1 - 1e-4)
        hm_loss = focal_loss(hm, batch["hm"])
        mask, ind = batch["reg_mask"], batch["ind"]
        wh_loss = masked_l1(outputs["wh"].float(), mask, ind, batch["wh"])
        off_loss = masked_l1(outputs["reg"].float(), mask, ind, batch["reg"])
        w = self.weights
        det_loss = w["hm"] * hm_loss + w["wh"] * wh_loss + w["off"] * off_loss

        valid = mask > 0
        emb = gather_at(outputs["id"].float(), ind)[valid]
        logits = self.classifier(self.emb_scale * F.normalize(emb, dim=1))
        targets = batch["ids"][valid].long()
        if (targets >= 0).any():
            id_loss = F.cross_entropy(logits, targets, ignore_index=-1)
        else:
            # Deliberate deviation: with no labelled identity in the batch the original's
            # CrossEntropyLoss(ignore_index=-1) averages over nothing and returns NaN (a NaN
            # total loss and NaN gradients); here the identity loss is 0, with no gradient.
            id_loss = logits.sum() * 0.0
        loss = 0.5 * (
            torch.exp(-self.s_det) * det_loss
            + torch.exp(-self.s_id) * id_loss
            + (self.s_det + self.s_id)
        )
        parts = {"hm": hm_loss, "wh": wh_loss, "off": off_loss, "id": id_loss, "det": det_loss}
        return loss.squeeze(0), {k: v.detach() for k, v in parts.items()}
