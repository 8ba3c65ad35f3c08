"""Combining JDE datasets: FairMOT's data config JSON and identity offsets.

A *data config* is FairMOT's JSON: ``{"root": ..., "train": {"name": "list file", ...}, ...}``
(``src/lib/cfg/*.json``; other splits such as ``test_emb`` and ``test`` sit beside ``train``).
The datasets of a split are combined in the order listed: dataset ``d`` has
``num_identities = max identity + 1`` over its label files (0 if it has none), its identities are
shifted by the sum of the counts before it (identity -1 stays -1), and ``nID`` is that total
**plus one**, exactly as ``JointDataset.__init__`` computes it. Relative paths in a config file
(the root, the list files) are taken relative to the JSON file's folder (FairMOT takes them
relative to its working directory).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .labels import PathLike, label_path, read_image_list, read_labels

__all__ = ["JDEIndex", "JDESource", "load_data_config", "open_data"]

F32 = NDArray[np.float32]


def load_data_config(path: PathLike, split: str = "train") -> tuple[Path, dict[str, Path]]:
    """Read a FairMOT data config JSON.

    Returns
    -------
    root : Path
        The ``root`` entry (relative to the JSON's folder if relative).
    lists : dict of str to Path
        ``split``'s ``{dataset name: image list}`` in the file's order.

    Raises
    ------
    FileNotFoundError, ValueError
        For a missing file, invalid JSON, or a missing or malformed ``root`` / ``split`` entry.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data config not found: {path}")
    try:
        cfg = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: expected JSON: {exc}") from None
    return _parse_config(cfg, split, path.parent, str(path))


def _parse_config(cfg: Any, split: str, base: Path, where: str) -> tuple[Path, dict[str, Path]]:
    form = '{"root": str, "' + split + '": {name: list file, ...}}'
    if not isinstance(cfg, Mapping) or not isinstance(cfg.get("root"), str):
        raise ValueError(f"{where}: expected {form}, got no string 'root'")
    lists = cfg.get(split)
    if not isinstance(lists, Mapping) or not lists:
        raise ValueError(f"{where}: expected {form}, got {split!r}: {lists!r}")
    for name, value in lists.items():
        if not isinstance(value, (str, os.PathLike)):
            raise ValueError(f"{where}: {split}.{name}: expected a list file path, got {value!r}")
    return base / cfg["root"], {str(k): base / v for k, v in lists.items()}


@dataclass(frozen=True)
class JDESource:
    """One dataset of a combination.

    Attributes
    ----------
    name : str
    list_file, root : Path
        The image list and the folder its entries are relative to.
    num_images : int
    num_identities : int
        Max identity + 1 over its label files (0 when every identity is -1).
    start_identity : int
        Offset added to its identities (>= 0 ones) in the combination.
    """

    name: str
    list_file: Path
    root: Path
    num_images: int
    num_identities: int
    start_identity: int


@dataclass(frozen=True, eq=False)
class JDEIndex:
    """Images and labels of several JDE datasets combined with identity offsets.

    Attributes
    ----------
    sources : tuple of JDESource
    images, label_files : tuple of str
        Absolute paths, datasets in order.
    labels : tuple of ndarray, shape (N_i, 6), float32
        Each image's label rows as stored (identities not shifted).
    source_index : ndarray, shape (M,), int64
        The dataset of each image.
    """

    sources: tuple[JDESource, ...]
    images: tuple[str, ...]
    label_files: tuple[str, ...]
    labels: tuple[F32, ...]
    source_index: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.images)

    @property
    def num_identities(self) -> int:
        """Sum of the datasets' identity counts."""
        return sum(s.num_identities for s in self.sources)

    @property
    def nID(self) -> int:
        """``num_identities + 1``, as FairMOT's ``JointDataset.nID``."""
        return self.num_identities + 1

    def item_labels(self, index: int) -> F32:
        """Label rows of image ``index`` with the dataset's identity offset applied (a copy)."""
        out = self.labels[index].copy()
        start = self.sources[int(self.source_index[index])].start_identity
        out[out[:, 1] > -1, 1] += start
        return out

    @classmethod
    def build(cls, lists: Mapping[str, PathLike], root: PathLike | None = None) -> JDEIndex:
        """Index ``{name: image list}`` (in order); entries are relative to ``root`` (default:
        each list's own folder). Reads every label file.

        Raises
        ------
        FileNotFoundError
            Naming the missing image list, image or label file (and the list that lists it).
        ValueError
            For a malformed label row (file and line) or an empty combination.
        """
        sources, images, label_files, labels, owner = [], [], [], [], []
        start = 0
        for k, (name, list_file) in enumerate(lists.items()):
            list_file = Path(list_file)
            base = Path(root) if root is not None else list_file.parent
            entries = read_image_list(list_file)
            max_id = -1
            for entry in entries:
                image, label = base / entry, base / label_path(entry)
                if not image.is_file():
                    raise FileNotFoundError(f"{list_file}: image file not found: {image}")
                if not label.is_file():
                    raise FileNotFoundError(f"{list_file}: label file not found: {label}")
                rows = read_labels(label)
                if rows.shape[0]:
                    max_id = max(max_id, int(rows[:, 1].max()))
                images.append(str(image.absolute()))
                label_files.append(str(label.absolute()))
                labels.append(rows)
                owner.append(k)
            sources.append(JDESource(name, list_file, base, len(entries), max_id + 1, start))
            start += max_id + 1
        if not images:
            raise ValueError(f"lists: expected image lists with at least one entry, got {lists}")
        return cls(tuple(sources), tuple(images), tuple(label_files), tuple(labels),
                   np.array(owner, dtype=np.int64))  # fmt: skip


def open_data(data: Any, split: str = "train") -> JDEIndex:
    """Build a :class:`JDEIndex` from any of: a data config JSON path (``*.json``), a config
    mapping ``{"root": ..., split: {...}}`` (relative paths from the working directory), an image
    list path or a sequence of them (entries relative to each list's folder, datasets named by
    the list's file name), a ``{name: list}`` mapping without ``root``, or a ``JDEIndex``."""
    if isinstance(data, JDEIndex):
        return data
    if isinstance(data, (str, os.PathLike)):
        if Path(data).suffix.lower() == ".json":
            root, lists = load_data_config(data, split)
            return JDEIndex.build(lists, root)
        data = [data]
    if isinstance(data, Mapping):
        if "root" in data:
            root, lists = _parse_config(data, split, Path("."), "data")
            return JDEIndex.build(lists, root)
        return JDEIndex.build({str(k): Path(v) for k, v in data.items()})
    if isinstance(data, Sequence) and data and all(isinstance(d, (str, os.PathLike)) for d in data):
        lists = {Path(d).name: Path(d) for d in data}
        if len(lists) != len(data):
            raise ValueError(f"data: expected image lists with distinct file names, got {data}")
        return JDEIndex.build(lists)
    raise ValueError(
        "data: expected a data config (.json path or mapping), image list path(s) or a JDEIndex, "
        f"got {type(data).__name__}"
    )
