"""FairMOT training throughput: the trainer's own step (``TrainStep``) in several precisions.

Each mode trains the network on a fixed synthetic batch (random images, targets with ``--objects``
objects per image), so the data loader is out of the measurement. Modes:

- ``fp32``: the plain loop (full precision, NCHW) — the reference of the ratio;
- ``bf16``: autocast bf16 + channels-last; ``fp16``: autocast fp16 with loss scaling +
  channels-last (CUDA only).

Reported per mode: images/s (median of ``--steps`` timed steps after ``--warmup``), its ratio to
fp32 in the same run, peak GPU memory, and, with a known peak (``--peak-tflops``, default taken
from the GPU name: H100/H200 989 dense bf16 TFLOP/s), the fraction of the GPU's bf16 peak that the
model's counted FLOPs (forward x 3 for forward + backward) reach.

Examples::

    python benchmarks/fairmot_train_speed.py --device cuda             # 1088x608, batch 12
    python benchmarks/fairmot_train_speed.py --device cpu --arch dla34_tiny --input-size 320 192 \\
        --batch-size 4 --modes fp32 --steps 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch
from _common import environment, print_table, write_json

from mottrack.fairmot.losses import FairMOTLoss
from mottrack.fairmot.model import build_model
from mottrack.fairmot.train_utils import NetWithLoss, TrainStep

PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}
NUM_IDS = 500


def synthetic_batch(batch: int, width: int, height: int, objects: int) -> dict[str, torch.Tensor]:
    """A collated batch of FairMOT targets at output stride 4 (random but valid)."""
    g = torch.Generator().manual_seed(0)
    h, w = height // 4, width // 4
    hm = torch.zeros(batch, 1, h, w)
    ind = torch.randint(0, h * w, (batch, 500), generator=g)
    mask = torch.zeros(batch, 500, dtype=torch.uint8)
    mask[:, :objects] = 1
    hm.view(batch, -1).scatter_(1, ind[:, :objects], 1.0)
    return {
        "input": torch.rand(batch, 3, height, width, generator=g),
        "hm": hm,
        "reg_mask": mask,
        "ind": ind,
        "wh": torch.rand(batch, 500, 4, generator=g) * 20,
        "reg": torch.rand(batch, 500, 2, generator=g),
        "ids": torch.randint(0, NUM_IDS, (batch, 500), generator=g),
    }


def forward_flops(model: torch.nn.Module, images: torch.Tensor) -> float:
    """FLOPs of one forward pass counted by ``torch.utils.flop_counter`` (convs, matmuls)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(images)
    return float(counter.get_total_flops())


def run_mode(mode: str, args: argparse.Namespace, dev: torch.device) -> dict[str, Any]:
    torch.manual_seed(0)
    model = build_model(args.arch)
    crit = FairMOTLoss(NUM_IDS)
    module = NetWithLoss(model, crit).to(dev)
    channels_last = mode != "fp32" and dev.type == "cuda"
    if channels_last:
        module = module.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(module.parameters(), lr=1e-4)
    amp = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[mode]
    step = TrainStep(module, opt, dev, amp, channels_last, None)
    width, height = args.input_size
    batch = synthetic_batch(args.batch_size, width, height, args.objects)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    times = []
    for i in range(args.warmup + args.steps):
        tic = time.perf_counter()
        loss, _ = step(batch)
        float(loss)  # the trainer reads every step's loss too
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        if i >= args.warmup:
            times.append(time.perf_counter() - tic)
    out: dict[str, Any] = {"mode": mode, "images_per_s": args.batch_size / statistics.median(times)}
    if dev.type == "cuda":
        out["peak_gpu_mib"] = torch.cuda.max_memory_allocated(dev) / 2**20
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="dla34", choices=("dla34", "dla34_tiny"))
    parser.add_argument("--input-size", type=int, nargs=2, default=(1088, 608), metavar=("W", "H"))
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--objects", type=int, default=20, help="objects per image")
    parser.add_argument("--modes", nargs="+", default=["fp32", "bf16", "fp16"])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--peak-tflops", type=float, default=None, help="GPU bf16 dense peak")
    parser.add_argument("--json", default="results/fairmot_train_speed.json")
    args = parser.parse_args()

    dev = torch.device(args.device)
    modes = [m for m in args.modes if m == "fp32" or dev.type == "cuda"]
    width, height = args.input_size
    flops = 3 * forward_flops(build_model(args.arch), torch.rand(1, 3, height, width))
    peak = args.peak_tflops
    if peak is None and dev.type == "cuda":
        name = torch.cuda.get_device_name(dev)
        peak = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)
    results = [run_mode(m, args, dev) for m in modes]
    base = next((r["images_per_s"] for r in results if r["mode"] == "fp32"), None)
    rows = []
    for r in results:
        r["vs_fp32"] = r["images_per_s"] / base if base else None
        r["tflops"] = r["images_per_s"] * flops / 1e12
        r["fraction_of_bf16_peak"] = r["tflops"] / peak if peak else None
        rows.append(
            [
                r["mode"],
                round(r["images_per_s"], 2),
                f"{r['vs_fp32']:.2f}x" if r["vs_fp32"] else "-",
                round(r["tflops"], 2),
                f"{r['fraction_of_bf16_peak']:.1%}" if peak else "-",
                round(r.get("peak_gpu_mib", float("nan")), 0) if dev.type == "cuda" else "-",
            ]
        )
    print(
        f"{args.arch} {width}x{height}, batch {args.batch_size}, {dev}; train FLOPs/image "
        f"{flops / 1e9:.1f} G"
    )
    print_table(["mode", "images/s", "vs fp32", "TFLOP/s", "of bf16 peak", "peak MiB"], rows)
    write_json(
        args.json,
        {
            "args": vars(args),
            "train_flops_per_image": flops,
            "peak_tflops": peak,
            "results": results,
            "env": environment(),
        },
    )


if __name__ == "__main__":
    main()
