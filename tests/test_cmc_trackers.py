"""``cmc=`` on the three trackers, and the panning-camera scene that proves it."""

from __future__ import annotations

import numpy as np
import pytest

from mottrack import Detections, Pipeline, create_tracker, list_trackers
from mottrack.datasets.panning import panning_scene
from mottrack.eval import evaluate
from mottrack.io import write_results
from mottrack.motion.cmc import CMC_METHODS, CameraMotion
from mottrack.pipeline import track_frames

TRACKERS = list_trackers()
BOX = np.array([[200.0, 100.0, 240.0, 190.0]])


@pytest.fixture(scope="module")
def scene():
    """A small panning scene and its rendered frames."""
    seq = panning_scene(num_frames=60, seed=0)
    return seq, [seq.render_frame(f) for f in range(1, 61)]


def dets(xyxy: np.ndarray, dim: int = 4) -> Detections:
    emb = np.tile(np.eye(dim)[:1], (len(xyxy), 1))
    return Detections(xyxy, np.full(len(xyxy), 0.9), embeddings=emb)


@pytest.mark.parametrize("name", TRACKERS)
def test_cmc_is_off_by_default_and_validated(name: str) -> None:
    tracker = create_tracker(name)
    assert tracker.config.cmc is None and not tracker.requires_frame
    with pytest.raises(ValueError, match=r"Config.cmc: expected None or one of \['ecc'") as err:
        create_tracker(name, cmc="sift")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name", TRACKERS)
def test_cmc_requires_the_frame(name: str) -> None:
    tracker = create_tracker(name, cmc="orb")
    assert tracker.requires_frame and not create_tracker(name).requires_frame
    with pytest.raises(ValueError, match=r"camera motion \(cmc='orb'\) reads pixels; pass update"):
        tracker.update(dets(BOX))
    assert tracker.frame_count == 0 and len(tracker.tracks) == 0


@pytest.mark.parametrize("name", TRACKERS)
def test_tracks_follow_the_camera(name: str, scene) -> None:
    """A confirmed track missed on frame 3 is its Kalman prediction moved by the camera's
    true motion into frame 3."""
    seq, images = scene
    tracker = create_tracker(name, cmc="flow", **({"n_init": 1} if name == "deepsort" else {}))
    for t in range(2):
        tracker.update(dets(BOX + np.array([2.0 * t, 0.0, 2.0 * t, 0.0])), frame=images[t])
    assert len(tracker.tracks) == 1
    predicted, _ = tracker.tracks.motion.predict(*tracker.tracks.gaussian(np.arange(1)))
    tracker.update(dets(np.zeros((0, 4))), frame=images[2])
    shift = seq.true_affine(3)[:, 2]
    assert np.abs(shift).max() > 2.0  # the camera moves on this frame
    mean = tracker.tracks.mean
    np.testing.assert_allclose(mean[:, :2], predicted[:, :2] + shift, atol=0.5)
    np.testing.assert_allclose(mean[:, 2:4], predicted[:, 2:4], rtol=1e-2)


@pytest.mark.parametrize("name", TRACKERS)
def test_reset_forgets_the_previous_frame(name: str, scene) -> None:
    _, images = scene
    tracker = create_tracker(name, cmc="ecc")
    tracker.update(dets(BOX), frame=images[0])
    assert tracker._cmc.snapshot() is not None
    tracker.reset()
    assert tracker._cmc.snapshot() is None and len(tracker.tracks) == 0


@pytest.mark.parametrize("name", TRACKERS)
def test_failed_update_leaves_the_estimator_as_it_was(
    name: str, scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A frame that fails after the estimate must not become the estimator's previous frame:
    the retried frame then gives what an undisturbed run gives."""
    _, images = scene
    boxes = [BOX + np.array([3.0 * t, 0.0, 3.0 * t, 0.0]) for t in range(4)]
    clean = create_tracker(name, cmc="flow")
    for t in range(3):
        clean.update(dets(boxes[t]), frame=images[t])
    broken = create_tracker(name, cmc="flow")
    for t in range(2):
        broken.update(dets(boxes[t]), frame=images[t])

    def failing(*args, **kwargs):
        raise RuntimeError("planted failure")

    with monkeypatch.context() as patch:
        patch.setattr(type(broken.tracks), "correct", failing)
        with pytest.raises(RuntimeError, match="planted"):
            broken.update(dets(boxes[2]), frame=images[20])  # a far-away frame
    broken.update(dets(boxes[2]), frame=images[2])
    np.testing.assert_array_equal(broken.tracks.data, clean.tracks.data)
    a = clean.update(dets(boxes[3]), frame=images[3])
    b = broken.update(dets(boxes[3]), frame=images[3])
    np.testing.assert_array_equal(a.xyxy, b.xyxy)
    np.testing.assert_array_equal(a.ids, b.ids)


@pytest.mark.parametrize("method", CMC_METHODS)
def test_scene_camera_motion_is_recovered(method: str, scene) -> None:
    """Each estimator finds the true camera move of every frame within 1.5 px (the pan
    reaches 14 px/frame)."""
    seq, images = scene
    motion = CameraMotion(method)
    est = np.array([motion.estimate(im) for im in images])
    true = np.array([seq.true_affine(f) for f in range(1, 61)])
    assert np.abs(true[:, :, 2]).max() > 8.0
    np.testing.assert_allclose(est[:, :, 2], true[:, :, 2], atol=1.5)
    np.testing.assert_allclose(est[:, :, :2], true[:, :, :2], atol=5e-3)


def test_cmc_improves_sort_on_the_panning_scene(scene, tmp_path) -> None:
    """SORT loses tracks whenever the pan jerks; with CMC IDF1 rises by over 15 points and
    ID switches fall by more than half (TrackEval)."""
    seq, images = scene
    seq.write(tmp_path / "gt")
    metrics = {}
    for cmc in (None, "ecc"):
        frames = ((f, d, images[f - 1]) for f, d in seq.frames())
        run = track_frames(Pipeline(create_tracker("sort", cmc=cmc)), frames)
        path = tmp_path / str(cmc) / f"{seq.name}.txt"
        write_results(path, run.rows)
        metrics[cmc] = evaluate(tmp_path / "gt", {seq.name: path}).combined
    off, on = metrics[None], metrics["ecc"]
    assert on["IDF1"] > off["IDF1"] + 15.0, (off["IDF1"], on["IDF1"])
    assert on["IDSW"] * 2 < off["IDSW"], (off["IDSW"], on["IDSW"])
    assert on["MOTA"] > off["MOTA"]
