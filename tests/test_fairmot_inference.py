"""FairMOT inference: letterbox geometry and its inverse, decoding of hand-made head outputs,
and the detector end to end on a tiny network."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mottrack import Detections
from mottrack.fairmot.checkpoint import save_checkpoint
from mottrack.fairmot.decode import decode_frames, mot_decode, peak_nms
from mottrack.fairmot.detector import FairMOTDetector
from mottrack.fairmot.model import build_model
from mottrack.fairmot.preprocess import (
    inverse_transform,
    letterbox,
    letterbox_geometry,
    output_to_frame,
    preprocess,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


# ----------------------------------------------------------------------------- letterbox


@pytest.mark.parametrize(
    ("frame", "inp", "new", "ltrb"),
    [
        ((100, 50), (64, 64), (64, 32), (0, 16, 0, 16)),  # even vertical padding
        ((100, 45), (64, 64), (64, 29), (0, 17, 0, 18)),  # odd: the extra row goes below
        ((30, 100), (64, 64), (19, 64), (22, 0, 23, 0)),  # odd: the extra column goes right
        ((5, 100), (50, 50), (2, 50), (24, 0, 24, 0)),  # round(2.5) = 2: halves to even
        ((1920, 1080), (1088, 608), (1081, 608), (3, 0, 4, 0)),
    ],
)
def test_letterbox_geometry(frame, inp, new, ltrb) -> None:
    box = letterbox_geometry(frame, inp)
    assert box.new_size == new
    assert (box.left, box.top, box.right, box.bottom) == ltrb
    assert box.ratio == min(inp[1] / frame[1], inp[0] / frame[0])
    assert box.left + box.right + new[0] == inp[0] and box.top + box.bottom + new[1] == inp[1]


def test_letterbox_pixels_pad_value_and_blob() -> None:
    frame = np.zeros((45, 100, 3), np.uint8)
    frame[...] = (10, 20, 30)  # BGR
    image, box = letterbox(frame, (64, 64))
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    assert (image[: box.top] == 128).all() and (image[64 - box.bottom :] == 128).all()  # 127.5
    assert (image[box.top : 64 - box.bottom] == (10, 20, 30)).all()
    blob, boxes = preprocess([frame, frame[:, :50]], (64, 64))
    assert blob.shape == (2, 3, 64, 64) and blob.dtype == np.float32 and boxes[0] == box
    np.testing.assert_array_equal(blob[0, :, 30, 30], np.float32([30, 20, 10]) / np.float32(255))
    assert blob[0, 0, 0, 0] == np.float32(128) / np.float32(255)


def test_letterbox_resizes_with_area_averaging() -> None:
    frame = np.zeros((4, 4, 3), np.uint8)
    frame[:2, :2], frame[:2, 2:], frame[2:, :2], frame[2:, 2:] = 0, 40, 80, 120
    frame[0, 0] = 8  # block mean (8 + 0 + 0 + 0) / 4 = 2
    image, box = letterbox(frame, (2, 2))
    assert box.ratio == 0.5
    np.testing.assert_array_equal(image[..., 0], [[2, 40], [80, 120]])


def test_output_to_frame_is_fairmots_centre_scale_affine() -> None:
    """``x0 = (4 x - dw') / ratio`` with the unrounded padding ``dw' = (W - W0 * ratio) / 2``."""
    for frame, inp in [
        ((1920, 1080), (1088, 608)),
        ((640, 480), (1088, 608)),
        ((300, 900), (576, 320)),
    ]:
        box = letterbox_geometry(frame, inp)
        dw = (inp[0] - frame[0] * box.ratio) / 2
        dh = (inp[1] - frame[1] * box.ratio) / 2
        pts = np.array([[0.0, 0.0, 10.25, 7.5], [inp[0] / 4, inp[1] / 4, 100.0, 33.0]])
        expected = np.empty_like(pts)
        expected[:, 0::2] = (4 * pts[:, 0::2] - dw) / box.ratio
        expected[:, 1::2] = (4 * pts[:, 1::2] - dh) / box.ratio
        got = output_to_frame(pts, box)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=2e-3)
        m = inverse_transform(box)
        assert abs(m[0, 1]) < 1e-12 and abs(m[1, 0]) < 1e-12  # scale and shift only
        assert m[0, 0] == pytest.approx(4 / box.ratio, 1e-6) and m[1, 1] == m[0, 0]


def test_output_to_frame_inverts_the_letterbox_within_about_an_input_pixel() -> None:
    """The affine ignores the rounding of the resized size and of the padding: up to about one
    input pixel away from the exact inverse (here 1.16 frame px at ratio 0.457)."""
    frame, inp = (1000, 700), (576, 320)
    box = letterbox_geometry(frame, inp)
    sx, sy = box.new_size[0] / frame[0], box.new_size[1] / frame[1]
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 700, size=(50, 2))
    in_input = np.c_[pts[:, 0] * sx + box.left, pts[:, 1] * sy + box.top] / 4
    back = output_to_frame(in_input, box)
    assert 0.5 < np.abs(back - pts).max() <= 1.5 / box.ratio


# ----------------------------------------------------------------------------- decoding


def _heads(h: int = 16, w: int = 24, dim: int = 8) -> dict[str, torch.Tensor]:
    return {
        "hm": torch.full((1, 1, h, w), -10.0),
        "wh": torch.ones(1, 4, h, w),
        "id": torch.randn(1, dim, h, w, generator=torch.Generator().manual_seed(0)),
        "reg": torch.zeros(1, 2, h, w),
    }


def test_decoding_hand_made_peaks_gives_exact_boxes_scores_and_features() -> None:
    out = _heads()
    out["hm"][0, 0, 3, 5] = 3.0  # best peak, at x = 5, y = 3
    out["hm"][0, 0, 3, 6] = 2.0  # its neighbour: suppressed by the 3x3 max-pool
    out["hm"][0, 0, 10, 15] = _logit(0.7)
    out["hm"][0, 0, 12, 20] = _logit(0.3)  # below conf_thres
    out["wh"][0, :, 3, 5] = torch.tensor([1.0, 2.0, 3.0, 4.0])  # l, t, r, b
    out["reg"][0, :, 3, 5] = torch.tensor([0.25, 0.5])  # dx, dy
    out["wh"][0, :, 10, 15] = torch.tensor([2.0, 4.0, 2.0, 4.0])
    box = letterbox_geometry((192, 128), (96, 64))  # ratio 0.5, no padding: frame = 8 * cell
    (dets,) = decode_frames(out, [box], conf_thres=0.4, K=500)
    assert isinstance(dets, Detections) and len(dets) == 2
    np.testing.assert_allclose(dets.xyxy, [[34, 12, 66, 60], [104, 48, 136, 112]], atol=1e-4)
    np.testing.assert_allclose(dets.scores, [1 / (1 + np.exp(-3.0)), 0.7], rtol=1e-6)
    assert dets.embeddings.dtype == np.float32
    for row, (y, x) in zip(dets.embeddings, [(3, 5), (10, 15)]):
        v = out["id"][0, :, y, x].numpy()
        np.testing.assert_allclose(row, v / np.linalg.norm(v), rtol=1e-5)
    (one,) = decode_frames(out, [box], conf_thres=0.4, K=1)
    assert len(one) == 1 and one.scores[0] == dets.scores[0]


def test_decoding_maps_through_the_padding() -> None:
    out = _heads()
    out["hm"][0, 0, 8, 12] = 4.0
    box = letterbox_geometry((192, 64), (96, 64))  # ratio 0.5, 16 rows of padding above
    assert box.top == 16
    (dets,) = decode_frames(out, [box])
    # centre (12, 8), ltrb 1 -> cells [11, 7, 13, 9] -> input px * 4 -> frame (px - pad) / 0.5
    np.testing.assert_allclose(dets.xyxy, [[88, 24, 104, 40]], atol=1e-4)


def test_threshold_is_strict_and_in_float32() -> None:
    out = _heads()
    out["hm"][0, 0, 4, 4] = 0.0  # sigmoid(0) = 0.5 exactly
    box = letterbox_geometry((96, 64), (96, 64))
    assert len(decode_frames(out, [box], conf_thres=0.5)[0]) == 0
    assert len(decode_frames(out, [box], conf_thres=0.4999)[0]) == 1


def test_peak_nms_keeps_maxima_and_plateaus() -> None:
    heat = torch.zeros(1, 1, 5, 5)
    heat[0, 0, 1, 1], heat[0, 0, 1, 2], heat[0, 0, 3, 3], heat[0, 0, 3, 4] = 0.9, 0.8, 0.6, 0.6
    kept = peak_nms(heat)
    assert kept[0, 0, 1, 1] == 0.9 and kept[0, 0, 1, 2] == 0  # suppressed neighbour
    assert kept[0, 0, 3, 3] == 0.6 and kept[0, 0, 3, 4] == 0.6  # equal maxima both stay


def test_wh_mode_no_reg_k_cap_and_inverted_boxes() -> None:
    out = _heads(h=4, w=4)
    out["hm"][0, 0, 1, 1], out["hm"][0, 0, 3, 3] = 2.0, 1.0
    wh2 = torch.ones(1, 2, 4, 4) * 2  # width / height 2 around the centre
    boxes, _, emb = mot_decode(out["hm"], wh2, None, None, K=500)
    assert boxes.shape == (1, 16, 4) and emb is None  # K capped at the 16 cells
    torch.testing.assert_close(boxes[0, 0], torch.tensor([0.5, 0.5, 2.5, 2.5]))  # centre + 0.5
    out["wh"][0, :, 3, 3] = torch.tensor([-2.0, 1.0, 1.0, 1.0])  # x2 < x1
    (dets,) = decode_frames(out, [letterbox_geometry((16, 16), (16, 16))], conf_thres=0.5)
    assert len(dets) == 1 and dets.scores[0] > 0.8


def test_decode_rejects_malformed_outputs() -> None:
    box = letterbox_geometry((96, 64), (96, 64))
    with pytest.raises(ValueError, match="outputs: expected head 'wh'"):
        decode_frames({"hm": torch.zeros(1, 1, 16, 24)}, [box])
    with pytest.raises(ValueError, match="boxes: expected one Letterbox per frame"):
        decode_frames(_heads(), [box, box])
    with pytest.raises(ValueError, match="hm: expected shape"):
        mot_decode(torch.zeros(1, 2, 4, 4), torch.zeros(1, 4, 4, 4))


# ----------------------------------------------------------------------------- detector


def _calibrated_tiny() -> torch.nn.Module:
    """A tiny untrained network whose batch norms hold the statistics of random inputs, so the
    heads see features of unit scale (with the initial running statistics the signal fades to
    ~1e-6 and every heatmap cell ties); positive ltrb and scores around 0.5."""
    torch.manual_seed(0)
    model = build_model("dla34_tiny", head_conv=8)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(2, 3, 64, 96, generator=gen))
        model.wh[2].bias.fill_(3.0)
        model.hm[2].bias.add_(2.5)
    return model.eval()


@pytest.fixture(scope="module")
def tiny_model() -> torch.nn.Module:
    return _calibrated_tiny()


def _frame(h: int, w: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_detector_end_to_end_on_a_random_frame(tiny_model) -> None:
    det = FairMOTDetector(tiny_model, input_size=(96, 64))
    assert det.embedding_dim == 128 and not det.channels_last
    frame = _frame(100, 170, 1)
    dets = det(frame)
    assert isinstance(dets, Detections) and len(dets) > 0
    assert dets.embeddings.shape == (len(dets), 128) and dets.embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(dets.embeddings, axis=1), 1.0, rtol=1e-5)
    assert (dets.scores > 0.4).all() and (np.diff(dets.scores) <= 0).all()
    blob, boxes = det.preprocess([frame])
    np.testing.assert_array_equal(blob.numpy(), preprocess([frame], (96, 64))[0])
    out = det.forward(blob)
    assert out["hm"].shape == (1, 1, 16, 24)
    again = det.postprocess(out, boxes)[0]
    np.testing.assert_array_equal(again.xyxy, dets.xyxy)


def test_batched_equals_one_by_one(tiny_model) -> None:
    det = FairMOTDetector(tiny_model, input_size=(96, 64), conf_thres=0.3, K=50)
    frames = [_frame(100, 170, 2), _frame(64, 96, 3), _frame(300, 120, 4)]
    batched = det.detect_batch(frames)
    assert len(batched) == 3 and det.detect_batch([]) == []
    for frame, together in zip(frames, batched):
        alone = det(frame)
        assert len(alone) == len(together) > 0
        np.testing.assert_allclose(together.xyxy, alone.xyxy, rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(together.scores, alone.scores, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(together.embeddings, alone.embeddings, rtol=1e-4, atol=1e-5)


def test_channels_last_gives_the_same_detections(tiny_model) -> None:
    model = _calibrated_tiny()
    frame = _frame(120, 90, 6)
    plain = FairMOTDetector(tiny_model, input_size=(96, 64))(frame)
    det = FairMOTDetector(model, input_size=(96, 64), channels_last=True)
    assert det.model.base.base_layer[0].weight.is_contiguous(memory_format=torch.channels_last)
    fast = det(frame)
    assert len(fast) == len(plain) > 0
    np.testing.assert_allclose(fast.xyxy, plain.xyxy, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(fast.scores, plain.scores, rtol=1e-5)
    np.testing.assert_allclose(fast.embeddings, plain.embeddings, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((10, 10), np.uint8), "expected shape"),
        (np.zeros((10, 10, 4), np.uint8), "expected shape"),
        (np.zeros((0, 10, 3), np.uint8), "expected shape"),
        (np.zeros((10, 10, 3), np.float32), "expected dtype uint8"),
        ([[0, 0, 0]], "expected an"),
    ],
)
def test_bad_frames_raise(tiny_model, frame, message) -> None:
    det = FairMOTDetector(tiny_model, input_size=(96, 64))
    with pytest.raises(ValueError, match=f"frame: {message}"):
        det(frame)
    with pytest.raises(ValueError, match=f"frame: {message}"):
        det.detect_batch([_frame(20, 20, 0), frame])


def test_detector_arguments_are_checked(tiny_model, tmp_path) -> None:
    with pytest.raises(ValueError, match=r"input_size: expected .* multiples of 32"):
        FairMOTDetector(tiny_model, input_size=(100, 64))
    with pytest.raises(ValueError, match="half: fp16/bf16 autocast is for CUDA"):
        FairMOTDetector(tiny_model, input_size=(96, 64), half="bf16")
    with pytest.raises(ValueError, match="half: expected"):
        FairMOTDetector(tiny_model, input_size=(96, 64), half="int8")
    with pytest.raises(ValueError, match="K: expected"):
        FairMOTDetector(tiny_model, input_size=(96, 64), K=0)
    with pytest.raises(TypeError, match="model_or_weights"):
        FairMOTDetector(42)  # type: ignore[arg-type]
    path = save_checkpoint(tmp_path / "tiny.pth", tiny_model, epoch=1)
    det = FairMOTDetector(path, input_size=(96, 64), arch="dla34_tiny", head_conv=8)
    frame = _frame(64, 96, 5)
    np.testing.assert_allclose(det(frame).xyxy, FairMOTDetector(tiny_model, (96, 64))(frame).xyxy)
