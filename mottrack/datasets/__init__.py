"""Datasets: a seeded synthetic scene generator and a tiny JDE training set made from it.

:mod:`.config` (:class:`SyntheticConfig`), :mod:`.simulate` (:func:`generate`;
:mod:`.crowd` for crowds of any size, :mod:`.classes` for object classes; objects in
:mod:`.population`, the simulated detector in :mod:`.detector`), :mod:`.sequence`
(:class:`SyntheticSequence`), :mod:`.render` (frames), :mod:`.features` (simulated re-ID
features), :mod:`.mot_folder` (MOTChallenge folders) and :mod:`.jde` (``build_synthetic_jde``,
``SMALL_SCENE``). The JDE names import :mod:`mottrack.fairmot.data` and are loaded on first
access, so importing this package does not import FairMOT.
"""

from __future__ import annotations

import importlib
from typing import Any

from .classes import crossing_classes, frames_with_classes
from .config import SyntheticConfig
from .crowd import CROWD_DENSITY, crowd
from .render import NUM_PATTERNS
from .sequence import SyntheticSequence
from .simulate import generate

#: Names loaded from :mod:`.jde` on first access.
_LAZY = {"SMALL_SCENE": "mottrack.datasets.jde", "build_synthetic_jde": "mottrack.datasets.jde"}

__all__ = [
    "CROWD_DENSITY",
    "NUM_PATTERNS",
    "SyntheticConfig",
    "SyntheticSequence",
    "crossing_classes",
    "crowd",
    "frames_with_classes",
    "generate",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mottrack.datasets' has no attribute {name!r}")
