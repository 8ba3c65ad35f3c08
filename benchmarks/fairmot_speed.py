"""FairMOT detector throughput (frames/s): the whole pipeline and each stage.

Stages, timed separately within each call (with CUDA synchronisation on the GPU): ``preprocess``
(letterbox on the CPU, transfer, colour/scale/layout on the device), ``network`` (DLA-34-DCN
forward) and ``decode`` (peaks, boxes back to frame pixels, embeddings, ``Detections``). The
network has random weights (speed only; random weights give few detections above the threshold,
so decoding costs what it costs on a real sequence's quieter frames). Frames are random
1920x1080 BGR images. Each figure is the median of ``--repeat`` calls after ``--warmup`` calls.

On CUDA it also reports the peak GPU memory per frame (``torch.cuda.max_memory_allocated`` over
one batch, divided by the batch size), and, where torchvision's ``deform_conv2d`` works, times one
64-channel DCN layer at output resolution with the pure-torch and the torchvision backends.

Examples::

    python benchmarks/fairmot_speed.py --repeat 2 --threads 2            # CPU, short
    python benchmarks/fairmot_speed.py --device cuda --half fp16 --batches 1 8 --repeat 20
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from _common import environment, print_table, write_json

from mottrack.fairmot.dcn import DeformConv2d, torchvision_deform_conv2d
from mottrack.fairmot.detector import FairMOTDetector
from mottrack.fairmot.model import build_model


def _size(text: str) -> tuple[int, int]:
    width, height = (int(v) for v in text.lower().split("x"))
    return width, height


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], Any], device: torch.device) -> tuple[Any, float]:
    _sync(device)
    start = time.perf_counter()
    out = fn()
    _sync(device)
    return out, time.perf_counter() - start


def time_pipeline(
    det: FairMOTDetector, frames: list[np.ndarray], repeat: int, warmup: int
) -> dict[str, float]:
    """Median seconds per call of each stage and of their sum, for one batch of ``frames``."""
    samples: dict[str, list[float]] = {"preprocess": [], "network": [], "decode": [], "total": []}
    for i in range(warmup + repeat):
        (blob, boxes), t_pre = _timed(lambda: det.preprocess(frames), det.device)
        outputs, t_net = _timed(lambda: det.forward(blob), det.device)  # noqa: B023
        _, t_dec = _timed(lambda: det.postprocess(outputs, boxes), det.device)  # noqa: B023
        if i >= warmup:
            for key, value in zip(samples, (t_pre, t_net, t_dec, t_pre + t_net + t_dec)):
                samples[key].append(value)
    return {key: statistics.median(values) for key, values in samples.items()}


def peak_memory_per_frame(det: FairMOTDetector, frames: list[np.ndarray]) -> float:
    """Peak CUDA memory (MiB) of one detect call, per frame, above what was held before."""
    torch.cuda.synchronize(det.device)
    base = torch.cuda.memory_allocated(det.device)
    torch.cuda.reset_peak_memory_stats(det.device)
    det.detect_batch(frames)
    torch.cuda.synchronize(det.device)
    return (torch.cuda.max_memory_allocated(det.device) - base) / len(frames) / 2**20


def time_dcn(
    size: tuple[int, int], device: torch.device, repeat: int, warmup: int
) -> dict[str, float | None]:
    """Milliseconds of a 64 -> 64 DCN layer at output stride 4 per backend (None: unavailable)."""
    torch.manual_seed(0)
    layer = DeformConv2d(64, 64).to(device).eval()
    with torch.no_grad():
        layer.conv_offset_mask.weight.normal_(0, 0.01)
    x = torch.randn(1, 64, size[1] // 4, size[0] // 4, device=device)
    result: dict[str, float | None] = {}
    for backend in ("torch", "torchvision"):
        if backend == "torchvision" and torchvision_deform_conv2d() is None:
            result[backend] = None
            continue
        layer.backend = backend
        times = []
        with torch.inference_mode():
            for i in range(warmup + repeat):
                _, t = _timed(lambda: layer(x), device)
                if i >= warmup:
                    times.append(t)
        result[backend] = 1000 * statistics.median(times)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=_size, default=[(1088, 608), (576, 320)])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 4])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--half", choices=["none", "fp16", "bf16"], default="none")
    parser.add_argument("--channels-last", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--dcn-backend", choices=["auto", "torch", "torchvision"], default="auto")
    parser.add_argument("--arch", default="dla34")
    parser.add_argument("--frame-size", type=_size, default=(1920, 1080))
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--json", default="results/fairmot_speed.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    model = build_model(args.arch, dcn_backend=args.dcn_backend)
    rng = np.random.default_rng(0)
    w0, h0 = args.frame_size
    pool = [rng.integers(0, 256, (h0, w0, 3), dtype=np.uint8) for _ in range(max(args.batches))]
    half = False if args.half == "none" else args.half
    channels_last = {"auto": None, "on": True, "off": False}[args.channels_last]
    rows, report = [], []
    for size in args.sizes:
        det = FairMOTDetector(
            model, input_size=size, device=args.device, half=half, channels_last=channels_last
        )
        for batch in args.batches:
            frames = pool[:batch]
            t = time_pipeline(det, frames, args.repeat, args.warmup)
            fps = {key: batch / value for key, value in t.items()}
            entry: dict[str, Any] = {"input_size": size, "batch": batch, "seconds": t, "fps": fps}
            mem = "-"
            if det.device.type == "cuda" and batch == 1:
                entry["peak_mib_per_frame"] = peak_memory_per_frame(det, frames)
                mem = f"{entry['peak_mib_per_frame']:.0f}"
            report.append(entry)
            rows.append(
                [f"{size[0]}x{size[1]}", batch]
                + [round(fps[k], 2) for k in ("total", "preprocess", "network", "decode")]
                + [mem]
            )
    header = ["input", "batch", "fps total", "fps pre", "fps net", "fps decode", "MiB/frame"]
    print_table(header, rows)

    dcn = {}
    for size in args.sizes:
        dcn[f"{size[0]}x{size[1]}"] = time_dcn(size, torch.device(args.device), args.repeat, 1)
    dcn_rows = [
        [k, round(v["torch"], 2), "n/a" if v["torchvision"] is None else round(v["torchvision"], 2)]
        for k, v in dcn.items()
    ]
    print_table(["DCN 64->64 at stride 4", "torch ms", "torchvision ms"], dcn_rows)
    env = environment() | {
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torchvision_dcn": torchvision_deform_conv2d() is not None,
        "device": args.device,
        "device_name": torch.cuda.get_device_name(0)
        if args.device.startswith("cuda")
        else platform.processor() or platform.machine(),
    }
    args_json = vars(args) | {"sizes": [list(s) for s in args.sizes]}
    write_json(args.json, {"args": args_json, "results": report, "dcn_ms": dcn, "env": env})


if __name__ == "__main__":
    main()
