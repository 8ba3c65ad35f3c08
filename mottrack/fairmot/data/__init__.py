"""FairMOT training data: the JDE dataset format, converters, augmentation and targets.

Everything here but :class:`JDEDataset` needs NumPy and OpenCV only; ``JDEDataset`` (torch) is
imported on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

from .augment import augment_hsv, hflip, jde_sample, letterbox_labels, random_affine
from .convert import Conversion, convert_mot, gt_to_labels, select_gt_rows
from .index import JDEIndex, JDESource, load_data_config, open_data
from .labels import label_path, read_image_list, read_labels, write_image_list, write_labels
from .targets import MAX_OBJS, draw_umich_gaussian, encode_targets, gaussian2d, gaussian_radius
from .video import convert_video

__all__ = [
    "MAX_OBJS",
    "Conversion",
    "JDEDataset",
    "JDEIndex",
    "JDESource",
    "augment_hsv",
    "convert_mot",
    "convert_video",
    "draw_umich_gaussian",
    "encode_targets",
    "gaussian2d",
    "gaussian_radius",
    "gt_to_labels",
    "hflip",
    "jde_sample",
    "label_path",
    "letterbox_labels",
    "load_data_config",
    "open_data",
    "random_affine",
    "read_image_list",
    "read_labels",
    "select_gt_rows",
    "write_image_list",
    "write_labels",
]


def __getattr__(name: str) -> Any:
    if name == "JDEDataset":
        return importlib.import_module(".dataset", __name__).JDEDataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
