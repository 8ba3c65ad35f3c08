"""Compiled (numba) kernels of the per-frame hot loops.

Everything here is imported on first use by the layers that need it (the track store, SORT's
association), never by ``import mottrack``: importing numba costs ~0.4 s. Kernels are compiled
once and cached on disk (``cache=True``), so a fresh process loads them instead of compiling.

- :mod:`.overlap`: IoU of box pairs, dense and sparse (sort-and-sweep candidate pairs).
- :mod:`.graph`: connected components of a bipartite candidate graph.
- :mod:`.table`: the track table's Kalman prediction, correction and box read-out.

The NumPy forms of the same computations (:func:`mottrack.boxes.iou_matrix`,
:class:`mottrack.motion.kalman.BatchedKalmanFilter`) are the test oracles.
"""
