"""The Ray engine on a local Ray instance: the same bytes as one worker, failures by name."""

from __future__ import annotations

import re
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from jobs_helpers import read_all, rendered_root

from mottrack.cli import main
from mottrack.jobs import RayEngine


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    """One local Ray instance for the module (the engine uses it and leaves it running)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_engine_equals_one_worker_and_names_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = rendered_root(tmp_path / "root", count=3)
    serial, on_ray = tmp_path / "serial", tmp_path / "ray"
    run = ["run", "--root", str(root), "--tracker", "deepsort", "--quiet"]
    assert main([*run, "--out", str(serial)]) == 0
    (root / "BROKEN" / "det").mkdir(parents=True)
    (root / "BROKEN" / "det" / "det.txt").write_text("1,-1,1,1,not-a-number,5,1\n")
    capsys.readouterr()
    assert main([*run, "--out", str(on_ray), "--engine", "ray", "--workers", "2"]) == 1
    captured = capsys.readouterr()
    assert "on ray x2" in captured.out
    assert re.search(r"mottrack run: BROKEN failed: ValueError: .*det\.txt", captured.err)
    assert len(read_all(serial)) == 3
    assert read_all(on_ray) == read_all(serial)
    assert ray.is_initialized()  # an instance the engine did not start is left running
    shutil.rmtree(root / "BROKEN")
    assert main([*run, "--out", str(on_ray), "--engine", "ray"]) == 0
    assert "0 run (0 failed), 3 skipped" in capsys.readouterr().out


def test_ray_engine_reports_exceptions_as_outcomes() -> None:
    engine = RayEngine()
    outcomes = dict(engine.imap(statistics.mean, [([1, 2, 6],), ([],)]))
    assert outcomes[0] == 3
    assert isinstance(outcomes[1], Exception) and "StatisticsError" in str(outcomes[1])
