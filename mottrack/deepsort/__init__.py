"""DeepSORT (Wojke et al., 2017): appearance cascade + Mahalanobis gating + IoU stage.

The tracker, its configuration, gallery, preprocessing and the weight-free
:class:`HistogramEmbedder` import no torch; the crop CNN (:mod:`mottrack.deepsort.cnn`) and its
training (:mod:`mottrack.deepsort.train`) need the ``torch`` extra and are imported only when
used (``create_embedder("cnn", weights=...)``).
"""

from .config import DeepSortConfig
from .embedder import Embedder, create_embedder, extract_crops
from .gallery import FeatureGallery
from .histogram import HistogramEmbedder
from .tracker import DeepSortTracker

__all__ = [
    "DeepSortConfig",
    "DeepSortTracker",
    "Embedder",
    "FeatureGallery",
    "HistogramEmbedder",
    "create_embedder",
    "extract_crops",
]
