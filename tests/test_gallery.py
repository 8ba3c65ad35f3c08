"""The array feature gallery against per-track Python lists (deep_sort's metric)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mottrack.deepsort.gallery import FeatureGallery
from mottrack.deepsort.unbounded_gallery import UnboundedGallery
from mottrack.embeddings import unit_rows as normalize_features


def _list_distance(samples: list[np.ndarray], feats: np.ndarray) -> np.ndarray:
    a = np.asarray(samples, np.float32)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    return (1.0 - a @ feats.T).min(axis=0)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([None, 1, 3, 5, "unbounded"]))
def test_gallery_equals_per_track_lists(seed: int, budget: int | str | None) -> None:
    rng = np.random.default_rng(seed)
    dim = 6
    if budget == "unbounded":
        gallery, budget = UnboundedGallery(dim), None
    else:
        gallery = FeatureGallery(budget, dim)
    lists: list[list[np.ndarray]] = []
    for _ in range(12):
        op = rng.integers(3)
        if op == 0 or not lists:
            new = normalize_features(rng.standard_normal((int(rng.integers(1, 3)), dim)))
            gallery.spawn(new)
            lists += [[f] for f in new]
        elif op == 1:
            rows = rng.choice(len(lists), size=int(rng.integers(1, len(lists) + 1)), replace=False)
            feats = normalize_features(rng.standard_normal((len(rows), dim)))
            gallery.correct(rows.astype(np.int64), feats)
            for r, f in zip(rows, feats):
                lists[r] = (lists[r] + [f])[-budget:] if budget else lists[r] + [f]
        else:
            keep = rng.random(len(lists)) < 0.7
            gallery.keep(keep)
            lists = [x for x, k in zip(lists, keep) if k]
        assert len(gallery) == len(lists)
        if lists:
            query = normalize_features(rng.standard_normal((3, dim)))
            rows = np.arange(len(lists))
            got = gallery.distance(rows, query)
            want = np.stack([_list_distance(x, query) for x in lists])
            np.testing.assert_allclose(got, want, atol=1e-6)
            sub = rows[::2]
            np.testing.assert_allclose(gallery.distance(sub, query), want[::2], atol=1e-6)
            # Listed pairs only (the gated pairs of the cascade), empty lists included.
            track, col = np.nonzero(rng.random(want.shape) < 0.4)
            pairs = gallery.pair_distance(rows, track, col, query)
            np.testing.assert_allclose(pairs, want[track, col], atol=1e-6)


def test_distance_is_min_over_kept_features() -> None:
    gallery = FeatureGallery(budget=2, dim=2)
    gallery.spawn(np.array([[1.0, 0.0]], np.float32))
    q = np.array([[1.0, 0.0]], np.float32)
    assert gallery.distance(np.array([0]), q)[0, 0] == pytest.approx(0.0)
    gallery.correct(np.array([0]), np.array([[0.0, 1.0]], np.float32))
    gallery.correct(np.array([0]), np.array([[-1.0, 0.0]], np.float32))  # [1, 0] falls out
    assert gallery.distance(np.array([0]), q)[0, 0] == pytest.approx(1.0)


def test_normalize_rejects_zero_rows() -> None:
    with pytest.raises(ValueError, match="row 1 is all zeros"):
        normalize_features(np.array([[1.0, 0.0], [0.0, 0.0]]))


def test_unbounded_gallery_memory_follows_the_features_kept() -> None:
    """One track seen for 2,000 frames beside 50 short-lived ones: the short ones hold their
    own few features (the ring array gave every track the longest track's capacity)."""
    rng = np.random.default_rng(0)
    dim = 32
    gallery = UnboundedGallery()
    gallery.spawn(normalize_features(rng.standard_normal((1, dim))))
    for _ in range(2000):
        gallery.correct(np.array([0]), normalize_features(rng.standard_normal((1, dim))))
    gallery.spawn(normalize_features(rng.standard_normal((50, dim))))
    kept = int(gallery.count.sum()) * dim * 4
    held = sum(a.nbytes for a in gallery.arrays)
    assert gallery.count.tolist() == [2001] + [1] * 50
    assert held <= 2 * kept
    gallery.keep(np.arange(51) > 0)  # the long track leaves: its memory goes with it
    assert sum(a.nbytes for a in gallery.arrays) == 50 * dim * 4


def test_deepsort_without_budget_uses_per_track_galleries() -> None:
    from mottrack import create_tracker

    assert isinstance(create_tracker("deepsort", nn_budget=None).gallery, UnboundedGallery)
    assert isinstance(create_tracker("deepsort").gallery, FeatureGallery)
