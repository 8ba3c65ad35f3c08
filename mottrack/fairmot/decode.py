"""Decoding FairMOT's head outputs into per-frame :class:`~mottrack.Detections` with embeddings.

As FairMOT's ``models/decode.py::mot_decode`` and ``JDETracker.update``:

1. ``heat = sigmoid(hm)``; peaks are cells equal to the 3x3 max-pool of ``heat`` (others are 0).
2. The ``K`` highest peaks (``K = 500``; fewer if the map has fewer cells), best first; cell
   ``(x, y)`` plus the ``reg`` offset ``(reg[0], reg[1])`` is the centre (``+0.5`` without a
   ``reg`` head).
3. ``wh`` with 4 channels is ltrb (``ltrb=True`` in FairMOT's ``opts.py``): box
   ``[cx - l, cy - t, cx + r, cy + b]``; with 2 it is width/height around the centre.
4. Boxes go from output-grid units to frame pixels
   (:func:`~mottrack.fairmot.preprocess.output_to_frame`), and rows with
   ``score > conf_thres`` (0.4, compared in float32) are kept.
5. Embeddings: the ``id`` map at the centre cells, L2-normalised over channels. FairMOT normalises
   the whole map (``F.normalize(id, dim=1)``) before gathering; normalising the gathered vectors is
   the same per-vector operation on 500 vectors instead of every cell.

A box with ``x2 <= x1`` or ``y2 <= y1`` (negative or zero ltrb, seen only from untrained weights)
is dropped: it cannot be a :class:`Detections` row, or its aspect ratio ``w / h`` is undefined in
the Kalman state. FairMOT would pass it on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..types import Detections
from .preprocess import Letterbox, output_to_frame

__all__ = ["decode_frames", "gather_feat", "mot_decode", "peak_nms"]


def peak_nms(heat: Tensor, kernel: int = 3) -> Tensor:
    """Zero every cell of ``heat`` (B, C, H, W) that is not the maximum of its ``kernel`` window."""
    hmax = F.max_pool2d(heat, kernel, stride=1, padding=(kernel - 1) // 2)
    return heat * (hmax == heat).to(heat.dtype)


def gather_feat(feat: Tensor, inds: Tensor) -> Tensor:
    """Rows of ``feat`` (B, C, H, W) at flat cell indices ``inds`` (B, K): shape (B, K, C)."""
    b, c = feat.shape[:2]
    flat = feat.reshape(b, c, -1)
    return flat.gather(2, inds.unsqueeze(1).expand(b, c, inds.shape[1])).transpose(1, 2)


def mot_decode(
    hm: Tensor,
    wh: Tensor,
    reg: Tensor | None = None,
    id_feature: Tensor | None = None,
    K: int = 500,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Peaks, boxes and embeddings of a batch of head outputs, in output-grid units.

    Parameters
    ----------
    hm : Tensor, shape (B, 1, H, W)
        Heatmap logits.
    wh : Tensor, shape (B, 4, H, W) or (B, 2, H, W)
        ltrb distances, or width/height.
    reg : Tensor, shape (B, 2, H, W), optional
        Centre offsets ``(dx, dy)``.
    id_feature : Tensor, shape (B, D, H, W), optional
        Re-ID map.
    K : int
        Peaks per image (at most ``H * W`` are returned).

    Returns
    -------
    boxes : Tensor, shape (B, K, 4)
        ``[x1, y1, x2, y2]`` in output cells, float32.
    scores : Tensor, shape (B, K)
        Sorted best first.
    embeddings : Tensor, shape (B, K, D), or None
        Unit-length rows.
    """
    if hm.ndim != 4 or hm.shape[1] != 1:
        raise ValueError(f"hm: expected shape (B, 1, H, W), got {tuple(hm.shape)}")
    b, _, h, w = hm.shape
    if wh.shape[1] not in (2, 4) or wh.shape[2:] != hm.shape[2:]:
        raise ValueError(f"wh: expected shape (B, 4 or 2, {h}, {w}), got {tuple(wh.shape)}")
    if K < 1:
        raise ValueError(f"K: expected an int >= 1, got {K}")
    heat = peak_nms(torch.sigmoid(hm.float()))
    scores, inds = torch.topk(heat.view(b, -1), min(K, h * w))
    ys = torch.div(inds, w, rounding_mode="floor").float()
    xs = (inds % w).float()
    if reg is not None:
        offsets = gather_feat(reg.float(), inds)
        xs, ys = xs + offsets[..., 0], ys + offsets[..., 1]
    else:
        xs, ys = xs + 0.5, ys + 0.5
    sizes = gather_feat(wh.float(), inds)
    if sizes.shape[-1] == 4:
        left, top, right, bottom = sizes.unbind(-1)
        boxes = torch.stack([xs - left, ys - top, xs + right, ys + bottom], dim=-1)
    else:
        half_w, half_h = sizes[..., 0] / 2, sizes[..., 1] / 2
        boxes = torch.stack([xs - half_w, ys - half_h, xs + half_w, ys + half_h], dim=-1)
    embeddings = None
    if id_feature is not None:
        embeddings = F.normalize(gather_feat(id_feature.float(), inds), dim=-1)
    return boxes, scores, embeddings


def decode_frames(
    outputs: Mapping[str, Tensor],
    boxes: Sequence[Letterbox],
    conf_thres: float = 0.4,
    K: int = 500,
    down_ratio: int = 4,
) -> list[Detections]:
    """Decode a batch of head outputs (``hm``, ``wh``, optional ``reg`` and ``id``) into one
    :class:`Detections` per frame, in frame pixels (module docstring).

    Parameters
    ----------
    outputs : mapping of str to Tensor
        Network outputs for ``B`` frames.
    boxes : sequence of Letterbox
        How each frame was letterboxed (``B`` of them).
    conf_thres : float
        Keep rows with score above this.
    K : int
        Peaks per frame before thresholding.
    down_ratio : int
        Output stride of the network.
    """
    for name in ("hm", "wh"):
        if name not in outputs:
            raise ValueError(f"outputs: expected head {name!r}, got heads {sorted(outputs)}")
    if len(boxes) != outputs["hm"].shape[0]:
        raise ValueError(
            f"boxes: expected one Letterbox per frame ({outputs['hm'].shape[0]}), got {len(boxes)}"
        )
    xyxy, scores, emb = mot_decode(
        outputs["hm"], outputs["wh"], outputs.get("reg"), outputs.get("id"), K
    )
    xyxy_np, scores_np = xyxy.cpu().numpy(), scores.cpu().numpy()
    emb_np = None if emb is None else emb.cpu().numpy()
    thres = np.float32(conf_thres)
    result = []
    for i, box in enumerate(boxes):
        frame_xyxy = output_to_frame(xyxy_np[i], box, down_ratio)
        keep = (scores_np[i] > thres) & (frame_xyxy[:, 2] > frame_xyxy[:, 0])
        keep &= frame_xyxy[:, 3] > frame_xyxy[:, 1]
        result.append(
            Detections(
                frame_xyxy[keep],
                scores_np[i][keep],
                embeddings=None if emb_np is None else emb_np[i][keep],
            )
        )
    return result
