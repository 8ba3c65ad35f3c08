"""SORT (Bewley et al., 2016): Kalman + IoU + Hungarian, faithful to abewley/sort."""

from .config import SortConfig
from .tracker import SortTracker

__all__ = ["SortConfig", "SortTracker"]
