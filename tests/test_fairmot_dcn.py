"""The pure-torch modulated deformable convolution against a per-pixel loop reference."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mottrack.fairmot.dcn import (
    DeformConv2d,
    deform_conv2d_torch,
    resolve_backend,
    torchvision_deform_conv2d,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _bilinear_zero(img: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """DCNv2's ``dmcn_im2col_bilinear`` for one point of a (C, H, W) image: four corners,
    each contributing only when inside the image."""
    h, w = img.shape[1:]
    if not (-1 < float(y.detach()) < h and -1 < float(x.detach()) < w):
        return img.new_zeros(img.shape[0])
    y0, x0 = math.floor(float(y.detach())), math.floor(float(x.detach()))
    ly, lx = y - y0, x - x0
    value = img.new_zeros(img.shape[0])
    for yy, xx, wgt in (
        (y0, x0, (1 - ly) * (1 - lx)),
        (y0, x0 + 1, (1 - ly) * lx),
        (y0 + 1, x0, ly * (1 - lx)),
        (y0 + 1, x0 + 1, ly * lx),
    ):
        if 0 <= yy < h and 0 <= xx < w:
            value = value + wgt * img[:, yy, xx]
    return value


def _loop_dcn(inp, offset, mask, weight, bias, stride=1, padding=1, dilation=1):
    """Straightforward reference: for every batch item, output pixel and kernel point, read the
    offsets at channels (2k, 2k + 1) = (dy, dx) and the mask at channel k, sample, accumulate."""
    b = inp.shape[0]
    out_c, _, kh, kw = weight.shape
    ho, wo = offset.shape[2:]
    rows = []
    for n in range(b):
        out = []
        for oy in range(ho):
            for ox in range(wo):
                acc = bias.clone()
                for i in range(kh):
                    for j in range(kw):
                        k = i * kw + j
                        y = oy * stride - padding + i * dilation + offset[n, 2 * k, oy, ox]
                        x = ox * stride - padding + j * dilation + offset[n, 2 * k + 1, oy, ox]
                        v = _bilinear_zero(inp[n], y, x) * mask[n, k, oy, ox]
                        acc = acc + weight[:, :, i, j] @ v
                out.append(acc)
        rows.append(torch.stack(out, dim=1).view(out_c, ho, wo))
    return torch.stack(rows)


def _random_layer(c_in=3, c_out=4, seed=0, dtype=torch.float64, scale=1.5) -> DeformConv2d:
    torch.manual_seed(seed)
    layer = DeformConv2d(c_in, c_out, backend="torch").to(dtype)
    with torch.no_grad():  # non-zero offsets (some far outside the image) and masks
        layer.conv_offset_mask.weight.normal_(0, scale)
        layer.conv_offset_mask.bias.normal_(0, scale)
        layer.bias.normal_()
    return layer


def _loop_forward(layer: DeformConv2d, x: torch.Tensor) -> torch.Tensor:
    offset, mask = layer.offset_and_mask(x)
    return _loop_dcn(x, offset, mask, layer.weight, layer.bias)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_pure_path_equals_the_loop_reference_values_and_gradients(dtype) -> None:
    layer = _random_layer(dtype=dtype)
    x = torch.randn(2, 3, 5, 6, dtype=dtype, requires_grad=True)
    params = [x, layer.weight, layer.bias, *layer.conv_offset_mask.parameters()]
    out = layer(x)
    ref = _loop_forward(layer, x)
    assert out.shape == (2, 4, 5, 6)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-5)
    probe = torch.randn_like(out)
    grads = torch.autograd.grad((out * probe).sum(), params)
    grads_ref = torch.autograd.grad((ref * probe).sum(), params)
    for name, g, g_ref in zip(
        ["input", "weight", "bias", "om.weight", "om.bias"], grads, grads_ref
    ):
        torch.testing.assert_close(g, g_ref, rtol=1e-5, atol=1e-5, msg=name)


def test_offsets_are_interleaved_dy_dx_per_kernel_point() -> None:
    """Shift only kernel point k = 1 (row 0, column 1) by dy = 1: its sample moves one row."""
    x = torch.arange(1.0, 26.0).view(1, 1, 5, 5)
    weight = torch.zeros(1, 1, 3, 3)
    weight[0, 0, 0, 1] = 1.0  # reads input[y - 1, x]
    offset = torch.zeros(1, 18, 5, 5)
    mask = torch.ones(1, 9, 5, 5)
    plain = deform_conv2d_torch(x, offset, mask, weight)
    offset[:, 2] = 1.0  # channel 2k = dy of k = 1
    moved_rows = deform_conv2d_torch(x, offset, mask, weight)
    offset[:, 2] = 0.0
    offset[:, 3] = 1.0  # channel 2k + 1 = dx of k = 1
    moved_cols = deform_conv2d_torch(x, offset, mask, weight)
    torch.testing.assert_close(plain[0, 0, 1:], x[0, 0, :-1])
    torch.testing.assert_close(moved_rows[0, 0], x[0, 0])  # now reads input[y, x]
    torch.testing.assert_close(moved_cols[0, 0, 1:, :-1], x[0, 0, :-1, 1:])


def test_zero_offsets_and_unit_mask_equal_conv2d() -> None:
    torch.manual_seed(1)
    x, w, b = torch.randn(2, 5, 9, 7), torch.randn(6, 5, 3, 3), torch.randn(6)
    offset, mask = torch.zeros(2, 18, 9, 7), torch.ones(2, 9, 9, 7)
    out = deform_conv2d_torch(x, offset, mask, w, b, stride=1, padding=1, dilation=1)
    torch.testing.assert_close(out, F.conv2d(x, w, b, padding=1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("stride", "padding", "dilation"), [(2, 1, 1), (1, 2, 2), (1, 0, 1)])
def test_other_geometries_equal_conv2d_and_the_loop(stride, padding, dilation) -> None:
    torch.manual_seed(2)
    x, w, b = torch.randn(1, 2, 7, 6, dtype=torch.float64), torch.randn(3, 2, 3, 3), torch.randn(3)
    w, b = w.double(), b.double()
    ref = F.conv2d(x, w, b, stride, padding, dilation)
    ho, wo = ref.shape[2:]
    offset = torch.zeros(1, 18, ho, wo, dtype=torch.float64)
    mask = torch.ones(1, 9, ho, wo, dtype=torch.float64)
    torch.testing.assert_close(
        deform_conv2d_torch(x, offset, mask, w, b, stride, padding, dilation), ref
    )
    offset.normal_(0, 2)
    mask.uniform_()
    torch.testing.assert_close(
        deform_conv2d_torch(x, offset, mask, w, b, stride, padding, dilation),
        _loop_dcn(x, offset, mask, w, b, stride, padding, dilation),
    )


def test_samples_outside_the_image_contribute_nothing() -> None:
    x = torch.ones(1, 1, 4, 4)
    w = torch.ones(1, 1, 3, 3)
    mask = torch.ones(1, 9, 4, 4)
    far = torch.full((1, 18, 4, 4), 10.0)  # every sample 10 px below and right: outside
    assert deform_conv2d_torch(x, far, mask, w).abs().max() == 0
    edge = torch.full((1, 18, 4, 4), -1.0)  # out (0, 0), point (0, 0) samples (-2, -2): zero
    out = deform_conv2d_torch(x, edge, mask, w)
    assert out[0, 0, 0, 0] == 1.0  # only point (2, 2) lands inside, at pixel (0, 0)
    half = torch.zeros(1, 18, 4, 4)
    half[:, 0::2] = -0.5  # a row half-way to the -1 border: half of the value remains
    out = deform_conv2d_torch(x, half, mask, w)
    assert out[0, 0, 0, 1] == pytest.approx(3 * 0.5 + 3 * 1.0)


def test_module_layout_and_initialisation() -> None:
    torch.manual_seed(3)
    layer = DeformConv2d(64, 32)
    assert list(layer.state_dict()) == [
        "weight",
        "bias",
        "conv_offset_mask.weight",
        "conv_offset_mask.bias",
    ]
    assert layer.weight.shape == (32, 64, 3, 3)
    assert layer.conv_offset_mask.weight.shape == (27, 64, 3, 3)
    assert layer.weight.abs().max() <= 1 / math.sqrt(64 * 9)
    assert layer.bias.abs().max() == 0 and layer.conv_offset_mask.weight.abs().max() == 0
    x = torch.randn(1, 64, 6, 5)
    torch.testing.assert_close(
        layer(x), 0.5 * F.conv2d(x, layer.weight, padding=1), rtol=1e-5, atol=1e-5
    )


def test_backend_argument_is_checked(monkeypatch) -> None:
    with pytest.raises(ValueError, match="backend: expected one of"):
        DeformConv2d(2, 2, backend="cuda")
    monkeypatch.setenv("MOTTRACK_PURE_DCN", "1")
    assert resolve_backend("auto") == "torch"
    if torchvision_deform_conv2d() is None:
        monkeypatch.delenv("MOTTRACK_PURE_DCN")
        assert resolve_backend("auto") == "torch"
        with pytest.raises(RuntimeError, match="torchvision"):
            resolve_backend("torchvision")


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_inputs_keep_sampling_positions_in_float32(dtype) -> None:
    """A wide map: in bf16 the column positions themselves would be off by up to a pixel."""
    layer = _random_layer(c_in=4, c_out=3, dtype=torch.float32, scale=0.1)
    x = torch.randn(1, 4, 6, 300)
    ref = layer(x).detach()
    half = _random_layer(c_in=4, c_out=3, dtype=torch.float32)
    half.load_state_dict(layer.state_dict())
    out = half.to(dtype)(x.to(dtype)).detach()
    assert out.dtype == dtype
    torch.testing.assert_close(
        out.float(), ref, rtol=0, atol=0.05 if dtype == torch.bfloat16 else 5e-3
    )


# -- DCNv2's kernels as plain loops (NumPy, float64) ------------------------------------------
# dmcn_im2col_bilinear, dmcn_get_gradient_weight, dmcn_get_coordinate_weight and the three
# kernels modulated_deformable_im2col / _col2im / _col2im_coord, one sample at a time.


def _v2_bilinear(img: np.ndarray, h: float, w: float) -> np.ndarray:
    """dmcn_im2col_bilinear for a (C, H, W) image (the caller checks -1 < h < H, -1 < w < W)."""
    height, width = img.shape[1:]
    hl, wl = math.floor(h), math.floor(w)
    lh, lw = h - hl, w - wl
    val = np.zeros(img.shape[0])
    if hl >= 0 and wl >= 0:
        val += (1 - lh) * (1 - lw) * img[:, hl, wl]
    if hl >= 0 and wl + 1 <= width - 1:
        val += (1 - lh) * lw * img[:, hl, wl + 1]
    if hl + 1 <= height - 1 and wl >= 0:
        val += lh * (1 - lw) * img[:, hl + 1, wl]
    if hl + 1 <= height - 1 and wl + 1 <= width - 1:
        val += lh * lw * img[:, hl + 1, wl + 1]
    return val


def _v2_gradient_weight(h: float, w: float, ph: int, pw: int, height: int, width: int) -> float:
    """dmcn_get_gradient_weight: weight of pixel (ph, pw) in the sample at (h, w)."""
    if h <= -1 or h >= height or w <= -1 or w >= width:
        return 0.0
    hl, wl = math.floor(h), math.floor(w)
    weight = 0.0
    if ph == hl and pw == wl:
        weight = (ph + 1 - h) * (pw + 1 - w)
    if ph == hl and pw == wl + 1:
        weight = (ph + 1 - h) * (w + 1 - pw)
    if ph == hl + 1 and pw == wl:
        weight = (h + 1 - ph) * (pw + 1 - w)
    if ph == hl + 1 and pw == wl + 1:
        weight = (h + 1 - ph) * (w + 1 - pw)
    return weight


def _v2_coordinate_weight(h: float, w: float, img: np.ndarray, bp_dir: int) -> np.ndarray:
    """dmcn_get_coordinate_weight: d(bilinear)/dh (bp_dir 0) or /dw (1) in the floor cell, every
    corner only when inside; zero at or beyond -1 / H, -1 / W. Shape (C,)."""
    height, width = img.shape[1:]
    out = np.zeros(img.shape[0])
    if h <= -1 or h >= height or w <= -1 or w >= width:
        return out
    hl, wl = math.floor(h), math.floor(w)
    hh, wh = hl + 1, wl + 1
    for ph, pw in ((hl, wl), (hl, wh), (hh, wl), (hh, wh)):
        if not (0 <= ph <= height - 1 and 0 <= pw <= width - 1):
            continue
        if bp_dir == 0:
            factor = (wl + 1 - w) if pw == wl else (w - wl)
            sign = -1.0 if ph == hl else 1.0
        else:
            factor = (hl + 1 - h) if ph == hl else (h - hl)
            sign = -1.0 if pw == wl else 1.0
        out += sign * factor * img[:, ph, pw]
    return out


def _dcnv2_reference(inp, offset, mask, weight, bias, grad_out):
    """Output and gradients (input, offset, mask, weight, bias) of DCNv2 (3x3, stride 1,
    padding 1, dilation 1, one deformable group) for the upstream gradient ``grad_out``."""
    inp, offset, mask, weight, bias, grad_out = (
        t.detach().double().numpy() for t in (inp, offset, mask, weight, bias, grad_out)
    )
    b, c, height, width = inp.shape
    out_c = weight.shape[0]
    ho, wo = offset.shape[2:]
    cols = np.zeros((b, c, 9, ho, wo))
    pos = np.zeros((b, 9, ho, wo, 2))
    for n, k, oy, ox in itertools.product(range(b), range(9), range(ho), range(wo)):
        i, j = divmod(k, 3)
        h = oy - 1 + i + offset[n, 2 * k, oy, ox]
        w = ox - 1 + j + offset[n, 2 * k + 1, oy, ox]
        pos[n, k, oy, ox] = h, w
        if h > -1 and w > -1 and h < height and w < width:
            cols[n, :, k, oy, ox] = _v2_bilinear(inp[n], h, w) * mask[n, k, oy, ox]
    w_mat = weight.reshape(out_c, c * 9)
    out = np.einsum("oq,bqyx->boyx", w_mat, cols.reshape(b, c * 9, ho, wo))
    out += bias.reshape(1, -1, 1, 1)
    grad_cols = np.einsum("oq,boyx->bqyx", w_mat, grad_out).reshape(b, c, 9, ho, wo)
    g_weight = np.einsum("boyx,bqyx->oq", grad_out, cols.reshape(b, c * 9, ho, wo))
    g_input = np.zeros_like(inp)
    g_offset = np.zeros_like(offset)
    g_mask = np.zeros_like(mask)
    for n, k, oy, ox in itertools.product(range(b), range(9), range(ho), range(wo)):
        h, w = pos[n, k, oy, ox]
        m = mask[n, k, oy, ox]
        col = grad_cols[n, :, k, oy, ox]
        # modulated_deformable_col2im_coord
        if h <= -1 or w <= -1 or h >= height or w >= width:
            h = w = -2.0
        else:
            g_mask[n, k, oy, ox] = col @ _v2_bilinear(inp[n], h, w)
        for bp_dir in (0, 1):
            g_offset[n, 2 * k + bp_dir, oy, ox] = (
                _v2_coordinate_weight(h, w, inp[n], bp_dir) @ col * m
            )
        # modulated_deformable_col2im (its pixel search: truncation, then +-2, distance < 1)
        h, w = pos[n, k, oy, ox]
        cur_h, cur_w = int(h), int(w)
        for dy, dx in itertools.product(range(-2, 3), repeat=2):
            ph, pw = cur_h + dy, cur_w + dx
            if 0 <= ph < height and 0 <= pw < width and abs(h - ph) < 1 and abs(w - pw) < 1:
                gw = _v2_gradient_weight(h, w, ph, pw, height, width)
                g_input[n, :, ph, pw] += gw * col * m
    return out, g_input, g_offset, g_mask, g_weight.reshape(weight.shape), grad_out.sum((0, 2, 3))


#: Sampling rows and columns on and around the borders and at integers (H = 4, W = 5 below).
BORDER_ROWS = (-1.5, -1.0, -0.75, -1e-3, 0.0, 0.25, 1.0, 2.0, 3.0, 3.5, 4.0, 4.25)
BORDER_COLS = (-1.0, -0.5, 0.0, 1.5, 2.0, 3.0, 4.0, 4.75, 5.0, 6.0)


def _border_offsets(b: int, ho: int, wo: int) -> torch.Tensor:
    """Offsets putting the samples, in turn, at every (row, column) pair of BORDER_ROWS x
    BORDER_COLS: exact integers -1, 0, H - 1, H (W alike), interior integers, fractions."""
    pairs = itertools.cycle(itertools.product(BORDER_ROWS, BORDER_COLS))
    offset = torch.zeros(b, 18, ho, wo, dtype=torch.float64)
    for n, k, oy, ox in itertools.product(range(b), range(9), range(ho), range(wo)):
        i, j = divmod(k, 3)
        h, w = next(pairs)
        offset[n, 2 * k, oy, ox] = h - (oy - 1 + i)
        offset[n, 2 * k + 1, oy, ox] = w - (ox - 1 + j)
    return offset


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_gradients_at_integer_and_border_positions_equal_dcnv2(dtype) -> None:
    """Input, offset, mask, weight and bias gradients equal DCNv2's col2im / col2im_coord (floor
    cell: right-sided derivative at integers; nothing at or beyond -1 and H / W)."""
    gen = torch.Generator().manual_seed(5)
    b, c, o, height, width = 2, 3, 2, 4, 5
    inp = torch.randn(b, c, height, width, generator=gen, dtype=torch.float64)
    offset = _border_offsets(b, height, width)
    mask = torch.rand(b, 9, height, width, generator=gen, dtype=torch.float64) + 0.1
    weight = torch.randn(o, c, 3, 3, generator=gen, dtype=torch.float64)
    bias = torch.randn(o, generator=gen, dtype=torch.float64)
    grad_out = torch.randn(b, o, height, width, generator=gen, dtype=torch.float64)
    ref = _dcnv2_reference(inp, offset, mask, weight, bias, grad_out)
    leaves = [t.to(dtype).requires_grad_() for t in (inp, offset, mask, weight, bias)]
    out = deform_conv2d_torch(*leaves)
    out.backward(grad_out.to(dtype))
    tol = {"rtol": 0, "atol": 1e-12 if dtype == torch.float64 else 2e-5}
    torch.testing.assert_close(out.double(), torch.from_numpy(ref[0]), **tol)
    for name, leaf, expected in zip(["input", "offset", "mask", "weight", "bias"], leaves, ref[1:]):
        torch.testing.assert_close(
            leaf.grad.double(), torch.from_numpy(expected), **tol, msg=lambda m, n=name: f"{n}: {m}"
        )
    # every (row, column) pair of the border lists was sampled at least once
    assert b * 9 * height * width >= len(BORDER_ROWS) * len(BORDER_COLS)


def test_untrained_layer_offset_gradient_is_the_right_sided_derivative() -> None:
    """Zero offsets (a fresh conv_offset_mask) sample exact integers; DCNv2 differentiates in the
    floor cell, i.e. towards +1. There a sample is linear in its offset up to the next integer,
    so a forward difference is exact: it must equal the offset gradient at every pixel."""
    gen = torch.Generator().manual_seed(6)
    x = torch.randn(1, 2, 6, 7, generator=gen, dtype=torch.float64)
    weight = torch.randn(3, 2, 3, 3, generator=gen, dtype=torch.float64)
    probe = torch.randn(1, 3, 4, 5, generator=gen, dtype=torch.float64)
    mask = torch.full((1, 9, 4, 5), 0.5, dtype=torch.float64)
    offset = torch.zeros(1, 18, 4, 5, dtype=torch.float64, requires_grad=True)
    # padding 0: every sample lies on a pixel inside the image (rows 0 .. H - 1)
    out = deform_conv2d_torch(x, offset, mask, weight, padding=0)
    (out * probe).sum().backward()
    step = 0.25
    for ch in range(18):
        moved = offset.detach().clone()
        moved[:, ch] = step
        # each output pixel depends on its own offsets only: per-pixel forward differences
        diff = ((deform_conv2d_torch(x, moved, mask, weight, padding=0) - out) * probe).sum(1)
        torch.testing.assert_close(offset.grad[:, ch], diff.detach() / step, rtol=0, atol=1e-12)
