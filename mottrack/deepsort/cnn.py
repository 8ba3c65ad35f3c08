"""The DeepSORT crop CNN (Wojke & Bewley 2018, "Deep Cosine Metric Learning for Person
Re-Identification"), its cosine-softmax training head and the :class:`CNNEmbedder`.

Network (input ``(N, 3, 128, 64)`` RGB in ``[0, 1]``; the layer list of the authors'
``cosine_metric_learning`` ``deep_sort`` network):

=============  =====================================================  ============
name           layers                                                 output
=============  =====================================================  ============
conv1_1        conv 3x3 / 32, BN, ELU                                 32 x 128x64
conv1_2        conv 3x3 / 32, BN, ELU                                 32 x 128x64
pool1          max-pool 3x3, stride 2                                 32 x 64x32
conv2_1/2_3    residual blocks, 32 (the first has no pre-activation)  32 x 64x32
conv3_1/3_3    residual blocks, 64 (the first with stride 2)          64 x 32x16
conv4_1/4_3    residual blocks, 128 (the first with stride 2)         128 x 16x8
fc1            dropout 0.4, flatten, dense 128, BN, ELU               128
ball           BN, L2 normalisation                                   128
=============  =====================================================  ============

A residual block is pre-activation style: ``x + conv3x3(dropout(ELU(BN(conv3x3(ELU(BN(x)))))))``
with a 1x1 stride-2 projection of ``x`` when the width doubles. Convolutions followed by batch
normalisation carry no bias. PyTorch's batch normalisation has a learnable scale where the
original (TF-slim) has only an offset, so the parameter count is 2,802,080: the paper's
2,800,864 plus 1,088 BN scales plus the 128 offsets of the final ``ball`` BN (added in the
authors' later code).

Pre-processing (:func:`crops_to_tensor`) is the original's: BGR -> RGB, divide by 255.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike, NDArray
from torch import nn

from .._torchutil import resolve_device
from .checkpoint import load_weights, read_checkpoint
from .embedder import CROP_SIZE, check_crop_size, extract_crops

__all__ = [
    "CNNEmbedder",
    "CosineMetricNet",
    "CosineSoftmax",
    "ResidualBlock",
    "crops_to_tensor",
]

FEATURE_DIM = 128
DROPOUT = 0.4  # keep_prob 0.6 in the original


def _conv_bn_elu(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ELU()
    )


class ResidualBlock(nn.Module):
    """Pre-activation residual block; doubles the width with stride 2 when ``c_out != c_in``.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels (``c_out`` is ``c_in`` or ``2 * c_in``).
    is_first : bool
        Skip the BN + ELU pre-activation (the block right after a BN + ELU + pool stem).
    """

    def __init__(self, c_in: int, c_out: int, is_first: bool = False) -> None:
        super().__init__()
        if c_out not in (c_in, 2 * c_in):
            raise ValueError(f"c_out: expected c_in ({c_in}) or 2 * c_in, got {c_out}")
        stride = 1 if c_out == c_in else 2
        self.pre = nn.Identity() if is_first else nn.Sequential(nn.BatchNorm2d(c_in), nn.ELU())
        self.conv1 = _conv_bn_elu(c_in, c_out, stride)
        self.dropout = nn.Dropout(DROPOUT)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=True)
        self.projection = None if stride == 1 else nn.Conv2d(c_in, c_out, 1, 2, 0, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(self.dropout(self.conv1(self.pre(x))))
        return y + (x if self.projection is None else self.projection(x))


class CosineMetricNet(nn.Module):
    """The DeepSORT wide residual network: ``(N, 3, 128, 64)`` -> ``(N, 128)`` unit rows.

    Parameters
    ----------
    input_size : (int, int), default (128, 64)
        Crop ``(height, width)``. The default is the paper's; smaller crops (e.g. ``(64, 32)``)
        give a 4x cheaper variant with a smaller dense layer, for quick experiments and tests.
    """

    dim = FEATURE_DIM

    def __init__(self, input_size: tuple[int, int] = CROP_SIZE) -> None:
        super().__init__()
        self.input_size = check_crop_size(input_size, "input_size", 8)
        self.conv1_1 = _conv_bn_elu(3, 32)
        self.conv1_2 = _conv_bn_elu(32, 32)
        self.pool1 = nn.MaxPool2d(3, 2, padding=1)
        self.conv2_1 = ResidualBlock(32, 32, is_first=True)
        self.conv2_3 = ResidualBlock(32, 32)
        self.conv3_1 = ResidualBlock(32, 64)
        self.conv3_3 = ResidualBlock(64, 64)
        self.conv4_1 = ResidualBlock(64, 128)
        self.conv4_3 = ResidualBlock(128, 128)
        self.dropout = nn.Dropout(DROPOUT)
        flat = 128 * (-(-self.input_size[0] // 8)) * (-(-self.input_size[1] // 8))
        self.fc1 = nn.Sequential(
            nn.Linear(flat, FEATURE_DIM, bias=False), nn.BatchNorm1d(FEATURE_DIM), nn.ELU()
        )
        self.ball = nn.BatchNorm1d(FEATURE_DIM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Features of a batch of crops.

        Parameters
        ----------
        x : Tensor, shape (N, 3, height, width), float
            RGB crops in ``[0, 1]`` (see :func:`crops_to_tensor`).

        Returns
        -------
        Tensor, shape (N, 128)
            L2-normalised features.
        """
        x = self.pool1(self.conv1_2(self.conv1_1(x)))
        x = self.conv2_3(self.conv2_1(x))
        x = self.conv3_3(self.conv3_1(x))
        x = self.conv4_3(self.conv4_1(x))
        x = self.ball(self.fc1(torch.flatten(self.dropout(x), 1)))
        return F.normalize(x, dim=1, eps=1e-8)


class CosineSoftmax(nn.Module):
    """Cosine-softmax classifier: logits ``kappa * <f, w_k / |w_k|>`` for unit features ``f``.

    ``kappa = softplus(raw_scale)`` is learned (``raw_scale`` starts at 0, as in the paper's
    code, where it also carries an L2 penalty; see :func:`mottrack.deepsort.train.train_reid`).

    Parameters
    ----------
    num_classes : int
        Number of training identities.
    dim : int, default 128
        Feature length.
    """

    def __init__(self, num_classes: int, dim: int = FEATURE_DIM) -> None:
        super().__init__()
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes: expected an integer >= 2, got {num_classes!r}")
        self.weight = nn.Parameter(torch.randn(num_classes, dim) * 1e-3)
        self.raw_scale = nn.Parameter(torch.zeros(()))

    @property
    def scale(self) -> torch.Tensor:
        """The learned scale ``kappa`` (a positive scalar tensor)."""
        return F.softplus(self.raw_scale)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Logits, shape ``(N, num_classes)``, of unit features, shape ``(N, dim)``."""
        return self.scale * features @ F.normalize(self.weight, dim=1).T


def crops_to_tensor(crops: NDArray[np.uint8], device: torch.device | str = "cpu") -> torch.Tensor:
    """BGR uint8 crops ``(N, H, W, 3)`` -> RGB float tensor ``(N, 3, H, W)`` in ``[0, 1]``."""
    x = torch.from_numpy(np.ascontiguousarray(crops)).to(device)
    return x.flip(-1).permute(0, 3, 1, 2).float().div_(255.0)


class CNNEmbedder:
    """Appearance embedder running :class:`CosineMetricNet` over aspect-corrected crops.

    Parameters
    ----------
    weights : str or os.PathLike, optional
        Checkpoint to load (see :func:`~mottrack.deepsort.checkpoint.read_checkpoint`); its
        ``"input_size"`` entry, when present, sets the crop size (default 128x64). Without
        weights the network is untrained (random) and a ``UserWarning`` says so.
    device : str, default "cpu"
        Torch device.
    batch_size : int, default 256
        Crops per forward pass.

    Attributes
    ----------
    dim : int
        128.
    net : CosineMetricNet
        The network, in eval mode.
    """

    dim = FEATURE_DIM

    def __init__(
        self,
        weights: str | os.PathLike[str] | None = None,
        device: str = "cpu",
        batch_size: int = 256,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size: expected an integer >= 1, got {batch_size!r}")
        self.device = resolve_device(device)
        self.batch_size = batch_size
        if weights is None:
            warnings.warn(
                "CNNEmbedder: no weights given, the network is untrained (random weights); "
                "train one with `mottrack train reid` and pass weights=...",
                UserWarning,
                stacklevel=2,
            )
            self.net = CosineMetricNet()
        else:
            ckpt = read_checkpoint(weights)
            self.net = CosineMetricNet(tuple(ckpt.get("input_size", CROP_SIZE)))
            load_weights(self.net, ckpt["model"], f"weights: {weights}")
        self.net.to(self.device).eval()
        self.input_size = self.net.input_size

    def __repr__(self) -> str:
        return (
            f"CNNEmbedder(input_size={self.input_size}, device={str(self.device)!r}, "
            f"batch_size={self.batch_size})"
        )

    def __call__(self, frame: NDArray[np.uint8], xyxy: ArrayLike) -> NDArray[np.float32]:
        """Embed the boxes of one BGR frame: ``(N, 4)`` boxes -> ``(N, 128)`` float32 unit rows."""
        return self.embed_crops(extract_crops(frame, xyxy, self.input_size))

    def embed_crops(self, crops: NDArray[np.uint8]) -> NDArray[np.float32]:
        """Embed BGR crops, shape ``(N, height, width, 3)`` uint8 -> ``(N, 128)`` float32."""
        shape = (*self.input_size, 3)
        ok = isinstance(crops, np.ndarray) and crops.dtype == np.uint8 and crops.ndim == 4
        if not ok or crops.shape[1:] != shape:
            got = f"{crops.dtype} {crops.shape}" if isinstance(crops, np.ndarray) else type(crops)
            raise ValueError(
                f"crops: expected an (N, {shape[0]}, {shape[1]}, 3) uint8 array, got {got}"
            )
        out = np.zeros((crops.shape[0], self.dim), np.float32)
        with torch.inference_mode():
            for start in range(0, crops.shape[0], self.batch_size):
                chunk = crops[start : start + self.batch_size]
                feats = self.net(crops_to_tensor(chunk, self.device))
                out[start : start + chunk.shape[0]] = feats.float().cpu().numpy()
        return out
