"""FairMOT checkpoints: strict loading of official files and atomic writing in their layout.

An official file (FairMOT's ``save_model``) is ``{"epoch": int, "state_dict": {...}}`` plus
``"optimizer"`` when saved during training; its state dict holds two keys our model leaves out,
``base.fc.weight`` ``[1000, 512, 1, 1]`` and ``base.fc.bias`` ``[1000]`` (the ImageNet classifier
that FairMOT's DLA keeps but never uses). :func:`load_checkpoint` accepts such a file or a bare
state dict, strips a leading ``module.`` from every key (DataParallel-saved files), drops exactly
those two ``base.fc`` keys and then loads everything else *strictly*: a missing, unexpected or
mis-shaped key is an error that lists them (FairMOT's own loader skips such keys silently).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._torchutil import atomic_torch_save, listed, load_state_strict, torch_load

__all__ = ["CLASSIFIER_KEYS", "load_checkpoint", "read_state_dict", "save_checkpoint"]

CLASSIFIER_KEYS = ("base.fc.weight", "base.fc.bias")
IMAGENET_CLASSES = 1000


def read_state_dict(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint file on the CPU with ``torch.load(weights_only=True)``.

    Returns
    -------
    state : dict of str to Tensor
        The state dict, ``module.`` prefixes stripped, ``base.fc.*`` dropped.
    extra : dict
        The file's other entries (``epoch``, ``optimizer``, ...); empty for a bare state dict.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.
    ValueError
        If the file is not a readable PyTorch checkpoint or holds no state dict of tensors.
    """
    path = Path(path)
    obj = torch_load(path)
    extra: dict[str, Any] = {}
    if isinstance(obj, Mapping) and "state_dict" in obj:
        extra = {k: v for k, v in obj.items() if k != "state_dict"}
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping) or not obj:
        raise ValueError(
            f"weights: {path}: expected a state dict or a dict with 'state_dict', "
            f"got {type(obj).__name__}{' (empty)' if isinstance(obj, Mapping) else ''}"
        )
    bad = [str(k) for k, v in obj.items() if not isinstance(k, str) or not torch.is_tensor(v)]
    if bad:
        raise ValueError(f"weights: {path}: state dict entries that are not tensors: {listed(bad)}")
    state = {(k[len("module.") :] if k.startswith("module.") else k): v for k, v in obj.items()}
    for key in CLASSIFIER_KEYS:
        state.pop(key, None)
    return state, extra


def load_checkpoint(model: nn.Module, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a FairMOT checkpoint into ``model`` strictly (module docstring).

    Returns
    -------
    dict
        The file's entries other than the state dict (for example ``{"epoch": 30}``).

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`read_state_dict`; ``ValueError`` also when the keys or shapes do not match
        ``model``, listing the missing, unexpected and mis-shaped keys.
    """
    state, extra = read_state_dict(path)
    try:
        load_state_strict(model, state, f"weights: {path}", counts=True)
    except ValueError as exc:
        raise ValueError(f"{exc}{_heads_hint(state, getattr(model, 'heads', None))}") from None
    return extra


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    epoch: int,
    optimizer: torch.optim.Optimizer | None = None,
    official_layout: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``{"epoch", "state_dict"(, "optimizer")}`` atomically (temporary file, then
    ``os.replace``), so a crash never leaves a truncated file at ``path``.

    Parameters
    ----------
    official_layout : bool
        Also write ``base.fc.weight`` ``[1000, C5, 1, 1]`` and ``base.fc.bias`` ``[1000]`` as
        zeros (after the other ``base.*`` keys), so that FairMOT's own code, and any strict loader
        of its model, can read the file. :func:`load_checkpoint` reads either layout.
    extra : mapping, optional
        More top-level entries (a trainer's loss, scheduler and config); loaders that only read
        ``state_dict`` and ``optimizer``, FairMOT's included, ignore them.
    """
    state = model.state_dict()
    if official_layout:
        state = _with_classifier(state, model)
    obj: dict[str, Any] = {"epoch": int(epoch), "state_dict": state}
    if optimizer is not None:
        obj["optimizer"] = optimizer.state_dict()
    for key, value in (extra or {}).items():
        if key in obj:
            raise ValueError(f"extra: key {key!r} is reserved for the official layout")
        obj[key] = value
    return atomic_torch_save(obj, path)


def _with_classifier(state: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    channels = model.base.channels[-1]  # type: ignore[union-attr,index]
    fc = {
        CLASSIFIER_KEYS[0]: torch.zeros(IMAGENET_CLASSES, channels, 1, 1),
        CLASSIFIER_KEYS[1]: torch.zeros(IMAGENET_CLASSES),
    }
    keys = list(state)
    last_base = max(i for i, k in enumerate(keys) if k.startswith("base."))
    out = {k: state[k] for k in keys[: last_base + 1]}
    out.update(fc)
    out.update({k: state[k] for k in keys[last_base + 1 :]})
    return out


def _heads_hint(state: Mapping[str, torch.Tensor], heads: Mapping[str, int] | None) -> str:
    """Name the checkpoint's heads when they differ from the model's (another configuration)."""
    if not heads:
        return ""
    found: dict[str, int] = {}
    for key, value in state.items():
        name, _, rest = key.partition(".")
        if (
            rest in ("2.weight", "weight")
            and value.ndim == 4
            and not key.startswith(("base.", "dla_up.", "ida_up."))
        ):
            found[name] = int(value.shape[0])
    if found and found != dict(heads):
        return f" (the checkpoint's heads are {found}, the model's {dict(heads)})"
    return ""
