"""FairMOT (Zhang et al., 2021): one network detects centres and emits re-ID embeddings; JDE
association fuses embedding distance with Kalman motion.

:class:`FairMOTTracker` and :class:`FairMOTConfig` import no torch. The network, inference and
training modules need the ``torch`` extra and are imported only when used.
"""

from .config import FairMOTConfig
from .tracker import FairMOTTracker

__all__ = ["FairMOTConfig", "FairMOTTracker"]
