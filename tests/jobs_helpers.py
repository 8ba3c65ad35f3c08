"""Inputs of the ``mottrack.jobs`` tests: rendered synthetic sequences and MOT15 subsets."""

from __future__ import annotations

from pathlib import Path

from mottrack.datasets import generate


def rendered_root(folder: Path, count: int = 3, frames: int = 30) -> Path:
    """``count`` rendered synthetic MOTChallenge folders (seeds 0.., lengths differing)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        seq = generate(
            num_frames=frames + 7 * i, num_objects=5, seed=i, width=480, height=360,
            height_range=(60.0, 150.0), name=f"SYN-{i + 1:02d}",
        )  # fmt: skip
        seq.write(folder, render=True)
    return folder


def mot15_root(folder: Path, shared: Path, names: tuple[str, ...]) -> Path:
    """A split folder of links to MOT15 train sequences (the data is not copied)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).symlink_to(shared / "data" / "MOT15" / "train" / name)
    return folder


def read_all(folder: Path) -> dict[str, bytes]:
    """``{file name: bytes}`` of the results files in ``folder``."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.txt"))}
