"""mottrack: online multi-object tracking (SORT, DeepSORT, FairMOT) behind one interface."""

from .registry import create_tracker, get_tracker_class, list_trackers, register_tracker
from .tracker import Tracker
from .tracks import TrackState
from .types import Detections, Tracks, as_detections

__version__ = "0.1.0"

__all__ = [
    "Detections",
    "TrackState",
    "Tracker",
    "Tracks",
    "__version__",
    "as_detections",
    "create_tracker",
    "get_tracker_class",
    "list_trackers",
    "register_tracker",
]
