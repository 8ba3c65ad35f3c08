"""Plumbing of :mod:`mottrack.fairmot.train`: the process group, mixed precision, the step
log and the weight digest."""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from .losses import FairMOTLoss

__all__ = [
    "LOG_FIELDS",
    "NetWithLoss",
    "StepLog",
    "TrainStep",
    "amp_dtype",
    "process_group",
    "weights_digest",
]

LOG_FIELDS = ["epoch", "step", "loss", "hm", "wh", "off", "id", "s_det", "s_id", "lr", "img_s"]


@contextmanager
def process_group(device: str) -> Iterator[tuple[int, int, torch.device]]:
    """Join the ``torchrun`` process group if there is one; yield rank, world size, device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device: {device!r} requested but CUDA is not available")
        dev = torch.device("cuda", local if world > 1 else torch.device(device).index or 0)
        torch.cuda.set_device(dev)
    else:
        dev = torch.device(device)
    if world > 1:
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    try:
        yield rank, world, dev
    finally:
        if world > 1:
            dist.destroy_process_group()


def amp_dtype(amp: str, dev: torch.device) -> torch.dtype | None:
    if amp == "off" or dev.type != "cuda":
        if amp in ("bf16", "fp16") and dev.type != "cuda":
            raise ValueError(f"amp: {amp!r} needs a CUDA device, got {dev}")
        return None
    if amp == "fp16" or (amp == "auto" and not torch.cuda.is_bf16_supported()):
        return torch.float16
    return torch.bfloat16


def weights_digest(model: nn.Module) -> str:
    """SHA-256 over the model's state dict (names, then raw bytes in order)."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


class NetWithLoss(nn.Module):
    """Network and loss as one module, so DDP also synchronises the loss's parameters."""

    def __init__(self, model: nn.Module, criterion: FairMOTLoss) -> None:
        super().__init__()
        self.model, self.criterion = model, criterion

    def forward(
        self, images: torch.Tensor, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.criterion(self.model(images), batch)


class StepLog:
    """``log.csv``: a header once, then one flushed row per step."""

    def __init__(self, path: Path, append: bool) -> None:
        new = not (append and path.exists())
        self._file = path.open("w" if new else "a", newline="")
        self._csv = csv.writer(self._file)
        if new:
            self._csv.writerow(LOG_FIELDS)

    def write(
        self,
        epoch: int,
        step: int,
        loss: float,
        parts: dict[str, torch.Tensor],
        crit: FairMOTLoss,
        optimizer: torch.optim.Optimizer,
        rate: float,
    ) -> None:
        row = [epoch, step, f"{loss:.6f}"]
        row += [f"{float(parts[k]):.6f}" for k in ("hm", "wh", "off", "id")]
        row += [f"{crit.s_det.item():.5f}", f"{crit.s_id.item():.5f}"]
        row += [f"{optimizer.param_groups[0]['lr']:.3g}", f"{rate:.2f}"]
        self._csv.writerow(row)
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class TrainStep:
    """One optimisation step: autocast forward of ``module(images, targets)`` (the network and
    its loss), (scaled) backward, optional gradient clipping, optimizer step.

    Parameters
    ----------
    module : nn.Module
        Returns ``(loss, parts)`` for ``(images, targets)``; may be DDP-wrapped.
    optimizer : torch.optim.Optimizer
    device : torch.device
    amp : torch.dtype or None
        Autocast dtype on CUDA (float16 adds loss scaling), None for full precision.
    channels_last : bool
        Feed images in channels-last memory format.
    grad_clip : float or None
        Max gradient norm over the optimizer's parameters.
    """

    def __init__(
        self,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        device: torch.device,
        amp: torch.dtype | None,
        channels_last: bool,
        grad_clip: float | None,
    ) -> None:
        self.module, self.optimizer, self.device = module, optimizer, device
        self.amp, self.channels_last, self.grad_clip = amp, channels_last, grad_clip
        self.scaler = torch.amp.GradScaler("cuda", enabled=amp == torch.float16)

    def __call__(
        self, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Run one step on a collated batch (``input`` plus targets); returns the loss."""
        batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        images = batch.pop("input")
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with torch.autocast(
            self.device.type, dtype=self.amp or torch.float32, enabled=self.amp is not None
        ):
            loss, parts = self.module(images, batch)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            nn.utils.clip_grad_norm_(params, self.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss, parts
