"""Scale-out benchmark: DeepSORT (histogram embedder) over rendered synthetic sequences, serial
vs a local process pool vs Ray, plus a run killed half-way and resumed.

Example::

    python benchmarks/jobs.py                      # 14 sequences of 250..510 frames, 1280x720
    python benchmarks/jobs.py --sequences 4 --frames 60 --no-ray   # a quick check

The sequences (``mottrack.datasets.generate``, seeds 0..N-1, lengths ``frames + 20 i``) are
rendered once to ``<out>/data`` (reused when the same settings wrote them). Each mode runs every
sequence through ``mottrack.jobs.run_tasks`` (the code of ``mottrack run``) into its own folder,
from scratch; every mode's results must be byte-identical to the serial ones. Targets (issue
13): ``--workers 2`` <= 0.6x the serial wall time on a job of >= ~30 s serial; Ray's overhead
per sequence is its wall time minus the local pool's, per sequence (Ray's start-up reported
apart). Resume: a serial run SIGKILLed after half its sequences, then rerun: the rerun's
manifest and wall time show that only the other half ran. Prints a table, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import environment, print_table, write_json

from mottrack.datasets import generate
from mottrack.jobs import (
    Engine,
    LocalEngine,
    RunReport,
    RunSpec,
    SerialEngine,
    Task,
    discover,
    run_tasks,
)

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "results" / "jobs"
SPEC = RunSpec("deepsort", images=True, embedder="histogram")
KILL_AT_HALF = """
import os, signal, sys
from pathlib import Path
from mottrack.jobs import RunSpec, SerialEngine, Task, discover, run_tasks
jobs = discover(sys.argv[1])
spec = RunSpec("deepsort", images=True, embedder="histogram")
seen = []
def kill(outcome):
    seen.append(outcome)
    if len(seen) == len(jobs) // 2:
        os.kill(os.getpid(), signal.SIGKILL)
run_tasks([Task(j, spec, Path(sys.argv[2]), j.name) for j in jobs], SerialEngine(), on_result=kill)
"""


def build(args: argparse.Namespace, data: Path) -> None:
    """Render the sequences into ``data`` unless the same settings already did."""
    settings = {"sequences": args.sequences, "frames": args.frames, "objects": args.objects}
    stamp = data / "settings.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == settings:
        return
    shutil.rmtree(data, ignore_errors=True)
    start = time.perf_counter()
    for i in range(args.sequences):
        gen = generate(num_frames=args.frames + 20 * i, num_objects=args.objects, seed=i,
                       name=f"JOBS-{i + 1:02d}")  # fmt: skip
        gen.write(data, render=True)
    stamp.write_text(json.dumps(settings))
    print(f"rendered {args.sequences} sequences in {time.perf_counter() - start:.1f} s")


def run_mode(name: str, engine: Engine, data: Path, out: Path) -> RunReport:
    """All sequences from scratch into ``out/<name>`` on ``engine``."""
    folder = out / name
    shutil.rmtree(folder, ignore_errors=True)
    tasks = [Task(job, SPEC, folder, job.name) for job in discover(data)]
    with engine:
        report = run_tasks(tasks, engine, progress=True)
    if report.failed:
        raise SystemExit(f"{name}: {[o.result.error for o in report.failed if o.result]}")
    print(report.table())
    return report


def results_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.txt"))}


def resume(data: Path, out: Path) -> dict[str, Any]:
    """A serial run SIGKILLed after half its sequences, then the same run again."""
    folder = out / "resume"
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", KILL_AT_HALF, str(data), str(folder)],
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})  # fmt: skip
    killed_wall = time.perf_counter() - start
    assert proc.returncode == -signal.SIGKILL, proc.returncode
    finished = sorted(json.loads((folder / "manifest.json").read_text())["entries"])
    tasks = [Task(job, SPEC, folder, job.name) for job in discover(data)]
    report = run_tasks(tasks, SerialEngine())
    return {
        "killed_after_s": killed_wall,
        "finished_before_kill": finished,
        "rerun_ran": sorted(o.task.job.name for o in report.ran),
        "rerun_skipped": sorted(o.task.job.name for o in report.skipped),
        "rerun_wall_s": report.wall,
        "identical_to_serial": results_of(folder) == results_of(out / "serial"),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sequences", type=int, default=14)
    p.add_argument("--frames", type=int, default=360, help="of the shortest sequence")
    p.add_argument("--objects", type=float, default=15.0, help="mean per frame")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-ray", action="store_true", help="skip the Ray engine")
    p.add_argument("--no-resume", action="store_true", help="skip the kill-and-resume run")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args()
    data = args.out / "data"
    build(args, data)
    reports = {"serial": run_mode("serial", SerialEngine(), data, args.out)}
    reports[f"local x{args.workers}"] = run_mode("local", LocalEngine(args.workers), data, args.out)
    ray_start = None
    if not args.no_ray:
        from mottrack.jobs import RayEngine

        start = time.perf_counter()
        engine = RayEngine(workers=args.workers)
        ray_start = time.perf_counter() - start
        reports[f"ray x{args.workers}"] = run_mode("ray", engine, data, args.out)
    serial = reports["serial"]
    expected = results_of(args.out / "serial")
    folders = {"serial": "serial", f"local x{args.workers}": "local", f"ray x{args.workers}": "ray"}
    local_wall = reports[f"local x{args.workers}"].wall
    rows, payload = [], {}
    frames = sum(o.result.num_frames for o in serial.ran if o.result)
    for mode, report in reports.items():
        same = results_of(args.out / folders[mode]) == expected
        ratio = report.wall / serial.wall
        extra = (
            (report.wall - local_wall) / len(report.outcomes) if mode.startswith("ray") else None
        )
        rows.append([mode, report.wall, ratio, serial.wall / report.wall, same,
                     "" if extra is None else f"{extra:+.3f}"])  # fmt: skip
        payload[mode] = {
            "wall_s": report.wall, "ratio_to_serial": ratio, "identical": same,
            "ray_overhead_per_sequence_s": extra,
            "per_sequence_s": {o.task.job.name: o.result.seconds for o in report.ran if o.result},
        }  # fmt: skip
    print(f"\n{len(serial.outcomes)} sequences, {frames} frames, DeepSORT + histogram embedder")
    print_table(["mode", "wall s", "x serial", "speed-up", "identical", "ray s/seq"], rows)
    if ray_start is not None:
        print(f"Ray start-up (ray.init, not in its wall): {ray_start:.2f} s")
    extra_info: dict[str, Any] = {"ray_startup_s": ray_start}
    if not args.no_resume:
        extra_info["resume"] = info = resume(data, args.out)
        print(f"resume: killed after {len(info['finished_before_kill'])} sequences "
              f"({info['killed_after_s']:.1f} s); rerun ran {len(info['rerun_ran'])}, skipped "
              f"{len(info['rerun_skipped'])} in {info['rerun_wall_s']:.1f} s; identical to "
              f"serial: {info['identical_to_serial']}")  # fmt: skip
    write_json(
        args.out / "jobs.json",
        {"settings": vars(args) | {"out": str(args.out)}, "frames": frames, "modes": payload,
         **extra_info, "env": environment()},
    )  # fmt: skip
    ok = all(v["identical"] for v in payload.values())
    if not ok:
        raise SystemExit("outputs differ between modes")


if __name__ == "__main__":
    main()
