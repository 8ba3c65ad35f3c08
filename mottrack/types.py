"""Per-frame inputs and outputs of every tracker: :class:`Detections` and :class:`Tracks`.

Both are frozen dataclasses of NumPy arrays, validated once at construction and stored as
read-only copies, so a tracker can never mutate what the caller passed and the caller can never
mutate what a tracker returned.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Detections", "DetectionsLike", "Tracks", "as_detections"]


#: Largest absolute box coordinate accepted (pixels). Beyond it a box is not an image
#: position, and squares of its sizes (areas, covariances) would leave float64's range.
MAX_COORDINATE = 1e8
#: Largest class label accepted from floats (larger floats are not exact integers).
_MAX_EXACT_FLOAT = 2.0**53


def as_array(value: Any) -> Any:
    """``value`` as NumPy sees it; a torch tensor is detached and moved to the CPU first.

    torch is never imported here: a tensor is recognised by its ``detach``/``cpu``/``numpy``
    methods.
    """
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return value


_VALIDATE: Any = None
_EMBEDDING_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_NO_EMBEDDINGS = np.zeros((0, 0))


def compiled_validation() -> Any:
    """:mod:`mottrack.compiled.validate`, imported on first use (it loads numba)."""
    global _VALIDATE
    if _VALIDATE is None:
        from .compiled import validate

        _VALIDATE = validate
    return _VALIDATE


def _loaded_validation() -> Any:
    """:mod:`mottrack.compiled.validate` once numba is loaded (every tracker loads it), else
    ``None``: building :class:`Detections` alone never imports numba."""
    if _VALIDATE is None and "numba" not in sys.modules:
        return None
    return compiled_validation()


def _frozen(name: str, value: ArrayLike, dtype: Any, ndim: int, owner: str) -> NDArray[Any]:
    """Return a read-only copy of ``value`` as ``dtype`` with ``ndim`` dimensions.

    Raises ``ValueError`` naming ``owner.name`` when the value is not numeric (strings,
    objects, booleans, complex numbers), cannot be converted, or has the wrong number of
    dimensions.
    """
    raw = value if isinstance(value, np.ndarray) else np.asarray(as_array(value))
    kinds = "iu" if np.dtype(dtype).kind in "iu" else "iuf"
    if raw.size and raw.dtype.kind not in kinds:
        what = "integer" if kinds == "iu" else "real"
        raise ValueError(
            f"{owner}.{name}: expected {what} numbers, got dtype {raw.dtype} "
            f"({type(value).__name__})"
        )
    try:
        arr = np.array(raw, dtype=dtype, copy=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(
            f"{owner}.{name}: expected an array convertible to {np.dtype(dtype).name}, "
            f"got {type(value).__name__} ({exc})"
        ) from None
    if arr.ndim != ndim:
        raise ValueError(f"{owner}.{name}: expected a {ndim}-d array, got shape {arr.shape}")
    arr.flags.writeable = False
    return arr


def _check_finite(name: str, arr: NDArray[Any], owner: str) -> None:
    if arr.size and not np.isfinite(arr).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{owner}.{name}: expected finite values, got {arr[bad]} at index {bad}")


def _check_xyxy(arr: NDArray[np.float64], owner: str) -> None:
    if arr.shape[1:] != (4,):
        raise ValueError(f"{owner}.xyxy: expected shape (N, 4), got {arr.shape}")
    if arr.size and not np.abs(arr).max() <= MAX_COORDINATE:  # one pass; NaN fails it too
        _check_finite("xyxy", arr, owner)
        i = int(np.flatnonzero((np.abs(arr) > MAX_COORDINATE).any(axis=1))[0])
        raise ValueError(
            f"{owner}.xyxy: expected pixel coordinates within +-{MAX_COORDINATE:g}, "
            f"row {i} is {arr[i].tolist()}"
        )
    bad = (arr[:, 2] < arr[:, 0]) | (arr[:, 3] < arr[:, 1])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{owner}.xyxy: expected x2 >= x1 and y2 >= y1 (boxes as [x1, y1, x2, y2]), "
            f"row {i} is {arr[i].tolist()}"
        )


def _check_rows(name: str, arr: NDArray[Any], n: int, owner: str) -> None:
    if arr.shape[0] != n:
        raise ValueError(f"{owner}.{name}: expected {n} rows (one per box), got {arr.shape[0]}")


@dataclass(frozen=True, eq=False)
class Detections:
    """Detections of one frame.

    Parameters
    ----------
    xyxy : ndarray, shape (N, 4)
        Boxes ``[x1, y1, x2, y2]`` in pixels; finite, ``x2 >= x1`` and ``y2 >= y1``.
    scores : ndarray, shape (N,), optional
        Detector confidences: any finite values (detectors differ; MOT15's public ACF scores
        run from about -0.8 to 139), thresholding is the caller's or the tracker's choice.
        Defaults to ones.
    classes : ndarray, shape (N,), optional
        Integer class labels. Defaults to ``None`` (single class).
    embeddings : ndarray, shape (N, D), optional
        Appearance features, one row per box (finite). Used by DeepSORT and FairMOT.

    Notes
    -----
    All arrays are stored as read-only copies (``xyxy``/``scores`` as float64, ``classes`` as
    int64, ``embeddings`` as float32 or float64 as given).
    """

    xyxy: NDArray[np.float64]
    scores: NDArray[np.float64] = None  # type: ignore[assignment]
    classes: NDArray[np.int64] | None = None
    embeddings: NDArray[np.floating[Any]] | None = None

    def __post_init__(self) -> None:
        if self._valid_as_given():
            return
        own = "Detections"
        xyxy = _frozen("xyxy", self.xyxy, np.float64, 2, own)
        if xyxy.shape[0] == 0 and xyxy.shape[1:] != (4,):
            xyxy = np.zeros((0, 4))
            xyxy.flags.writeable = False
        _check_xyxy(xyxy, own)
        n = xyxy.shape[0]
        if self.scores is None:
            scores = np.ones(n)
            scores.flags.writeable = False
        else:
            scores = _frozen("scores", self.scores, np.float64, 1, own)
            _check_rows("scores", scores, n, own)
            _check_finite("scores", scores, own)
        classes = self.classes
        if classes is not None:
            raw = np.asarray(as_array(classes))
            if raw.size and raw.dtype.kind == "f":
                with np.errstate(invalid="ignore"):
                    whole = np.isfinite(raw) & (np.mod(raw, 1) == 0)
                exact = whole & (np.abs(raw) <= _MAX_EXACT_FLOAT)
                if not exact.all():
                    raise ValueError(
                        f"{own}.classes: expected integer labels (floats: whole numbers up to "
                        f"2**53), got {raw[~exact][:5].tolist()}"
                    )
                raw = raw.astype(np.int64)
            classes = _frozen("classes", raw, np.int64, 1, own)
            _check_rows("classes", classes, n, own)
        emb = self.embeddings
        if emb is not None:
            raw = np.asarray(as_array(emb))
            dtype = raw.dtype if raw.dtype in (np.float32, np.float64) else np.float64
            emb = _frozen("embeddings", raw, dtype, 2, own)
            _check_rows("embeddings", emb, n, own)
            _check_finite("embeddings", emb, own)
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "embeddings", emb)

    def _valid_as_given(self) -> bool:
        """The common case in one compiled pass: float64 ``(N, 4)`` boxes and ``(N,)`` scores,
        no classes, float32/float64 ``(N, D)`` embeddings or none, all valid. Stores the
        read-only copies and returns True; otherwise (also for every invalid input, which the
        full checks then name, and before numba is loaded) returns False and changes
        nothing."""
        xyxy, scores, emb = self.xyxy, self.scores, self.embeddings
        if not (
            type(xyxy) is np.ndarray
            and xyxy.dtype == np.float64
            and xyxy.ndim == 2
            and xyxy.shape[1] == 4
            and type(scores) is np.ndarray
            and scores.dtype == np.float64
            and scores.shape == (xyxy.shape[0],)
            and self.classes is None
        ):
            return False
        if emb is not None and not (
            type(emb) is np.ndarray
            and emb.dtype in _EMBEDDING_DTYPES
            and emb.ndim == 2
            and emb.shape[0] == xyxy.shape[0]
        ):
            return False
        validate = _loaded_validation()
        if validate is None or not validate.all_valid(
            xyxy, scores, _NO_EMBEDDINGS if emb is None else emb, MAX_COORDINATE
        ):
            return False
        for name, value in (("xyxy", xyxy), ("scores", scores), ("embeddings", emb)):
            if value is not None:
                value = value.copy()
                value.flags.writeable = False
                object.__setattr__(self, name, value)
        return True

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    @classmethod
    def empty(cls, embedding_dim: int | None = None) -> Detections:
        """Return zero detections (with ``(0, embedding_dim)`` embeddings if a dim is given)."""
        emb = None if embedding_dim is None else np.zeros((0, embedding_dim), np.float32)
        return cls(np.zeros((0, 4)), np.zeros(0), embeddings=emb)

    @classmethod
    def from_array(cls, rows: ArrayLike) -> Detections:
        """Build from ``(N, 5)`` ``[x1, y1, x2, y2, score]`` or ``(N, 6)`` ``[..., class]`` rows."""
        arr = as_array(rows)
        if (
            isinstance(arr, np.ndarray)
            and arr.dtype == np.float64
            and arr.ndim == 2
            and arr.shape[1] in (5, 6)
            and arr.shape[0]
        ):
            if compiled_validation().first_invalid_row(arr, MAX_COORDINATE, _MAX_EXACT_FLOAT) < 0:
                return cls._from_valid_rows(arr)
        if not isinstance(arr, np.ndarray):
            try:
                arr = np.asarray(arr)
            except ValueError:  # ragged nested lists
                raise ValueError(
                    "detections: expected an (N, 5) [x1, y1, x2, y2, score] or (N, 6) "
                    f"[..., class] array; got {type(rows).__name__} rows of unequal lengths"
                ) from None
        if arr.size and arr.dtype.kind not in "iuf":  # strings, objects (None, dicts), ...
            raise ValueError(
                "detections: expected Detections or an (N, 5) [x1, y1, x2, y2, score] / (N, 6) "
                f"[..., class] array: expected real numbers, got dtype {arr.dtype} "
                f"({type(rows).__name__})"
            )
        arr = arr.astype(np.float64, copy=False)
        if arr.size == 0 and (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[0] == 0)):
            return cls.empty()
        if arr.ndim != 2 or arr.shape[1] not in (5, 6):
            raise ValueError(
                "detections: expected Detections or an array of shape (N, 5) "
                f"[x1, y1, x2, y2, score] or (N, 6) [..., class], got shape {arr.shape}"
            )
        return cls(arr[:, :4], arr[:, 4], arr[:, 5] if arr.shape[1] == 6 else None)

    @classmethod
    def _from_valid_rows(cls, arr: NDArray[np.float64]) -> Detections:
        """Build from rows that passed ``first_invalid_row`` (no second validation)."""
        obj = object.__new__(cls)
        xyxy = arr[:, :4].copy()
        scores = arr[:, 4].copy()
        classes = arr[:, 5].astype(np.int64) if arr.shape[1] == 6 else None
        for name, value in (("xyxy", xyxy), ("scores", scores), ("classes", classes)):
            if value is not None:
                value.flags.writeable = False
            object.__setattr__(obj, name, value)
        object.__setattr__(obj, "embeddings", None)
        return obj

    def select(self, index: ArrayLike) -> Detections:
        """Return the detections at ``index`` (a boolean mask or integer indices), in that order."""
        idx = np.asarray(as_array(index))
        n = len(self)
        if idx.dtype == np.bool_:
            if idx.shape != (n,):
                raise ValueError(f"index: expected a boolean mask of shape ({n},), got {idx.shape}")
        elif idx.size == 0:
            idx = idx.astype(np.intp)
        elif idx.dtype.kind not in "iu" or idx.ndim != 1:
            raise ValueError(
                f"index: expected 1-d integer row indices or a boolean mask, got dtype "
                f"{idx.dtype} shape {idx.shape}"
            )
        elif idx.min() < -n or idx.max() >= n:
            raise ValueError(f"index: rows must lie in [-{n}, {n}), got {idx.tolist()[:10]}")
        return Detections(
            self.xyxy[idx],
            self.scores[idx],
            None if self.classes is None else self.classes[idx],
            None if self.embeddings is None else self.embeddings[idx],
        )


DetectionsLike = Detections | ArrayLike


def as_detections(detections: DetectionsLike) -> Detections:
    """Return ``detections`` as :class:`Detections` (accepting ``(N, 5)``/``(N, 6)`` arrays and
    ``supervision.Detections``, with embeddings in ``data["embeddings"]``)."""
    if isinstance(detections, Detections):
        return detections
    if not isinstance(detections, np.ndarray) and type(detections).__module__.startswith(
        "supervision"
    ):
        from .supervision_interop import from_supervision

        return from_supervision(detections)
    return Detections.from_array(detections)


@dataclass(frozen=True, eq=False)
class Tracks:
    """Tracker output for one frame: one row per reported track.

    Parameters
    ----------
    ids : ndarray, shape (M,)
        Track identities (int64, >= 1, unique within the frame).
    xyxy : ndarray, shape (M, 4)
        Track boxes ``[x1, y1, x2, y2]`` in pixels.
    scores : ndarray, shape (M,)
        Score of the detection that last updated each track.
    det_index : ndarray, shape (M,)
        Row of this frame's detections that updated each track, ``-1`` for a coasting track.
    classes : ndarray, shape (M,), optional
        Class labels, when the detections carried them.
    """

    ids: NDArray[np.int64]
    xyxy: NDArray[np.float64]
    scores: NDArray[np.float64]
    det_index: NDArray[np.int64]
    classes: NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        own = "Tracks"
        ids = _frozen("ids", self.ids, np.int64, 1, own)
        xyxy = _frozen("xyxy", self.xyxy, np.float64, 2, own)
        if xyxy.size == 0:
            xyxy = np.zeros((0, 4))
            xyxy.flags.writeable = False
        n = ids.shape[0]
        _check_rows("xyxy", xyxy, n, own)
        _check_xyxy(xyxy, own)
        scores = _frozen("scores", self.scores, np.float64, 1, own)
        _check_rows("scores", scores, n, own)
        det_index = _frozen("det_index", self.det_index, np.int64, 1, own)
        _check_rows("det_index", det_index, n, own)
        classes = None
        if self.classes is not None:
            classes = _frozen("classes", self.classes, np.int64, 1, own)
            _check_rows("classes", classes, n, own)
        if n and ids.min() < 1:
            raise ValueError(f"{own}.ids: expected ids >= 1, got {ids.min()}")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "det_index", det_index)
        object.__setattr__(self, "classes", classes)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def trusted(
        cls,
        ids: NDArray[np.int64],
        xyxy: NDArray[np.float64],
        scores: NDArray[np.float64],
        det_index: NDArray[np.int64],
        classes: NDArray[np.int64] | None = None,
    ) -> Tracks:
        """Wrap arrays a tracker has just built (fresh, correctly typed) without re-validating.

        The arrays are made read-only and must not be referenced elsewhere.
        """
        obj = object.__new__(cls)
        setattr_ = object.__setattr__
        ids.flags.writeable = xyxy.flags.writeable = scores.flags.writeable = False
        det_index.flags.writeable = False
        if classes is not None:
            classes.flags.writeable = False
        setattr_(obj, "ids", ids)
        setattr_(obj, "xyxy", xyxy)
        setattr_(obj, "scores", scores)
        setattr_(obj, "det_index", det_index)
        setattr_(obj, "classes", classes)
        return obj

    @classmethod
    def empty(cls) -> Tracks:
        """Return a frame with no reported tracks."""
        z = np.zeros(0)
        return cls(np.zeros(0, np.int64), np.zeros((0, 4)), z, np.zeros(0, np.int64))

    def to_supervision(self, detections: Any = None) -> Any:
        """These tracks as ``supervision.Detections`` (needs the ``viz`` extra).

        See :func:`mottrack.supervision_interop.to_supervision`: ``tracker_id`` is set, and
        with the frame's ``detections`` each matched track carries its detection's
        ``class_id``, ``data`` and ``mask`` (through :attr:`det_index`).
        """
        from .supervision_interop import to_supervision

        return to_supervision(self, detections)

    def to_mot(self, frame: int) -> NDArray[np.float64]:
        """Return MOTChallenge rows ``frame, id, x, y, w, h, score, -1, -1, -1``.

        Returns
        -------
        ndarray, shape (M, 10)
        """
        out = np.full((len(self), 10), -1.0)
        out[:, 0] = frame
        out[:, 1] = self.ids
        out[:, 2:4] = self.xyxy[:, :2]
        out[:, 4:6] = self.xyxy[:, 2:] - self.xyxy[:, :2]
        out[:, 6] = self.scores
        return out
