"""Training the DeepSORT crop CNN with the cosine-softmax classifier (Wojke & Bewley 2018).

Every ground-truth track of the given MOTChallenge sequences is one class (see
:mod:`mottrack.deepsort.reid_data`); the network's unit features feed a
:class:`~mottrack.deepsort.cnn.CosineSoftmax` head and the loss is the cross-entropy of its
logits plus ``scale_decay * raw_scale**2 / 2`` (the paper code's L2 penalty on the scale). Adam,
shuffled mini-batches, random horizontal flips and small random translations (edge pixels
replicated).

Determinism: epoch ``e`` draws its batch order, augmentation and dropout from seeds derived from
``(seed, e)`` (this seeds torch's global RNG), so one run and a run stopped after some epochs and
resumed give the same losses on the same device. Checkpoints (:mod:`~mottrack.deepsort.checkpoint`)
are written atomically after every epoch and at the end to ``<out_dir>/checkpoint.pt`` (when that
write fails, e.g. on a full disk, to the temporary folder, and the ``OSError`` says where); a run
stopped by ``max_steps`` in the middle of an epoch records that epoch as not done, and resuming
repeats it. Every step is appended to ``<out_dir>/losses.csv``.
"""

from __future__ import annotations

import csv
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .._torchutil import resolve_device
from ..io.outputs import save_with_fallback
from ..io.seqinfo import PathLike
from .checkpoint import load_weights, read_checkpoint, save_checkpoint
from .cnn import CosineMetricNet, CosineSoftmax, crops_to_tensor
from .reid_data import IdentityCrops, collect_identity_crops
from .train_config import ReIDTrainConfig, ReIDTrainResult

__all__ = ["ReIDTrainConfig", "ReIDTrainResult", "augment", "train_reid"]

CSV_FIELDS = ("step", "epoch", "loss", "accuracy", "scale", "crops_per_s")


def augment(
    x: torch.Tensor, rng: np.random.Generator, flip: bool, max_shift: float
) -> torch.Tensor:
    """Random horizontal flips and translations of a batch ``(N, C, H, W)`` (edges replicated)."""
    n, _, height, width = x.shape
    if flip:
        mask = torch.from_numpy(rng.random(n) < 0.5).to(x.device)
        x = torch.where(mask[:, None, None, None], x.flip(-1), x)
    pad_y, pad_x = round(max_shift * height), round(max_shift * width)
    if pad_y or pad_x:
        padded = F.pad(x, (pad_x, pad_x, pad_y, pad_y), mode="replicate")
        dy = torch.from_numpy(rng.integers(0, 2 * pad_y + 1, n)).to(x.device)
        dx = torch.from_numpy(rng.integers(0, 2 * pad_x + 1, n)).to(x.device)
        rows = (dy[:, None] + torch.arange(height, device=x.device))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(width, device=x.device))[:, None, None, :]
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        chans = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        x = padded[batch, chans, rows, cols]
    return x


def _resume(
    path: PathLike,
    data: IdentityCrops,
    net: CosineMetricNet,
    head: CosineSoftmax,
    optimizer: torch.optim.Optimizer,
    config: ReIDTrainConfig,
) -> tuple[int, int]:
    """Load a training checkpoint into the modules; returns (epochs done, steps done)."""
    ckpt = read_checkpoint(path)
    missing = [
        k for k in ("classifier", "optimizer", "epoch", "step", "identities") if k not in ckpt
    ]
    if missing:
        raise ValueError(f"resume: {path} is not a train_reid checkpoint (it lacks {missing})")
    if tuple(ckpt["identities"]) != data.identities:
        raise ValueError(
            f"resume: {path} was trained on other identities ({len(ckpt['identities'])} in the "
            f"checkpoint, {data.num_identities} in the data); resume with the same data and options"
        )
    size = tuple(ckpt.get("input_size", ()))
    if size != net.input_size:
        raise ValueError(
            f"resume: {path} was trained with input_size={size}, this run has "
            f"input_size={net.input_size}"
        )
    load_weights(net, ckpt["model"], f"resume: {path} model")
    load_weights(head, ckpt["classifier"], f"resume: {path} classifier")
    optimizer.load_state_dict(ckpt["optimizer"])
    for group in optimizer.param_groups:  # this run's settings, not the checkpoint's
        group.update(lr=config.lr, weight_decay=config.weight_decay)
    return int(ckpt["epoch"]), int(ckpt["step"])


def train_reid(
    data: PathLike | Sequence[PathLike],
    out_dir: PathLike,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 1e-3,
    device: str = "cpu",
    seed: int = 0,
    resume: PathLike | None = None,
    max_steps: int | None = None,
    progress: bool = True,
    **options: Any,
) -> ReIDTrainResult:
    """Train the DeepSORT CNN on the gt tracks of MOTChallenge sequences.

    Parameters
    ----------
    data : path or list of paths
        Sequence folders (``seqinfo.ini``, ``gt/gt.txt``, ``img1/``) and/or roots holding them.
    out_dir : str or os.PathLike
        Receives ``checkpoint.pt`` and ``losses.csv``.
    epochs, batch_size, lr, seed, max_steps
        See :class:`ReIDTrainConfig`.
    device : str, default "cpu"
        Torch device (``"cuda"`` needs a GPU).
    resume : str or os.PathLike, optional
        A checkpoint of this function to continue (model, classifier, optimizer, epoch, step);
        the data must give the same identities.
    progress : bool, default True
        Show a tqdm bar with the loss and crops/s.
    **options
        Other :class:`ReIDTrainConfig` fields (``input_size``, ``min_visibility``, ...).

    Returns
    -------
    ReIDTrainResult

    Raises
    ------
    ValueError, FileNotFoundError, TypeError
        For bad options (an unknown option is a ``TypeError``), missing or unusable data, a bad
        device or a checkpoint that does not fit.
    """
    config = ReIDTrainConfig(epochs, batch_size, lr, seed, max_steps, **options)
    dev = resolve_device(device)
    data_set = collect_identity_crops(
        data,
        config.input_size,
        config.min_visibility,
        config.frame_stride,
        config.max_crops_per_identity,
        config.seed,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    net = CosineMetricNet(config.input_size).to(dev)
    head = CosineSoftmax(data_set.num_identities).to(dev)
    params = [*net.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    modules = {"model": net, "classifier": head, "optimizer": optimizer}
    start_epoch, step = 0, 0
    if resume is not None:
        start_epoch, step = _resume(resume, data_set, net, head, optimizer, config)
    csv_path = out / "losses.csv"
    fresh = resume is None or not csv_path.is_file()
    labels = torch.from_numpy(data_set.labels).to(dev)
    checkpoint = out / "checkpoint.pt"
    epochs_done, saved = start_epoch, False
    with csv_path.open("w" if fresh else "a", newline="") as log_file:
        log = csv.writer(log_file)
        if fresh:
            log.writerow(CSV_FIELDS)
        trainer = _Epochs(net, head, optimizer, data_set, labels, config, dev, log, progress)
        for epoch in range(start_epoch, config.epochs):
            if config.max_steps is not None and step >= config.max_steps:
                break
            done, step = trainer.run(epoch, step)
            log_file.flush()
            epochs_done += int(done)
            _save(checkpoint, modules, epochs_done, step, config, data_set)
            saved = True
            if not done:
                break
    if not saved:  # nothing left to train: still leave a checkpoint of the state reached
        _save(checkpoint, modules, epochs_done, step, config, data_set)
    return ReIDTrainResult(
        checkpoint=checkpoint,
        losses=np.asarray(trainer.losses, np.float64),
        steps=step,
        epochs=epochs_done,
        num_identities=data_set.num_identities,
        num_crops=len(data_set),
        csv=csv_path,
    )


def _save(
    path: Path,
    modules: dict[str, Any],
    epoch: int,
    step: int,
    config: ReIDTrainConfig,
    data: IdentityCrops,
) -> None:
    ckpt = {name: module.state_dict() for name, module in modules.items()}
    ckpt |= {"epoch": epoch, "step": step, "input_size": list(config.input_size)}
    ckpt |= {"identities": list(data.identities), "config": dataclasses.asdict(config)}
    save_with_fallback(path, lambda target: save_checkpoint(ckpt, target), "checkpoint")


@dataclass
class _Epochs:
    """The state one epoch of training needs (see :meth:`run`)."""

    net: CosineMetricNet
    head: CosineSoftmax
    optimizer: torch.optim.Optimizer
    data: IdentityCrops
    labels: torch.Tensor
    config: ReIDTrainConfig
    device: torch.device
    log: Any  # a csv.writer
    progress: bool
    losses: list[float] = field(default_factory=list)

    def run(self, epoch: int, step: int) -> tuple[bool, int]:
        """Train epoch ``epoch`` (0-based) from global step ``step``; returns (finished, step)."""
        config, net, head = self.config, self.net, self.head
        rng = np.random.default_rng([config.seed, epoch])
        torch.manual_seed(int(rng.integers(2**62)))
        order = rng.permutation(len(self.data))
        size = config.batch_size
        batches = [order[i : i + size] for i in range(0, order.shape[0], size)]
        if batches[-1].shape[0] < 2:  # batch normalisation needs two crops
            batches.pop()
        net.train()
        head.train()
        seen, start, speed = 0, time.perf_counter(), 0.0
        desc = f"epoch {epoch + 1}/{config.epochs}"
        with tqdm(batches, desc=desc, unit="batch", disable=not self.progress, leave=False) as bar:
            for idx in bar:
                if config.max_steps is not None and step >= config.max_steps:
                    return False, step
                x = crops_to_tensor(self.data.crops[idx], self.device)
                x = augment(x, rng, config.flip, config.max_shift)
                y = self.labels[torch.from_numpy(idx).to(self.device)]
                logits = head(net(x))
                loss = F.cross_entropy(logits, y) + 0.5 * config.scale_decay * head.raw_scale**2
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                step += 1
                seen += idx.shape[0]
                value = float(loss.detach())
                accuracy = float((logits.detach().argmax(1) == y).float().mean())
                speed = seen / max(time.perf_counter() - start, 1e-9)
                scale = float(head.scale.detach())
                self.losses.append(value)
                self.log.writerow(
                    [
                        step,
                        epoch + 1,
                        f"{value:.6f}",
                        f"{accuracy:.4f}",
                        f"{scale:.4f}",
                        f"{speed:.1f}",
                    ]
                )
                bar.set_postfix(loss=f"{value:.3f}", crops_s=f"{speed:.0f}")
        if self.progress:
            tqdm.write(f"{desc}: loss {self.losses[-1]:.4f}, {speed:.0f} crops/s, step {step}")
        return True, step
