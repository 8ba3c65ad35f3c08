"""Running many sequences on an engine: skip what finished, write what comes back, report.

:func:`run_tasks` checks each task against its results folder's manifest (a finished entry
with the same fingerprint is skipped), runs the rest on an engine longest first, and writes
each result atomically with its manifest entry as it arrives, so an interrupted run resumes
where it stopped. A failed sequence is reported with its error; the others go on.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from .discover import SequenceJob
from .engine import Engine
from .manifest import Manifest, fingerprint
from .runner import RunSpec, SequenceResult, run_sequence

__all__ = ["RunReport", "Task", "TaskOutcome", "run_tasks"]


@dataclass(frozen=True)
class Task:
    """One sequence, the settings to run it with, and the folder of its results file.

    Attributes
    ----------
    job : SequenceJob
    spec : RunSpec
    out : pathlib.Path
        Results folder: ``<out>/<job.name>.txt`` and ``<out>/manifest.json``.
    label : str
        Name in the report (the sequence name, or ``trial 3/<name>``).
    """

    job: SequenceJob
    spec: RunSpec
    out: Path
    label: str = ""


@dataclass(frozen=True)
class TaskOutcome:
    """What happened to a task: ``result`` is None when it was skipped (already done)."""

    task: Task
    result: SequenceResult | None

    @property
    def failed(self) -> bool:
        return self.result is not None and self.result.error is not None


@dataclass(frozen=True)
class RunReport:
    """Outcomes of :func:`run_tasks`, in the order the tasks were given.

    Attributes
    ----------
    outcomes : list of TaskOutcome
    wall : float
        Wall time of the run, seconds.
    engine : str
    workers : int
    """

    outcomes: list[TaskOutcome]
    wall: float
    engine: str
    workers: int

    @property
    def failed(self) -> list[TaskOutcome]:
        return [o for o in self.outcomes if o.failed]

    @property
    def ran(self) -> list[TaskOutcome]:
        return [o for o in self.outcomes if o.result is not None]

    @property
    def skipped(self) -> list[TaskOutcome]:
        return [o for o in self.outcomes if o.result is None]

    @property
    def speedup(self) -> float:
        """Sum of per-sequence wall times (one worker's estimate) over the run's wall time."""
        busy = sum(o.result.seconds for o in self.ran if o.result is not None)
        return busy / self.wall if self.wall > 0 else 1.0

    def table(self) -> str:
        """Wall time per sequence, then the totals and the speed-up over one worker."""
        rows = [("sequence", "frames", "wall s", "frames/s", "status")]
        for o in sorted(self.outcomes, key=lambda o: -(o.result.seconds if o.result else -1)):
            name = o.task.label or o.task.job.name
            if o.result is None:
                rows.append((name, "", "", "", "done before (skipped)"))
                continue
            r = o.result
            fps = f"{r.num_frames / r.seconds:.0f}" if r.seconds > 0 and r.num_frames else ""
            status = "ok" if r.error is None else f"FAILED: {r.error}"
            rows.append((name, str(r.num_frames), f"{r.seconds:.2f}", fps, status))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [
            "  ".join(
                [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:4], widths[1:])] + [r[4]]
            )
            for r in rows
        ]
        busy = sum(o.result.seconds for o in self.ran if o.result is not None)
        lines.append(
            f"{len(self.ran)} run ({len(self.failed)} failed), {len(self.skipped)} skipped; "
            f"wall {self.wall:.2f} s on {self.engine} x{self.workers}; one worker ~{busy:.2f} s "
            f"(sum of sequence walls): speed-up " + (f"{self.speedup:.2f}x" if self.ran else "n/a")
        )
        return "\n".join(lines)


def run_tasks(
    tasks: Sequence[Task],
    engine: Engine,
    progress: bool = False,
    on_result: Callable[[TaskOutcome], None] | None = None,
) -> RunReport:
    """Run the tasks not already finished, longest first, writing each result as it arrives.

    Parameters
    ----------
    tasks : sequence of Task
    engine : Engine
    progress : bool, default False
        One progress bar over all sequences (sequences done, frames/s overall).
    on_result : callable, optional
        Called with each new outcome after its results file and manifest entry are written.

    Returns
    -------
    RunReport
    """
    start = time.perf_counter()
    manifests: dict[Path, Manifest] = {}
    stamps = []
    for task in tasks:
        if task.out not in manifests:
            manifests[task.out] = Manifest(task.out)
        stamps.append(fingerprint(task.job, task.spec))
    todo = [i for i, t in enumerate(tasks) if not manifests[t.out].is_done(t.job.name, stamps[i])]
    todo.sort(key=lambda i: -tasks[i].job.num_frames)
    outcomes: dict[int, TaskOutcome] = {}
    frames = 0
    bar = tqdm(total=len(todo), disable=not progress, unit="seq", desc="sequences")
    try:
        items = [(tasks[i].job, tasks[i].spec) for i in todo]
        for k, outcome in engine.imap(run_sequence, items):
            i = todo[k]
            task, manifest = tasks[i], manifests[tasks[i].out]
            if not isinstance(outcome, SequenceResult):
                error = f"{type(outcome).__name__}: {outcome}"
                outcome = SequenceResult(task.job.name, None, 0, 0.0, error)
            if outcome.text is not None:
                info = {"frames": outcome.num_frames, "seconds": round(outcome.seconds, 3)}
                manifest.record(task.job.name, stamps[i], outcome.text, info)
            else:
                manifest.forget(task.job.name)
            outcomes[i] = TaskOutcome(task, dataclasses.replace(outcome, text=None))
            frames += outcome.num_frames
            bar.set_postfix_str(f"{frames / (time.perf_counter() - start):.0f} frames/s")
            bar.update()
            if on_result is not None:
                on_result(outcomes[i])
    finally:
        bar.close()
    ordered = [outcomes.get(i, TaskOutcome(t, None)) for i, t in enumerate(tasks)]
    return RunReport(ordered, time.perf_counter() - start, engine.name, engine.workers)
