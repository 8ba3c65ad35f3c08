"""Pipeline: detector + embedder + tracker, the one place that feeds a tracker."""

from __future__ import annotations

import numpy as np
import pytest

from mottrack import Detections, Detector, Embedder, Pipeline, create_tracker, track_frames
from mottrack.deepsort.histogram import HistogramEmbedder

BOX = [10.0, 20.0, 50.0, 100.0]
FRAME = np.zeros((240, 320, 3), np.uint8)


class CountingEmbedder:
    """Constant unit features; records the boxes it was asked for."""

    def __init__(self, rows: int | None = None) -> None:
        self.calls: list[tuple[int, ...]] = []
        self.rows = rows

    def __call__(self, frame: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
        self.calls.append(xyxy.shape)
        n = len(xyxy) if self.rows is None else self.rows
        return np.tile(np.array([1.0, 0.0, 0.0], np.float32), (n, 1))


def test_embedder_fills_missing_embeddings_from_the_frame() -> None:
    embedder = CountingEmbedder()
    pipeline = Pipeline(create_tracker("deepsort", n_init=1), embedder=embedder)
    assert isinstance(embedder, Embedder) and pipeline.needs_frames
    for _ in range(2):
        out = pipeline.update(FRAME, Detections(np.array([BOX]), np.ones(1)))
    assert out.ids.tolist() == [1] and embedder.calls == [(1, 4), (1, 4)]
    given = Detections(np.array([BOX]), np.ones(1), embeddings=[[0.0, 1.0, 0.0]])
    pipeline.update(FRAME, given)  # detections with embeddings: the embedder is not asked
    assert len(embedder.calls) == 2
    pipeline.update(FRAME, Detections.empty())  # nothing to embed
    assert len(embedder.calls) == 2


def test_trackers_without_appearance_never_call_the_embedder() -> None:
    embedder = CountingEmbedder()
    pipeline = Pipeline(create_tracker("sort"), embedder=embedder)
    pipeline.update(FRAME, np.array([[*BOX, 0.9]]))
    assert embedder.calls == [] and not pipeline.needs_frames


def test_detector_runs_when_no_detections_are_given() -> None:
    seen = []

    def detector(frame: np.ndarray) -> np.ndarray:
        seen.append(frame.shape)
        return np.array([[*BOX, 0.9]])

    assert isinstance(detector, Detector)
    pipeline = Pipeline(create_tracker("sort", min_hits=0), detector=detector)
    out = pipeline.update(FRAME)
    assert out.ids.tolist() == [1] and seen == [FRAME.shape]
    pipeline.update(FRAME, Detections.empty())  # given detections win over the detector
    assert len(seen) == 1


def test_histogram_embedder_feeds_deepsort() -> None:
    pipeline = Pipeline(create_tracker("deepsort", n_init=1), embedder=HistogramEmbedder())
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    for _ in range(3):
        out = pipeline.update(frame, Detections(np.array([BOX]), np.ones(1)))
    assert out.ids.tolist() == [1] and pipeline.seconds["embed"] > 0


def test_missing_inputs_say_what_to_pass() -> None:
    with pytest.raises(ValueError, match=r"build the pipeline with an embedder"):
        Pipeline(create_tracker("deepsort")).update(FRAME, Detections(np.array([BOX])))
    with pytest.raises(ValueError, match="embedder needs the frame"):
        Pipeline(create_tracker("deepsort"), embedder=CountingEmbedder()).update(
            None, Detections(np.array([BOX]))
        )
    with pytest.raises(ValueError, match=r"pass detections=\.\.\., or build .* detector"):
        Pipeline(create_tracker("sort")).update(FRAME)
    with pytest.raises(TypeError, match="embedder: expected a callable"):
        Pipeline(create_tracker("sort"), embedder=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tracker: expected a Tracker"):
        Pipeline("sort")  # type: ignore[arg-type]


def test_bad_embedder_or_detector_output_changes_nothing() -> None:
    tracker = create_tracker("deepsort")
    pipeline = Pipeline(tracker, embedder=CountingEmbedder(rows=2))
    with pytest.raises(ValueError, match=r"embedder: expected \(1, D\) float features"):
        pipeline.update(FRAME, Detections(np.array([BOX]), np.ones(1)))
    nan = Pipeline(tracker, embedder=lambda f, b: np.full((len(b), 3), np.nan))
    with pytest.raises(ValueError, match=r"embedder output: .*finite"):
        nan.update(FRAME, Detections(np.array([BOX]), np.ones(1)))
    bad = Pipeline(create_tracker("sort"), detector=lambda f: np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"detector output: .*\(N, 5\)"):
        bad.update(FRAME)
    assert tracker.frame_count == 0 and len(tracker.tracks) == 0


def test_track_frames_resets_and_times_the_stages() -> None:
    frames = [(i, Detections(np.array([BOX]) + i, np.ones(1)), FRAME) for i in range(1, 5)]
    pipeline = Pipeline(create_tracker("deepsort", n_init=1), embedder=CountingEmbedder())
    first = track_frames(pipeline, frames)
    second = track_frames(pipeline, frames)  # reset in between: the same rows again
    np.testing.assert_array_equal(first.rows, second.rows)
    assert first.num_frames == 4 and set(first.seconds) == {"detect", "embed", "track"}
    assert first.tracker_seconds == first.seconds["embed"] + first.seconds["track"]
    assert first.total_fps == pytest.approx(4 / sum(first.seconds.values()))
    bare = track_frames(create_tracker("sort", min_hits=0), [(f, d) for f, d, _ in frames])
    assert bare.rows[:, 1].tolist() == [1, 1, 1, 1]
    with pytest.raises(ValueError, match="consecutive frame numbers, got 3 after 1"):
        track_frames(pipeline, [frames[0], frames[2]])
