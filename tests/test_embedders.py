"""Appearance embedders: crop extraction, the histogram embedder, the DeepSORT CNN, the factory."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from mottrack.boxes import convert
from mottrack.datasets import generate
from mottrack.deepsort.checkpoint import save_checkpoint
from mottrack.deepsort.cnn import CNNEmbedder, CosineMetricNet, CosineSoftmax, crops_to_tensor
from mottrack.deepsort.embedder import Embedder, create_embedder, crop_windows, extract_crops
from mottrack.deepsort.histogram import HistogramEmbedder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _ramp_frame(height: int = 240, width: int = 250) -> np.ndarray:
    """Channel 0 holds the column index, channel 1 the row index (both < 256)."""
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:, :, 0] = np.arange(width, dtype=np.uint8)[None, :]
    frame[:, :, 1] = np.arange(height, dtype=np.uint8)[:, None]
    frame[:, :, 2] = 200
    return frame


def _untrained_cnn(**kwargs: object) -> CNNEmbedder:
    with pytest.warns(UserWarning, match="untrained"):
        return CNNEmbedder(**kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- crops


def test_crop_windows_correct_the_aspect_around_the_centre() -> None:
    boxes = np.array([[100.0, 50.0, 140.0, 250.0], [20.0, 10.0, 220.0, 110.0]])
    win = crop_windows(boxes, (480, 640, 3), 0.5)
    # 40x200 widens to 100x200 and 200x100 narrows to 50x100, both about their centre x.
    np.testing.assert_array_equal(win, [[70, 50, 170, 250], [95, 10, 145, 110]])


def test_extract_crops_shape_content_and_aspect() -> None:
    frame = _ramp_frame()
    crops = extract_crops(frame, np.array([[100.0, 20.0, 140.0, 220.0]]))
    assert crops.shape == (1, 128, 64, 3) and crops.dtype == np.uint8
    # The crop spans columns 70..169 (aspect-corrected) and rows 20..219 of the ramps.
    cols, rows = crops[0, :, :, 0].astype(float), crops[0, :, :, 1].astype(float)
    assert abs(cols[:, 0].mean() - 70) < 2 and abs(cols[:, -1].mean() - 169) < 2
    assert abs(rows[0].mean() - 20) < 2 and abs(rows[-1].mean() - 219) < 2
    np.testing.assert_array_equal(crops[0, :, :, 2], 200)


def test_extract_crops_equals_a_plain_resize_of_the_window() -> None:
    import cv2

    frame = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    crop = extract_crops(frame, [[50.5, 30.2, 90.9, 170.7]], size=(64, 32))[0]
    x1, y1, x2, y2 = crop_windows(np.array([[50.5, 30.2, 90.9, 170.7]]), frame.shape, 0.5)[0]
    np.testing.assert_array_equal(crop, cv2.resize(frame[y1:y2, x1:x2], (32, 64)))


def test_boxes_outside_the_frame_are_clipped_or_zero() -> None:
    frame = _ramp_frame()
    boxes = np.array(
        [
            [-30.0, -40.0, 30.0, 120.0],  # partly outside (left, top): clipped
            [-300.0, -300.0, -200.0, -100.0],  # entirely outside: zeros
            [260.0, 10.0, 300.0, 100.0],  # right of the frame: zeros
            [100.0, 50.0, 100.0, 50.0],  # zero size: zeros
            [200.0, 200.0, 400.0, 600.0],  # partly outside (right, bottom)
        ]
    )
    crops = extract_crops(frame, boxes)
    assert crops.shape == (5, 128, 64, 3)
    assert crops[0].any() and crops[4].any()
    for i in (1, 2, 3):
        assert not crops[i].any(), f"box {i} has no pixel in the frame"
    # The clipped crop starts at column 0 and row 0 of the frame.
    assert crops[0, :, 0, 0].mean() < 2 and crops[0, 0, :, 1].mean() < 2
    win = crop_windows(boxes, frame.shape, 0.5)
    np.testing.assert_array_equal(win[0], [0, 0, 40, 120])
    np.testing.assert_array_equal(win[4], [200, 200, 250, 240])


def test_extract_crops_empty_input() -> None:
    frame = _ramp_frame()
    for empty in (np.zeros((0, 4)), []):
        crops = extract_crops(frame, empty)
        assert crops.shape == (0, 128, 64, 3) and crops.dtype == np.uint8


@pytest.mark.parametrize(
    ("frame", "boxes", "name"),
    [
        (np.zeros((10, 10, 3), np.float32), [[0, 0, 5, 5]], "frame"),
        (np.zeros((10, 10), np.uint8), [[0, 0, 5, 5]], "frame"),
        ([[0, 0, 0]], [[0, 0, 5, 5]], "frame"),
        (np.zeros((10, 10, 3), np.uint8), [[0, 0, 5]], "xyxy"),
        (np.zeros((10, 10, 3), np.uint8), [[0, 0, np.nan, 5]], "xyxy"),
        (np.zeros((10, 10, 3), np.uint8), [[0, 0, 5, np.inf]], "xyxy"),
        (np.zeros((10, 10, 3), np.uint8), [[6, 0, 5, 5]], "xyxy"),
        (np.zeros((10, 10, 3), np.uint8), [[0, 6, 5, 5]], "xyxy"),
        (np.zeros((10, 10, 3), np.uint8), [["a", 0, 5, 5]], "xyxy"),
    ],
)
def test_extract_crops_rejects_bad_input(frame: object, boxes: object, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        extract_crops(frame, boxes)  # type: ignore[arg-type]


def test_extract_crops_rejects_bad_size() -> None:
    frame = _ramp_frame()
    for size in ((0, 64), (128,), (128.5, 64), "ab"):
        with pytest.raises(ValueError, match="size"):
            extract_crops(frame, [[0, 0, 5, 5]], size=size)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- histogram


def test_histogram_embedder_output_contract() -> None:
    emb = HistogramEmbedder()
    assert isinstance(emb, Embedder)
    assert emb.dim == 6 * (12 * 3 + 1) * 3
    frame = np.random.default_rng(1).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    boxes = np.array([[10.0, 10.0, 40.0, 90.0], [-50.0, -50.0, -10.0, -10.0], [0, 0, 160, 120]])
    feats = emb(frame, boxes)
    assert feats.shape == (3, emb.dim) and feats.dtype == np.float32
    assert np.isfinite(feats).all()
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), 1.0, atol=1e-5)
    assert emb(frame, np.zeros((0, 4))).shape == (0, emb.dim)
    # Rows do not depend on the other boxes of the call.
    np.testing.assert_allclose(emb(frame, boxes[2:]), feats[2:], atol=1e-6)


def _synthetic_views() -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
    """Two BGR frames far apart in a synthetic scene, with their clearly visible gt boxes, ids."""
    seq = generate(
        num_frames=60,
        num_objects=12,
        width=640,
        height=360,
        seed=5,
        height_range=(70.0, 160.0),
        mean_lifetime=float("inf"),
    )
    frames, views = [], []
    for f in (5, 55):
        rows = seq.gt[(seq.gt[:, 0] == f) & (seq.gt[:, 8] > 0.7)]
        frames.append(seq.render_frame(f)[:, :, ::-1].copy())
        views.append((convert(rows[:, 2:6], "xywh", "xyxy"), rows[:, 1].astype(int)))
    return frames, views


def test_histogram_embedder_tells_synthetic_identities_apart() -> None:
    emb = create_embedder("histogram")
    frames, views = _synthetic_views()
    (box_a, id_a), (box_b, id_b) = views
    dist = 1.0 - emb(frames[0], box_a) @ emb(frames[1], box_b).T
    same = id_a[:, None] == id_b[None, :]
    assert same.sum() >= 6, "the scene keeps enough objects visible in both frames"
    assert dist[same].mean() < 0.5 * dist[~same].mean()
    # For most objects, the same identity in the other frame is the nearest one.
    rows, cols = np.nonzero(same)
    nearest = dist[rows].argmin(axis=1) == cols
    assert nearest.mean() >= 0.8
    # And most same-identity pairs are closer than any different-identity pair of that object.
    other = np.where(same, np.inf, dist)[rows].min(axis=1)
    assert (dist[rows, cols] < other).mean() >= 0.8


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"parts": 0}, "parts"),
        ({"bins": (8, 3)}, "bins"),
        ({"bins": (8, 0, 3)}, r"bins\[1\]"),
        ({"min_saturation": 300}, "min_saturation"),
        ({"size": (4, 32)}, "size"),
        ({"sigma": 0.0}, "sigma"),
    ],
)
def test_histogram_embedder_rejects_bad_options(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        HistogramEmbedder(**kwargs)


# ----------------------------------------------------------------------------- CNN


def _expected_parameters() -> tuple[int, int]:
    """Count the network by its layer list: (paper's count with offset-only BN, our count)."""
    conv = lambda k, cin, cout, bias: k * k * cin * cout + (cout if bias else 0)  # noqa: E731
    bn: list[int] = []  # channels of every batch normalisation
    total = conv(3, 3, 32, False) + conv(3, 32, 32, False)
    bn += [32, 32]
    blocks = [(32, 32, True), (32, 32, False), (32, 64, False), (64, 64, False)]
    blocks += [(64, 128, False), (128, 128, False)]
    for cin, cout, first in blocks:
        total += conv(3, cin, cout, False) + conv(3, cout, cout, True)
        bn += [cout] if first else [cin, cout]
        total += conv(1, cin, cout, False) if cout != cin else 0
    total += 128 * 16 * 8 * 128  # dense layer, no bias (batch normalisation follows)
    bn += [128]
    paper = total + sum(bn)  # TF-slim batch norm: an offset per channel, no scale
    ours = paper + sum(bn) + 2 * 128  # + a scale per channel + the final "ball" batch norm
    return paper, ours


def test_cnn_parameter_count() -> None:
    net = CosineMetricNet()
    count = sum(p.numel() for p in net.parameters())
    paper, ours = _expected_parameters()
    assert paper == 2_800_864  # Wojke & Bewley 2018: "2,800,864 parameters"
    assert count == ours == 2_802_080
    assert 2_600_000 < count < 3_000_000
    head = CosineSoftmax(10)
    assert sum(p.numel() for p in head.parameters()) == 10 * 128 + 1


def test_cnn_embedder_output_and_batch_independence() -> None:
    emb = _untrained_cnn(batch_size=2)
    assert isinstance(emb, Embedder) and emb.dim == 128
    assert not emb.net.training
    frame = np.random.default_rng(2).integers(0, 256, (160, 200, 3), dtype=np.uint8)
    boxes = np.array(
        [[10, 10, 50, 100], [60, 20, 90, 150], [-40, -40, -5, -5], [100, 0, 190, 160.0]]
    )
    feats = emb(frame, boxes)
    assert feats.shape == (4, 128) and feats.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), 1.0, atol=1e-5)
    # In eval mode a crop's embedding does not depend on the batch it is in.
    crops = extract_crops(frame, boxes)
    emb.batch_size = 256
    np.testing.assert_allclose(emb.embed_crops(crops), feats, atol=2e-5)
    np.testing.assert_allclose(emb.embed_crops(crops[[3, 0]]), feats[[3, 0]], atol=2e-5)
    assert emb(frame, np.zeros((0, 4))).shape == (0, 128)
    with pytest.raises(ValueError, match="crops"):
        emb.embed_crops(crops[:, :64])


def test_crops_to_tensor_is_rgb_in_unit_range() -> None:
    crops = np.zeros((1, 8, 8, 3), np.uint8)
    crops[..., 0] = 255  # blue in BGR
    x = crops_to_tensor(crops)
    assert x.shape == (1, 3, 8, 8) and x.dtype == torch.float32
    assert float(x[0, 2].min()) == 1.0 and float(x[0, :2].max()) == 0.0


def _trained_looking_net(input_size: tuple[int, int]) -> CosineMetricNet:
    torch.manual_seed(3)
    net = CosineMetricNet(input_size)
    for module in net.modules():  # non-trivial running statistics
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return net.eval()


def test_cnn_checkpoint_round_trip(tmp_path: Path) -> None:
    net = _trained_looking_net((64, 32))
    path = save_checkpoint({"model": net.state_dict(), "input_size": [64, 32]}, tmp_path / "a.pt")
    emb = create_embedder("cnn", weights=str(path))
    assert emb.input_size == (64, 32)
    frame = np.random.default_rng(4).integers(0, 256, (100, 120, 3), dtype=np.uint8)
    boxes = np.array([[10.0, 5.0, 40.0, 80.0], [50.0, 20.0, 100.0, 99.0]])
    with torch.no_grad():
        direct = net(crops_to_tensor(extract_crops(frame, boxes, (64, 32)))).numpy()
    np.testing.assert_allclose(emb(frame, boxes), direct, atol=1e-5)
    # A bare state dict of the default 128x64 network loads too.
    full = _trained_looking_net((128, 64))
    torch.save(full.state_dict(), tmp_path / "bare.pt")
    emb2 = CNNEmbedder(tmp_path / "bare.pt")
    with torch.no_grad():
        direct2 = full(crops_to_tensor(extract_crops(frame, boxes))).numpy()
    np.testing.assert_allclose(emb2(frame, boxes), direct2, atol=1e-5)


def test_cnn_checkpoint_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="weights"):
        CNNEmbedder(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"this is not a checkpoint")
    with pytest.raises(ValueError, match="not a readable PyTorch checkpoint"):
        CNNEmbedder(tmp_path / "junk.pt")
    torch.save({"model": [1, 2, 3]}, tmp_path / "list.pt")
    with pytest.raises(ValueError, match="state dict"):
        CNNEmbedder(tmp_path / "list.pt")
    state = CosineMetricNet().state_dict()
    state["conv9.weight"] = state.pop("conv4_3.conv2.weight")
    torch.save(state, tmp_path / "renamed.pt")
    with pytest.raises(ValueError, match=r"missing keys: conv4_3\.conv2\.weight") as err:
        CNNEmbedder(tmp_path / "renamed.pt")
    assert "unexpected keys: conv9.weight" in str(err.value)
    small = CosineMetricNet((64, 32)).state_dict()
    torch.save(small, tmp_path / "small.pt")  # no input_size entry: read as a 128x64 network
    with pytest.raises(ValueError, match=r"shape mismatches: fc1\.0\.weight \(128, 4096\)"):
        CNNEmbedder(tmp_path / "small.pt")


def test_cnn_embedder_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        CNNEmbedder(batch_size=0)
    with pytest.raises(ValueError, match="device"):
        CNNEmbedder(device="tpu7")
    with pytest.raises(ValueError, match="input_size"):
        CosineMetricNet((4, 64))
    with pytest.raises(ValueError, match="num_classes"):
        CosineSoftmax(1)


# ----------------------------------------------------------------------------- factory


def test_create_embedder_names_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(create_embedder("histogram", parts=4), HistogramEmbedder)
    with pytest.warns(UserWarning, match="untrained"):
        assert isinstance(create_embedder("cnn"), CNNEmbedder)
    with pytest.raises(ValueError, match=r"name: expected one of \['cnn', 'histogram'\]"):
        create_embedder("resnet")
    with pytest.raises(ValueError, match="weights"):
        create_embedder("histogram", weights="x.pt")
    with pytest.raises(ValueError, match="device"):
        create_embedder("histogram", device="cuda")
    with pytest.raises(TypeError):
        create_embedder("histogram", colour_bins=3)
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(ImportError, match=r"pip install mottrack\[torch\]"):
        create_embedder("cnn")


def test_histogram_path_imports_no_torch(run_without_torch: Callable[[str], str]) -> None:
    code = (
        "import numpy as np\n"
        "from mottrack.deepsort.embedder import create_embedder\n"
        "import mottrack.deepsort.reid_data, mottrack.deepsort.train_config\n"
        "emb = create_embedder('histogram')\n"
        "emb(np.zeros((50, 50, 3), np.uint8), np.array([[0, 0, 20, 40.0]]))\n"
        "print('ok')\n"
    )
    assert run_without_torch(code).strip() == "ok"
