"""Options of FairMOT training (:func:`mottrack.fairmot.train.train_fairmot`); no torch."""

from __future__ import annotations

from dataclasses import dataclass

from .._checks import check_int, check_number

__all__ = ["RESUMABLE", "FairMOTTrainConfig"]

#: Options a resumed run applies (they set when the run stops and how it is executed, not what
#: it computes); every other option of a resumed run must equal the checkpoint's.
RESUMABLE = ("epochs", "max_steps", "num_workers", "amp", "channels_last")

#: FairMOT's learning rate (``opts.py``: "learning rate for batch size 12") and that batch; the
#: original uses the ``lr`` as given whatever the batch, so scaling is an option here.
BASE_LR, BASE_BATCH = 1e-4, 12


@dataclass(frozen=True)
class FairMOTTrainConfig:
    """Options of a FairMOT training run (validated; stored in every checkpoint).

    Parameters
    ----------
    epochs : int, default 30
        Total epochs (a resumed run continues up to this number).
    batch_size : int, default 12
        Images per step *per process* (the global batch is ``batch_size * world_size``).
    lr : float, default 1e-4
        Adam learning rate, used as given whatever the batch size, as FairMOT does (``None``, for
        callers that forward an unset option, means the default).
    scale_lr_with_batch : bool, default False
        Deviation from FairMOT, off by default: multiply ``lr`` by ``global batch / 12`` (the
        linear scaling rule; FairMOT's ``1e-4`` is stated for a batch of 12).
    lr_step : tuple of int, default (20,)
        Epochs at which the learning rate is multiplied by 0.1 (FairMOT's ``lr_step``).
    input_size : (int, int), default (1088, 608)
        Network input ``(width, height)``, multiples of 32.
    arch : str, default "dla34"
        ``"dla34"`` (the paper's) or ``"dla34_tiny"`` (CPU tests).
    reid_dim : int, default 128
        Size of the ``id`` head.
    seed : int, default 0
        Seed of initialisation, sampling order and augmentation.
    num_workers : int, default 0
        DataLoader worker processes.
    amp : str, default "auto"
        Mixed precision: ``"bf16"``, ``"fp16"`` (with loss scaling), ``"off"``, or ``"auto"``
        (bf16 on CUDA when supported, else fp16 on CUDA, off on CPU).
    grad_clip : float or None
        Clip the gradient norm of all parameters to this value.
    max_steps : int or None
        Stop after this many steps in total (smoke tests, throughput runs).
    augment : bool, default True
        JDE's augmentation (HSV jitter, random affine, flip).
    channels_last : bool or None
        channels-last memory format (default: on CUDA).
    """

    epochs: int = 30
    batch_size: int = 12
    lr: float | None = BASE_LR
    scale_lr_with_batch: bool = False
    lr_step: tuple[int, ...] = (20,)
    input_size: tuple[int, int] = (1088, 608)
    arch: str = "dla34"
    reid_dim: int = 128
    seed: int = 0
    num_workers: int = 0
    amp: str = "auto"
    grad_clip: float | None = None
    max_steps: int | None = None
    augment: bool = True
    channels_last: bool | None = None

    def __post_init__(self) -> None:
        own = "FairMOTTrainConfig"
        check_int(own, "epochs", self.epochs, 1)
        check_int(own, "batch_size", self.batch_size, 1)
        if self.lr is None:  # frozen: store the default so checkpoints hold a number
            object.__setattr__(self, "lr", BASE_LR)
        check_number(own, "lr", self.lr, 1e-12)
        object.__setattr__(self, "lr", float(self.lr))  # plain float in checkpoints
        if not isinstance(self.scale_lr_with_batch, bool):
            raise ValueError(
                f"{own}.scale_lr_with_batch: expected a bool, got {self.scale_lr_with_batch!r}"
            )
        for step in self.lr_step:
            check_int(own, "lr_step", step, 1)
        size = self.input_size
        if not (len(size) == 2 and all(isinstance(v, int) and v > 0 and v % 32 == 0 for v in size)):
            raise ValueError(
                f"{own}.input_size: expected (width, height), multiples of 32, got {size!r}"
            )
        check_int(own, "reid_dim", self.reid_dim, 1)
        check_int(own, "seed", self.seed, 0)
        check_int(own, "num_workers", self.num_workers, 0)
        if self.amp not in ("auto", "bf16", "fp16", "off"):
            raise ValueError(f"{own}.amp: expected auto, bf16, fp16 or off, got {self.amp!r}")
        if self.grad_clip is not None:
            check_number(own, "grad_clip", self.grad_clip, 1e-12)
        if self.max_steps is not None:
            check_int(own, "max_steps", self.max_steps, 1)

    def learning_rate(self, world_size: int = 1) -> float:
        """The Adam learning rate for ``world_size`` processes: ``lr``, or with
        ``scale_lr_with_batch`` ``lr * batch_size * world_size / 12``."""
        lr = float(self.lr or BASE_LR)  # never None after __post_init__
        if not self.scale_lr_with_batch:
            return lr
        return lr * self.batch_size * world_size / BASE_BATCH
