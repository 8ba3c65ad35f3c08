"""DeepSORT (Wojke et al., 2017): appearance cascade + Mahalanobis gating + IoU stage.

The tracker, its configuration, gallery and preprocessing import no torch; the crop CNN
(:mod:`mottrack.deepsort.cnn`) and its training (:mod:`mottrack.deepsort.train`) need the
``torch`` extra and are imported only when used.
"""

from .config import DeepSortConfig
from .gallery import FeatureGallery
from .tracker import DeepSortTracker

__all__ = ["DeepSortConfig", "DeepSortTracker", "FeatureGallery"]
