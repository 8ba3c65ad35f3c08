"""Tracking jobs at scale: many sequences or videos on all cores or a Ray cluster, resumable.

:mod:`.discover` (sequences under a root, longest first), :mod:`.runner` (the per-sequence
function, through :func:`mottrack.pipeline.track_frames`), :mod:`.engine` (serial, local
process pool, Ray), :mod:`.manifest` (what finished, with what), :mod:`.batch` (skip, run,
write, report) and :mod:`.tune` (grid and Optuna search with a TrackEval objective). The
``mottrack run`` and ``mottrack tune`` commands (:mod:`mottrack.cli.run`,
:mod:`mottrack.cli.tune`) are built on them.
"""

from __future__ import annotations

from .batch import RunReport, Task, TaskOutcome, run_tasks
from .discover import SequenceJob, discover
from .engine import Engine, LocalEngine, MissingExtraError, RayEngine, SerialEngine, create_engine
from .manifest import Manifest, fingerprint
from .runner import RunSpec, SequenceResult, run_sequence

__all__ = [
    "Engine",
    "LocalEngine",
    "Manifest",
    "MissingExtraError",
    "RayEngine",
    "RunReport",
    "RunSpec",
    "SequenceJob",
    "SequenceResult",
    "SerialEngine",
    "Task",
    "TaskOutcome",
    "create_engine",
    "discover",
    "fingerprint",
    "run_sequence",
    "run_tasks",
]
