"""FairMOT's up-sampling path: iterative (:class:`IDAUp`) and hierarchical (:class:`DLAUp`) deep
layer aggregation with deformable convolutions, as in ``pose_dla_dcn.py``.

Every projection and aggregation node is a :class:`DeformConv` (DCN 3x3, then BN and ReLU; the BN
is registered first, so its keys ``actf.0.*`` come before ``conv.*``). Up-sampling by ``f`` is a
depthwise ``ConvTranspose2d(kernel 2f, stride f, padding f // 2)`` without bias, initialised to a
bilinear kernel (:func:`fill_up_weights`) and trained with the rest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from .dcn import DeformConv2d
from .dla import BN_MOMENTUM

__all__ = ["DLAUp", "DeformConv", "IDAUp", "fill_up_weights"]


def fill_up_weights(up: nn.ConvTranspose2d) -> None:
    """Set every channel of a depthwise transposed conv to the same bilinear kernel.

    For kernel size ``k`` and ``f = ceil(k / 2)``, ``c = (2f - 1 - f % 2) / (2f)``, the kernel is
    ``(1 - |i / f - c|) * (1 - |j / f - c|)``.
    """
    k = up.weight.shape[2]
    f = math.ceil(k / 2)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    ramp = 1 - torch.abs(torch.arange(k, dtype=torch.float64) / f - c)
    kernel = (ramp[:, None] * ramp[None, :]).to(up.weight.dtype)
    with torch.no_grad():
        up.weight.copy_(kernel.expand_as(up.weight))


class DeformConv(nn.Module):
    """DCN 3x3 (stride 1, padding 1) from ``chi`` to ``cho`` channels, then BN and ReLU."""

    def __init__(self, chi: int, cho: int, dcn_backend: str = "auto") -> None:
        super().__init__()
        self.actf = nn.Sequential(nn.BatchNorm2d(cho, momentum=BN_MOMENTUM), nn.ReLU(inplace=True))
        self.conv = DeformConv2d(chi, cho, 3, 1, 1, 1, backend=dcn_backend)

    def forward(self, x: Tensor) -> Tensor:
        return self.actf(self.conv(x))


class IDAUp(nn.Module):
    """Iterative deep aggregation onto the resolution of its first input.

    For ``i = 1 .. len(channels) - 1`` it registers ``proj_i`` (``channels[i] -> out``),
    ``up_i`` (up-sampling by ``up_f[i]``) and ``node_i`` (``out -> out``).

    Parameters
    ----------
    out : int
        Output channels.
    channels : sequence of int
        Channels of the inputs, finest first.
    up_f : sequence of int
        Scale of each input relative to the first (``up_f[0]`` is unused).
    """

    def __init__(
        self, out: int, channels: Sequence[int], up_f: Sequence[int], dcn_backend: str = "auto"
    ) -> None:
        super().__init__()
        for i in range(1, len(channels)):
            f = int(up_f[i])
            up = nn.ConvTranspose2d(out, out, 2 * f, f, f // 2, groups=out, bias=False)
            fill_up_weights(up)
            setattr(self, f"proj_{i}", DeformConv(channels[i], out, dcn_backend))
            setattr(self, f"up_{i}", up)
            setattr(self, f"node_{i}", DeformConv(out, out, dcn_backend))
        self.steps = len(channels) - 1

    def forward(self, layers: Sequence[Tensor]) -> list[Tensor]:
        """Return ``[layers[0], a_1, ..., a_n]`` where ``a_i = node_i(up_i(proj_i(layers[i])) +
        a_{i-1})`` (with ``a_0 = layers[0]``); every ``a_i`` has the resolution of ``layers[0]``."""
        if len(layers) != self.steps + 1:
            raise ValueError(f"layers: expected {self.steps + 1} feature maps, got {len(layers)}")
        out = [layers[0]]
        for i in range(1, self.steps + 1):
            up = getattr(self, f"up_{i}")(getattr(self, f"proj_{i}")(layers[i]))
            out.append(getattr(self, f"node_{i}")(up + out[-1]))
        return out


class DLAUp(nn.Module):
    """Hierarchical aggregation from the coarsest level down to the finest.

    ``ida_0`` merges the two coarsest levels, ``ida_1`` the three coarsest (the coarser ones
    already merged once), and so on; ``forward`` returns the finest-first list of the final
    aggregate at each resolution.

    Parameters
    ----------
    channels : sequence of int
        Channels of the backbone levels used (``channels[first_level:]``), finest first.
    scales : sequence of int
        Their strides relative to the finest (``1, 2, 4, ...``).
    """

    def __init__(
        self, channels: Sequence[int], scales: Sequence[int], dcn_backend: str = "auto"
    ) -> None:
        super().__init__()
        channels, scales = list(channels), [int(s) for s in scales]
        in_channels = list(channels)
        for i in range(len(channels) - 1):
            j = len(channels) - i - 2  # the level this stage aggregates onto
            up_f = [s // scales[j] for s in scales[j:]]
            setattr(self, f"ida_{i}", IDAUp(channels[j], in_channels[j:], up_f, dcn_backend))
            scales[j + 1 :] = [scales[j]] * (len(scales) - j - 1)
            in_channels[j + 1 :] = [channels[j]] * (len(channels) - j - 1)
        self.stages = len(channels) - 1

    def forward(self, layers: Sequence[Tensor]) -> list[Tensor]:
        """``layers``: the used backbone outputs, finest first. Returns as many maps, finest first:
        the final aggregate at each resolution (the coarsest is the backbone's own)."""
        if len(layers) != self.stages + 1:
            raise ValueError(f"layers: expected {self.stages + 1} feature maps, got {len(layers)}")
        layers = list(layers)
        out = [layers[-1]]
        for i in range(self.stages):
            j = len(layers) - i - 2
            layers[j:] = getattr(self, f"ida_{i}")(layers[j:])
            out.insert(0, layers[-1])
        return out
