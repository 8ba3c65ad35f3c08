"""Converting MOTChallenge sequences to the JDE layout, and the gt rules shared with
:func:`.video.convert_video` (a video file plus a gt file).

Both converters write, under ``out``::

    images/<seq>/img1/<frame:06d>.jpg          (linked/copied, or extracted from the video)
    labels_with_ids/<seq>/img1/<frame:06d>.txt (one per image; empty when it has no box)
    <name>.json                                FairMOT data config: {"root": ".", "train": {...}}
    <name>.train                               the image list, written last

Every file is written atomically, and the image list last: a conversion that stopped half-way has
no list. The gt rules are FairMOT's ``gen_labels_16.py`` / ``gen_labels_15.py``:

- MOT16/17/20 gt (9 columns, ``frame,id,x,y,w,h,consider,class,visibility``): rows with
  ``consider != 0`` and ``class == 1``; MOT15 gt (10 columns, ``frame,id,x,y,w,h,conf,x,y,z``):
  rows with ``conf != 0``.
- Rows are sorted by (id, frame) (``gen_labels_15.py``'s lexsort; MOT16/17 files already are) and
  each new gt id gets the next identity; identities run on across sequences and start at
  ``start_identity`` (1 in the scripts, which leave identity 0 unused).
- A row becomes ``0 identity (x + w/2)/W (y + h/2)/H w/W h/H`` with ``W, H`` the image size
  (seqinfo's for a sequence, the frame's for a video): class 0, no clipping.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ...io.motfile import load_mot_txt
from ...io.seqinfo import atomic_write_text, read_seqinfo
from ._atomic import LINK_MODES, place_file
from .labels import PathLike, label_path, write_image_list, write_labels

__all__ = ["Conversion", "convert_mot", "gt_to_labels", "select_gt_rows"]

F64 = NDArray[np.float64]
GT_FORMATS = ("auto", "mot17", "mot15")


@dataclass(frozen=True)
class Conversion:
    """What a converter wrote.

    Attributes
    ----------
    list_file, data_config : Path
        The image list and the FairMOT data config JSON naming it.
    num_images, num_boxes : int
    identities : (int, int)
        First and last identity written (``last < first`` when none).
    """

    list_file: Path
    data_config: Path
    num_images: int
    num_boxes: int
    identities: tuple[int, int]


def select_gt_rows(gt: F64, gt_format: str = "auto", source: str = "gt") -> F64:
    """Keep the gt rows the JDE scripts keep (see the module doc); ``gt_format`` is ``"mot17"``
    (MOT16/17/20), ``"mot15"`` or ``"auto"`` (9 columns: mot17, 10: mot15).

    Raises
    ------
    ValueError
        For an unknown format or one that cannot be inferred from the column count.
    """
    if gt_format not in GT_FORMATS:
        raise ValueError(f"gt_format: expected one of {GT_FORMATS}, got {gt_format!r}")
    ncols = gt.shape[1]
    if gt_format == "auto":
        if ncols not in (9, 10):
            raise ValueError(
                f"{source}: cannot infer the gt format from {ncols} columns (expected 9 for "
                "MOT16/17, 10 for MOT15); pass gt_format"
            )
        gt_format = "mot17" if ncols == 9 else "mot15"
    need = 8 if gt_format == "mot17" else 7
    if ncols < need:
        raise ValueError(f"{source}: {gt_format} gt needs >= {need} columns, got {ncols}")
    keep = gt[:, 6] != 0
    if gt_format == "mot17":
        keep &= gt[:, 7] == 1
    return gt[keep]


def gt_to_labels(
    rows: F64, start_identity: int, size: tuple[int, int], scale: float = 1.0
) -> tuple[dict[int, F64], int]:
    """Turn selected gt rows into label rows grouped by frame.

    Parameters
    ----------
    rows : ndarray, shape (K, >=6)
        ``frame, id, x, y, w, h, ...`` in pixels (before ``scale``).
    start_identity : int
        Identity of the first gt id.
    size : (int, int)
        ``(width, height)`` of the images, after scaling.
    scale : float
        Factor applied to ``x, y, w, h`` first.

    Returns
    -------
    labels : dict of int to ndarray, shape (n, 6)
        Label rows of each frame that has boxes, in identity order.
    next_identity : int
        ``start_identity`` + the number of gt ids.
    """
    order = np.lexsort((rows[:, 0], rows[:, 1]))  # by id, then frame
    rows = rows[order]
    new_id = np.ones(rows.shape[0], bool)
    new_id[1:] = rows[1:, 1] != rows[:-1, 1]
    ident = start_identity - 1 + np.cumsum(new_id)
    x, y, w, h = (rows[:, 2:6] * scale).T
    width, height = size
    labels = np.stack(
        [np.zeros_like(x), ident, (x + w / 2) / width, (y + h / 2) / height, w / width, h / height],
        axis=1,
    )
    frames = rows[:, 0].astype(np.int64)
    by_frame = np.argsort(frames, kind="stable")
    uniq, starts = np.unique(frames[by_frame], return_index=True)
    parts = np.split(labels[by_frame], starts[1:])
    return dict(zip(uniq.tolist(), parts)), start_identity + int(new_id.sum())


def finish(
    out: Path, name: str, entries: list[str], num_boxes: int, first: int, nxt: int
) -> Conversion:
    list_file, cfg_file = out / f"{name}.train", out / f"{name}.json"
    cfg = {"root": ".", "train": {name: list_file.name}}
    atomic_write_text(cfg_file, json.dumps(cfg, indent=4) + "\n")
    write_image_list(list_file, entries)
    return Conversion(list_file, cfg_file, len(entries), num_boxes, (first, nxt - 1))


def check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name[0] == ".":
        raise ValueError(f"{what}: expected a plain file name, got {name!r}")
    return name


def convert_mot(
    seqs: Sequence[PathLike],
    out: PathLike,
    *,
    name: str = "mot",
    link: str = "symlink",
    gt_format: str = "auto",
    start_identity: int = 1,
) -> Conversion:
    """Convert MOTChallenge sequence folders (``seqinfo.ini``, ``gt/gt.txt``, ``img1/``).

    Every frame ``1..seqLength`` is listed, in sequence order. Identities run on across the
    sequences in the order given.

    Parameters
    ----------
    seqs : sequence of path
        Sequence folders (distinct names).
    out : path
        Output root.
    name : str
        Dataset name: ``<out>/<name>.train`` and ``<out>/<name>.json``.
    link : {"symlink", "hardlink", "copy"}
        How images get into ``<out>/images`` (symlinks point to absolute paths).
    gt_format : {"auto", "mot17", "mot15"}
    start_identity : int

    Raises
    ------
    FileNotFoundError
        For a missing seqinfo.ini, gt file or image (checked before anything is written).
    ValueError
        For malformed gt rows, gt frames outside ``1..seqLength`` or repeated sequence names.
    """
    out, name = Path(out), check_name(name, "name")
    if isinstance(seqs, (str, Path)) or not seqs:
        raise ValueError(f"seqs: expected a non-empty sequence of folders, got {seqs!r}")
    if link not in LINK_MODES:
        raise ValueError(f"link: expected one of {LINK_MODES}, got {link!r}")
    plans, nxt, seen = [], int(start_identity), set()
    for seq in map(Path, seqs):
        info = read_seqinfo(seq / "seqinfo.ini")
        seq_name = check_name(seq.resolve().name, "seqs")
        if seq_name in seen:
            raise ValueError(f"seqs: sequence name {seq_name!r} given twice")
        seen.add(seq_name)
        gt_file = seq / "gt" / "gt.txt"
        rows = select_gt_rows(load_mot_txt(gt_file), gt_format, str(gt_file))
        bad = (rows[:, 0] < 1) | (rows[:, 0] > info.seq_length)
        if bad.any():
            raise ValueError(
                f"{gt_file}: expected frames in 1..{info.seq_length} (seqLength), got "
                f"{int(rows[bad][0, 0])}"
            )
        labels, after = gt_to_labels(rows, nxt, (info.im_width, info.im_height))
        images = [
            seq / info.im_dir / f"{f:06d}{info.im_ext}" for f in range(1, info.seq_length + 1)
        ]
        missing = [p for p in images if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"{seq}: image file not found: {missing[0]}")
        plans.append((seq_name, images, labels))
        nxt = after
    entries, num_boxes = [], 0
    for seq_name, images, labels in plans:
        for f, src in enumerate(images, start=1):
            entry = f"images/{seq_name}/img1/{src.name}"
            place_file(src, out / entry, link)
            rows = labels.get(f, np.zeros((0, 6)))
            write_labels(out / label_path(entry), rows)
            entries.append(entry)
            num_boxes += rows.shape[0]
    return finish(out, name, entries, num_boxes, int(start_identity), nxt)
