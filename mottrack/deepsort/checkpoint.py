"""ReID checkpoints: atomic writing, safe reading and strict, well-explained weight loading.

A checkpoint written by :func:`mottrack.deepsort.train.train_reid` is a dict with ``"model"``
(the :class:`~mottrack.deepsort.cnn.CosineMetricNet` state dict), ``"classifier"``,
``"optimizer"``, ``"epoch"`` (epochs completed), ``"step"``, ``"input_size"`` and ``"config"``.
A bare network state dict is accepted too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._torchutil import atomic_torch_save, load_state_strict, torch_load

__all__ = ["load_weights", "read_checkpoint", "save_checkpoint"]


def save_checkpoint(obj: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` with ``torch.save`` atomically (:func:`mottrack._torchutil.
    atomic_torch_save`): a crash never leaves a truncated checkpoint at ``path``."""
    return atomic_torch_save(obj, path)


def read_checkpoint(weights: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint file (on the CPU, tensors and plain containers only).

    Returns
    -------
    dict
        The training checkpoint, or ``{"model": state}`` for a bare state dict.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is not a readable PyTorch checkpoint holding a state dict of tensors.
    """
    path = Path(weights)
    ckpt = torch_load(path)
    if not (isinstance(ckpt, dict) and "model" in ckpt):
        ckpt = {"model": ckpt}
    state = ckpt["model"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(
            f"weights: {path}: expected a state dict of tensors (or a checkpoint with a 'model' "
            f"state dict), got {type(state).__name__}"
        )
    return ckpt


def load_weights(net: nn.Module, state: dict[str, torch.Tensor], source: str = "weights") -> None:
    """Load a state dict into ``net`` strictly.

    Raises
    ------
    ValueError
        Naming ``source`` and listing the missing, unexpected and mis-shaped keys when ``state``
        does not match ``net`` (:func:`mottrack._torchutil.load_state_strict`).
    """
    load_state_strict(net, state, source)
