"""deep_sort's min-cost matching and matching cascade against a transcription of its rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from mottrack.association.cascade import matching_cascade, min_cost_matching


def _reference_min_cost(cost, thr, rows, cols):
    """deep_sort's ``min_cost_matching`` written out with Python lists, as its docs describe."""
    if not rows or not cols:
        return [], list(rows), list(cols)
    sub = cost[np.ix_(rows, cols)].copy()
    sub[sub > thr] = thr + 1e-5
    r_idx, c_idx = linear_sum_assignment(sub)
    matches, um_rows, um_cols = [], [], []
    for j, col in enumerate(cols):
        if j not in c_idx:
            um_cols.append(col)
    for i, row in enumerate(rows):
        if i not in r_idx:
            um_rows.append(row)
    for i, j in zip(r_idx, c_idx):
        if sub[i, j] > thr:
            um_rows.append(rows[i])
            um_cols.append(cols[j])
        else:
            matches.append((rows[i], cols[j]))
    return matches, um_rows, um_cols


def _reference_cascade(cost, thr, levels, depth):
    cols = list(range(cost.shape[1]))
    matches = []
    for level in range(depth):
        if not cols:
            break
        rows = [k for k in range(cost.shape[0]) if levels[k] == 1 + level]
        if not rows:
            continue
        m, _, cols = _reference_min_cost(cost, thr, rows, cols)
        matches += m
    unmatched = sorted(set(range(cost.shape[0])) - {k for k, _ in matches})
    return matches, unmatched, cols


@st.composite
def _problems(draw):
    n = draw(st.integers(0, 7))
    m = draw(st.integers(0, 7))
    # A coarse grid of values makes ties (and costs exactly at the threshold) common.
    values = st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1e5, np.inf])
    cost = np.array(draw(st.lists(values, min_size=n * m, max_size=n * m)), float).reshape(n, m)
    levels = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), int)
    return cost, levels


@settings(max_examples=300, deadline=None)
@given(_problems())
def test_cascade_equals_reference(problem) -> None:
    cost, levels = problem
    res = matching_cascade(cost, 0.2, levels, depth=3)
    want_matches, want_rows, want_cols = _reference_cascade(cost, 0.2, levels, 3)
    assert sorted(map(tuple, res.matches.tolist())) == sorted(want_matches)
    assert res.unmatched_rows.tolist() == want_rows
    assert res.unmatched_cols.tolist() == want_cols  # the order matters: it assigns new IDs


@settings(max_examples=300, deadline=None)
@given(_problems(), st.randoms(use_true_random=False))
def test_min_cost_matching_equals_reference(problem, rnd) -> None:
    cost, _ = problem
    rows = rnd.sample(range(cost.shape[0]), k=cost.shape[0])
    cols = rnd.sample(range(cost.shape[1]), k=cost.shape[1])
    res = min_cost_matching(cost, 0.2, rows, cols)
    want_matches, want_rows, want_cols = _reference_min_cost(cost, 0.2, rows, cols)
    assert sorted(map(tuple, res.matches.tolist())) == sorted(want_matches)
    assert res.unmatched_rows.tolist() == sorted(want_rows)
    assert res.unmatched_cols.tolist() == want_cols


def test_cascade_prefers_recent_tracks() -> None:
    # Both tracks fit detection 0 best; the one seen a frame ago (level 1) gets it.
    cost = np.array([[0.10, 0.15], [0.05, 0.9]])
    res = matching_cascade(cost, 0.2, levels=[1, 2], depth=30)
    assert res.matches.tolist() == [[0, 0]]
    assert res.unmatched_rows.tolist() == [1] and res.unmatched_cols.tolist() == [1]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="levels"):
        matching_cascade(np.zeros((2, 2)), 0.2, [1], 3)
    with pytest.raises(ValueError, match="NaN"):
        min_cost_matching(np.array([[np.nan]]), 0.2)
    with pytest.raises(ValueError, match="cols"):
        min_cost_matching(np.zeros((2, 2)), 0.2, cols=[3])


def test_scipy_pairs_an_all_equal_matrix_row_i_with_column_i() -> None:
    """The cascade's shortcut for all-clipped levels relies on this solver behaviour."""
    for n in range(1, 9):
        for m in range(1, 9):
            rows, cols = linear_sum_assignment(np.full((n, m), 0.20001))
            k = min(n, m)
            assert rows.tolist() == list(range(k)) and cols.tolist() == list(range(k)), (n, m)
