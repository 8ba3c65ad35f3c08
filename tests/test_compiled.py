"""The compiled kernels against their NumPy oracles (same values, same pairs)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from mottrack import Detections
from mottrack.association.sparse import _sparse_solve, max_weight_matching
from mottrack.boxes import iou_matrix, xyah_to_xyxy, xysr_to_xyxy, xyxy_to_xyah, xyxy_to_xysr
from mottrack.compiled import matching, overlap, validate
from mottrack.motion import ConstantVelocityXYAH, ConstantVelocityXYSR
from mottrack.sort.association import _max_iou_matching
from mottrack.tracks import TrackStore
from mottrack.types import MAX_COORDINATE


def _boxes(
    rng: np.random.Generator, n: int, *, huge: float = 0.0, grid: bool = False
) -> np.ndarray:
    """Random xyxy boxes; some empty, a fraction ``huge`` spanning the whole scene."""
    xy = rng.uniform(-50, 500, (n, 2))
    wh = rng.uniform(0, 80, (n, 2)) * (rng.random((n, 1)) < 0.9)
    wh += (rng.random((n, 1)) < huge) * 900
    boxes = np.hstack([xy, xy + wh])
    return np.round(boxes) if grid else boxes


@pytest.mark.parametrize("off", [0.0, 1.0])
def test_overlap_pairs_are_the_nonzero_entries_of_iou_matrix(off: float) -> None:
    """Sparse pairs = the dense matrix's non-zero entries, bit for bit, in row-major order
    (empty and huge boxes, integer coordinates with touching edges, empty sets)."""
    rng = np.random.default_rng(0)
    for trial in range(300):
        n, m = rng.integers(0, 60, 2)
        a = _boxes(rng, n, huge=0.05, grid=trial % 3 == 0)
        b = _boxes(rng, m, huge=0.05, grid=trial % 3 == 0)
        dense = iou_matrix(a, b, off)
        np.testing.assert_array_equal(overlap.iou_dense(a, b, off), dense)
        rows, cols, vals = overlap.overlap_pairs(a, b, off)
        nz = np.nonzero(dense)
        np.testing.assert_array_equal(rows, nz[0], err_msg=f"trial {trial}")
        np.testing.assert_array_equal(cols, nz[1], err_msg=f"trial {trial}")
        np.testing.assert_array_equal(vals, dense[nz], err_msg=f"trial {trial}")


def _best_matching(n: int, m: int, rows: np.ndarray, cols: np.ndarray, w: np.ndarray) -> set:
    """The maximum-weight matching by a dense solve (the oracle)."""
    gain = np.zeros((n, m))
    gain[rows, cols] = w
    r, c = linear_sum_assignment(-gain)
    keep = gain[r, c] > 0
    return set(zip(r[keep].tolist(), c[keep].tolist()))


def test_forced_pairs_belong_to_the_maximum_matching() -> None:
    """Every forced edge is in the (unique) maximum-weight matching, and the sparse solve
    of the rest completes it exactly."""
    rng = np.random.default_rng(1)
    forced_total = 0
    for trial in range(200):
        n, m = rng.integers(1, 40, 2)
        a, b = _boxes(rng, n), _boxes(rng, m)
        rows, cols, iou = overlap.overlap_pairs(a, b, 0.0)
        if not rows.size:
            continue
        best = _best_matching(n, m, rows, cols, iou)
        forced, _ = matching.forced_pairs(rows, cols, iou, n, m)
        fixed = set(zip(rows[forced].tolist(), cols[forced].tolist()))
        assert fixed <= best, f"trial {trial}"
        forced_total += len(fixed)
        trk, det, _ = _max_iou_matching(n, m, rows, cols, iou)
        assert set(zip(trk.tolist(), det.tolist())) == best, f"trial {trial}"
        assert np.all(np.diff(det) > 0)
    assert forced_total > 100  # the rule does fire


def test_forced_pairs_leave_a_close_call_to_the_solver() -> None:
    """A pair that is each end's best but outweighed by the two pairs it would exclude
    (0.35 against 0.2 + 0.2) is not forced, and the solver takes the two."""
    rows, cols = np.array([0, 0, 1]), np.array([0, 1, 0])
    iou = np.array([0.35, 0.2, 0.2])
    forced, undecided = matching.forced_pairs(rows, cols, iou, 2, 2)
    assert not forced.any() and undecided.all()
    trk, det, _ = _max_iou_matching(2, 2, rows, cols, iou)
    assert set(zip(trk.tolist(), det.tolist())) == {(0, 1), (1, 0)}
    forced, _ = matching.forced_pairs(rows, cols, np.array([0.45, 0.2, 0.2]), 2, 2)
    assert forced.tolist() == [True, False, False]


def _store_with_tracks(motion, fmt: str, rng: np.random.Generator, n: int) -> TrackStore:
    store = TrackStore(motion, fmt)
    xyxy = _boxes(rng, n) + np.array([0, 0, 5, 5])
    store.spawn(Detections(xyxy, rng.random(n)), np.arange(n))
    return store


@pytest.mark.parametrize(
    "motion, fmt", [(ConstantVelocityXYSR(), "xysr"), (ConstantVelocityXYAH(), "xyah")]
)
def test_table_kernels_equal_the_numpy_filter(motion, fmt: str) -> None:
    """predict / correct / boxes / measurements through the store = the NumPy filter."""
    rng = np.random.default_rng(2)
    store = _store_with_tracks(motion, fmt, rng, 12)
    # Some shrinking boxes, so SORT's area-velocity clamp fires.
    store._data[::3, store._keys["mean"].start + motion.ndim - 1] = -1e6
    mean, cov = store.mean.copy(), store.covariance.copy()
    for _ in range(3):
        store.predict()
        mean, cov = motion.predict(mean, cov)
        np.testing.assert_allclose(store.mean, mean, rtol=1e-13, atol=1e-9)
        np.testing.assert_allclose(store.covariance, cov, rtol=1e-13, atol=1e-9)
    dets = Detections(_boxes(rng, 12) + np.array([0, 0, 5, 5]), rng.random(12))
    to_state = xyxy_to_xysr if fmt == "xysr" else xyxy_to_xyah
    np.testing.assert_array_equal(store.measurements(dets), to_state(dets.xyxy))
    rows, det_rows = np.array([0, 3, 5, 11]), np.array([7, 1, 2, 0])
    store.correct(rows, dets, det_rows)
    m2, c2 = motion.update(mean[rows], cov[rows], to_state(dets.xyxy)[det_rows])
    np.testing.assert_allclose(store.mean[rows], m2, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(store.covariance[rows], c2, rtol=1e-12, atol=1e-9)
    to_xyxy = xysr_to_xyxy if fmt == "xysr" else xyah_to_xyxy
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(store.boxes(), to_xyxy(store.mean))
    np.testing.assert_array_equal(store.hits[rows], 1)
    np.testing.assert_array_equal(np.delete(store.hits, rows), 0)
    np.testing.assert_array_equal(store.det_index[rows], det_rows)


def test_correct_with_a_full_innovation_covariance_solves() -> None:
    """A non-diagonal S takes the solve branch and still equals the NumPy filter."""
    rng = np.random.default_rng(3)
    motion = ConstantVelocityXYSR()
    store = _store_with_tracks(motion, "xysr", rng, 4)
    cov_cols = store._keys["covariance"]
    cov = store.covariance.copy()
    cov[:, 0, 1] = cov[:, 1, 0] = 2.0  # correlated x and y
    store._data[:, cov_cols] = cov.reshape(4, -1)
    mean = store.mean.copy()
    dets = Detections(_boxes(rng, 4) + np.array([0, 0, 5, 5]), np.ones(4))
    store.correct(np.arange(4), dets, np.arange(4))
    m2, c2 = motion.update(mean, cov, xyxy_to_xysr(dets.xyxy))
    np.testing.assert_allclose(store.mean, m2, rtol=1e-12)
    np.testing.assert_allclose(store.covariance, c2, rtol=1e-12, atol=1e-12)


def test_fast_row_validation_accepts_exactly_what_detections_accepts() -> None:
    """The one-pass check of raw rows agrees with the Detections constructor on every row."""
    rng = np.random.default_rng(4)
    bad_values = [np.nan, np.inf, -np.inf, 2e8, 0.5, 2.0**60]
    for trial in range(400):
        rows = np.column_stack([_boxes(rng, 3), rng.random(3), rng.integers(0, 5, 3)])
        if trial % 2:
            rows = rows[:, :5]
        i, j = rng.integers(0, 3), rng.integers(0, rows.shape[1])
        rows[i, j] = bad_values[trial % len(bad_values)] if trial % 4 else rows[i, j]
        if trial % 7 == 0:
            rows[i, [0, 2]] = rows[i, [2, 0]] + np.array([1, 0])  # x2 < x1
        try:
            Detections(rows[:, :4], rows[:, 4], rows[:, 5] if rows.shape[1] == 6 else None)
            ok = True
        except ValueError:
            ok = False
        fast_ok = validate.first_invalid_row(rows, MAX_COORDINATE, 2.0**53) < 0
        assert fast_ok == ok, f"trial {trial}: {rows.tolist()}"


def test_sparse_solve_finds_the_maximum_matching() -> None:
    """The sparse reduction (used for large undecided rests) = the dense optimum."""
    rng = np.random.default_rng(5)
    for trial in range(60):
        n, m = rng.integers(1, 80, 2)
        rows, cols, iou = overlap.overlap_pairs(_boxes(rng, n), _boxes(rng, m), 0.0)
        if not rows.size:
            continue
        edges = _sparse_solve(cols, rows, iou, np.arange(rows.size), m, n)
        got = set(zip(rows[edges].tolist(), cols[edges].tolist()))
        assert got == _best_matching(n, m, rows, cols, iou), f"trial {trial}"
        # Weights above 1 (FairMOT's limit - cost can be anything positive): same optimum.
        edges = _sparse_solve(cols, rows, 5.0 * iou, np.arange(rows.size), m, n)
        assert set(zip(rows[edges].tolist(), cols[edges].tolist())) == got, f"trial {trial}"


def test_max_weight_matching_of_a_large_undecided_rest() -> None:
    """A crowd whose undecided rest exceeds the dense bound goes through the sparse solve and
    still finds the maximum matching."""
    rng = np.random.default_rng(9)
    n = m = 400
    a = _boxes(rng, n)
    b = a + rng.normal(0, 2.0, a.shape)  # every box near several others: many open edges
    rows, cols, iou = overlap.overlap_pairs(a, b, 0.0)
    _, undecided = matching.forced_pairs(rows, cols, iou, n, m)
    assert np.unique(rows[undecided]).size * np.unique(cols[undecided]).size > 4096
    edges = max_weight_matching(rows, cols, iou, n, m)
    got = set(zip(rows[edges].tolist(), cols[edges].tolist()))
    assert got == _best_matching(n, m, rows, cols, iou)


@pytest.mark.parametrize("n_tracks, n_dets", [(9, 7), (400, 300)], ids=["all-pairs", "grid"])
def test_gate_lists_exactly_the_dense_gates_pairs(n_tracks: int, n_dets: int) -> None:
    """TrackStore.gate (compiled; all pairs or the grid) = the dense gating distance: the same
    pairs and the same floats, for fresh, predicted and long-lost (wide-gate) tracks."""
    rng = np.random.default_rng(6)
    motion = ConstantVelocityXYAH()
    store = _store_with_tracks(motion, "xyah", rng, n_tracks)
    for k in range(6):  # gates of different widths: some tracks predicted many times
        store.predict(np.arange(0, n_tracks, k + 2))
    boxes = store.boxes()[rng.permutation(n_tracks)[:n_dets]]
    boxes = boxes + rng.normal(0, 1.5, boxes.shape)
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
    dets = Detections(boxes, np.ones(n_dets))
    rows = np.arange(0, n_tracks, 1 + (n_tracks > 100))
    dense = motion.gating_distance(*store.gaussian(rows), store.measurements(dets))
    want_t, want_d = np.nonzero(dense <= 9.4877)
    track, det, d2 = store.gate(rows, dets, 9.4877)
    assert want_t.size > n_tracks // 4  # the gate lets pairs through
    np.testing.assert_array_equal(track, want_t)
    np.testing.assert_array_equal(det, want_d)
    np.testing.assert_array_equal(d2, dense[want_t, want_d])


@pytest.mark.parametrize("n_tracks", [5, 300], ids=["all-pairs", "grid"])
def test_gate_with_a_full_covariance_equals_the_dense_cholesky_form(n_tracks: int) -> None:
    """A correlated (non-diagonal) innovation covariance is gated with its Cholesky factor:
    the pairs of the dense Cholesky form, distances to 1e-12 (LAPACK's factor may differ in
    the last bits)."""
    rng = np.random.default_rng(7)
    motion = ConstantVelocityXYAH()
    store = _store_with_tracks(motion, "xyah", rng, n_tracks)
    cov = store.covariance.copy()
    cov[:, 0, 1] = cov[:, 1, 0] = 0.9 * np.sqrt(cov[:, 0, 0] * cov[:, 1, 1])
    store._data[:, store._keys["covariance"]] = cov.reshape(n_tracks, -1)
    boxes = store.boxes() + rng.normal(0, 3, (n_tracks, 4)) + [0, 0, 9, 9]
    dets = Detections(boxes, np.ones(n_tracks))
    dense = motion.gating_distance(store.mean, cov, store.measurements(dets))
    track, det, d2 = store.gate(np.arange(n_tracks), dets, 9.4877)
    assert track.size >= n_tracks // 2
    np.testing.assert_array_equal(np.column_stack([track, det]), np.argwhere(dense <= 9.4877))
    np.testing.assert_allclose(d2, dense[track, det], rtol=1e-12)


def test_pair_distances_equal_the_dense_appearance_costs() -> None:
    """cosine_pairs = SciPy's cdist cosine (FairMOT); the ring gallery's pair distances = its
    dense distance (deep_sort's nearest neighbour), at every listed pair."""
    from scipy.spatial.distance import cdist

    from mottrack.deepsort.gallery import FeatureGallery
    from mottrack.embeddings import unit_rows
    from mottrack.side_tables import SmoothedEmbeddings

    rng = np.random.default_rng(8)
    for dim in (1, 7, 128):
        smooth = SmoothedEmbeddings(0.9)
        smooth.spawn(unit_rows(rng.normal(size=(30, dim)), np.float64, "x"))
        smooth.correct(np.arange(0, 30, 3), unit_rows(rng.normal(size=(10, dim)), np.float64, "x"))
        queries = unit_rows(rng.normal(size=(20, dim)), np.float64, "q")
        rows = rng.permutation(30)[:12]
        track, col = np.nonzero(rng.random((12, 20)) < 0.4)
        dense = np.maximum(0.0, cdist(smooth.features[rows], queries, "cosine"))
        got = smooth.pair_distance(rows, track, col, queries)
        np.testing.assert_allclose(got, dense[track, col], rtol=0, atol=1e-15)

        gallery = FeatureGallery(budget=5)
        gallery.spawn(unit_rows(rng.normal(size=(30, dim)), np.float32, "x"))
        for _ in range(7):
            some = rng.permutation(30)[:20]
            gallery.correct(some, unit_rows(rng.normal(size=(20, dim)), np.float32, "x"))
        q32 = queries.astype(np.float32)
        dense32 = gallery.distance(rows, q32)
        got32 = gallery.pair_distance(rows, track, col, q32)
        assert got32.dtype == np.float32
        np.testing.assert_allclose(got32, dense32[track, col], rtol=0, atol=2e-6)


def test_limit_square_solves_as_linear_assignment_limit() -> None:
    """The compiled small ``limit`` path (square problem + pairs) returns what
    ``linear_assignment(method="limit")`` returns on the dense matrix, with forbidden entries,
    costs large enough to be rescaled, ties and empty rows."""
    from mottrack.association import linear_assignment
    from mottrack.association.sparse import limit_assignment

    rng = np.random.default_rng(10)
    for trial in range(300):
        n_a, n_b = (int(v) for v in rng.integers(0, 9, 2))
        dense = rng.choice([0.1, 0.25, 0.3, 0.45, 0.8, np.inf], size=(n_a, n_b))
        dense = np.where(rng.random((n_a, n_b)) < 0.5, rng.random((n_a, n_b)), dense)
        if trial % 5 == 0:
            dense = dense * 1e5  # rescaled before lapjv
        limit = [0.4, 0.7, 4e4][trial % 3]
        fill = np.inf if trial % 2 else max(1.0, limit)
        listed = dense != fill
        a, b = np.nonzero(listed)
        want = linear_assignment(np.where(listed, dense, fill), limit, method="limit")
        rows, cols = limit_assignment(a, b, dense[a, b], (n_a, n_b), limit, fill)
        np.testing.assert_array_equal(rows, want.matches[:, 0], err_msg=f"trial {trial}")
        np.testing.assert_array_equal(cols, want.matches[:, 1], err_msg=f"trial {trial}")


def test_unit_rows_fast_path_equals_numpy() -> None:
    """The compiled float64 unit_rows uses NumPy's pairwise sums: the same floats as the NumPy
    expression, for every row length (blocks of 8, the tail, the recursive split)."""
    from mottrack.compiled.norms import unit_rows64

    rng = np.random.default_rng(11)
    for d in (1, 3, 7, 8, 9, 64, 127, 128, 129, 200, 264, 300, 512):
        f = rng.normal(size=(50, d)) * rng.uniform(1e-3, 1e3, (50, 1))
        ok, out = unit_rows64(f)
        assert ok
        np.testing.assert_array_equal(out, f / np.sqrt((f * f).sum(axis=1, keepdims=True)))
    assert not unit_rows64(np.zeros((2, 3)))[0]  # a zero row: the NumPy path names it


def test_smoothed_unit_rows_equal_the_numpy_update() -> None:
    """JDE's embedding update compiled: the floats of the NumPy expression."""
    from mottrack.compiled.norms import smoothed_unit_rows
    from mottrack.embeddings import unit_rows

    rng = np.random.default_rng(12)
    old = unit_rows(rng.normal(size=(20, 128)), np.float64)
    new = unit_rows(rng.normal(size=(6, 128)), np.float64)
    rows = np.array([3, 0, 19, 7, 8, 11])
    ok, got = smoothed_unit_rows(old, rows, new, 0.9, 1.0 - 0.9)
    blend = 0.9 * old[rows] + (1.0 - 0.9) * new
    assert ok
    np.testing.assert_array_equal(got, blend / np.sqrt((blend * blend).sum(axis=1, keepdims=True)))
    assert not smoothed_unit_rows(old, rows[:1], -old[rows[:1]], 0.5, 0.5)[0]  # zero blend
