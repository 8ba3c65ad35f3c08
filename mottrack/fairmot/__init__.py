"""FairMOT (Zhang et al., 2021): one network detects centres and emits re-ID embeddings; JDE
association fuses embedding distance with Kalman motion.

:class:`FairMOTTracker` and :class:`FairMOTConfig` import no torch. The network
(``build_model``), inference (``FairMOTDetector``) and checkpoints need the ``torch`` extra and
are imported on first access (``mottrack.fairmot.build_model`` imports torch then).
"""

from __future__ import annotations

import importlib
from typing import Any

from .config import FairMOTConfig
from .tracker import FairMOTTracker

#: Torch-backed names, imported on first access.
_LAZY = {
    "build_model": "mottrack.fairmot.model",
    "FairMOTNet": "mottrack.fairmot.model",
    "FairMOTDetector": "mottrack.fairmot.detector",
    "load_checkpoint": "mottrack.fairmot.checkpoint",
    "save_checkpoint": "mottrack.fairmot.checkpoint",
}

__all__ = ["FairMOTConfig", "FairMOTTracker", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        try:
            module = importlib.import_module(_LAZY[name])
        except ModuleNotFoundError as exc:  # say which extra brings the missing package
            from .._extras import missing_package_message

            message = f"mottrack.fairmot.{name} {missing_package_message(exc)}"
            raise ModuleNotFoundError(message, name=exc.name) from None
        return getattr(module, name)
    raise AttributeError(f"module 'mottrack.fairmot' has no attribute {name!r}")
