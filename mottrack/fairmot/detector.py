""":class:`FairMOTDetector`: frames in, :class:`~mottrack.Detections` with re-ID embeddings out.

The three stages are separate methods so they can be timed (``benchmarks/fairmot_speed.py``):
:meth:`~FairMOTDetector.preprocess` (letterbox on the CPU, then colour order, scaling and layout on
the device), :meth:`~FairMOTDetector.forward` (the network, under ``torch.inference_mode`` and,
on CUDA, optional fp16/bf16 autocast and channels-last memory) and
:meth:`~FairMOTDetector.postprocess` (:func:`~mottrack.fairmot.decode.decode_frames`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn

from .._torchutil import resolve_device
from ..types import Detections
from .decode import decode_frames
from .model import build_model
from .preprocess import Letterbox, check_input_size, letterbox_batch

__all__ = ["FairMOTDetector"]

_HALF = {"fp16": torch.float16, "bf16": torch.bfloat16}
MAX_STRIDE = 32  # the backbone's coarsest level: input sides must be multiples of it


class FairMOTDetector:
    """Run the FairMOT network on BGR frames.

    Parameters
    ----------
    model_or_weights : nn.Module or path
        A network (such as :func:`~mottrack.fairmot.model.build_model`'s) whose forward returns
        ``{"hm", "wh", "id"(, "reg")}``, or a checkpoint path to build ``arch`` from (strictly).
    input_size : (int, int)
        Network input ``(width, height)``, multiples of 32 (FairMOT: 1088 x 608).
    conf_thres : float
        Score threshold (FairMOT: 0.4).
    K : int
        Peaks decoded per frame (FairMOT: 500).
    device : str or torch.device
        Where the network runs.
    half : bool or {"fp16", "bf16"}
        Autocast the network to fp16 (``True`` or ``"fp16"``) or bf16; CUDA only.
    channels_last : bool, optional
        Channels-last memory format for the network; default on for CUDA, off otherwise.
    arch, heads, head_conv, dcn_backend
        Passed to :func:`~mottrack.fairmot.model.build_model` when ``model_or_weights`` is a path.

    Notes
    -----
    The model is put in eval mode and moved to ``device`` (in place, for a module passed in).
    """

    def __init__(
        self,
        model_or_weights: nn.Module | str | os.PathLike[str],
        input_size: Sequence[int] = (1088, 608),
        conf_thres: float = 0.4,
        K: int = 500,
        device: str | torch.device = "cpu",
        half: bool | str = False,
        channels_last: bool | None = None,
        *,
        arch: str = "dla34",
        heads: Mapping[str, int] | None = None,
        head_conv: int = 256,
        dcn_backend: str = "auto",
    ) -> None:
        self.input_size = check_input_size(input_size, MAX_STRIDE)
        if not 0.0 <= float(conf_thres) < 1.0:
            raise ValueError(f"conf_thres: expected a score in [0, 1), got {conf_thres}")
        if not isinstance(K, int) or K < 1:
            raise ValueError(f"K: expected an int >= 1, got {K!r}")
        self.device = resolve_device(device)
        self.dtype = _resolve_half(half, self.device)
        self.channels_last = self.device.type == "cuda" if channels_last is None else channels_last
        self.conf_thres = float(conf_thres)
        self.K = K
        if isinstance(model_or_weights, nn.Module):
            model = model_or_weights
        elif isinstance(model_or_weights, (str, os.PathLike)):
            model = build_model(
                arch, heads, head_conv, dcn_backend=dcn_backend, weights=model_or_weights
            )
        else:
            raise TypeError(
                "model_or_weights: expected an nn.Module or a checkpoint path, "
                f"got {type(model_or_weights).__name__}"
            )
        model = model.to(self.device).eval()
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.down_ratio = int(getattr(model, "down_ratio", 4))

    @property
    def embedding_dim(self) -> int | None:
        """Channels of the ``id`` head (None if the model's heads are not declared)."""
        heads = getattr(self.model, "heads", None)
        return None if heads is None else heads.get("id")

    def __call__(self, frame: NDArray[np.uint8]) -> Detections:
        """Detect in one ``(H, W, 3)`` uint8 BGR frame."""
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: Sequence[NDArray[np.uint8]]) -> list[Detections]:
        """Detect in several frames (any sizes) with one network call; one result per frame."""
        if len(frames) == 0:
            return []
        blob, boxes = self.preprocess(frames)
        return self.postprocess(self.forward(blob), boxes)

    def preprocess(self, frames: Sequence[NDArray[np.uint8]]) -> tuple[Tensor, list[Letterbox]]:
        """Letterbox ``frames`` and return the network input ``(B, 3, height, width)`` on the
        device (float32 RGB in [0, 1]) with each frame's :class:`Letterbox`.

        Raises
        ------
        ValueError
            For no frames, or a frame that is not ``(H, W, 3)`` uint8 with ``H, W >= 1``.
        """
        images, boxes = letterbox_batch(frames, self.input_size)
        batch = torch.from_numpy(images)
        if self.device.type == "cuda":
            batch = batch.pin_memory().to(self.device, non_blocking=True)
        blob = batch.flip(-1).permute(0, 3, 1, 2).float().div_(255.0)
        memory = torch.channels_last if self.channels_last else torch.contiguous_format
        return blob.contiguous(memory_format=memory), boxes

    def forward(self, blob: Tensor) -> dict[str, Tensor]:
        """Run the network on a pre-processed batch; return its head outputs."""
        autocast: Any = contextlib.nullcontext()
        if self.dtype is not None:
            autocast = torch.autocast("cuda", dtype=self.dtype)
        with torch.inference_mode(), autocast:
            return self.model(blob)

    def postprocess(
        self, outputs: Mapping[str, Tensor], boxes: Sequence[Letterbox]
    ) -> list[Detections]:
        """Decode head outputs into one :class:`Detections` per frame (frame pixels)."""
        with torch.inference_mode():
            return decode_frames(outputs, boxes, self.conf_thres, self.K, self.down_ratio)


def _resolve_half(half: bool | str, device: torch.device) -> torch.dtype | None:
    if half is False:
        return None
    key = "fp16" if half is True else half
    if key not in _HALF:
        raise ValueError(f"half: expected False, True, 'fp16' or 'bf16', got {half!r}")
    if device.type != "cuda":
        raise ValueError(
            f"half: fp16/bf16 autocast is for CUDA devices, got device {str(device)!r}"
        )
    return _HALF[key]
