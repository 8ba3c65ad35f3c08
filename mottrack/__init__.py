"""mottrack: online multi-object tracking (SORT, DeepSORT, FairMOT) behind one interface."""

import importlib
from typing import Any

from .protocols import Detector, Embedder
from .registry import create_tracker, get_tracker_class, list_trackers, register_tracker
from .tracker import Tracker
from .tracks import TrackState
from .types import Detections, Tracks, as_detections

__version__ = "0.1.0"

#: Imported on first use, so that ``import mottrack`` stays light.
_LAZY = {"Pipeline": "mottrack.pipeline", "track_frames": "mottrack.pipeline"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mottrack' has no attribute {name!r}")


__all__ = [
    "Detections",
    "Detector",
    "Embedder",
    "Pipeline",
    "TrackState",
    "Tracker",
    "Tracks",
    "__version__",
    "as_detections",
    "create_tracker",
    "get_tracker_class",
    "list_trackers",
    "register_tracker",
    "track_frames",
]
