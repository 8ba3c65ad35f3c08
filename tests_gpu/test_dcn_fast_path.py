"""Checks for a machine with torchvision's compiled ops (the GPU machine), not part of CI.

CI's CPU-only torch has no working torchvision, so these live outside ``tests/`` (whose tests
never skip) and fail loudly where their requirement is missing. Run them with
``pytest tests_gpu`` on the GPU machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_fairmot_dcn import _random_layer

from mottrack.fairmot.dcn import modulated_deform_conv2d, torchvision_deform_conv2d


def test_torchvision_fast_path_equals_the_pure_path() -> None:
    """torchvision's deform_conv2d (CPU and, where present, CUDA) equals the pure path."""
    assert torchvision_deform_conv2d() is not None, "torchvision.ops.deform_conv2d unavailable"
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        layer = _random_layer(c_in=6, c_out=5, dtype=torch.float32).to(device)
        x = torch.randn(2, 6, 11, 13, device=device, requires_grad=True)
        offset, mask = layer.offset_and_mask(x)
        args = (x, offset, mask, layer.weight, layer.bias)
        pure = modulated_deform_conv2d(*args, backend="torch")
        fast = modulated_deform_conv2d(*args, backend="torchvision")
        torch.testing.assert_close(fast, pure, rtol=1e-4, atol=1e-4)
        params = [x, layer.weight, *layer.conv_offset_mask.parameters()]
        g_pure = torch.autograd.grad(pure.square().sum(), params)
        g_fast = torch.autograd.grad(fast.square().sum(), params)
        for g, h in zip(g_fast, g_pure):
            torch.testing.assert_close(g, h, rtol=1e-3, atol=1e-3)
