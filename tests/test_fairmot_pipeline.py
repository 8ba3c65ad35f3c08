"""FairMOT end to end on CPU: checkpoint -> network detector -> JDE association."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mottrack import Pipeline, create_tracker
from mottrack.fairmot.checkpoint import save_checkpoint
from mottrack.fairmot.detector import FairMOTDetector
from mottrack.fairmot.model import build_model

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = build_model("dla34_tiny")
    with torch.no_grad():
        model.hm[2].bias.fill_(2.0)  # an untrained net finds nothing; make it see peaks
        model.wh[2].bias.fill_(4.0)  # ... with positive ltrb sizes (4 cells each side)
    return save_checkpoint(tmp_path_factory.mktemp("fm") / "tiny.pth", model, epoch=1)


def test_frames_through_the_network_and_the_association(weights: Path) -> None:
    detector = FairMOTDetector(str(weights), input_size=(160, 96), arch="dla34_tiny")
    pipeline = Pipeline(create_tracker("fairmot"), detector=detector)
    assert pipeline.needs_frames
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, size=(120, 200, 3), dtype=np.uint8)
    first = pipeline.update(frame)
    assert len(first) > 0  # frame 1 activates every detection
    dets = detector(frame)
    assert dets.embeddings is not None and dets.embeddings.shape == (len(dets), 128)
    np.testing.assert_allclose(np.linalg.norm(dets.embeddings, axis=1), 1.0, rtol=1e-5)
    second = pipeline.update(frame)  # the same frame: every track is found again
    assert sorted(second.ids.tolist()) == sorted(first.ids.tolist())
    third = pipeline.update(detections=dets)  # detections with embeddings: association only
    assert sorted(third.ids.tolist()) == sorted(first.ids.tolist())
    assert pipeline.seconds["detect"] > 0 and pipeline.tracker.frame_count == 3


def test_detector_errors(weights: Path) -> None:
    detector = FairMOTDetector(str(weights), input_size=(160, 96), arch="dla34_tiny")
    pipeline = Pipeline(create_tracker("fairmot"), detector=detector)
    with pytest.raises(ValueError, match=r"frame: expected shape \(H, W, 3\)"):
        pipeline.update(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="frame: expected dtype uint8"):
        pipeline.update(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError, match="detector needs the frame"):
        pipeline.update()
    assert pipeline.tracker.frame_count == 0
    with pytest.raises(ValueError, match="does not match FairMOTNet: shape mismatches"):
        FairMOTDetector(str(weights))
