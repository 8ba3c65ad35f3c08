"""Packaging facts: the foundation, SORT, DeepSORT (with the histogram embedder) and FairMOT's
association import no torch; public names are exported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mottrack

NO_TORCH = """
import sys
import numpy as np
import mottrack, mottrack.sort, mottrack.eval, mottrack.io, mottrack.cli, mottrack.pipeline
import mottrack.datasets, mottrack.motion, mottrack.association
import mottrack.viz, mottrack.plots, mottrack.io.sources, mottrack.supervision_interop
t = mottrack.create_tracker("sort")
t.update(np.array([[0.0, 0.0, 10.0, 20.0, 0.9]]))
import mottrack.deepsort
from mottrack.deepsort.histogram import HistogramEmbedder
d = mottrack.Pipeline(mottrack.create_tracker("deepsort"), embedder=HistogramEmbedder())
box = mottrack.Detections(np.array([[0.0, 0.0, 10.0, 20.0]]), np.ones(1))
d.update(np.zeros((40, 40, 3), np.uint8), box)  # the weight-free histogram embedder
d.reset()
d.update(detections=mottrack.Detections(box.xyxy, box.scores, embeddings=np.ones((1, 666))))
f = mottrack.create_tracker("fairmot")
f.update(mottrack.Detections(box.xyxy, box.scores, embeddings=np.ones((1, 8))))
print("ok")
"""


def test_foundation_sort_and_deepsort_do_not_import_torch(
    run_without_torch: Callable[[str], str],
) -> None:
    assert run_without_torch(NO_TORCH).strip() == "ok"


def test_public_api_and_typed_marker() -> None:
    names = ("Detections", "Tracks", "Tracker", "Pipeline", "Detector", "Embedder")
    for name in (*names, "create_tracker", "list_trackers", "track_frames"):
        assert name in mottrack.__all__ and hasattr(mottrack, name)
    assert (Path(mottrack.__file__).parent / "py.typed").is_file()
    assert mottrack.list_trackers() == sorted(mottrack.list_trackers())


def test_fairmot_import_graph_holds_no_synthetic_scenes(
    run_without_torch: Callable[[str], str],
) -> None:
    """``mottrack.fairmot`` and its training data import nothing from ``mottrack.datasets``; the
    synthetic JDE set (``mottrack.datasets.jde``) depends on FairMOT, loaded on first access."""
    fairmot_first = (
        "import sys\n"
        "import mottrack.fairmot, mottrack.fairmot.data\n"
        "print(sorted(m for m in sys.modules if m.startswith('mottrack.datasets')))\n"
    )
    assert run_without_torch(fairmot_first).strip() == "[]"
    datasets_first = (
        "import sys\n"
        "import mottrack.datasets\n"
        "print('mottrack.fairmot' in sys.modules)\n"
        "from mottrack.datasets import SMALL_SCENE, build_synthetic_jde\n"
        "print(build_synthetic_jde.__module__, 'mottrack.fairmot.data' in sys.modules)\n"
    )
    out = run_without_torch(datasets_first).split()
    assert out == ["False", "mottrack.datasets.jde", "True"]
