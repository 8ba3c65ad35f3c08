"""Torch helpers shared by the networks: devices, atomic checkpoint writes, strict loading."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["atomic_torch_save", "listed", "load_state_strict", "resolve_device", "torch_load"]


def resolve_device(device: Any) -> torch.device:
    """``torch.device(device)``, with a ``ValueError`` naming ``device`` for a bad or absent one."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device: expected a torch device like 'cpu' or 'cuda', got {device!r} ({exc})"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {device!r} requested but CUDA is not available")
    return dev


def atomic_torch_save(obj: Any, path: str | os.PathLike[str]) -> Path:
    """``torch.save(obj)`` to a temporary file beside ``path``, fsync, then ``os.replace``: a
    crash never leaves a truncated file at ``path`` (the previous one survives)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def listed(keys: list[str], limit: int = 10) -> str:
    """``"a, b, c"``: the first ``limit`` of ``keys``, then ``" and N more"``."""
    more = f" and {len(keys) - limit} more" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more


def load_state_strict(
    module: nn.Module, state: Mapping[str, torch.Tensor], source: str, counts: bool = False
) -> None:
    """Load ``state`` into ``module`` strictly, explaining any mismatch first.

    Parameters
    ----------
    module : nn.Module
        The network to load into.
    state : mapping of str to Tensor
        The state dict.
    source : str
        What ``state`` came from, to start the error message (``"weights: a.pt"``).
    counts : bool, default False
        Message layout. False: ``missing keys: a, b`` and ``k (3,) (expected (2,))``; True:
        the count of each list, ``missing keys (2): a, b``, and ``k [3] (model: [2])``.

    Raises
    ------
    ValueError
        ``"<source> does not match <Module>: "`` and the missing, unexpected and mis-shaped keys
        (in the module's and the state's order), when ``state`` does not fit ``module``.
    """
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    size = list if counts else tuple
    note = "model: " if counts else "expected "
    shapes = [
        f"{k} {size(state[k].shape)} ({note}{size(v.shape)})"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or shapes:
        problems = [
            f"{label}{f' ({len(keys)})' if counts else ''}: {listed(keys)}"
            for label, keys in (
                ("missing keys", missing),
                ("unexpected keys", unexpected),
                ("shape mismatches", shapes),
            )
            if keys
        ]
        raise ValueError(f"{source} does not match {type(module).__name__}: " + "; ".join(problems))
    module.load_state_dict(state, strict=True)


def torch_load(path: str | os.PathLike[str]) -> Any:
    """``torch.load`` of a checkpoint on the CPU with ``weights_only=True`` (tensors and plain
    containers only), with errors that name the file.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.
    ValueError
        If it is not a readable PyTorch file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights: checkpoint file not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle, zip, EOF and runtime errors alike
        raise ValueError(
            f"weights: {path} is not a readable PyTorch checkpoint ({type(exc).__name__}: {exc})"
        ) from None
