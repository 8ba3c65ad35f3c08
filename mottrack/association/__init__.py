"""Association: cost matrices, gating and linear assignment. Pure functions over arrays."""

from .assignment import Assignment, linear_assignment, solve
from .costs import iou_cost
from .gating import CHI2INV95, gate

__all__ = ["CHI2INV95", "Assignment", "gate", "iou_cost", "linear_assignment", "solve"]
