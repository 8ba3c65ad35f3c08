"""The track store: one table of every live track and the lifecycle steps every tracker takes.

A row per track; every scalar column (``ids``, ``state``, ``hits``, ``age``, ...) and the Kalman
``mean`` and ``covariance`` live side by side in one float64 array, so adding, deleting and
gathering tracks are one array operation each whatever the number of columns, and there are no
per-track Python objects. Integer columns are stored exactly (float64 holds integers up to
2**53). Policies never index that array: they call the steps below, named as the papers name
them, and read columns by name.

Per frame a policy calls, in its paper's order:

- :meth:`TrackStore.begin_frame` (nothing matched yet; one more frame since each update),
- :meth:`TrackStore.predict` (Kalman prediction of all or some rows),
- :meth:`TrackStore.warp` (optional camera motion compensation of the predictions),
- :meth:`TrackStore.correct` (Kalman update of matched rows with their detections),
- :meth:`TrackStore.spawn` (a track per unmatched detection),
- :meth:`TrackStore.mark_deleted` / :meth:`TrackStore.purge` (lifecycle rules),
- :meth:`TrackStore.emit` (the reported :class:`~mottrack.types.Tracks`).

Side tables (an appearance gallery, smoothed embeddings: :mod:`mottrack.side_tables`) are
registered once; ``correct``, ``spawn`` and ``purge`` keep them row-aligned. Every row also has
a list position (``order``): rows sorted by it give the order of the original trackers' Python
lists, which decides assignment tie-breaking; :meth:`TrackStore.requeue` moves rows to the end.

:meth:`TrackStore.snapshot` and :meth:`TrackStore.restore` make a frame atomic: the tracker
base class restores the snapshot when a step raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .compiled.layout import RULE_COLUMNS, TrackState
from .motion.kalman import BatchedKalmanFilter
from .side_tables import SideTable
from .types import Detections, Tracks

__all__ = ["RULE_COLUMNS", "TrackState", "TrackStore"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Rows = NDArray[np.bool_] | NDArray[np.int64]


#: Scalar columns every store has, with the value a new track starts with.
_SCALARS: dict[str, float] = {
    "ids": 0.0,
    "state": float(TrackState.TENTATIVE),
    "hits": 0.0,
    "hit_streak": 0.0,
    "age": 0.0,
    "time_since_update": 0.0,
    "score": 0.0,
    "det_index": -1.0,
    "cls": -1.0,
    "order": 0.0,
}

_DELETED = float(TrackState.DELETED)

#: Columns only the store writes.
_RESERVED = frozenset({"ids", "order", "mean", "covariance"})

#: Box formats of the Kalman state.
_BOX_FORMATS = ("xysr", "xyah")


def _column(name: str, doc: str) -> property:
    def get(self: TrackStore) -> F64:
        view = self._views.get(name)
        return self.column(name) if view is None else view

    return property(get, doc=doc)


class TrackStore:
    """Table of live tracks with the lifecycle operations of SORT, DeepSORT and FairMOT.

    Parameters
    ----------
    motion : BatchedKalmanFilter
        The motion model; ``mean`` is ``(N, n)`` and ``covariance`` ``(N, n, n)`` with
        ``n = motion.ndim``.
    box_format : {"xysr", "xyah"}
        What the model measures: detections are converted to it, states back from it.
    columns : dict of str to float, optional
        Policy-specific scalar columns and the value a new track starts with.
    side_tables : dict of str to SideTable, optional
        Per-track tables kept row-aligned with the store (values for them are passed to
        :meth:`correct` and :meth:`spawn` under their name).

    Attributes
    ----------
    next_id : int
        The ID the next track receives (IDs are allocated per store, from 1).
    """

    ids = _column("ids", "Track identities, shape (N,) (integers, from 1).")
    state = _column("state", "TrackState values, shape (N,).")
    hits = _column("hits", "Number of detections that updated the track, shape (N,).")
    hit_streak = _column("hit_streak", "Consecutive frames with an update, shape (N,).")
    age = _column("age", "Predictions made since creation, shape (N,).")
    time_since_update = _column("time_since_update", "Frames since the last update, shape (N,).")
    score = _column("score", "Score of the last detection that updated the track, shape (N,).")
    det_index = _column("det_index", "This frame's detection row that updated it, or -1, (N,).")
    cls = _column("cls", "Class of the last detection (-1 if none), shape (N,).")
    mean = _column("mean", "Kalman means, shape (N, n).")
    covariance = _column("covariance", "Kalman covariances, shape (N, n, n).")

    def __init__(
        self,
        motion: BatchedKalmanFilter,
        box_format: str,
        columns: dict[str, float] | None = None,
        side_tables: dict[str, SideTable] | None = None,
    ) -> None:
        if box_format not in _BOX_FORMATS:
            formats = sorted(_BOX_FORMATS)
            raise ValueError(f"box_format: expected one of {formats}, got {box_format!r}")
        self.motion = motion
        defaults = dict(_SCALARS)
        for name, value in (columns or {}).items():
            if name in defaults or name in ("mean", "covariance"):
                raise ValueError(f"columns: {name!r} already exists")
            defaults[name] = float(value)
        n = motion.ndim
        self._shapes = {**{name: () for name in defaults}, "mean": (n,), "covariance": (n, n)}
        self._keys: dict[str, int | slice] = {name: i for i, name in enumerate(defaults)}
        start = len(defaults)
        self._keys["mean"] = slice(start, start + n)
        self._keys["covariance"] = slice(start + n, start + n + n * n)
        self.width = start + n + n * n
        self._blank = np.zeros(self.width)
        self._blank[:start] = list(defaults.values())
        self._side: dict[str, SideTable] = dict(side_tables or {})
        self._side_view = MappingProxyType(self._side)
        # Compiled kernels (numba is imported on the first store, not with the package).
        from .compiled import gating, table

        self._kernels = table
        self._gated_pairs = gating.gated_pairs
        self._format = table.XYSR if box_format == "xysr" else table.XYAH
        self._mean0 = start
        self._clamp = motion.velocity_clamp
        self._scale, self._q_law, self._r_law = motion.noise_laws()
        self._match_cols = np.array(
            [
                self._keys[c]
                for c in ("hits", "hit_streak", "time_since_update", "det_index", "score", "cls")
            ],
            np.int64,
        )
        self._advance_cols = np.array(
            [self._keys[c] for c in ("det_index", "hit_streak", "time_since_update", "age")],
            np.int64,
        )
        self._spawn_cols = np.array(
            [self._keys[c] for c in ("ids", "order", "det_index", "score", "cls")], np.int64
        )
        self._emit_cols = np.array([self._keys[c] for c in RULE_COLUMNS[:4]], np.int64)
        self._rule_cols = np.array([self._keys[c] for c in RULE_COLUMNS], np.int64)
        self._rule_cols_with: dict[tuple[str, ...], I64] = {}
        self.reset()

    # -- reading ------------------------------------------------------------------------
    @property
    def columns(self) -> tuple[str, ...]:
        """Names of all columns."""
        return tuple(self._shapes)

    @property
    def side_tables(self) -> Mapping[str, SideTable]:
        """The registered side tables, by name (read-only mapping)."""
        return self._side_view

    def __len__(self) -> int:
        return int(self._data.shape[0])

    @property
    def data(self) -> F64:
        """The whole table, read-only, shape (N, width) (columns: :meth:`column`)."""
        view = self._data.view()
        view.flags.writeable = False
        return view

    def column(self, name: str, rows: Rows | None = None) -> F64:
        """Read-only column ``name``, shape ``(N, *shape)`` (or of ``rows`` only, a copy).

        A view of the table: it follows :meth:`predict`, :meth:`correct` and :meth:`assign`
        but not :meth:`spawn` or :meth:`purge`, which build a new table.
        """
        if rows is None:
            view = self._views.get(name)
            if view is None:
                view = self._views[name] = self._read_only(self._data, name)
            return view
        return self._read_only(self._data[rows], name)

    def gaussian(self, rows: Rows) -> tuple[F64, F64]:
        """Kalman ``mean`` ``(K, n)`` and ``covariance`` ``(K, n, n)`` of ``rows`` (copies)."""
        block = self._data[rows]
        return block[:, self._keys["mean"]], self._cov(block)

    def boxes(self, rows: Rows | None = None) -> F64:
        """The Kalman mean of every row (or of ``rows``) as ``xyxy`` boxes, shape (N, 4)."""
        d = self._data
        idx = np.arange(len(d)) if rows is None else _row_indices(rows)
        out = np.empty((idx.size, 4))
        self._kernels.boxes_xyxy(d, idx, self._mean0, self._format, out)
        return out

    def measurements(self, detections: Detections) -> F64:
        """``detections`` in the motion model's box format (``xysr`` or ``xyah``), (N, 4).

        Computed once per ``Detections`` object (they are immutable) and shared by the
        policy's gating, :meth:`correct` and :meth:`spawn`.
        """
        if detections is not self._measured:
            self._measured = detections
            self._measurement = np.empty((len(detections), 4))
            self._kernels.to_measurements(detections.xyxy, self._format, self._measurement)
        return self._measurement

    def gate(self, rows: I64, detections: Detections, threshold: float) -> tuple[I64, I64, F64]:
        """The pairs inside the Mahalanobis gate, found without the dense matrix.

        Parameters
        ----------
        rows : ndarray of int, shape (T,)
            Track rows.
        detections : Detections
        threshold : float
            Largest squared Mahalanobis distance of a pair kept (e.g. ``CHI2INV95[4]``).

        Returns
        -------
        track : ndarray of int, shape (K,)
            Index into ``rows`` of each pair (grouped, increasing).
        det : ndarray of int, shape (K,)
            Detection row of each pair (increasing within a track).
        d2 : ndarray, shape (K,)
            Squared distance: the value of ``motion.gating_distance`` for the pair.
        """
        rows = np.asarray(rows, np.int64)
        z, d = self.measurements(detections), self._data
        n, scale, law = self.motion.ndim, self._scale, self._r_law
        ok, track, det, d2 = self._gated_pairs(d, rows, self._mean0, n, scale, law, z, threshold)
        if not ok:  # an innovation covariance that is not positive definite: the dense form
            maha = self.motion.gating_distance(*self.gaussian(rows), z)
            track, det = np.nonzero(maha <= threshold)
            d2 = maha[track, det]
        return track, det, d2

    @property
    def motion_args(self) -> tuple[int, int, int, F64, F64]:
        """``(m, nvel, scale, q_law, r_law)``: what a compiled rule (:meth:`apply_rule`) passes
        to :func:`~mottrack.compiled.table.predict_rows`,
        :func:`~mottrack.compiled.table.correct_matches` or
        :func:`~mottrack.compiled.gating.gated_pairs` (the motion model's sizes and noise
        laws)."""
        return self.motion.mdim, self.motion.nvel, self._scale, self._q_law, self._r_law

    def same_class(self, rows: I64, detections: Detections, det: I64) -> NDArray[np.bool_]:
        """Whether track ``rows[k]`` last matched a detection of the class of detection
        ``det[k]`` (the ``class_aware`` filter of listed pairs), shape (K,)."""
        classes = detections.classes
        if classes is None:
            return np.zeros(det.shape[0], dtype=bool)
        return self._data[rows, self._keys["cls"]] == classes[det]

    def ordered_groups(self, labels: F64, *values: float) -> tuple[I64, I64]:
        """Rows labelled ``values[0]`` in list order, then those labelled ``values[1]``, ...
        (e.g. FairMOT's tracked list then its lost list, by ``state``).

        Returns
        -------
        rows : ndarray of int
        bounds : ndarray of int, shape (len(values) + 1,)
            ``rows[bounds[g]:bounds[g + 1]]`` is group ``g``.
        """
        return self._kernels.ordered_groups(
            self._data, labels, np.array(values, np.float64), self._keys["order"]
        )

    def ordered(self, mask: NDArray[np.bool_]) -> I64:
        """Rows where ``mask`` holds, in list order."""
        return self._kernels.ordered_rows(self._data, mask, self._keys["order"])

    # -- lifecycle ----------------------------------------------------------------------
    def begin_frame(self) -> None:
        """Start a frame: no detection matched yet, one more frame since every update.

        A track missed in the previous frame loses its hit streak (SORT's rule).
        """
        k = self._keys
        self._kernels.begin_frame(
            self._data, k["det_index"], k["hit_streak"], k["time_since_update"]
        )

    def advance(self) -> None:
        """:meth:`begin_frame` then :meth:`predict` of every row, in one compiled call."""
        d = self._data
        if not len(d):
            return
        clamp, by = self._clamp
        m, nvel = self.motion.mdim, self.motion.nvel
        cols, scale, law = self._advance_cols, self._scale, self._q_law
        self._kernels.advance(d, cols, self._mean0, m, nvel, scale, law, clamp, by)

    def predict(self, rows: I64 | None = None) -> None:
        """Kalman-predict all rows (or ``rows``); their ``age`` grows by one."""
        d = self._data
        rows = np.arange(len(d)) if rows is None else np.asarray(rows, np.int64)
        if rows.size == 0:
            return
        m, nvel = self.motion.mdim, self.motion.nvel
        clamp, by = self._clamp
        scale, law, age = self._scale, self._q_law, self._keys["age"]
        self._kernels.predict_rows(d, rows, self._mean0, m, nvel, scale, law, clamp, by, age)

    def correct(
        self,
        rows: I64,
        detections: Detections,
        det_rows: I64,
        *,
        score: bool | NDArray[np.bool_] = True,
        **side: Any,
    ) -> None:
        """Update matched tracks with their detections.

        Parameters
        ----------
        rows : ndarray of int, shape (K,)
            Distinct track rows.
        detections : Detections
            This frame's detections.
        det_rows : ndarray of int, shape (K,)
            The detection row matched to each track (``Tracks.det_index`` reports it).
        score : bool or ndarray of bool, shape (K,), default True
            Take the detection's score (FairMOT's re-activation keeps the old one); per
            match when an array.
        **side
            Values for registered side tables, one row per match (e.g. ``appearance=``).

        Notes
        -----
        Kalman update with the detection box; ``hits`` and ``hit_streak`` grow by one,
        ``time_since_update`` becomes 0, ``det_index``, ``score`` and ``cls`` are the
        detection's.
        """
        if rows.size == 0:
            return
        side = self._side_values(side)
        motion = self.motion
        if isinstance(score, np.ndarray):
            take = np.asarray(score, np.bool_)
            if take.shape != (rows.size,):
                raise ValueError(
                    f"score: expected one bool per match, shape ({rows.size},), got {score.shape}"
                )
        else:
            take = _EVERY if score else np.zeros(rows.size, np.bool_)
        classes = detections.classes
        self._kernels.correct_matches(
            self._data,
            np.asarray(rows, np.int64),
            self.measurements(detections),
            np.asarray(det_rows, np.int64),
            self._scale,
            self._r_law,
            self._mean0,
            motion.mdim,
            motion.nvel,
            detections.scores,
            take,
            _NO_CLASSES if classes is None else classes,
            self._match_cols,
        )
        for name, values in side.items():
            self._side[name].correct(rows, values)

    def spawn(self, detections: Detections, det_rows: I64, **values: Any) -> None:
        """Start a track per detection row, appended in this order with fresh IDs.

        Parameters
        ----------
        detections : Detections
        det_rows : ndarray of int, shape (K,)
        **values
            Column values (scalars or length-``K`` arrays; e.g. ``state=``, ``hits=``) and
            side-table values (one row per new track). Columns not given take their defaults
            (0; ``state`` TENTATIVE; ``det_index`` the detection row; ``score`` and ``cls``
            the detection's).
        """
        side = {name: values.pop(name) for name in self._side if name in values}
        if len(side) != len(self._side):
            self._side_values(side)  # raises: every side table must get rows
        if values and not (self._keys.keys() >= values.keys() and _RESERVED.isdisjoint(values)):
            unknown = sorted((set(values) - set(self._keys)) | (_RESERVED & set(values)))
            raise ValueError(f"spawn: unknown or reserved columns {unknown}; known: {self.columns}")
        count = det_rows.size
        if count == 0:
            return
        det_rows = np.asarray(det_rows, np.int64)
        mean, cov = self.motion.initiate(self.measurements(detections)[det_rows])
        classes = detections.classes
        data = self._kernels.append_rows(
            self._data,
            self._blank,
            mean,
            cov.reshape(count, -1),
            det_rows,
            detections.scores,
            _NO_CLASSES if classes is None else classes,
            self.next_id,
            self.next_order,
            self._mean0,
            self._spawn_cols,
        )
        for name, value in values.items():
            data[len(self) :, self._keys[name]] = value
        for name, table in self._side.items():
            table.spawn(side[name])
        self.next_id += count
        self.next_order += count
        self._replace(data)

    def assign(self, name: str, rows: Rows, value: ArrayLike) -> None:
        """Set scalar column ``name`` at ``rows`` (e.g. a policy's ``state`` transitions)."""
        if name in _RESERVED:
            raise ValueError(f"assign: {name!r} is maintained by the store")
        self._data[rows, self._keys[name]] = value

    def set_velocity(self, rows: Rows, index: int, value: float) -> None:
        """Set component ``index`` of the Kalman mean at ``rows`` (a policy's motion rule)."""
        self._data[rows, self._keys["mean"].start + index] = value  # type: ignore[union-attr]

    def warp(self, affine: ArrayLike, rows: Rows | None = None) -> None:
        """Move the Kalman states of all rows (or ``rows``) by a camera motion ``affine``.

        Camera motion compensation (BoT-SORT's GMC step, on this store's box formats): with
        ``affine = [R | t]`` mapping previous-frame pixels to the current frame, the box centre
        becomes ``R @ (x, y) + t`` and its velocity ``R @ (x', y')``; the box size is scaled
        by ``k = sqrt(|det R|)`` (``xyah``: the height ``h`` and its velocity by ``k``;
        ``xysr``: the area ``s`` and its velocity by ``k**2``; the aspect ratio is kept). The
        covariance becomes ``T P T^T`` with ``T`` the same linear map of the state.

        Parameters
        ----------
        affine : array_like, shape (2, 3)
            E.g. :meth:`mottrack.motion.cmc.CameraMotion.estimate`. The identity changes
            nothing (no arithmetic is done).
        rows : ndarray of bool or int, optional
            Rows to move; every row by default.
        """
        a = np.asarray(affine, dtype=np.float64)
        if a.shape != (2, 3) or not np.isfinite(a).all():
            raise ValueError(f"warp: expected a finite (2, 3) affine, got shape {a.shape}")
        idx = np.arange(len(self)) if rows is None else _row_indices(rows)
        if idx.size == 0 or np.array_equal(a, _IDENTITY_AFFINE):
            return
        n, m = self.motion.ndim, self.motion.mdim
        rot = a[:, :2]
        k = float(np.sqrt(abs(np.linalg.det(rot))))
        size, scale = (2, k * k) if self._format == self._kernels.XYSR else (3, k)
        lin = np.eye(n)
        lin[:2, :2] = lin[m : m + 2, m : m + 2] = rot
        lin[size, size] = lin[m + size, m + size] = scale
        block = self._data[idx]
        mean = block[:, self._keys["mean"]] @ lin.T
        mean[:, :2] += a[:, 2]
        cov = lin @ self._cov(block) @ lin.T
        cov = 0.5 * (cov + cov.transpose(0, 2, 1))
        self._data[idx, self._keys["mean"]] = mean
        self._data[idx, self._keys["covariance"]] = cov.reshape(idx.size, -1)

    def requeue(self, rows: I64) -> None:
        """Move ``rows`` (in this order) to the end of the list order."""
        count = rows.size
        self._data[rows, self._keys["order"]] = np.arange(self.next_order, self.next_order + count)
        self.next_order += count

    def apply_rule(
        self, rule: Callable[..., tuple[Any, ...]], *args: Any, columns: tuple[str, ...] = ()
    ) -> tuple[Any, ...]:
        """Run a policy's compiled lifecycle rule on the table, in place.

        ``rule(data, columns, mean0, box_format, *args)`` is a numba function that receives the
        table, the indices of :data:`RULE_COLUMNS` in it (then of the policy's own
        ``columns``), the first column of the Kalman mean and the box format
        (``mottrack.compiled.table.XYSR``/``XYAH``); it may change the scalar columns (set
        ``state`` to DELETED for :meth:`purge`) and must return a tuple whose first item is
        the number of rows it marked DELETED.

        Returns
        -------
        tuple
            The rule's other return values.
        """
        cols = self._rule_cols
        if columns:
            cols = self._rule_cols_with.get(columns)
            if cols is None:
                extra = [self._keys[c] for c in columns]
                cols = self._rule_cols_with[columns] = np.array([*self._rule_cols, *extra])
        result = rule(self._data, cols, self._mean0, self._format, *args)
        if result[0]:
            self._deleted = True
        return result[1:]

    def mark_deleted(self, rows: Rows) -> None:
        """Set ``rows`` DELETED; :meth:`purge` removes them."""
        if rows.size == 0 or (rows.dtype == np.bool_ and not rows.any()):
            return
        self._data[rows, self._keys["state"]] = _DELETED
        self._deleted = True

    def purge(self) -> None:
        """Remove every DELETED row (and its side-table rows); order is preserved."""
        if not self._deleted:
            return
        self._deleted = False
        keep = self._data[:, self._keys["state"]] != _DELETED
        self._replace(self._data[keep])
        for table in self._side.values():
            table.keep(keep)

    def emit(self, rows: Rows, classes: bool) -> Tracks:
        """The reported :class:`~mottrack.types.Tracks`: ``rows`` in the given order.

        ``classes``: report the ``cls`` column (the detections carried classes).
        """
        ids, xyxy, scores, det_index, cls = self._kernels.emit_in_order(
            self._data, _row_indices(rows), self._emit_cols, self._mean0, self._format, classes
        )
        return Tracks.trusted(ids, xyxy, scores, det_index, cls if classes else None)

    # -- sequences and transactions -----------------------------------------------------
    def reset(self) -> None:
        """Remove every track and restart ID allocation at 1."""
        self._replace(np.zeros((0, self.width)))
        self.next_id = 1
        self.next_order = 0
        self._deleted = False  # rows marked DELETED and not yet purged
        self._measured: Detections | None = None
        self._measurement = np.zeros((0, 4))
        for table in self._side.values():
            table.reset()

    def snapshot(self) -> tuple[Any, ...]:
        """A token from which :meth:`restore` brings back the store as it is now."""
        side = tuple(table.snapshot() for table in self._side.values())
        return self._data.copy(), self.next_id, self.next_order, self._deleted, side

    def restore(self, token: tuple[Any, ...]) -> None:
        """Return to the state :meth:`snapshot` recorded (once per token)."""
        data, self.next_id, self.next_order, self._deleted, side = token
        self._replace(data)
        for table, part in zip(self._side.values(), side):
            table.restore(part)

    # -- internals ----------------------------------------------------------------------
    def _replace(self, data: F64) -> None:
        """Install a new table (column views of the old one are dropped)."""
        self._data = data
        self._views: dict[str, F64] = {}

    def _read_only(self, data: F64, name: str) -> F64:
        key = self._keys.get(name)
        if key is None:
            raise KeyError(f"column: unknown {name!r}; known: {self.columns}")
        view = data[:, key]
        if name == "covariance":
            view = view.reshape(len(data), *self._shapes[name])
        view.flags.writeable = False
        return view

    def _cov(self, block: F64) -> F64:
        return block[:, self._keys["covariance"]].reshape(len(block), *self._shapes["covariance"])

    def _side_values(self, side: dict[str, Any]) -> dict[str, Any]:
        if side.keys() != self._side.keys():
            raise ValueError(
                f"side tables: expected values for {sorted(self._side)}, got {sorted(side)}"
            )
        return side


_EVERY = np.zeros(0, np.bool_)  # take every match's detection score
_IDENTITY_AFFINE = np.eye(2, 3)
_NO_CLASSES = np.zeros(0, np.int64)


def _row_indices(rows: Rows) -> I64:
    """Row indices (int64) from a boolean mask or integer rows."""
    rows = np.asarray(rows)
    return np.flatnonzero(rows) if rows.dtype == np.bool_ else rows.astype(np.int64, copy=False)
