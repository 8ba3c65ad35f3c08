"""Modulated deformable convolution (DCNv2, Zhu et al. 2019) in pure torch.

FairMOT's up-sampling path uses CharlesShang/DCNv2's ``DCN`` module: a 3x3 convolution whose
27-channel side branch ``conv_offset_mask`` predicts, at every output position, a 2-d offset and a
modulation scalar for each of the 9 kernel points. :class:`DeformConv2d` has exactly its
parameters, registered in the same order (``weight``, ``bias``, ``conv_offset_mask.weight``,
``conv_offset_mask.bias``), so official state dicts load unchanged.

Channel layout of the side branch (DCNv2's ``DCN.forward``): the 27 channels are cut into three
chunks of 9; the first two chunks, concatenated again (so: channels 0..17 in order), are the
offsets, *interleaved per kernel point*: channel ``2k`` is the row offset ``dy`` and ``2k + 1``
the column offset ``dx`` of kernel point ``k = 3 i + j`` (row ``i``, column ``j``); the last 9
channels are the mask logits, ``mask = sigmoid(.)``. Kernel point ``k`` of output ``(y, x)``
samples the input at row ``y * stride - padding + i * dilation + dy`` and column
``x * stride - padding + j * dilation + dx``, bilinearly, with zeros outside the image (a
position at or beyond ``-1`` or ``H``/``W`` contributes nothing). ``torchvision.ops.deform_conv2d``
uses the same offset and mask layout and the same sampling rule.

Backends: ``"torch"`` is the pure implementation below (``grid_sample`` per kernel point, then one
matrix product), differentiable in every input. ``"torchvision"`` calls
``torchvision.ops.deform_conv2d`` and needs torchvision with its compiled ops. ``"auto"`` (the
default) uses torchvision when it imports and runs, unless the environment variable
``MOTTRACK_PURE_DCN`` is set to a non-empty value other than ``0``.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "BACKENDS",
    "DeformConv2d",
    "deform_conv2d_torch",
    "modulated_deform_conv2d",
    "resolve_backend",
    "torchvision_deform_conv2d",
]

BACKENDS = ("auto", "torch", "torchvision")
PURE_ENV = "MOTTRACK_PURE_DCN"


@functools.cache
def torchvision_deform_conv2d() -> Callable[..., Tensor] | None:
    """Return ``torchvision.ops.deform_conv2d`` if torchvision imports and its op runs, else None.

    The op is tried once on a tiny CPU input, so a torchvision built for another torch (whose
    compiled operators are missing) counts as unavailable.
    """
    try:
        from torchvision.ops import deform_conv2d
    except Exception:  # ImportError, or a broken install raising at import time
        return None
    try:
        x = torch.zeros(1, 1, 3, 3)
        deform_conv2d(
            x,
            torch.zeros(1, 18, 3, 3),
            torch.zeros(1, 1, 3, 3),
            padding=(1, 1),
            mask=torch.ones(1, 9, 3, 3),
        )
    except Exception:
        return None
    return deform_conv2d


def resolve_backend(backend: str = "auto") -> str:
    """Return the backend a call with ``backend`` uses: ``"torch"`` or ``"torchvision"``.

    Raises
    ------
    ValueError
        If ``backend`` is not one of :data:`BACKENDS`.
    RuntimeError
        If ``"torchvision"`` is asked for but torchvision's op is unavailable.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
    if backend == "torch":
        return "torch"
    available = torchvision_deform_conv2d() is not None
    if backend == "torchvision":
        if not available:
            raise RuntimeError(
                "backend: 'torchvision' needs torchvision with its compiled ops "
                "(torchvision.ops.deform_conv2d did not import or run); use 'torch'"
            )
        return "torchvision"
    forced_pure = os.environ.get(PURE_ENV, "") not in ("", "0")
    return "torchvision" if available and not forced_pure else "torch"


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v >= 0 for v in pair):
        raise ValueError(f"{name}: expected an int >= 0 or a pair of them, got {value!r}")
    return pair  # type: ignore[return-value]


def deform_conv2d_torch(
    input: Tensor,
    offset: Tensor,
    mask: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 1,
    dilation: int | tuple[int, int] = 1,
) -> Tensor:
    """Modulated deformable convolution in pure torch (one offset group, no conv groups).

    Parameters
    ----------
    input : Tensor, shape (B, C, H, W)
    offset : Tensor, shape (B, 2 * kh * kw, Ho, Wo)
        Interleaved ``(dy, dx)`` per kernel point (module docstring).
    mask : Tensor, shape (B, kh * kw, Ho, Wo)
        Modulation per kernel point (already passed through the sigmoid).
    weight : Tensor, shape (O, C, kh, kw)
    bias : Tensor, shape (O,), optional
    stride, padding, dilation : int or (int, int)

    Returns
    -------
    Tensor, shape (B, O, Ho, Wo)
    """
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    dh, dw = _pair(dilation, "dilation")
    b, c, h, w = input.shape
    out_c, in_c, kh, kw = weight.shape
    k = kh * kw
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if in_c != c:
        raise ValueError(
            f"weight: expected {c} input channels (as input), got shape {weight.shape}"
        )
    if offset.shape != (b, 2 * k, ho, wo) or mask.shape != (b, k, ho, wo):
        raise ValueError(
            f"offset, mask: expected shapes {(b, 2 * k, ho, wo)} and {(b, k, ho, wo)}, "
            f"got {tuple(offset.shape)} and {tuple(mask.shape)}"
        )
    # Sampling coordinates and bilinear weights in at least float32 (in bf16, positions of a
    # 272-pixel-wide map would be off by up to a pixel); the product runs in the weight's dtype.
    dtype = torch.promote_types(torch.promote_types(input.dtype, offset.dtype), torch.float32)
    kw_idx = torch.arange(kw, device=input.device, dtype=dtype)
    kh_idx = torch.arange(kh, device=input.device, dtype=dtype)
    # Sampling rows and columns of every kernel point k = i * kw + j: shape (B, k, Ho, Wo).
    base_y = torch.arange(ho, device=input.device, dtype=dtype) * sh - ph
    base_x = torch.arange(wo, device=input.device, dtype=dtype) * sw - pw
    ky = (kh_idx * dh).repeat_interleave(kw)
    kx = (kw_idx * dw).repeat(kh)
    offset = offset.to(dtype).reshape(b, k, 2, ho, wo)
    y = base_y.view(1, 1, ho, 1) + ky.view(1, k, 1, 1) + offset[:, :, 0]
    x = base_x.view(1, 1, 1, wo) + kx.view(1, k, 1, 1) + offset[:, :, 1]
    # grid_sample with align_corners=False reads pixel p at normalised (2p + 1) / size - 1 and
    # interpolates bilinearly with zeros outside: DCNv2's sampling rule.
    grid = torch.stack(((2 * x + 1) / w - 1, (2 * y + 1) / h - 1), dim=-1)
    sampled = F.grid_sample(
        input.to(dtype),
        grid.view(b, k * ho, wo, 2),
        mode="bilinear",
        padding_mode="zeros",
        align_corners=False,
    ).view(b, c, k, ho, wo)
    mask = mask.reshape(b, 1, k, ho, wo)
    if sampled.requires_grad or mask.requires_grad:
        cols = sampled * mask
    else:  # inference: no second (B, C * k, Ho * Wo) buffer
        cols = sampled.mul_(mask.to(sampled.dtype))
    # One (O, C * k) x (C * k, Ho * Wo) product per image (torch.matmul would copy a transposed
    # cols for B > 1), with the bias added by the same call.
    w_batched = weight.reshape(1, out_c, c * k).expand(b, out_c, c * k)
    cols = cols.reshape(b, c * k, ho * wo).to(weight.dtype)
    if bias is None:
        out = torch.bmm(w_batched, cols)
    else:
        out = torch.baddbmm(bias.view(1, out_c, 1), w_batched, cols)
    return out.view(b, out_c, ho, wo)


def modulated_deform_conv2d(
    input: Tensor,
    offset: Tensor,
    mask: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 1,
    dilation: int | tuple[int, int] = 1,
    backend: str = "auto",
) -> Tensor:
    """Modulated deformable convolution with the given backend (see :func:`resolve_backend`).

    Arguments and result as :func:`deform_conv2d_torch`.
    """
    if resolve_backend(backend) == "torch":
        return deform_conv2d_torch(input, offset, mask, weight, bias, stride, padding, dilation)
    op = torchvision_deform_conv2d()
    assert op is not None
    return op(
        input,
        offset,
        weight,
        bias,
        stride=_pair(stride, "stride"),
        padding=_pair(padding, "padding"),
        dilation=_pair(dilation, "dilation"),
        mask=mask,
    )


class DeformConv2d(nn.Module):
    """DCNv2's ``DCN`` module: offsets and mask from a 3x3 side convolution, then a deformable conv.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation : int
        FairMOT uses 3, 1, 1, 1.
    backend : {"auto", "torch", "torchvision"}
        The deformable op (module docstring); may be changed later through ``self.backend``.

    Notes
    -----
    Initialisation as DCNv2: ``weight`` uniform in ``±1/sqrt(in_channels * k * k)``, ``bias``
    zero, ``conv_offset_mask`` all zeros (so an untrained layer is a plain convolution whose sum
    is halved by the mask ``sigmoid(0) = 0.5`` before the bias).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int = 1,
        dilation: int = 1,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        resolve_backend(backend)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.backend = backend
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels))
        self.conv_offset_mask = nn.Conv2d(
            in_channels, 3 * kernel_size * kernel_size, kernel_size, stride, padding, dilation
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.in_channels * self.kernel_size**2)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.zeros_(self.bias)
        nn.init.zeros_(self.conv_offset_mask.weight)
        nn.init.zeros_(self.conv_offset_mask.bias)

    def offset_and_mask(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Return ``offset`` (B, 2k, Ho, Wo) and ``mask`` (B, k, Ho, Wo) for input ``x``."""
        out = self.conv_offset_mask(x)
        k = self.kernel_size**2
        return out[:, : 2 * k], torch.sigmoid(out[:, 2 * k :])

    def forward(self, x: Tensor) -> Tensor:
        offset, mask = self.offset_and_mask(x)
        return modulated_deform_conv2d(
            x,
            offset,
            mask,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.backend,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, backend={self.backend!r}"
        )
