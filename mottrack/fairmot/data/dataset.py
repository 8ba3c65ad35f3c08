"""``JDEDataset``: FairMOT's ``JointDataset`` as a reproducible ``torch.utils.data.Dataset``.

Item ``i`` of epoch ``e`` is augmented with ``numpy.random.default_rng((seed, e, i))``: it depends
on nothing else (not the worker, not the order of the items, not what came before), so resumed
and distributed runs see the same samples. The epoch lives in shared memory, so
:meth:`JDEDataset.set_epoch` reaches DataLoader workers, persistent ones included, as long as it
is called before the epoch's iterator is created (``for batch in loader``).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ..preprocess import check_input_size
from .augment import jde_sample
from .index import JDEIndex, open_data
from .targets import MAX_OBJS, encode_targets

__all__ = ["JDEDataset"]


def _seed_value(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{what}: expected an integer >= 0, got {value!r}")
    return int(value)


class JDEDataset(Dataset):
    """JDE-format images and labels -> FairMOT training inputs and targets.

    Parameters
    ----------
    data : str, path, mapping, sequence of paths or JDEIndex
        A data config JSON (its ``split``), an image list (or several), or an index; see
        :func:`mottrack.fairmot.data.index.open_data`.
    input_size : (int, int)
        ``(width, height)`` of the network input, multiples of ``down_ratio``.
    augment : bool
        HSV, random affine and flip as the original (:mod:`.augment`); False: letterbox only.
    seed : int
        Augmentation seed (>= 0).
    split : str
        Config split to read (``"train"``).
    down_ratio, max_objs, num_classes : int
        Output stride, slots K (500) and classes (1), as FairMOT's options.

    Attributes
    ----------
    index : JDEIndex
    nID : int
        Identity classes for the classifier: identities + 1, as ``JointDataset.nID``.

    Notes
    -----
    An item is a dict of tensors: ``input`` (3, H, W) float32 RGB in [0, 1]; ``hm`` (C, H/4,
    W/4) float32; ``reg_mask`` (K,) uint8; ``ind`` (K,) int64; ``wh`` (K, 4) float32; ``reg``
    (K, 2) float32; ``ids`` (K,) int64 (-1: no identity); ``bbox`` (K, 4) float32.
    """

    def __init__(
        self,
        data: Any,
        input_size: tuple[int, int] = (1088, 608),
        augment: bool = True,
        seed: int = 0,
        *,
        split: str = "train",
        down_ratio: int = 4,
        max_objs: int = MAX_OBJS,
        num_classes: int = 1,
    ) -> None:
        self.input_size = check_input_size(input_size, multiple=down_ratio)
        self.augment = bool(augment)
        self.seed = _seed_value(seed, "seed")
        for name, value in (("down_ratio", down_ratio), ("max_objs", max_objs),
                            ("num_classes", num_classes)):  # fmt: skip
            if _seed_value(value, name) < 1:
                raise ValueError(f"{name}: expected an integer >= 1, got {value!r}")
        self.down_ratio, self.max_objs, self.num_classes = down_ratio, max_objs, num_classes
        self.index: JDEIndex = open_data(data, split)
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()

    @property
    def nID(self) -> int:
        return self.index.nID

    @property
    def epoch(self) -> int:
        return int(self._epoch.item())

    def set_epoch(self, epoch: int) -> None:
        """Select the augmentation of ``epoch`` (>= 0) for the next pass over the data."""
        self._epoch.fill_(_seed_value(epoch, "epoch"))

    def __len__(self) -> int:
        return len(self.index)

    def rng(self, index: int) -> np.random.Generator:
        """The generator item ``index`` of the current epoch is augmented with."""
        return np.random.default_rng((self.seed, self.epoch, index))

    def sample(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The augmented image (H, W, 3) uint8 RGB and its normalised label rows (N, 6)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index: expected 0..{len(self) - 1}, got {index}")
        index %= len(self)
        path = self.index.images[index]
        img = cv2.imread(path)
        if img is None:
            raise ValueError(f"image file could not be read: {path}")
        rng = self.rng(index) if self.augment else None
        return jde_sample(img, self.index.item_labels(index), self.input_size, rng)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        img, labels = self.sample(index)
        targets = encode_targets(
            labels, self.input_size, self.down_ratio, self.max_objs, self.num_classes
        )
        chw = np.ascontiguousarray(img.transpose(2, 0, 1))
        item = {"input": torch.from_numpy(chw).float().div_(255.0)}  # as T.ToTensor
        item.update({k: torch.from_numpy(v) for k, v in targets.items()})
        return item
