"""The track table as compiled lifecycle rules see it: state values and column positions.

:class:`TrackState` and :data:`RULE_COLUMNS` are defined here, once; the rules of the three
policies (``sort/kernels.py``, ``deepsort/kernels.py``, ``fairmot/kernels.py``) compare
``state`` with the float values below and index their ``cols`` argument with the positions
below, so reordering :data:`RULE_COLUMNS` or renumbering :class:`TrackState` moves them all.
This module does not import numba (the track store imports it at ``import mottrack``).
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["RULE_COLUMNS", "TrackState"]


class TrackState(IntEnum):
    """Lifecycle state of a track (as in the DeepSORT paper)."""

    TENTATIVE = 1
    CONFIRMED = 2
    LOST = 3
    DELETED = 4


#: Columns a compiled lifecycle rule receives, in this order (see ``TrackStore.apply_rule``);
#: a policy's own columns follow, from position :data:`OWN`.
RULE_COLUMNS = (
    "ids",
    "score",
    "det_index",
    "cls",
    "state",
    "hits",
    "hit_streak",
    "age",
    "time_since_update",
    "order",
)

#: ``TrackState`` values as stored in the float table.
TENTATIVE, CONFIRMED, LOST, DELETED = (float(s) for s in TrackState)

#: Positions in a rule's ``cols``.
IDS = RULE_COLUMNS.index("ids")
SCORE = RULE_COLUMNS.index("score")
DET_INDEX = RULE_COLUMNS.index("det_index")
CLS = RULE_COLUMNS.index("cls")
STATE = RULE_COLUMNS.index("state")
HITS = RULE_COLUMNS.index("hits")
STREAK = RULE_COLUMNS.index("hit_streak")
AGE = RULE_COLUMNS.index("age")
SINCE = RULE_COLUMNS.index("time_since_update")
ORDER = RULE_COLUMNS.index("order")
OWN = len(RULE_COLUMNS)
#: ``cols[:REPORTED]`` are the reported columns ``ids, score, det_index, cls`` (``emit_rows``).
REPORTED = CLS + 1
assert RULE_COLUMNS[:REPORTED] == ("ids", "score", "det_index", "cls")
