"""Packaging facts: the foundation, SORT and DeepSORT (with the histogram embedder) import no
torch; public names are exported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mottrack

NO_TORCH = """
import sys
import numpy as np
import mottrack, mottrack.sort, mottrack.eval, mottrack.io, mottrack.cli, mottrack.pipeline
import mottrack.datasets, mottrack.motion, mottrack.association
t = mottrack.create_tracker("sort")
t.update(np.array([[0.0, 0.0, 10.0, 20.0, 0.9]]))
import mottrack.deepsort
d = mottrack.create_tracker("deepsort")
box = mottrack.Detections(np.array([[0.0, 0.0, 10.0, 20.0]]), np.ones(1))
d.update(box, frame=np.zeros((40, 40, 3), np.uint8))  # the default histogram embedder
d.update(mottrack.Detections(box.xyxy, box.scores, embeddings=np.ones((1, 666))))
print("ok")
"""


def test_foundation_sort_and_deepsort_do_not_import_torch(
    run_without_torch: Callable[[str], str],
) -> None:
    assert run_without_torch(NO_TORCH).strip() == "ok"


def test_public_api_and_typed_marker() -> None:
    for name in ("Detections", "Tracks", "Tracker", "create_tracker", "list_trackers"):
        assert name in mottrack.__all__ and hasattr(mottrack, name)
    assert (Path(mottrack.__file__).parent / "py.typed").is_file()
    assert mottrack.list_trackers() == sorted(mottrack.list_trackers())
