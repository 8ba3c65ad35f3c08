"""The FairMOT network (``DLASeg`` of ``pose_dla_dcn.py``): DLA backbone, DLA-up + IDA-up path with
deformable convolutions, and one small head per output, at output stride 4.

``build_model()`` with no arguments is the paper's DLA-34 network with the heads
``{"hm": 1, "wh": 4, "id": 128, "reg": 2}`` (registered in that order, as FairMOT's ``opts.py``
builds them). Its ``state_dict`` has the keys, shapes and dtypes of an official FairMOT checkpoint
except the unused ImageNet classifier ``base.fc.*``; see :mod:`mottrack.fairmot.checkpoint`.

Heads: ``Conv3x3(C, head_conv) + ReLU + Conv1x1(head_conv, n)`` (keys ``<head>.0.*`` and
``<head>.2.*``), or a single ``Conv1x1`` when ``head_conv == 0``. The heatmap head's last bias is
-2.19 (an initial score of about 0.1); every bias of the other heads is zero.

Architectures (``arch``):

* ``"dla34"``: levels ``(1, 1, 1, 2, 2, 1)``, channels ``(16, 32, 64, 128, 256, 512)``;
  19,836,711 parameters with the default heads.
* ``"dla34_tiny"``: the same structure (hence the same key names) with channels
  ``(4, 8, 12, 16, 24, 32)`` (strictly widening, so every projection exists), for
  fast CPU tests.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

from torch import Tensor, nn

from .dcn import DeformConv2d, resolve_backend
from .dla import DLA
from .dla_up import DLAUp, IDAUp

__all__ = ["ARCHS", "DEFAULT_HEADS", "FairMOTNet", "build_model", "set_dcn_backend"]

DEFAULT_HEADS: dict[str, int] = {"hm": 1, "wh": 4, "id": 128, "reg": 2}
ARCHS: dict[str, dict[str, tuple[int, ...]]] = {
    "dla34": {"levels": (1, 1, 1, 2, 2, 1), "channels": (16, 32, 64, 128, 256, 512)},
    "dla34_tiny": {"levels": (1, 1, 1, 2, 2, 1), "channels": (4, 8, 12, 16, 24, 32)},
}
ARCHS["tiny"] = ARCHS["dla34_tiny"]  # the short name of the CLI (``--arch dla34|tiny``)
HM_BIAS = -2.19
LAST_LEVEL = 5


class FairMOTNet(nn.Module):
    """DLA backbone + up path + heads; ``forward`` returns a dict of head outputs.

    Parameters
    ----------
    levels, channels : sequence of 6 ints
        The backbone (:class:`~mottrack.fairmot.dla.DLA`).
    heads : mapping of str to int
        Output channels per head, in registration order.
    head_conv : int
        Hidden channels of each head (0: a single 1x1 conv).
    down_ratio : {2, 4, 8, 16}
        Output stride (FairMOT: 4).
    dcn_backend : {"auto", "torch", "torchvision"}
        Backend of every deformable convolution (:mod:`mottrack.fairmot.dcn`).
    """

    def __init__(
        self,
        levels: Sequence[int] = ARCHS["dla34"]["levels"],
        channels: Sequence[int] = ARCHS["dla34"]["channels"],
        heads: Mapping[str, int] | None = None,
        head_conv: int = 256,
        down_ratio: int = 4,
        dcn_backend: str = "auto",
    ) -> None:
        super().__init__()
        heads = dict(DEFAULT_HEADS if heads is None else heads)
        if not heads or not all(isinstance(n, int) and n >= 1 for n in heads.values()):
            raise ValueError(
                f"heads: expected a non-empty mapping of name -> int >= 1, got {heads}"
            )
        if down_ratio not in (2, 4, 8, 16):
            raise ValueError(f"down_ratio: expected 2, 4, 8 or 16, got {down_ratio}")
        if head_conv < 0:
            raise ValueError(f"head_conv: expected an int >= 0, got {head_conv}")
        resolve_backend(dcn_backend)
        self.heads = heads
        self.down_ratio = down_ratio
        self.first_level = int(math.log2(down_ratio))
        self.base = DLA(levels, channels)
        used = list(self.base.channels[self.first_level :])
        self.dla_up = DLAUp(used, [2**i for i in range(len(used))], dcn_backend)
        n_ida = LAST_LEVEL - self.first_level
        self.ida_up = IDAUp(used[0], used[:n_ida], [2**i for i in range(n_ida)], dcn_backend)
        for name, n_out in heads.items():
            setattr(self, name, _head(used[0], head_conv, n_out, is_heatmap=name == "hm"))

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        """Map images ``(B, 3, H, W)`` (H, W multiples of 32) to head outputs
        ``(B, heads[name], H / down_ratio, W / down_ratio)``; ``hm`` holds logits."""
        levels = self.base(x)
        up = self.dla_up(levels[self.first_level :])
        n_ida = LAST_LEVEL - self.first_level
        y = self.ida_up(up[:n_ida])[-1]
        return {name: getattr(self, name)(y) for name in self.heads}


def _head(c_in: int, head_conv: int, n_out: int, is_heatmap: bool) -> nn.Module:
    if head_conv > 0:
        head: nn.Module = nn.Sequential(
            nn.Conv2d(c_in, head_conv, 3, padding=1, bias=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(head_conv, n_out, 1, bias=True),
        )
        last = head[-1]  # type: ignore[index]
    else:
        head = last = nn.Conv2d(c_in, n_out, 1, bias=True)
    if is_heatmap:
        nn.init.constant_(last.bias, HM_BIAS)
    else:
        for m in head.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.zeros_(m.bias)
    return head


def build_model(
    arch: str = "dla34",
    heads: Mapping[str, int] | None = None,
    head_conv: int = 256,
    *,
    levels: Sequence[int] | None = None,
    channels: Sequence[int] | None = None,
    down_ratio: int = 4,
    dcn_backend: str = "auto",
    weights: str | os.PathLike[str] | None = None,
) -> FairMOTNet:
    """Build the FairMOT network; with no arguments, the paper's DLA-34 with its four heads.

    Parameters
    ----------
    arch : str
        A key of :data:`ARCHS`: ``"dla34"``, or ``"dla34_tiny"`` (alias ``"tiny"``).
    heads : mapping of str to int, optional
        Head name -> output channels; default :data:`DEFAULT_HEADS`.
    head_conv : int
        Hidden channels of each head.
    levels, channels : sequence of 6 ints, optional
        Override the architecture's depth / width.
    down_ratio : int
        Output stride.
    dcn_backend : {"auto", "torch", "torchvision"}
    weights : path, optional
        A checkpoint to load strictly (:func:`mottrack.fairmot.checkpoint.load_checkpoint`).
        Weights are only ever read from a path given here; nothing is downloaded.

    Returns
    -------
    FairMOTNet
        In training mode (call ``.eval()`` for inference), on the CPU.
    """
    if arch not in ARCHS:
        raise ValueError(f"arch: expected one of {sorted(ARCHS)}, got {arch!r}")
    spec = ARCHS[arch]
    model = FairMOTNet(
        levels=spec["levels"] if levels is None else levels,
        channels=spec["channels"] if channels is None else channels,
        heads=heads,
        head_conv=head_conv,
        down_ratio=down_ratio,
        dcn_backend=dcn_backend,
    )
    if weights is not None:
        from .checkpoint import load_checkpoint

        load_checkpoint(model, weights)
    return model


def set_dcn_backend(model: nn.Module, backend: str) -> int:
    """Set the backend of every :class:`DeformConv2d` in ``model``; return how many there are."""
    resolve_backend(backend)
    layers = [m for m in model.modules() if isinstance(m, DeformConv2d)]
    for m in layers:
        m.backend = backend
    return len(layers)
