"""Identity crops for ReID training, cut from MOTChallenge-layout sequences (no torch).

A sequence folder holds ``seqinfo.ini``, ``gt/gt.txt`` and the images (``img1/000001.jpg``, ...).
Every ground-truth track becomes one training identity; identities are numbered across all the
sequences given (``"<sequence>:<id>"``), so two sequences never share a label.

Ground-truth rows used (:func:`select_gt_rows`): rows whose flag (column 7) is 1 where the
file has it; in the 9-column MOT16/17 layout ``frame, id, x, y, w, h, consider, class,
visibility`` only pedestrians (class 1) with visibility >= ``min_visibility``. The 10-column
MOT15 layout keeps world coordinates in columns 8-10, which are ignored. Boxes lower than 4 pixels
or with no pixel inside the image are skipped.

All crops are held in memory as one uint8 array (``height * width * 3`` bytes each: 24 KiB at
128x64), which suits small and medium datasets; ``max_crops_per_identity`` and
``frame_stride`` bound the size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .._checks import check_fraction, check_int
from ..boxes import convert
from ..io import MOTSequence, group_by_frame
from ..io.seqinfo import PathLike
from .embedder import check_crop_size, crop_windows, cut_windows

__all__ = ["IdentityCrops", "collect_identity_crops", "find_sequences", "select_gt_rows"]

MIN_HEIGHT = 4.0


@dataclass(frozen=True, eq=False)
class IdentityCrops:
    """Training crops grouped by identity.

    Attributes
    ----------
    crops : ndarray, shape (M, height, width, 3), uint8
        BGR crops (aspect-corrected like the embedders').
    labels : ndarray, shape (M,), int64
        Identity index of each crop, ``0..K-1``.
    identities : tuple of str
        ``"<sequence>:<gt id>"`` of each label.
    """

    crops: NDArray[np.uint8]
    labels: NDArray[np.int64]
    identities: tuple[str, ...]

    @property
    def num_identities(self) -> int:
        return len(self.identities)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def find_sequences(data: PathLike | Sequence[PathLike]) -> list[Path]:
    """Sequence folders from a list of sequence folders and/or roots holding them.

    A folder with ``gt/gt.txt`` is a sequence; any other folder is searched one level down.

    Raises
    ------
    FileNotFoundError
        Naming ``data`` when a folder does not exist.
    ValueError
        When no sequence folder (with ``gt/gt.txt``) is found.
    """
    items = [data] if isinstance(data, (str, Path)) else list(data)
    found: list[Path] = []
    for item in items:
        folder = Path(item)
        if not folder.is_dir():
            raise FileNotFoundError(f"data: folder not found: {folder}")
        if (folder / "gt" / "gt.txt").is_file():
            found.append(folder)
        else:
            found.extend(p for p in sorted(folder.iterdir()) if (p / "gt" / "gt.txt").is_file())
    if not found:
        raise ValueError(
            f"data: expected MOTChallenge sequence folders (<seq>/gt/gt.txt, <seq>/img1/) or a "
            f"root holding them, found none in {[str(i) for i in items]}"
        )
    return found


def select_gt_rows(gt: NDArray[np.float64], min_visibility: float = 0.0) -> NDArray[np.bool_]:
    """Mask of the gt rows used for training (the rules in the module docstring).

    Parameters
    ----------
    gt : ndarray, shape (G, C), C >= 6
        Ground-truth rows as read by :func:`mottrack.io.load_mot_txt`.
    min_visibility : float
        Lowest visibility kept (MOT16/17 layout only).
    """
    keep = gt[:, 5] >= MIN_HEIGHT
    if gt.shape[1] >= 7:
        keep &= gt[:, 6] == 1
    if gt.shape[1] == 9:
        keep &= (gt[:, 7] == 1) & (gt[:, 8] >= min_visibility)
    return keep


def collect_identity_crops(
    data: PathLike | Sequence[PathLike],
    size: tuple[int, int] = (128, 64),
    min_visibility: float = 0.0,
    frame_stride: int = 1,
    max_crops_per_identity: int | None = None,
    seed: int = 0,
) -> IdentityCrops:
    """Cut one crop per selected gt box of every (``frame_stride``-th) frame.

    Parameters
    ----------
    data : path or list of paths
        Sequence folders and/or roots holding them (see :func:`find_sequences`).
    size : (int, int), default (128, 64)
        Crop ``(height, width)``.
    min_visibility : float, default 0.0
        See :func:`select_gt_rows`.
    frame_stride : int, default 1
        Use frames ``1, 1 + stride, ...`` only.
    max_crops_per_identity : int, optional
        Keep at most this many crops per identity (a seeded random subset).
    seed : int
        Seed of that subset.

    Raises
    ------
    FileNotFoundError
        For a missing folder or image.
    ValueError
        For bad options, an unreadable image, or fewer than two identities.
    """
    owner = "collect_identity_crops"
    size = check_crop_size(size)
    check_fraction(owner, "min_visibility", min_visibility)
    check_int(owner, "frame_stride", frame_stride, 1)
    if max_crops_per_identity is not None:
        check_int(owner, "max_crops_per_identity", max_crops_per_identity, 1)
    crops: list[NDArray[np.uint8]] = []
    labels: list[NDArray[np.int64]] = []
    identities: list[str] = []
    for folder in find_sequences(data):
        seq = MOTSequence(folder)
        gt = seq.gt
        frame_no = gt[:, 0]
        gt = gt[
            select_gt_rows(gt, min_visibility)
            & ((frame_no - 1) % frame_stride == 0)
            & (frame_no <= len(seq))
        ]
        ids, local = np.unique(gt[:, 1].astype(np.int64), return_inverse=True)
        gt[:, 1] = len(identities) + local  # column 1 now holds the training label
        identities.extend(f"{seq.name}:{i}" for i in ids.tolist())
        for f, rows in enumerate(group_by_frame(gt, len(seq)), 1):
            if not rows.shape[0]:
                continue
            image = seq.read_image(f)
            xyxy = convert(rows[:, 2:6], "xywh", "xyxy")
            win = crop_windows(xyxy, image.shape, size[1] / size[0])
            inside = (win[:, 2] > win[:, 0]) & (win[:, 3] > win[:, 1])
            crops.append(cut_windows(image, win[inside], size))
            labels.append(rows[inside, 1].astype(np.int64))
    all_labels = np.concatenate(labels).astype(np.int64) if labels else np.zeros(0, np.int64)
    all_crops = np.concatenate(crops) if crops else np.zeros((0, *size, 3), np.uint8)
    if max_crops_per_identity is not None:
        order = np.random.default_rng(seed).permutation(all_labels.shape[0])
        order = order[np.argsort(all_labels[order], kind="stable")]  # by label, random within
        grouped = all_labels[order]
        rank = np.arange(grouped.shape[0]) - np.searchsorted(grouped, grouped)
        keep = np.sort(order[rank < max_crops_per_identity])
        all_crops, all_labels = all_crops[keep], all_labels[keep]
    used, all_labels = np.unique(all_labels, return_inverse=True)  # drop identities left empty
    if used.shape[0] < 2:
        raise ValueError(
            f"data: expected gt boxes of at least 2 identities inside the images, got "
            f"{used.shape[0]}"
        )
    names = tuple(identities[i] for i in used.tolist())
    return IdentityCrops(all_crops, all_labels.astype(np.int64), names)
