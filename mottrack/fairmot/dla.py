"""DLA backbone (Yu et al. 2018, "Deep Layer Aggregation"), as FairMOT's ``pose_dla_dcn.DLA``.

DLA-34 is ``DLA(levels=(1, 1, 1, 2, 2, 1), channels=(16, 32, 64, 128, 256, 512))`` with
:class:`BasicBlock` and non-residual roots. Levels and their strides (input ``(B, 3, H, W)``):

======  ===============================================  =======
name    structure                                        stride
======  ===============================================  =======
base    conv 7x7 (stride 1), BN, ReLU                    1
level0  ``levels[0]`` x (conv 3x3, BN, ReLU)             1
level1  ``levels[1]`` x (conv 3x3, BN, ReLU), stride 2   2
level2  ``Tree`` of depth ``levels[2]``                  4
level3  ``Tree`` of depth ``levels[3]``, level root      8
level4  ``Tree`` of depth ``levels[4]``, level root      16
level5  ``Tree`` of depth ``levels[5]``, level root      32
======  ===============================================  =======

The ImageNet classifier (``fc``) is left out: FairMOT never uses it (see
:mod:`mottrack.fairmot.checkpoint` for how official files that carry it are read). The module
names follow the original, so state-dict keys match FairMOT's.

One deliberate shortcut: a tree of depth > 1 computes no projection of its own input for its
first child, because that child is a tree that computes its own (the original computes it and
throws it away). Outputs are identical; only the unused running statistics of that projection's
batch norm are not updated in training mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["DLA", "BasicBlock", "Root", "Tree"]

BN_MOMENTUM = 0.1


class BasicBlock(nn.Module):
    """Two 3x3 conv + BN layers and a residual: ``relu(bn2(conv2(...)) + residual)``."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, dilation, dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, dilation, dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)

    def forward(self, x: Tensor, residual: Tensor | None = None) -> Tensor:
        residual = x if residual is None else residual
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


class Root(nn.Module):
    """Aggregation node: 1x1 conv + BN over the concatenated children, optional residual, ReLU."""

    def __init__(self, in_channels: int, out_channels: int, residual: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.residual = residual

    def forward(self, *children: Tensor) -> Tensor:
        x = self.bn(self.conv(torch.cat(children, 1)))
        if self.residual:
            x = x + children[0]
        return self.relu(x)


class Tree(nn.Module):
    """Hierarchical deep aggregation tree of ``depth`` levels.

    A depth-1 tree is two blocks and a :class:`Root` over ``(block2, block1, *extra)``, where
    ``extra`` holds the down-sampled input when ``level_root`` and, inside deeper trees, the
    outputs of earlier subtrees. A depth-``d`` tree is a depth-``d-1`` tree followed by a
    depth-``d-1`` tree that aggregates everything.

    Parameters
    ----------
    depth : int
        ``levels[i]`` of :class:`DLA` (>= 1).
    in_channels, out_channels, stride : int
    level_root : bool
        Feed the (down-sampled) input into the root.
    root_dim : int
        Channels entering the root (0: ``2 * out_channels``, plus ``in_channels`` if level root).
    root_residual : bool
    """

    def __init__(
        self,
        depth: int,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        level_root: bool = False,
        root_dim: int = 0,
        root_residual: bool = False,
    ) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth: expected an int >= 1, got {depth}")
        if root_dim == 0:
            root_dim = 2 * out_channels
        if level_root:
            root_dim += in_channels
        self.tree1: nn.Module
        self.tree2: nn.Module
        if depth == 1:
            self.tree1 = BasicBlock(in_channels, out_channels, stride)
            self.tree2 = BasicBlock(out_channels, out_channels, 1)
            self.root = Root(root_dim, out_channels, root_residual)
        else:
            self.tree1 = Tree(
                depth - 1, in_channels, out_channels, stride, root_residual=root_residual
            )
            self.tree2 = Tree(
                depth - 1,
                out_channels,
                out_channels,
                root_dim=root_dim + out_channels,
                root_residual=root_residual,
            )
        self.depth = depth
        self.level_root = level_root
        self.downsample = nn.MaxPool2d(stride, stride=stride) if stride > 1 else None
        self.project = None
        if in_channels != out_channels:
            self.project = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, bias=False),
                nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM),
            )

    def forward(self, x: Tensor, children: list[Tensor] | None = None) -> Tensor:
        children = [] if children is None else children
        bottom = self.downsample(x) if self.downsample is not None else x
        if self.level_root:
            children.append(bottom)
        if self.depth == 1:
            residual = self.project(bottom) if self.project is not None else bottom
            x1 = self.tree1(x, residual)
            x2 = self.tree2(x1)
            return self.root(x2, x1, *children)
        x1 = self.tree1(x)
        children.append(x1)
        return self.tree2(x1, children)


class DLA(nn.Module):
    """The DLA backbone; ``forward`` returns the six level outputs (strides 1, 2, 4, ..., 32).

    Parameters
    ----------
    levels : sequence of 6 ints
        Convolutions in level 0 and 1, then tree depths of levels 2..5.
    channels : sequence of 6 ints
        Output channels of each level.
    residual_root : bool
        Residual connections in the roots (False for DLA-34).
    """

    def __init__(
        self,
        levels: Sequence[int] = (1, 1, 1, 2, 2, 1),
        channels: Sequence[int] = (16, 32, 64, 128, 256, 512),
        residual_root: bool = False,
    ) -> None:
        super().__init__()
        levels, channels = tuple(levels), tuple(channels)
        if len(levels) != 6 or min(levels) < 1:
            raise ValueError(f"levels: expected 6 ints >= 1, got {levels}")
        if len(channels) != 6 or min(channels) < 1:
            raise ValueError(f"channels: expected 6 ints >= 1, got {channels}")
        self.levels = levels
        self.channels = channels
        self.base_layer = nn.Sequential(
            nn.Conv2d(3, channels[0], 7, 1, 3, bias=False),
            nn.BatchNorm2d(channels[0], momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
        )
        self.level0 = _conv_level(channels[0], channels[0], levels[0])
        self.level1 = _conv_level(channels[0], channels[1], levels[1], stride=2)
        for i in range(2, 6):
            tree = Tree(
                levels[i],
                channels[i - 1],
                channels[i],
                stride=2,
                level_root=i > 2,
                root_residual=residual_root,
            )
            setattr(self, f"level{i}", tree)

    def forward(self, x: Tensor) -> list[Tensor]:
        """Return the outputs of level 0..5: ``(B, channels[i], H / 2**i, W / 2**i)``."""
        x = self.base_layer(x)
        outputs = []
        for i in range(6):
            x = getattr(self, f"level{i}")(x)
            outputs.append(x)
        return outputs


def _conv_level(inplanes: int, planes: int, convs: int, stride: int = 1) -> nn.Sequential:
    modules: list[nn.Module] = []
    for i in range(convs):
        modules += [
            nn.Conv2d(inplanes, planes, 3, stride if i == 0 else 1, 1, bias=False),
            nn.BatchNorm2d(planes, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
        ]
        inplanes = planes
    return nn.Sequential(*modules)
