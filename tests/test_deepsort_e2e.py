"""End to end: rendered frames on disk -> weight-free embedder -> DeepSORT -> TrackEval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mottrack import Pipeline, create_tracker
from mottrack.datasets import generate
from mottrack.deepsort.histogram import HistogramEmbedder
from mottrack.eval import evaluate
from mottrack.io import MOTSequence, write_results
from mottrack.pipeline import track_frames


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seq = generate(num_frames=100, num_objects=12, seed=7)
    return seq.write(tmp_path_factory.mktemp("synthetic"), render=True)


def _score(folder: Path, rows: np.ndarray, name: str, out: Path) -> dict[str, float]:
    write_results(out / name / f"{folder.name}.txt", rows)
    return evaluate(folder.parent, out / name, benchmark="MOT17").combined


def test_frames_to_histogram_embedder_to_deepsort(rendered: Path, tmp_path: Path) -> None:
    seq = MOTSequence(rendered)
    with_images = [(f, d, seq.read_image(f)) for f, d in seq.frames()]
    pipeline = Pipeline(create_tracker("deepsort"), embedder=HistogramEmbedder())
    appearance = track_frames(pipeline, with_images)
    rng = np.random.default_rng(0)
    noise = [
        (f, d.__class__(d.xyxy, d.scores, embeddings=rng.standard_normal((len(d), 16))))
        for f, d in seq.frames()
    ]
    blind = track_frames(create_tracker("deepsort"), noise)
    good = _score(rendered, appearance.rows, "histogram", tmp_path)
    bad = _score(rendered, blind.rows, "noise", tmp_path)
    # Appearance from the frames must carry identities through the scene's occlusions;
    # uninformative features (same tracker, same boxes) must not.
    assert good["IDF1"] > 85.0 and good["HOTA"] > 70.0
    assert good["IDF1"] > bad["IDF1"] + 30.0
    assert good["IDSW"] * 10 < bad["IDSW"]


def test_missing_and_corrupt_images_raise(rendered: Path, tmp_path: Path) -> None:
    seq = MOTSequence(rendered)
    with pytest.raises(ValueError, match="frame must be an integer"):
        seq.read_image(0)
    broken = tmp_path / "broken"
    broken.mkdir()
    for item in ("seqinfo.ini",):
        (broken / item).write_bytes((rendered / item).read_bytes())
    (broken / "img1").mkdir()
    (broken / "img1" / "000001.jpg").write_bytes(b"not a jpeg")
    seq = MOTSequence(broken)
    with pytest.raises(ValueError, match="could not read"):
        seq.read_image(1)
    with pytest.raises(FileNotFoundError, match="frame 2"):
        seq.read_image(2)
