"""Train FairMOT: one process, several GPUs or several nodes (``torchrun``), or the CPU.

:func:`train_fairmot` runs FairMOT's recipe: Adam at the given ``lr`` (``1e-4``) whatever the batch
size, as the original (linear scaling with the global batch is the opt-in ``scale_lr_with_batch``),
step decay by 0.1 at ``lr_step``, the multi-task loss of :mod:`mottrack.fairmot.losses` whose
classifier and uncertainty weights are trained with the network. Launched by ``torchrun``
(``WORLD_SIZE > 1`` in the environment) it joins the process group (``nccl`` on CUDA, ``gloo`` on
CPU) and wraps the model in ``DistributedDataParallel``; every rank sees its own shard of each
epoch (``DistributedSampler``, seeded by ``seed`` and the epoch). Mixed precision on CUDA.

Rank 0 writes, under ``out``:

- ``model_last.pth`` after every epoch (atomically: a crash never leaves a torn file), in the
  official layout ``{'epoch', 'state_dict', 'optimizer'}`` (with the unused ``base.fc`` keys, so
  FairMOT's own code loads it) plus ``loss``, ``scheduler``, ``step`` and ``config`` for an exact
  ``resume``; an interrupted run loses at most the current epoch, and a write that fails (a full
  disk) puts the checkpoint in the temporary folder and raises an ``OSError`` saying where;
- ``log.csv``: one row per step (losses, learning rate, images/s), appended on resume;
- ``rank<r>.json`` (every rank): steps, final loss and a digest of the weights.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm import tqdm

from ..io.outputs import save_with_fallback
from .checkpoint import load_checkpoint, read_state_dict, save_checkpoint
from .losses import FairMOTLoss
from .model import ARCHS, build_model
from .train_config import RESUMABLE, FairMOTTrainConfig
from .train_utils import NetWithLoss, StepLog, TrainStep, amp_dtype, process_group, weights_digest

__all__ = ["FairMOTTrainResult", "train_fairmot"]

CHECKPOINT = "model_last.pth"


@dataclass(frozen=True)
class FairMOTTrainResult:
    """Outcome of :func:`train_fairmot` on this rank.

    Attributes
    ----------
    checkpoint : Path
        ``model_last.pth``.
    losses : list of float
        Total loss of every step this call ran.
    steps : int
        Steps done in total (including those before a resume).
    epochs : int
        Epochs completed.
    images_per_s : float
        Mean global training throughput of this call (images of all ranks per second).
    digest : str
        SHA-256 of the network's weights at the end (equal on every rank under DDP).
    """

    checkpoint: Path
    losses: list[float]
    steps: int
    epochs: int
    images_per_s: float
    digest: str


def _make_dataset(data: Any, cfg: FairMOTTrainConfig) -> Dataset:
    if isinstance(data, Dataset):
        return data
    from .data.dataset import JDEDataset

    return JDEDataset(data, input_size=cfg.input_size, augment=cfg.augment, seed=cfg.seed)


def train_fairmot(
    data: Any,
    out: str | os.PathLike[str],
    config: FairMOTTrainConfig | None = None,
    *,
    device: str = "auto",
    resume: str | os.PathLike[str] | None = None,
    weights: str | os.PathLike[str] | None = None,
    progress: bool = True,
    **overrides: Any,
) -> FairMOTTrainResult:
    """Train (or continue training) the FairMOT network.

    Parameters
    ----------
    data : str, path or Dataset
        A data config JSON in FairMOT's layout (see :mod:`mottrack.fairmot.data`), or a dataset
        with ``nID`` and ``set_epoch(epoch)`` returning FairMOT target dicts.
    out : path
        Output folder (checkpoints, log).
    config : FairMOTTrainConfig, optional
        Built from ``overrides`` when omitted.
    device : str
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    resume : path, optional
        A checkpoint of this trainer: model, loss, optimizer, scheduler, epoch and step
        continue from it. Its config is used: ``overrides`` of the options in
        :data:`~.train_config.RESUMABLE` (``epochs``, ``max_steps``, ``num_workers``, ``amp``,
        ``channels_last``) are applied, any other must equal the checkpoint's; the data must
        have the checkpoint's number of identities.
    weights : path, optional
        Initial network weights (e.g. an official FairMOT checkpoint to fine-tune); not with
        ``resume``.
    progress : bool
        Show a progress bar on rank 0.

    Returns
    -------
    FairMOTTrainResult

    Raises
    ------
    ValueError
        For bad options, ``resume`` with ``weights``, a resumed run given other values of
        options that are not resumable (naming them), or data with another identity count than
        the resumed checkpoint's.
    """
    state: dict[str, Any] = {}
    if resume is not None:
        if weights is not None:
            raise ValueError("weights: not with resume (the checkpoint holds the weights)")
        _, state = read_state_dict(resume)  # clear errors for a missing or corrupt file
        if "mottrack" not in state:
            raise ValueError(f"resume: {resume} is not a checkpoint of this trainer (no config)")
        config = _resumed_config(state["mottrack"]["config"], overrides, resume)
    elif config is None:
        config = FairMOTTrainConfig(**overrides)
    cfg = config
    out_dir = Path(out)
    with process_group(device) as (rank, world, dev):
        torch.manual_seed(cfg.seed)
        dataset = _make_dataset(data, cfg)
        num_ids = int(dataset.nID)
        if state:
            _check_identities(state, num_ids, resume)
        heads = {"hm": 1, "wh": 4, "id": cfg.reid_dim, "reg": 2}
        model = build_model(cfg.arch, heads, weights=weights)
        crit = FairMOTLoss(num_ids, emb_dim=cfg.reid_dim)
        trainable = NetWithLoss(model, crit).to(dev)
        channels_last = dev.type == "cuda" if cfg.channels_last is None else cfg.channels_last
        if channels_last:
            trainable = trainable.to(memory_format=torch.channels_last)
        lr = cfg.learning_rate(world)
        optimizer = torch.optim.Adam(
            [{"params": model.parameters()}, {"params": crit.parameters()}], lr=lr
        )
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, list(cfg.lr_step), 0.1)
        start_epoch, step = 0, 0
        if state:
            load_checkpoint(model, resume)  # strict, with the official-layout handling
            crit.load_state_dict(state["loss"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            start_epoch, step = int(state["epoch"]), int(state["mottrack"]["step"])
        # static_graph: the ``project`` of DLA's deeper trees is never used (the original computes
        # and discards it; :mod:`.dla` deliberately skips it, so its BatchNorm statistics are not
        # updated), so those parameters never get gradients; the set is fixed.
        ddp = (
            nn.parallel.DistributedDataParallel(trainable, static_graph=True)
            if world > 1
            else trainable
        )
        sampler = DistributedSampler(
            dataset, num_replicas=world, rank=rank, shuffle=True, seed=cfg.seed, drop_last=True
        )
        loader = DataLoader(
            dataset,
            batch_size=cfg.batch_size,
            sampler=sampler,
            num_workers=cfg.num_workers,
            pin_memory=dev.type == "cuda",
            drop_last=True,
            persistent_workers=cfg.num_workers > 0,
        )
        if len(loader) == 0:
            raise ValueError(
                f"data: {len(dataset)} images are fewer than one batch of {cfg.batch_size} per "
                f"process ({world} processes)"
            )
        train_step = TrainStep(
            ddp, optimizer, dev, amp_dtype(cfg.amp, dev), channels_last, cfg.grad_clip
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        log = StepLog(out_dir / "log.csv", append=bool(state)) if rank == 0 else None
        losses: list[float] = []
        images, seconds = 0, 0.0
        epoch = start_epoch
        try:
            for epoch in range(start_epoch, cfg.epochs):
                sampler.set_epoch(epoch)
                if hasattr(dataset, "set_epoch"):
                    dataset.set_epoch(epoch)
                bar = tqdm(
                    loader,
                    desc=f"epoch {epoch + 1}/{cfg.epochs}",
                    disable=not progress or rank != 0,
                    unit="batch",
                )
                finished = True
                for batch in bar:
                    if cfg.max_steps is not None and step >= cfg.max_steps:
                        finished = False
                        break
                    tic = time.perf_counter()
                    loss, parts = train_step(batch)
                    if dev.type == "cuda":
                        torch.cuda.synchronize(dev)
                    dt = time.perf_counter() - tic
                    step += 1
                    images += cfg.batch_size * world
                    seconds += dt
                    losses.append(float(loss.detach()))
                    rate = cfg.batch_size * world / dt
                    bar.set_postfix(loss=f"{losses[-1]:.3f}", img_s=f"{rate:.1f}")
                    if log is not None:
                        log.write(epoch + 1, step, losses[-1], parts, crit, optimizer, rate)
                if not finished:
                    break
                scheduler.step()
                if rank == 0:
                    _save(out_dir, model, crit, optimizer, scheduler, epoch + 1, step, cfg)
            else:
                epoch = cfg.epochs
            if rank == 0 and epoch < cfg.epochs:  # stopped by max_steps inside an epoch
                _save(out_dir, model, crit, optimizer, scheduler, epoch, step, cfg)
        finally:
            if log is not None:
                log.close()
        if world > 1:  # DDP broadcasts buffers before each forward; align the last update too
            for buf in model.buffers():
                dist.broadcast(buf, 0)
        digest = weights_digest(model)
        summary = {"rank": rank, "world_size": world, "steps": step, "losses": losses}
        summary["digest"] = digest
        (out_dir / f"rank{rank}.json").write_text(json.dumps(summary))
        return FairMOTTrainResult(
            out_dir / CHECKPOINT,
            losses,
            step,
            epoch,
            images / seconds if seconds else 0.0,
            digest,
        )


def _resumed_config(
    saved: dict[str, Any], overrides: dict[str, Any], resume: str | os.PathLike[str]
) -> FairMOTTrainConfig:
    """The checkpoint's config with the resumable ``overrides`` applied; a ``ValueError`` names
    every other override whose value differs from the checkpoint's."""
    saved = dict(saved)
    saved["lr_step"], saved["input_size"] = tuple(saved["lr_step"]), tuple(saved["input_size"])
    if "scale_lr_with_batch" not in saved:  # written before the option: lr None = scaled
        saved["scale_lr_with_batch"] = saved.get("lr") is None
    before = FairMOTTrainConfig(**saved)
    after = FairMOTTrainConfig(**{**saved, **overrides})
    differ = []
    for key in sorted(overrides):
        old, new = getattr(before, key), getattr(after, key)
        if key == "arch":  # "tiny" is the CLI's name of dla34_tiny
            old, new = ARCHS.get(old), ARCHS.get(new)
        if key not in RESUMABLE and old != new:
            differ.append(f"{key}={getattr(after, key)!r} (checkpoint: {getattr(before, key)!r})")
    if differ:
        raise ValueError(
            f"resume: {resume} continues its own run, which cannot change {'; '.join(differ)}; "
            f"drop these options or start a new run (a resumed run applies only "
            f"{', '.join(RESUMABLE)})"
        )
    return after


def _check_identities(
    state: dict[str, Any], num_ids: int, resume: str | os.PathLike[str] | None
) -> None:
    """Refuse to resume a checkpoint whose identity classifier has another size than the data's
    identity count (before torch's ``size mismatch`` in ``load_state_dict``)."""
    bias = state.get("loss", {}).get("classifier.bias")
    if bias is not None and int(bias.shape[0]) != num_ids:
        raise ValueError(
            f"resume: {resume} was trained on data with {int(bias.shape[0])} identity classes "
            f"(nID), this data has {num_ids}; resume on the same data (or start a new run from "
            "its weights)"
        )


def _save(
    out_dir: Path,
    model: nn.Module,
    crit: FairMOTLoss,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    epoch: int,
    step: int,
    cfg: FairMOTTrainConfig,
) -> None:
    extra = {
        "loss": crit.state_dict(),
        "scheduler": scheduler.state_dict(),
        "mottrack": {"step": step, "config": asdict(cfg)},
    }

    def write(path: Path) -> None:
        save_checkpoint(path, model, epoch, optimizer, official_layout=True, extra=extra)

    save_with_fallback(out_dir / CHECKPOINT, write, "checkpoint")  # a failed write loses nothing
