"""Shared pytest fixtures."""

from __future__ import annotations

import os
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
