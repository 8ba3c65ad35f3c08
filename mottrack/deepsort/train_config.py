"""Options and result of ReID training (:func:`mottrack.deepsort.train.train_reid`); no torch."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .embedder import check_crop_size

__all__ = ["ReIDTrainConfig", "ReIDTrainResult"]


@dataclass(frozen=True)
class ReIDTrainConfig:
    """Options of :func:`~mottrack.deepsort.train.train_reid` (validated; stored in checkpoints).

    Parameters
    ----------
    epochs : int
        Total epochs (a resumed run continues up to this number).
    batch_size : int
        Crops per step (the paper's code uses 128).
    lr : float
        Adam learning rate (the paper's code: 1e-3).
    seed : int
        Seed of initialisation, batch order, augmentation and dropout.
    max_steps : int, optional
        Stop after this many steps in total (counting steps before a resume).
    input_size : (int, int)
        Crop ``(height, width)``; the default is the paper's 128x64.
    min_visibility, frame_stride, max_crops_per_identity
        Crop selection, see :func:`mottrack.deepsort.reid_data.collect_identity_crops`.
    weight_decay : float
        Adam weight decay of all parameters.
    scale_decay : float
        L2 penalty on the classifier's raw scale (0.1 in the paper's code).
    flip, max_shift : bool, float
        Random horizontal flips; random translations of up to ``max_shift`` of the crop size.
    """

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0
    max_steps: int | None = None
    input_size: tuple[int, int] = (128, 64)
    min_visibility: float = 0.0
    frame_stride: int = 1
    max_crops_per_identity: int | None = None
    weight_decay: float = 0.0
    scale_decay: float = 0.1
    flip: bool = True
    max_shift: float = 0.0625

    def __post_init__(self) -> None:
        own = "ReIDTrainConfig"
        for name, low in (("epochs", 1), ("batch_size", 2), ("seed", 0), ("frame_stride", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{own}.{name}: expected an integer >= {low}, got {value!r}")
            object.__setattr__(self, name, int(value))  # plain int: checkpoints load weights-only
        for name in ("max_steps", "max_crops_per_identity"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1
            ):
                raise ValueError(f"{own}.{name}: expected an integer >= 1 or None, got {value!r}")
            if value is not None:
                object.__setattr__(self, name, int(value))
        for name, high in (
            ("lr", math.inf),
            ("weight_decay", math.inf),
            ("scale_decay", math.inf),
            ("min_visibility", 1.0),
            ("max_shift", 0.5),
        ):
            value = getattr(self, name)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            in_range = ok and 0.0 <= value <= high and math.isfinite(value)
            if not in_range or (name == "lr" and value == 0):
                form = "> 0" if name == "lr" else f"in [0, {high:g}]"
                raise ValueError(f"{own}.{name}: expected a finite number {form}, got {value!r}")
            object.__setattr__(self, name, float(value))
        object.__setattr__(
            self, "input_size", check_crop_size(self.input_size, f"{own}.input_size", 8)
        )


@dataclass(frozen=True, eq=False)
class ReIDTrainResult:
    """What :func:`train_reid` did.

    Attributes
    ----------
    checkpoint : Path
        The checkpoint written last.
    losses : ndarray, shape (S,)
        Loss of every step of this call (not of the run it resumed).
    steps, epochs : int
        Steps and complete epochs in total, counting a resumed run's.
    num_identities, num_crops : int
        Size of the training set.
    csv : Path
        The per-step log.
    """

    checkpoint: Path
    losses: NDArray[np.float64]
    steps: int
    epochs: int
    num_identities: int
    num_crops: int
    csv: Path
