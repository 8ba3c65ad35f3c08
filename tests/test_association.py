"""Association: solve / linear_assignment against brute force, gating and IoU cost."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.stats import chi2

from mottrack.association import (
    CHI2INV95,
    Assignment,
    gate,
    iou_cost,
    linear_assignment,
    solve,
)
from mottrack.boxes import iou_matrix

# Costs on a 0.25 grid (exact in binary, plenty of ties) plus forbidden entries.
GRID = [i * 0.25 for i in range(13)]
entries = st.sampled_from([*GRID, np.inf])


@st.composite
def cost_matrices(draw, min_side=0, max_side=5):
    n = draw(st.integers(min_side, max_side))
    m = draw(st.integers(min_side, max_side))
    return draw(hnp.arrays(np.float64, (n, m), elements=entries))


# Thresholds between and on grid points; thr + 1e-5 never lands on the grid.
thresholds = st.sampled_from([0.1, 0.5, 0.8, 1.0, 1.3, 1.75, 2.0, 2.6, 3.0])
# Overall cost magnitudes: lapjv itself goes wrong above ~1e6, the wrapper must not.
scales = st.sampled_from([1.0, 1e-3, 1e7, 3e9])


# -- brute force ------------------------------------------------------------------------------
def full_assignments(n, m):
    """Every assignment of min(n, m) pairs, as lists of (row, col)."""
    if n <= m:
        for cols in itertools.permutations(range(m), n):
            yield list(zip(range(n), cols, strict=True))
    else:
        for rows in itertools.permutations(range(n), m):
            yield list(zip(rows, range(m), strict=True))


def partial_matchings(allowed, row=0, used=frozenset()):
    """Every matching (any size) that only uses pairs where ``allowed`` is true."""
    if row == allowed.shape[0]:
        yield []
        return
    yield from partial_matchings(allowed, row + 1, used)
    for col in range(allowed.shape[1]):
        if allowed[row, col] and col not in used:
            for rest in partial_matchings(allowed, row + 1, used | {col}):
                yield [(row, col), *rest]


def best_full(cost):
    """Lexicographic optimum over full assignments: fewest inf pairs, then least finite cost."""
    n, m = cost.shape
    best = None
    for pairs in full_assignments(n, m):
        vals = [cost[p] for p in pairs]
        key = (sum(np.isinf(v) for v in vals), sum(v for v in vals if np.isfinite(v)))
        if best is None or key[0] < best[0] or (key[0] == best[0] and key[1] < best[1] - 1e-9):
            best = key
    return best


def check_partition(result: Assignment, n, m):
    """matches, unmatched_rows and unmatched_cols partition the rows and the columns."""
    matches = result.matches
    assert matches.dtype == np.int64 and matches.shape == (len(matches), 2)
    assert result.unmatched_rows.dtype == np.int64 and result.unmatched_cols.dtype == np.int64
    rows, cols = matches[:, 0], matches[:, 1]
    assert np.all(np.diff(rows) > 0), "matches are sorted by row, rows unique"
    assert len(set(cols.tolist())) == len(cols), "each column matched at most once"
    assert np.all(np.diff(result.unmatched_rows) > 0)
    assert np.all(np.diff(result.unmatched_cols) > 0)
    assert sorted([*rows.tolist(), *result.unmatched_rows.tolist()]) == list(range(n))
    assert sorted([*cols.tolist(), *result.unmatched_cols.tolist()]) == list(range(m))


# -- solve ------------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(cost=cost_matrices(), scale=scales)
def test_solve_is_min_cost_full_assignment(cost, scale):
    """solve's assignment is optimal among min(N, M)-pair assignments; inf pairs reported -1."""
    cost = cost * scale
    n, m = cost.shape
    row_to_col, col_to_row = solve(cost)
    assert row_to_col.shape == (n,) and col_to_row.shape == (m,)
    rows = np.flatnonzero(row_to_col >= 0)
    for i in range(n):
        if row_to_col[i] >= 0:
            assert col_to_row[row_to_col[i]] == i
    assert np.count_nonzero(col_to_row >= 0) == len(rows)
    matched = cost[rows, row_to_col[rows]]
    assert np.all(np.isfinite(matched)), "forbidden pairs are never reported"
    if n and m:
        n_inf, finite_cost = best_full(cost)
        assert len(rows) == min(n, m) - n_inf
        assert matched.sum() == pytest.approx(finite_cost, abs=1e-9 * scale)
    else:
        assert len(rows) == 0


def test_solve_known_values_and_input_untouched():
    """A 3x2 example with a unique optimum; the input matrix is not modified."""
    cost = np.array([[4.0, 1.0], [2.0, 0.5], [3.0, 2.0]])  # optimum (0,1)+(1,0) = 3
    before = cost.copy()
    row_to_col, col_to_row = solve(cost)
    np.testing.assert_array_equal(row_to_col, [1, 0, -1])
    np.testing.assert_array_equal(col_to_row, [1, 0])
    np.testing.assert_array_equal(cost, before)


# -- linear_assignment, "clip" ----------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(cost=cost_matrices(), threshold=thresholds, scale=scales)
def test_clip_is_thresholded_min_cost_assignment(cost, threshold, scale):
    """Matched pairs cost <= threshold and, with the dropped pairs at threshold + 1e-5, form a
    min-cost full assignment of the clipped matrix."""
    cost, threshold = cost * scale, threshold * scale
    n, m = cost.shape
    before = cost.copy()
    result = linear_assignment(cost, threshold=threshold, method="clip")
    np.testing.assert_array_equal(cost, before)
    check_partition(result, n, m)
    matched = cost[result.matches[:, 0], result.matches[:, 1]]
    assert np.all(matched <= threshold)
    if n and m:
        clipped = np.minimum(cost, threshold + 1e-5)
        n_inf, best = best_full(clipped)
        assert n_inf == 0
        dropped = min(n, m) - len(matched)
        total = matched.sum() + dropped * (threshold + 1e-5)
        assert total == pytest.approx(best, abs=1e-9 * scale)


@settings(max_examples=100, deadline=None)
@given(cost=cost_matrices(), scale=scales, method=st.sampled_from(["clip", "limit"]))
def test_no_threshold_maximises_allowed_pairs(cost, scale, method):
    """With threshold=inf: as many finite pairs as possible, then the least total cost."""
    cost = cost * scale
    n, m = cost.shape
    result = linear_assignment(cost, method=method)
    check_partition(result, n, m)
    matched = cost[result.matches[:, 0], result.matches[:, 1]]
    assert np.all(np.isfinite(matched))
    if n and m:
        n_inf, best = best_full(cost)
        assert len(matched) == min(n, m) - n_inf
        assert matched.sum() == pytest.approx(best, abs=1e-9 * scale)


def test_clip_known_example():
    """deep_sort semantics: solve on the clipped matrix, then drop pairs above the threshold."""
    cost = np.array([[0.1, 0.9], [0.2, 0.95], [np.inf, 0.3]])
    result = linear_assignment(cost, threshold=0.5, method="clip")
    np.testing.assert_array_equal(result.matches, [[0, 0], [2, 1]])
    np.testing.assert_array_equal(result.unmatched_rows, [1])
    assert result.unmatched_cols.size == 0


# -- linear_assignment, "limit" ---------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(cost=cost_matrices(), threshold=thresholds, scale=scales)
def test_limit_maximises_savings_below_threshold(cost, threshold, scale):
    """sum(cost - threshold) over matched pairs is the minimum over all partial matchings of
    pairs cheaper than the threshold (JDE's lapjv with cost_limit)."""
    cost, threshold = cost * scale, threshold * scale
    n, m = cost.shape
    result = linear_assignment(cost, threshold=threshold, method="limit")
    check_partition(result, n, m)
    matched = cost[result.matches[:, 0], result.matches[:, 1]]
    assert np.all(matched <= threshold), "a pair at exactly the threshold is a tie, never worse"
    got = float(np.sum(matched - threshold))
    allowed = cost < threshold
    best = min(sum(cost[p] - threshold for p in mt) for mt in partial_matchings(allowed))
    assert got == pytest.approx(best, abs=1e-9 * scale)


def test_limit_differs_from_solve_then_threshold():
    """The module docstring's point: 'limit' is not an unthresholded solve plus a cut."""
    cost = np.array([[0.1, 0.6], [0.45, 2.0]])
    # the min-cost full assignment is (0,1)+(1,0) = 1.05; both pairs are under 0.7
    row_to_col, _ = solve(cost)
    np.testing.assert_array_equal(row_to_col, [1, 0])
    # limit: savings (0.7-0.6)+(0.7-0.45) = 0.35 < (0.7-0.1) = 0.6 alone -> only (0, 0)
    np.testing.assert_array_equal(linear_assignment(cost, 0.7, "limit").matches, [[0, 0]])
    # clip clips first, so it agrees with limit here
    np.testing.assert_array_equal(linear_assignment(cost, 0.7, "clip").matches, [[0, 0]])


@pytest.mark.parametrize("n,m", [(1, 1), (2, 2), (2, 3), (3, 1)])
def test_limit_without_threshold_never_matches_forbidden_pairs(n, m):
    """method='limit' with the default threshold=inf must still treat np.inf as forbidden."""
    cost = np.full((n, m), np.inf)
    result = linear_assignment(cost, method="limit")
    assert result.matches.shape == (0, 2)
    np.testing.assert_array_equal(result.unmatched_rows, np.arange(n))
    np.testing.assert_array_equal(result.unmatched_cols, np.arange(m))


def test_solve_keeps_avoidable_forbidden_pairs_out():
    """Row 0 can take column 0 at cost 0; only row 1 is forced onto a forbidden pair."""
    cost = np.array([[0.0, np.inf], [np.inf, np.inf]])
    row_to_col, col_to_row = solve(cost)
    np.testing.assert_array_equal(row_to_col, [0, -1])
    np.testing.assert_array_equal(col_to_row, [0, -1])
    np.testing.assert_array_equal(linear_assignment(cost).matches, [[0, 0]])


def test_solve_large_finite_costs():
    """Finite costs above 1e6 are still solved optimally (3e7 beats 2e7 + 2e7)."""
    row_to_col, _ = solve(np.array([[0.0, 2e7], [2e7, 3e7]]))
    np.testing.assert_array_equal(row_to_col, [0, 1])


def test_limit_without_threshold_is_min_cost_assignment_of_finite_pairs():
    """threshold=inf: every row is matched when all pairs are finite (full min-cost solve)."""
    cost = np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]])
    result = linear_assignment(cost, method="limit")
    np.testing.assert_array_equal(result.matches, [[0, 1], [1, 0], [2, 2]])


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_limit_rejects_non_positive_threshold(bad):
    with pytest.raises(ValueError, match="threshold"):
        linear_assignment(np.ones((2, 2)), threshold=bad, method="limit")


# -- shared errors and edge cases -------------------------------------------------------------
@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (4, 0)])
@pytest.mark.parametrize("method", ["clip", "limit"])
def test_empty_matrices(shape, method):
    """Zero rows or columns: nothing matched, everything unmatched, (0, 2) matches."""
    cost = np.zeros(shape)
    result = linear_assignment(cost, threshold=1.0, method=method)
    assert result.matches.shape == (0, 2)
    np.testing.assert_array_equal(result.unmatched_rows, np.arange(shape[0]))
    np.testing.assert_array_equal(result.unmatched_cols, np.arange(shape[1]))
    row_to_col, col_to_row = solve(cost)
    np.testing.assert_array_equal(row_to_col, np.full(shape[0], -1))
    np.testing.assert_array_equal(col_to_row, np.full(shape[1], -1))


@pytest.mark.parametrize(
    "call",
    [
        lambda c: solve(c),
        lambda c: linear_assignment(c),
        lambda c: linear_assignment(c, 1.0, "clip"),
        lambda c: linear_assignment(c, 1.0, "limit"),
    ],
)
def test_nan_cost_raises(call):
    cost = np.array([[0.1, np.nan], [0.2, 0.3]])
    with pytest.raises(ValueError, match="NaN"):
        call(cost)


@pytest.mark.parametrize("cost", [np.ones(3), np.ones((2, 2, 2)), 1.0])
def test_non_matrix_cost_raises(cost):
    with pytest.raises(ValueError, match="cost"):
        solve(cost)
    with pytest.raises(ValueError, match="cost"):
        linear_assignment(cost)


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="method"):
        linear_assignment(np.ones((2, 2)), 1.0, method="greedy")  # type: ignore[arg-type]


# -- gating -----------------------------------------------------------------------------------
@settings(max_examples=50, deadline=None)
@given(
    dist=hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 5), st.integers(0, 5)),
        elements=st.floats(0, 20, allow_nan=False),
    ),
    threshold=st.floats(0, 20),
    gated=st.sampled_from([np.inf, 1e5]),
)
def test_gate_forbids_exactly_the_far_pairs(dist, threshold, gated):
    """Entries with distance > threshold take gated_cost, the others keep their cost."""
    cost = np.arange(dist.size, dtype=np.float64).reshape(dist.shape) / 7.0
    before, dist_before = cost.copy(), dist.copy()
    out = gate(cost, dist, threshold=threshold, gated_cost=gated)
    far = dist > threshold
    np.testing.assert_array_equal(out[far], gated)
    np.testing.assert_array_equal(out[~far], cost[~far])
    np.testing.assert_array_equal(cost, before)
    np.testing.assert_array_equal(dist, dist_before)
    assert not np.shares_memory(out, cost)


def test_gate_default_threshold_and_value():
    """Default is the 4-d.o.f. 95% chi-square gate and np.inf; the boundary itself is kept."""
    cost = np.zeros((1, 3))
    out = gate(cost, np.array([[9.4877, 9.48771, 0.0]]))
    np.testing.assert_array_equal(out, [[0.0, np.inf, 0.0]])


def test_gate_shape_mismatch_raises():
    with pytest.raises(ValueError, match="gating_distance"):
        gate(np.zeros((2, 3)), np.zeros((3, 2)))


def test_chi2inv95_table_matches_chi_square_quantiles():
    """The rounded table agrees with scipy's 0.95 quantiles to the printed precision."""
    assert sorted(CHI2INV95) == list(range(1, 10))
    for dof, value in CHI2INV95.items():
        assert value == pytest.approx(chi2.ppf(0.95, dof), abs=6e-4)
    assert CHI2INV95[4] == 9.4877  # deep_sort's literal value


# -- iou_cost ---------------------------------------------------------------------------------
@pytest.mark.parametrize("pixel_offset", [0.0, 1.0])
def test_iou_cost_is_one_minus_iou(pixel_offset):
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (6, 2))
    a = np.hstack([xy[:4], xy[:4] + rng.uniform(1, 30, (4, 2))])
    b = np.hstack([xy[2:], xy[2:] + rng.uniform(1, 30, (4, 2))])
    cost = iou_cost(a, b, pixel_offset=pixel_offset)
    assert cost.shape == (4, 4)
    np.testing.assert_array_equal(cost, 1.0 - iou_matrix(a, b, pixel_offset=pixel_offset))
    assert np.all((cost >= 0) & (cost <= 1))
    np.testing.assert_allclose(iou_cost(a, a).diagonal(), 0.0, atol=1e-15)


@pytest.mark.parametrize("offset", [0.0, 1.0])
def test_iou_pairs_list_the_iou_matrix(offset: float) -> None:
    """Overlapping pairs are exactly the positive entries of iou_matrix (the same floats);
    ``every=True`` lists every entry, zeros included, row-major."""
    from mottrack.association.costs import iou_pairs
    from mottrack.boxes import iou_matrix

    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 300, (40, 2))
    a = np.hstack([xy, xy + rng.uniform(5, 60, (40, 2))])
    b = a[::-1] + rng.normal(0, 8, a.shape)
    b[:, 2:] = np.maximum(b[:, 2:], b[:, :2] + 1)
    dense = iou_matrix(a, b, offset)
    i, j, iou = iou_pairs(a, b, offset)
    np.testing.assert_array_equal(np.column_stack([i, j]), np.argwhere(dense > 0))
    np.testing.assert_array_equal(iou, dense[i, j])
    i, j, iou = iou_pairs(a, b, offset, every=True)
    assert i.size == dense.size and (iou == 0).any()
    np.testing.assert_array_equal(iou, dense[i, j])
