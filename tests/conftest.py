"""Shared pytest fixtures."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _shared_path() -> Path:
    env = os.environ.get("MOTTRACK_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_root() -> Path:
    """The shared data folder (``$MOTTRACK_SHARED``, default ``../shared`` beside the repo)."""
    root = _shared_path()
    if not root.is_dir():
        pytest.skip(f"shared data folder not found at {root} (set MOTTRACK_SHARED to its path)")
    return root


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Run torch on one thread: the test machine's two cores are shared, and two spinning
    OpenMP threads slow small torch workloads about 10x there."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture()
def run_without_torch() -> Callable[[str], str]:
    """Run Python ``code`` in a fresh interpreter, fail unless it succeeds without importing
    torch, and return its standard output."""

    def run(code: str) -> str:
        check = "\nimport sys as _s\nassert 'torch' not in _s.modules, 'torch was imported'\n"
        proc = subprocess.run([sys.executable, "-c", code + check], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    return run


@pytest.fixture()
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """``full_disk(folder)`` makes every atomic write (``os.replace``) into ``folder`` fail as
    on a full disk (``ENOSPC``); writes elsewhere go through."""

    def fill(folder: Path) -> None:
        real_replace = os.replace

        def replace(src: str, dst: str) -> None:
            if Path(dst).resolve().is_relative_to(folder.resolve()):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", replace)

    return fill
