"""DeepSORT's configuration, with nwojke/deep_sort's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from .._checks import check_bool, check_fraction, check_int, check_number
from ..motion.cmc import check_cmc

__all__ = ["DeepSortConfig"]


@dataclass(frozen=True)
class DeepSortConfig:
    """Parameters of DeepSORT (Wojke et al., 2017).

    Parameters
    ----------
    max_cosine_distance : float, default 0.2
        Largest appearance (cosine) distance of a match in the matching cascade.
    nn_budget : int or None, default 100
        Features kept per track (the most recent ones); ``None`` keeps all.
    max_iou_distance : float, default 0.7
        Largest ``1 - IoU`` of a match in the IoU stage.
    max_age : int, default 30
        A confirmed track is deleted once more than ``max_age`` frames passed without a
        detection; also the depth of the matching cascade.
    n_init : int, default 3
        Hits before a tentative track is confirmed (a tentative track missed once is deleted).
    gating_threshold : float, default 9.4877
        Squared Mahalanobis gate (the 0.95 chi-square quantile for 4 degrees of freedom).
    min_confidence : float, default -inf
        Detections scoring below this are ignored (deep_sort's MOTChallenge runs use 0.3).
    nms_max_overlap : float, default 1.0
        Non-maximum suppression overlap (deep_sort's rule); 1.0 suppresses nothing.
    min_detection_height : float, default 0.0
        Detections shorter than this (pixels) are ignored.
    std_weight_position, std_weight_velocity : float, default 1/20 and 1/160
        Noise scales of :class:`~mottrack.motion.ConstantVelocityXYAH`.
    max_dense_pairs : int or None, default 2**22
        Memory bound of deep_sort's solves. deep_sort clips every cost above the threshold to
        one value, and how its solver (SciPy's ``linear_sum_assignment``) pairs those equal
        entries orders the unmatched detections, hence the IDs of new tracks; only the dense
        solve knows it. So each cascade level and the IoU stage is solved on its dense block
        (the pairs that can match are listed sparsely, the rest filled in) up to
        ``tracks x detections <= max_dense_pairs`` (about 2,000 x 2,000: 32 MiB). Above it
        the matches are found as the maximum-weight matching of the listed pairs (the same
        matches) and unmatched detections keep their order: the same tracks and boxes, IDs of
        that frame's new tracks possibly relabelled. ``None``: always dense.
    class_aware : bool, default False
        Detections only match tracks of their class (the reported class is the last matched
        detection's); every detection must then carry a class. Off: the original's
        class-blind association.
    cmc : {"ecc", "orb", "flow"} or None, default None
        Camera motion compensation (not in the paper): the frame-to-frame affine is
        estimated from the frames (:class:`~mottrack.motion.cmc.CameraMotion`) and applied
        to the predicted tracks before association; ``update()`` then needs ``frame``.

    Notes
    -----
    Detections kept after filtering are processed in descending score order (ties: later
    rows first), the order deep_sort's NMS step leaves them in; it decides which new track
    gets which ID. ``Tracks.det_index`` always refers to the rows as passed.
    """

    max_cosine_distance: float = 0.2
    nn_budget: int | None = 100
    max_iou_distance: float = 0.7
    max_age: int = 30
    n_init: int = 3
    gating_threshold: float = 9.4877
    min_confidence: float = float("-inf")
    nms_max_overlap: float = 1.0
    min_detection_height: float = 0.0
    std_weight_position: float = 1.0 / 20
    std_weight_velocity: float = 1.0 / 160
    max_dense_pairs: int | None = 2**22
    class_aware: bool = False
    cmc: str | None = None

    def __post_init__(self) -> None:
        own = "DeepSortConfig"
        check_number(own, "max_cosine_distance", self.max_cosine_distance, 0.0, 2.0)
        if self.nn_budget is not None:
            check_int(own, "nn_budget", self.nn_budget, 1)
        check_fraction(own, "max_iou_distance", self.max_iou_distance)
        check_int(own, "max_age", self.max_age, 1)
        check_int(own, "n_init", self.n_init, 1)
        check_number(own, "gating_threshold", self.gating_threshold, 0.0)
        check_number(own, "min_confidence", self.min_confidence)
        check_number(own, "nms_max_overlap", self.nms_max_overlap, 0.0, 1.0)
        check_number(own, "min_detection_height", self.min_detection_height, 0.0)
        check_number(own, "std_weight_position", self.std_weight_position, 0.0)
        check_number(own, "std_weight_velocity", self.std_weight_velocity, 0.0)
        if self.max_dense_pairs is not None:
            check_int(own, "max_dense_pairs", self.max_dense_pairs, 0)
        check_bool(own, "class_aware", self.class_aware)
        check_cmc(own, self.cmc)
