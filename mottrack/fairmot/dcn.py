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

Sampling follows DCNv2's kernels exactly (``dmcn_im2col_bilinear`` forward,
``modulated_deformable_col2im`` / ``_col2im_coord`` with ``dmcn_get_gradient_weight`` and
``dmcn_get_coordinate_weight`` backward): a sample at ``h <= -1``, ``h >= H``, ``w <= -1`` or
``w >= W`` has value zero and contributes no gradient to anything; otherwise it interpolates in the
*floor* cell ``h_low = floor(h)``, ``w_low = floor(w)``, each of the four corners counting only when
inside the image. The derivative with respect to an offset is the one of that cell, so at an exact
integer position (every position of an untrained layer, whose ``conv_offset_mask`` starts at zero)
it is the right-sided one, and a sample at exactly ``-1`` gets none. ``grid_sample`` would not do:
its normalise/unnormalise round trip moves integer positions by a rounding error to either side,
so the side of the derivative, and hence the offset gradient, would depend on float rounding.

Backends: ``"torch"`` is the pure implementation below (explicit floor + gather: DCNv2's
im2col, with DCNv2's col2im and col2im_coord written out as its backward, then one matrix
product), differentiable once in every input. ``"torchvision"`` calls
``torchvision.ops.deform_conv2d`` and needs torchvision with its compiled ops; its kernels are a
port of DCNv2's with the same floor cell, but its coordinate gradient lacks DCNv2's outside test,
so a sample exactly at ``-1`` (row or column) does get an offset gradient there. ``"auto"`` (the
default) uses torchvision when it imports and runs, unless the environment variable
``MOTTRACK_PURE_DCN`` is set to a non-empty value other than ``0``; without torchvision (the CPU
install) it is ``"torch"``.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from typing import Any

import torch
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


#: Rows of the column matrix handled at once, in elements (rows x channels): the gathered corner
#: rows of one chunk stay in cache, and no second buffer as large as the column matrix is needed.
CHUNK_ELEMENTS = 1 << 20


def _chunk_rows(channels: int) -> int:
    """Rows per chunk for ``channels`` columns (at least 1)."""
    return max(1, CHUNK_ELEMENTS // max(channels, 1))


def _corner_weights(ly: Tensor, lx: Tensor, mk: Tensor) -> tuple[Tensor, ...]:
    """Bilinear weights (times the mask) of the corners (low, low), (low, high), (high, low),
    (high, high) of the floor cell, as dmcn_im2col_bilinear's ``w1 .. w4``; each shape (N, 1)."""
    hy, hx = 1 - ly, 1 - lx
    return hy * hx * mk, hy * lx * mk, ly * hx * mk, ly * lx * mk


class _ModulatedIm2col(torch.autograd.Function):
    """DCNv2's modulated im2col, with DCNv2's col2im and col2im_coord as its backward.

    ``forward(input, y, x, mask)``: ``input`` (B, C, H, W); sampling rows ``y``, columns ``x`` and
    modulation ``mask``, each (B, Ho, Wo, K) and of ``input``'s dtype. Returns ``cols``
    (B * Ho * Wo * K, C): row ``((b * Ho + i) * Wo + j) * K + k`` is ``mask * bilinear(input[b],
    y, x)`` at kernel point ``k`` of output pixel ``(i, j)`` (module docstring for the rules).
    """

    @staticmethod
    def forward(ctx: Any, input: Tensor, y: Tensor, x: Tensor, mask: Tensor) -> Tensor:
        b, c, h, w = input.shape
        wp = w + 2
        # dmcn_im2col_bilinear is only called for -1 < h < H and -1 < w < W; anything else is 0
        # (and dmcn_get_coordinate_weight / _gradient_weight give 0 there too).
        inside = (y > -1) & (y < h) & (x > -1) & (x < w)
        y0, x0 = torch.floor(y), torch.floor(x)
        zero = y.new_zeros(())
        ly = torch.where(inside, y - y0, zero).reshape(-1, 1)  # h - h_low, in [0, 1)
        lx = torch.where(inside, x - x0, zero).reshape(-1, 1)
        mk = torch.where(inside, mask, zero).reshape(-1, 1)
        # Flat row of the (low, low) corner in the input padded by one zero pixel on every side,
        # so that a corner outside the image reads zero (DCNv2 skips it). An outside sample reads
        # padded (0, 0) with all weights zero.
        iy = torch.where(inside, y0, -1).long() + 1
        ix = torch.where(inside, x0, -1).long() + 1
        batch = torch.arange(b, device=input.device).view(b, 1, 1, 1) * (h + 2)
        idx = ((batch + iy) * wp + ix).reshape(-1)
        padded = input.new_zeros(b, h + 2, wp, c)
        padded[:, 1:-1, 1:-1] = input.permute(0, 2, 3, 1)
        padded = padded.view(-1, c)
        n = idx.numel()
        cols = input.new_empty(n, c)
        step = _chunk_rows(c)
        buf = input.new_empty(min(n, step), c)
        weights = _corner_weights(ly, lx, mk)
        for start in range(0, n, step):
            rows = slice(start, start + step)
            out, at = cols[rows], idx[rows]
            tmp = buf[: out.shape[0]]
            for corner, weight in zip((0, 1, wp, wp + 1), weights):
                torch.index_select(padded, 0, at + corner, out=tmp)
                if corner == 0:
                    torch.mul(tmp, weight[rows], out=out)
                else:
                    out.addcmul_(tmp, weight[rows])
        ctx.save_for_backward(padded, idx, ly, lx, mk, inside.reshape(-1))
        ctx.shapes = (b, c, h, w), y.shape
        return cols

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_cols: Tensor) -> tuple[Tensor | None, ...]:
        padded, idx, ly, lx, mk, inside = ctx.saved_tensors
        (b, c, h, w), shape = ctx.shapes
        wp = w + 2
        need_input, need_y, need_x, need_mask = ctx.needs_input_grad
        grad_cols = grad_cols.contiguous()
        n = idx.numel()
        corners = (0, 1, wp, wp + 1)
        weights = _corner_weights(ly, lx, mk)
        grad_padded = torch.zeros_like(padded) if need_input else None
        # dots[q, r] = <grad_cols[r], input row of corner q>: the four channel-summed corner
        # terms from which dmcn_get_coordinate_weight (times col and mask) and the mask gradient
        # (col times dmcn_im2col_bilinear) are built.
        dots = grad_cols.new_empty(4, n) if need_y or need_x or need_mask else None
        step = _chunk_rows(c)
        buf = grad_cols.new_empty(min(n, step), c)
        for start in range(0, n, step):
            rows = slice(start, start + step)
            g, at = grad_cols[rows], idx[rows]
            tmp = buf[: g.shape[0]]
            for q, (corner, weight) in enumerate(zip(corners, weights)):
                if dots is not None:
                    torch.index_select(padded, 0, at + corner, out=tmp)
                    torch.sum(tmp.mul_(g), dim=1, out=dots[q, rows])
                if grad_padded is not None:  # col2im: each corner gets its weight times grad
                    grad_padded.index_add_(0, at + corner, torch.mul(g, weight[rows], out=tmp))
        grad_input = grad_y = grad_x = grad_mask = None
        if grad_padded is not None:
            grad_input = grad_padded.view(b, h + 2, wp, c)[:, 1:-1, 1:-1].permute(0, 3, 1, 2)
        if dots is not None:
            d00, d01, d10, d11 = dots
            ly, lx, mk = ly.view(-1), lx.view(-1), mk.view(-1)
            hy, hx = 1 - ly, 1 - lx
            # Derivatives of the floor-cell form in h and w (bp_dir 0 and 1), times the mask;
            # zero for an outside sample, whose mk is 0.
            grad_y = (mk * (hx * (d10 - d00) + lx * (d11 - d01))).view(shape)
            grad_x = (mk * (hy * (d01 - d00) + ly * (d11 - d10))).view(shape)
            value = hy * (hx * d00 + lx * d01) + ly * (hx * d10 + lx * d11)
            grad_mask = torch.where(inside, value, 0).view(shape)
        return grad_input, grad_y, grad_x, grad_mask


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

    Values and gradients follow DCNv2's kernels (module docstring): explicit floor-cell bilinear
    sampling by gathers, then one ``(B * Ho * Wo, K * C) x (K * C, O)`` matrix product.

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
        In the weight's dtype; channels-last when ``input`` is, else contiguous.
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
    dev = input.device
    # Sampling row and column of kernel point k = i * kw + j at output (oy, ox), laid out
    # (B, Ho, Wo, K): the integer part first, then the offset, with one rounding as DCNv2's
    # ``h_in + i * dilation_h + offset_h``.
    base_y = torch.arange(ho, device=dev, dtype=dtype) * sh - ph
    base_x = torch.arange(wo, device=dev, dtype=dtype) * sw - pw
    ky = (torch.arange(kh, device=dev, dtype=dtype) * dh).repeat_interleave(kw)
    kx = (torch.arange(kw, device=dev, dtype=dtype) * dw).repeat(kh)
    offset = offset.to(dtype).view(b, k, 2, ho, wo).permute(0, 3, 4, 1, 2)
    y = (base_y.view(1, ho, 1, 1) + ky) + offset[..., 0]
    x = (base_x.view(1, 1, wo, 1) + kx) + offset[..., 1]
    mask = mask.to(dtype).view(b, k, ho, wo).permute(0, 2, 3, 1)
    cols = _ModulatedIm2col.apply(input.to(dtype), y, x, mask)
    cols = cols.view(b * ho * wo, k * c).to(weight.dtype)
    w_mat = weight.permute(0, 2, 3, 1).reshape(out_c, k * c)  # columns ordered (k, c) as cols
    if bias is None:
        out = torch.mm(cols, w_mat.t())
    else:
        out = torch.addmm(bias, cols, w_mat.t())
    out = out.view(b, ho, wo, out_c).permute(0, 3, 1, 2)  # channels-last strides
    channels_last = input.is_contiguous(memory_format=torch.channels_last)
    return out if channels_last and not input.is_contiguous() else out.contiguous()


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
