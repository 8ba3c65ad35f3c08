"""Validation helpers shared by the tracker configurations and the sequence readers."""

from __future__ import annotations

import numpy as np

__all__ = ["check_bool", "check_fraction", "check_frame_number", "check_int", "check_number"]


def check_bool(owner: str, name: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is ``True`` or ``False``."""
    if not isinstance(value, bool):
        raise ValueError(f"{owner}.{name}: expected True or False, got {value!r}")


def check_int(owner: str, name: str, value: object, minimum: int) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{owner}.{name}: expected an integer >= {minimum}, got {value!r}")


def check_fraction(owner: str, name: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is a real number in ``[0, 1]``."""
    check_number(owner, name, value, 0.0, 1.0)


def check_number(
    owner: str, name: str, value: object, low: float = float("-inf"), high: float = float("inf")
) -> None:
    """Raise ``ValueError`` unless ``value`` is a real number in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{owner}.{name}: expected a number in [{low}, {high}], got {value!r}")


def check_frame_number(owner: str, frame: object, num_frames: int) -> None:
    """Raise ``ValueError`` unless ``frame`` is an integer (not a bool) in ``1..num_frames``."""
    ok = isinstance(frame, (int, np.integer)) and not isinstance(frame, bool)
    if not ok or not 1 <= frame <= num_frames:  # type: ignore[operator]
        raise ValueError(f"{owner}: frame must be an integer in 1..{num_frames}, got {frame!r}")
