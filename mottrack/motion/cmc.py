"""Camera motion compensation: the frame-to-frame affine of the image, estimated with OpenCV.

A moving camera shifts every object in the image at once, which a constant-velocity Kalman
filter cannot predict. :class:`CameraMotion` estimates, per frame, the affine ``A`` (2 x 3)
that maps a pixel of the previous frame to where the same scene point lies in the current
one; :meth:`mottrack.tracks.TrackStore.warp` then moves the predicted track states by it
before association (BoT-SORT's "GMC" step). Three estimators:

- ``"ecc"``: ``cv2.findTransformECC`` (enhanced correlation coefficient, affine or
  Euclidean model) on the downscaled grey frames: dense, precise, the slowest.
- ``"orb"``: ORB keypoints matched by Hamming distance (``cv2.BFMatcher`` with Lowe's ratio
  test), then ``cv2.estimateAffinePartial2D`` with RANSAC.
- ``"flow"``: ``cv2.goodFeaturesToTrack`` corners followed by pyramidal Lucas-Kanade optical
  flow, then ``cv2.estimateAffinePartial2D`` with RANSAC.

Frames are converted to grey and downscaled (``downscale``) before estimation; the
translation is scaled back, so ``A`` is always in full-resolution pixels. The first frame,
the first after :meth:`CameraMotion.reset`, a frame whose size differs from the previous one,
and any frame where estimation fails give the identity.

OpenCV is imported when an estimator is built, not with this module.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CMC_METHODS", "CameraMotion", "check_cmc"]

F64 = NDArray[np.float64]

#: Estimators :class:`CameraMotion` offers.
CMC_METHODS = ("ecc", "orb", "flow")

_IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
_IDENTITY.flags.writeable = False


def check_cmc(owner: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is ``None`` or one of :data:`CMC_METHODS`."""
    if value is not None and value not in CMC_METHODS:
        raise ValueError(f"{owner}.cmc: expected None or one of {list(CMC_METHODS)}, got {value!r}")


def identity() -> F64:
    """A fresh ``(2, 3)`` identity affine."""
    return _IDENTITY.copy()


class CameraMotion:
    """Frame-to-frame camera motion as a ``(2, 3)`` affine (see the module docstring).

    Parameters
    ----------
    method : {"ecc", "orb", "flow"}
    downscale : float, optional
        Frames are shrunk by this factor (>= 1) before estimation; by default 2 for
        ``"ecc"`` and ``"flow"``, 1 for ``"orb"`` (its keypoints lose precision at half size).
    euclidean : bool, default False
        ``"ecc"`` only: estimate a rotation + translation (``MOTION_EUCLIDEAN``) instead of a
        full affine (``MOTION_AFFINE``).
    max_features : int, default 1000
        ``"orb"``: keypoints per frame; ``"flow"``: corners tracked per frame.

    Notes
    -----
    The estimator keeps the previous frame (grey, downscaled) and, for ``"orb"``, its
    keypoints. :meth:`snapshot` / :meth:`restore` save and bring back that state, so a
    tracker's failed update can leave it as it was.
    """

    def __init__(
        self,
        method: str,
        downscale: float | None = None,
        euclidean: bool = False,
        max_features: int = 1000,
    ) -> None:
        if method not in CMC_METHODS:
            raise ValueError(
                f"CameraMotion.method: expected one of {list(CMC_METHODS)}, got {method!r}"
            )
        if downscale is None:
            downscale = 1.0 if method == "orb" else 2.0
        ok = isinstance(downscale, (int, float)) and not isinstance(downscale, bool)
        if not ok or not 1.0 <= downscale < float("inf"):
            raise ValueError(f"CameraMotion.downscale: expected a number >= 1, got {downscale!r}")
        if isinstance(max_features, bool) or not isinstance(max_features, int) or max_features < 4:
            raise ValueError(
                f"CameraMotion.max_features: expected an integer >= 4, got {max_features!r}"
            )
        import cv2

        self._cv2 = cv2
        self.method = method
        self.downscale = float(downscale)
        self.euclidean = bool(euclidean)
        self.max_features = max_features
        self._detector = cv2.ORB_create(nfeatures=max_features) if method == "orb" else None
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING) if method == "orb" else None
        self._previous: tuple[Any, ...] | None = None

    def __repr__(self) -> str:
        return (
            f"CameraMotion({self.method!r}, downscale={self.downscale:g}, "
            f"euclidean={self.euclidean}, max_features={self.max_features})"
        )

    # -- state --------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the previous frame (the next :meth:`estimate` returns the identity)."""
        self._previous = None

    def snapshot(self) -> tuple[Any, ...] | None:
        """A token for :meth:`restore` (the state is replaced per frame, never edited)."""
        return self._previous

    def restore(self, token: tuple[Any, ...] | None) -> None:
        """Return to the state :meth:`snapshot` recorded."""
        self._previous = token

    # -- estimation ---------------------------------------------------------------------
    def estimate(self, frame: NDArray[np.uint8]) -> F64:
        """The affine mapping previous-frame pixels to ``frame``'s; ``frame`` becomes previous.

        Parameters
        ----------
        frame : ndarray, shape (H, W, 3) or (H, W), uint8
            BGR or grey image.

        Returns
        -------
        ndarray, shape (2, 3), float64
            ``[R | t]``: a previous-frame pixel ``p`` lies at ``R @ p + t`` now. The identity
            when there is no usable previous frame or estimation fails.
        """
        grey = self._grey(frame)
        current: tuple[Any, ...] = (grey, *self._features(grey))
        previous, self._previous = self._previous, current
        if previous is None or previous[0].shape != grey.shape:
            return identity()
        try:
            affine = getattr(self, f"_by_{self.method}")(previous, current)
        except self._cv2.error:
            return identity()
        if affine is None or affine.shape != (2, 3) or not np.isfinite(affine).all():
            return identity()
        affine = np.asarray(affine, np.float64).copy()
        affine[:, 2] *= self.downscale
        return affine

    def _grey(self, frame: Any) -> NDArray[np.uint8]:
        cv2 = self._cv2
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
            kind = getattr(frame, "dtype", type(frame).__name__)
            raise ValueError(f"CameraMotion.estimate: frame must be a uint8 ndarray, got {kind}")
        if (
            not (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 3))
            or min(frame.shape[:2]) < 8
        ):
            raise ValueError(
                "CameraMotion.estimate: frame must have shape (H, W, 3) or (H, W) with H, W >= 8,"
                f" got {frame.shape}"
            )
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if self.downscale > 1.0:
            h, w = grey.shape
            size = (max(8, round(w / self.downscale)), max(8, round(h / self.downscale)))
            grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(grey)

    def _features(self, grey: NDArray[np.uint8]) -> tuple[Any, ...]:
        """Per-frame features kept with the grey frame (ORB's keypoints and descriptors)."""
        if self._detector is None:
            return ()
        keypoints, descriptors = self._detector.detectAndCompute(grey, None)
        points = np.array([k.pt for k in keypoints], np.float32).reshape(-1, 2)
        return points, descriptors

    def _by_ecc(self, previous: tuple[Any, ...], current: tuple[Any, ...]) -> F64 | None:
        cv2 = self._cv2
        warp = np.eye(2, 3, dtype=np.float32)
        model = cv2.MOTION_EUCLIDEAN if self.euclidean else cv2.MOTION_AFFINE
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-6)
        _, warp = cv2.findTransformECC(previous[0], current[0], warp, model, criteria, None, 1)
        return warp

    def _by_orb(self, previous: tuple[Any, ...], current: tuple[Any, ...]) -> F64 | None:
        (_, p_pts, p_desc), (_, c_pts, c_desc) = previous, current
        if p_desc is None or c_desc is None or len(p_desc) < 4 or len(c_desc) < 4:
            return None
        assert self._matcher is not None
        pairs = self._matcher.knnMatch(p_desc, c_desc, k=2)
        good = [m[0] for m in pairs if len(m) == 2 and m[0].distance < 0.75 * m[1].distance]
        if len(good) < 4:
            return None
        src = p_pts[[m.queryIdx for m in good]]
        dst = c_pts[[m.trainIdx for m in good]]
        return self._fit(src, dst)

    def _by_flow(self, previous: tuple[Any, ...], current: tuple[Any, ...]) -> F64 | None:
        cv2 = self._cv2
        corners = cv2.goodFeaturesToTrack(
            previous[0], self.max_features, qualityLevel=0.01, minDistance=3, blockSize=3
        )
        if corners is None or len(corners) < 4:
            return None
        moved, status, _ = cv2.calcOpticalFlowPyrLK(previous[0], current[0], corners, None)
        ok = status.reshape(-1) == 1
        if ok.sum() < 4:
            return None
        return self._fit(corners.reshape(-1, 2)[ok], moved.reshape(-1, 2)[ok])

    def _fit(self, src: NDArray[np.float32], dst: NDArray[np.float32]) -> F64 | None:
        """Rotation + uniform scale + translation from matched points, RANSAC."""
        cv2 = self._cv2
        affine, inliers = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.0
        )
        if affine is None or inliers is None or int(inliers.sum()) < 4:
            return None
        return affine
