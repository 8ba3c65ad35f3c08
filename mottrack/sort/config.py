"""SORT's configuration, with abewley/sort's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from .._checks import check_fraction, check_int

__all__ = ["SortConfig"]


@dataclass(frozen=True)
class SortConfig:
    """Parameters of SORT (Bewley et al., 2016).

    Parameters
    ----------
    max_age : int, default 1
        A track is deleted once it has gone more than ``max_age`` frames without a detection.
    min_hits : int, default 3
        Consecutive hits (after the first detection) before a track is reported; every track
        updated this frame is reported during the first ``min_hits`` frames of a sequence.
    iou_threshold : float, default 0.3
        Minimum IoU between a predicted track box and a detection for a match.
    """

    max_age: int = 1
    min_hits: int = 3
    iou_threshold: float = 0.3

    def __post_init__(self) -> None:
        check_int("SortConfig", "max_age", self.max_age, 0)
        check_int("SortConfig", "min_hits", self.min_hits, 0)
        check_fraction("SortConfig", "iou_threshold", self.iou_threshold)
