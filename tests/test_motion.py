"""Batched Kalman filters: against filterpy (the oracle), dense formulas and long random runs."""

from __future__ import annotations

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter
from hypothesis import given, settings
from hypothesis import strategies as st

from mottrack.motion import BatchedKalmanFilter, ConstantVelocityXYAH, ConstantVelocityXYSR

RTOL = 1e-9
WP, WV = 1.0 / 20, 1.0 / 160  # deep_sort's std_weight_position / std_weight_velocity

seeds = st.integers(min_value=0, max_value=2**32 - 1)


# -- comparison helpers -----------------------------------------------------------------------
def assert_mean_close(actual, desired, msg=""):
    """1e-9 relative, with entries near 0 judged against 1e-9 of the vector's largest entry."""
    desired = np.asarray(desired, dtype=np.float64)
    scale = float(np.abs(desired).max(initial=0.0))
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=RTOL * scale, err_msg=msg)


def assert_cov_close(actual, desired, msg=""):
    """1e-9 relative on the correlation scale: entry (i, j) is divided by sqrt(P_ii P_jj)."""
    desired = np.asarray(desired, dtype=np.float64)
    sd = np.sqrt(np.diagonal(desired))
    scale = np.outer(sd, sd)
    np.testing.assert_allclose(
        np.asarray(actual) / scale, desired / scale, rtol=RTOL, atol=RTOL, err_msg=msg
    )


def assert_matches_oracle(mean, cov, refs, where):
    """Batched state row ``i`` equals the filterpy oracle ``refs[i]`` (1e-9 relative)."""
    for i, kf in enumerate(refs):
        msg = f"{where} track {i}"
        assert_mean_close(mean[i], kf.x[:, 0], msg)
        assert_cov_close(cov[i], kf.P, msg)


def random_spd(rng, n, count, scale=10.0):
    """``count`` well-conditioned dense SPD matrices (off-diagonals everywhere)."""
    a = rng.normal(size=(count, n, n)) * np.sqrt(scale)
    return a @ np.swapaxes(a, 1, 2) + scale * np.eye(n)


def frozen(*arrays):
    """Read-only copies: any in-place write by the code under test raises."""
    out = []
    for arr in arrays:
        c = np.array(arr, dtype=np.float64)
        c.flags.writeable = False
        out.append(c)
    return out


# -- filterpy configured as abewley/sort's KalmanBoxTracker -----------------------------------
def sort_oracle(z):
    """filterpy filter with SORT's F, H, R, P, Q and initial state ``x[:4] = z``."""
    kf = KalmanFilter(dim_x=7, dim_z=4)
    f = np.eye(7)
    f[0, 4] = f[1, 5] = f[2, 6] = 1.0
    kf.F = f
    kf.H = np.eye(4, 7)
    kf.R[2:, 2:] *= 10.0
    kf.P[4:, 4:] *= 1000.0
    kf.P *= 10.0
    kf.Q[-1, -1] *= 0.01
    kf.Q[4:, 4:] *= 0.01
    kf.x[:4] = np.reshape(z, (4, 1))
    return kf


def sort_oracle_predict(kf):
    """SORT's predict: zero the area velocity when it would make the area <= 0. Returns clamped."""
    clamped = bool(kf.x[6, 0] + kf.x[2, 0] <= 0)
    if clamped:
        kf.x[6] = 0.0
    kf.predict()
    return clamped


def random_xysr(rng, n):
    """Independent random boxes in xysr; the wide area range makes SORT's clamp fire often."""
    return np.stack(
        [
            rng.uniform(0.0, 1920.0, n),
            rng.uniform(0.0, 1080.0, n),
            rng.uniform(50.0, 40000.0, n),
            rng.uniform(0.25, 2.5, n),
        ],
        axis=1,
    )


def run_sort_vs_filterpy(seed, n_tracks, p_update, steps=50):
    """Run our batched filter and one filterpy filter per track side by side; return #clamps."""
    rng = np.random.default_rng(seed)
    model = ConstantVelocityXYSR()
    z0 = random_xysr(rng, n_tracks)
    mean, cov = model.initiate(z0)
    refs = [sort_oracle(z) for z in z0]
    clamps = 0

    assert_matches_oracle(mean, cov, refs, "initiate")
    for step in range(steps):
        clamps += sum(sort_oracle_predict(kf) for kf in refs)
        mean, cov = model.predict(mean, cov)
        assert_matches_oracle(mean, cov, refs, f"predict step {step}")
        upd = rng.random(n_tracks) < p_update
        z = random_xysr(rng, n_tracks)
        if upd.any():
            m_u, c_u = model.update(mean[upd], cov[upd], z[upd])
            mean[upd] = m_u
            cov[upd] = c_u
            for i in np.flatnonzero(upd):
                refs[i].update(z[i].reshape(4, 1))
        assert_matches_oracle(mean, cov, refs, f"update step {step}")
    return clamps


# -- filterpy with deep_sort's height-scaled noise, set every step -----------------------------
def xyah_oracle(z, wp, wv):
    """filterpy filter with deep_sort's F, H and initial covariance (h from the measurement)."""
    kf = KalmanFilter(dim_x=8, dim_z=4)
    f = np.eye(8)
    f[np.arange(4), np.arange(4, 8)] = 1.0
    kf.F = f
    kf.H = np.eye(4, 8)
    kf.x[:4, 0] = z
    h = z[3]
    std = [2 * wp * h, 2 * wp * h, 1e-2, 2 * wp * h, 10 * wv * h, 10 * wv * h, 1e-5, 10 * wv * h]
    kf.P = np.diag(np.square(std))
    return kf


def xyah_oracle_predict(kf, wp, wv):
    """deep_sort's Q from the mean before the prediction."""
    h = kf.x[3, 0]
    std = [wp * h, wp * h, 1e-2, wp * h, wv * h, wv * h, 1e-5, wv * h]
    kf.Q = np.diag(np.square(std))
    kf.predict()


def xyah_oracle_update(kf, z, wp, wv):
    """deep_sort's R from the predicted mean (the one being corrected)."""
    h = kf.x[3, 0]
    r = np.diag(np.square([wp * h, wp * h, 1e-1, wp * h]))
    kf.update(np.reshape(z, (4, 1)), R=r)


class BoxWalk:
    """Moving boxes in xyah with noisy measurements (h stays positive)."""

    def __init__(self, rng, n):
        self.rng = rng
        self.state = np.stack(
            [
                rng.uniform(0, 1920, n),
                rng.uniform(0, 1080, n),
                rng.uniform(0.3, 0.8, n),
                rng.uniform(30, 400, n),
            ],
            axis=1,
        )
        self.vel = rng.normal(0, 5, (n, 2))

    def step(self):
        n = self.state.shape[0]
        self.state[:, :2] += self.vel + self.rng.normal(0, 1, (n, 2))
        self.state[:, 2] = np.clip(self.state[:, 2] + self.rng.normal(0, 0.01, n), 0.2, 1.0)
        self.state[:, 3] *= np.exp(self.rng.normal(0, 0.03, n))
        noise = self.rng.normal(0, 1, (n, 4)) * np.array([2.0, 2.0, 0.01, 2.0])
        return self.state + noise


def run_xyah_vs_filterpy(seed, n_tracks, p_update, wp, wv, steps=50):
    rng = np.random.default_rng(seed)
    model = ConstantVelocityXYAH(std_weight_position=wp, std_weight_velocity=wv)
    walk = BoxWalk(rng, n_tracks)
    z0 = walk.step()
    mean, cov = model.initiate(z0)
    refs = [xyah_oracle(z, wp, wv) for z in z0]

    assert_matches_oracle(mean, cov, refs, "initiate")
    for step in range(steps):
        for kf in refs:
            xyah_oracle_predict(kf, wp, wv)
        mean, cov = model.predict(mean, cov)
        assert_matches_oracle(mean, cov, refs, f"predict step {step}")
        upd = rng.random(n_tracks) < p_update
        z = walk.step()
        if upd.any():
            m_u, c_u = model.update(mean[upd], cov[upd], z[upd])
            mean[upd] = m_u
            cov[upd] = c_u
            for i in np.flatnonzero(upd):
                xyah_oracle_update(refs[i], z[i], wp, wv)
        assert_matches_oracle(mean, cov, refs, f"update step {step}")


# -- matrices and initiation ------------------------------------------------------------------
def test_xysr_matrices_match_sort_configuration():
    """F, H, R, Q and the initial covariance are exactly the ones SORT sets on filterpy."""
    model = ConstantVelocityXYSR()
    kf = sort_oracle(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(model.F, kf.F)
    np.testing.assert_array_equal(model.H, kf.H)
    np.testing.assert_array_equal(model.R, kf.R)
    np.testing.assert_array_equal(model.Q, kf.Q)
    _, cov = model.initiate(np.array([[1.0, 2.0, 3.0, 4.0]]))
    np.testing.assert_array_equal(cov[0], kf.P)
    assert model.ndim == 7 and model.mdim == 4


def test_xyah_transition_and_measurement_matrices():
    """deep_sort's model: 8-d constant velocity on all four measured entries."""
    model = ConstantVelocityXYAH()
    expected_f = np.eye(8)
    for i in range(4):
        expected_f[i, 4 + i] = 1.0
    np.testing.assert_array_equal(model.F, expected_f)
    np.testing.assert_array_equal(model.H, np.hstack([np.eye(4), np.zeros((4, 4))]))
    assert model.ndim == 8


def test_base_class_is_abstract():
    """The base filter cannot be used without a model's noise terms."""
    with pytest.raises(TypeError):
        BatchedKalmanFilter()  # type: ignore[abstract]


def test_xysr_initiate_shapes_and_values():
    """Means copy the measurement and start with zero velocity; covariance is P0 per track."""
    z = np.array([[10.0, 20.0, 300.0, 0.5], [1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 1.0, 1.0]])
    mean, cov = ConstantVelocityXYSR().initiate(z)
    assert mean.shape == (3, 7) and cov.shape == (3, 7, 7)
    np.testing.assert_array_equal(mean[:, :4], z)
    np.testing.assert_array_equal(mean[:, 4:], 0.0)
    p0 = np.diag([10.0, 10.0, 10.0, 10.0, 1e4, 1e4, 1e4])
    for c in cov:
        np.testing.assert_array_equal(c, p0)
    cov[0, 0, 0] = -1.0  # the rows are independent arrays, not views of one matrix
    assert cov[1, 0, 0] == 10.0


def test_xyah_initiate_shapes_and_values():
    """Initial std: 2 wp h (x, y, h), 1e-2 (a), 10 wv h (velocities), 1e-5 (a') with h measured."""
    z = np.array([[100.0, 50.0, 0.5, 80.0], [3.0, 4.0, 0.4, 200.0]])
    mean, cov = ConstantVelocityXYAH().initiate(z)
    assert mean.shape == (2, 8) and cov.shape == (2, 8, 8)
    np.testing.assert_array_equal(mean[:, :4], z)
    np.testing.assert_array_equal(mean[:, 4:], 0.0)
    for zi, c in zip(z, cov, strict=True):
        h = zi[3]
        std = np.array([2 * WP * h, 2 * WP * h, 1e-2, 2 * WP * h])
        std = np.concatenate([std, [10 * WV * h, 10 * WV * h, 1e-5, 10 * WV * h]])
        np.testing.assert_allclose(c, np.diag(std**2), rtol=1e-15, atol=0)


@pytest.mark.parametrize("model", [ConstantVelocityXYSR(), ConstantVelocityXYAH()])
def test_initiate_empty_and_bad_shapes(model):
    """Zero measurements give empty arrays; anything but (N, 4) raises ValueError."""
    n = model.ndim
    mean, cov = model.initiate(np.zeros((0, 4)))
    assert mean.shape == (0, n) and cov.shape == (0, n, n)
    for bad in (np.zeros(4), np.zeros((2, 5)), np.zeros((2, 3)), np.zeros((1, 2, 4))):
        with pytest.raises(ValueError, match="measurements"):
            model.initiate(bad)


# -- step-by-step agreement with filterpy -----------------------------------------------------
def test_xysr_matches_filterpy_and_exercises_clamp():
    """A fixed scenario where SORT's area-velocity clamp fires several times, all steps equal."""
    clamps = run_sort_vs_filterpy(seed=7, n_tracks=8, p_update=0.6, steps=60)
    assert clamps >= 3


@settings(max_examples=25, deadline=None)
@given(seed=seeds, n_tracks=st.integers(1, 8), p_update=st.floats(0.0, 1.0))
def test_xysr_matches_filterpy_random(seed, n_tracks, p_update):
    """Means and covariances equal filterpy's (to 1e-9) after every predict and update."""
    run_sort_vs_filterpy(seed, n_tracks, p_update)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, n_tracks=st.integers(1, 8), p_update=st.floats(0.0, 1.0))
def test_xyah_matches_filterpy_random(seed, n_tracks, p_update):
    """deep_sort's height-scaled noise: same means and covariances as filterpy every step."""
    run_xyah_vs_filterpy(seed, n_tracks, p_update, WP, WV)


def test_xyah_custom_weights_match_filterpy():
    """Non-default std weights are used everywhere (initiate, Q, R)."""
    run_xyah_vs_filterpy(seed=3, n_tracks=5, p_update=0.7, wp=0.1, wv=0.02, steps=30)


def test_xysr_predict_clamps_area_velocity():
    """Where s + s' <= 0 the velocity is zeroed before predicting; elsewhere it is kept."""
    model = ConstantVelocityXYSR()
    mean, cov = model.initiate(np.array([[0.0, 0.0, 100.0, 1.0]] * 3))
    mean[:, 6] = [-100.0, -150.0, -99.0]  # s + s' = 0 (clamped), < 0 (clamped), > 0 (kept)
    new_mean, _ = model.predict(mean, cov)
    np.testing.assert_array_equal(new_mean[:, 2], [100.0, 100.0, 1.0])
    np.testing.assert_array_equal(new_mean[:, 6], [0.0, 0.0, -99.0])


# -- project, update, gating against dense formulas -------------------------------------------
@pytest.mark.parametrize("model", [ConstantVelocityXYSR(), ConstantVelocityXYAH()])
def test_project_matches_dense(model):
    """project = (H x, H P H^T + R) with the model's R (height-scaled for xyah)."""
    rng = np.random.default_rng(0)
    n = model.ndim
    mean = rng.uniform(10, 200, (5, n))
    cov = random_spd(rng, n, 5)
    pm, pc = model.project(mean, cov)
    h = model.H
    r = model.measurement_noise(mean)
    r = np.broadcast_to(r, (5, 4, 4))
    for i in range(5):
        np.testing.assert_array_equal(pm[i], h @ mean[i])
        np.testing.assert_allclose(pc[i], h @ cov[i] @ h.T + r[i], rtol=1e-15)
    if isinstance(model, ConstantVelocityXYAH):
        h3 = mean[:, 3]
        expected_r = np.square(np.stack([WP * h3, WP * h3, np.full(5, 0.1), WP * h3], 1))
        np.testing.assert_allclose(np.diagonal(r, axis1=1, axis2=2), expected_r, rtol=1e-15)


def dense_update(mean, cov, z, r, h):
    """Textbook update with an explicit inverse: K = P H^T S^-1, P' = P - K S K^T."""
    s = h @ cov @ h.T + r
    k = cov @ h.T @ np.linalg.inv(s)
    return mean + k @ (z - h @ mean), cov - k @ s @ k.T


@pytest.mark.parametrize("model", [ConstantVelocityXYSR(), ConstantVelocityXYAH()])
def test_update_with_dense_innovation_covariance(model):
    """Off-diagonal terms in the measured block force the linear-solve path; result is exact."""
    rng = np.random.default_rng(1)
    n, count = model.ndim, 6
    mean = rng.uniform(20, 300, (count, n))
    cov = random_spd(rng, n, count)
    z = mean[:, :4] + rng.normal(0, 5, (count, 4))
    s = cov[:, :4, :4]
    assert np.any(s - np.diagonal(s, axis1=1, axis2=2)[:, :, None] * np.eye(4) != 0)
    new_mean, new_cov = model.update(mean, cov, z)
    r = np.broadcast_to(model.measurement_noise(mean), (count, 4, 4))
    for i in range(count):
        em, ec = dense_update(mean[i], cov[i], z[i], r[i], model.H)
        assert_mean_close(new_mean[i], em)
        assert_cov_close(new_cov[i], ec)


def test_update_mixed_batch_dense_and_diagonal():
    """One dense-S track in the batch must not change the result for the diagonal-S tracks."""
    model = ConstantVelocityXYAH()
    rng = np.random.default_rng(2)
    mean, cov = model.initiate(rng.uniform(50, 150, (4, 4)))
    mean, cov = model.predict(mean, cov)
    cov[0] = random_spd(rng, 8, 1)[0]
    z = mean[:, :4] + 1.0
    new_mean, new_cov = model.update(mean, cov, z)
    r = model.measurement_noise(mean)
    for i in range(4):
        em, ec = dense_update(mean[i], cov[i], z[i], r[i], model.H)
        assert_mean_close(new_mean[i], em)
        assert_cov_close(new_cov[i], ec)


@pytest.mark.parametrize("model", [ConstantVelocityXYSR(), ConstantVelocityXYAH()])
@pytest.mark.parametrize("only_position", [False, True])
def test_gating_distance_matches_direct_mahalanobis(model, only_position):
    """d^T S^-1 d for every (track, measurement) pair; only_position uses x, y only."""
    rng = np.random.default_rng(3)
    n, tracks, dets = model.ndim, 4, 6
    mean = rng.uniform(50, 150, (tracks, n))
    cov = random_spd(rng, n, tracks)
    z = rng.uniform(40, 160, (dets, 4))
    dist = model.gating_distance(mean, cov, z, only_position=only_position)
    assert dist.shape == (tracks, dets)
    pm, pc = model.project(mean, cov)
    k = 2 if only_position else 4
    for i in range(tracks):
        s_inv = np.linalg.inv(pc[i][:k, :k])
        for j in range(dets):
            d = z[j, :k] - pm[i, :k]
            np.testing.assert_allclose(dist[i, j], d @ s_inv @ d, rtol=1e-9)
    assert np.all(dist >= 0)


@pytest.mark.parametrize("model", [ConstantVelocityXYSR(), ConstantVelocityXYAH()])
def test_gating_distance_empty_and_bad_shape(model):
    """No tracks or no measurements give an (N, M) zero-size result; bad shapes raise."""
    mean, cov = model.initiate(np.array([[10.0, 10.0, 0.5, 40.0]]))
    assert model.gating_distance(mean, cov, np.zeros((0, 4))).shape == (1, 0)
    e_mean, e_cov = model.initiate(np.zeros((0, 4)))
    assert model.gating_distance(e_mean, e_cov, np.ones((3, 4))).shape == (0, 3)
    with pytest.raises(ValueError, match="measurements"):
        model.gating_distance(mean, cov, np.ones((3, 3)))
    with pytest.raises(ValueError, match="measurements"):
        model.gating_distance(mean, cov, np.ones(4))


# -- no mutation, shapes ----------------------------------------------------------------------
@pytest.mark.parametrize("model", [ConstantVelocityXYSR(), ConstantVelocityXYAH()])
def test_inputs_are_never_modified(model):
    """predict/update/project/gating_distance work on read-only inputs and return new arrays."""
    rng = np.random.default_rng(4)
    mean, cov = model.initiate(rng.uniform(20, 100, (3, 4)))
    mean[:, 4:] = rng.normal(0, 3, (3, model.nvel))
    mean[0, 6] = -1e6  # triggers SORT's clamp (a copy must be made, not a write)
    mean_ro, cov_ro, z_ro = frozen(mean, cov, rng.uniform(20, 100, (3, 4)))
    p_mean, p_cov = model.predict(mean_ro, cov_ro)
    u_mean, u_cov = model.update(mean_ro, cov_ro, z_ro)
    model.project(mean_ro, cov_ro)
    model.gating_distance(mean_ro, cov_ro, z_ro)
    np.testing.assert_array_equal(mean_ro, mean)
    np.testing.assert_array_equal(cov_ro, cov)
    for out in (p_mean, p_cov, u_mean, u_cov):
        assert not np.shares_memory(out, mean_ro) and not np.shares_memory(out, cov_ro)
    # the returned arrays are the caller's to write into
    p_mean[0, 0] = u_cov[0, 0, 0] = 0.0


BAD_STATE_SHAPES = {
    "mean_short_row": lambda n: (np.ones((2, n - 1)), np.ones((2, n, n))),
    "mean_1d": lambda n: (np.ones(n), np.ones((2, n, n))),
    "cov_not_square": lambda n: (np.ones((2, n)), np.ones((2, n, n - 1))),
    "cov_wrong_count": lambda n: (np.ones((2, n)), np.ones((3, n, n))),
    "cov_2d": lambda n: (np.ones((2, n)), np.eye(n)),
}


@pytest.mark.parametrize("model", [ConstantVelocityXYSR(), ConstantVelocityXYAH()])
@pytest.mark.parametrize("method", ["predict", "update", "project"])
@pytest.mark.parametrize("case", sorted(BAD_STATE_SHAPES))
def test_state_shape_errors_raise_value_error(model, method, case):
    """A mean or covariance of the wrong shape is rejected with ValueError (not IndexError)."""
    mean, cov = BAD_STATE_SHAPES[case](model.ndim)
    args = (mean, cov, np.ones((2, 4))) if method == "update" else (mean, cov)
    with pytest.raises(ValueError, match=r"mean|covariance"):
        getattr(model, method)(*args)


@pytest.mark.parametrize("model", [ConstantVelocityXYSR(), ConstantVelocityXYAH()])
def test_measurement_shape_errors_raise_value_error(model):
    """update rejects measurements that are not one (4,) row per track."""
    mean, cov = model.initiate(np.ones((2, 4)))
    for z in (np.ones((2, 3)), np.ones((3, 4)), np.ones(4)):
        with pytest.raises(ValueError, match="measurements"):
            model.update(mean, cov, z)


@pytest.mark.parametrize("model", [ConstantVelocityXYSR(), ConstantVelocityXYAH()])
def test_empty_batch_predict_and_update(model):
    """Zero tracks are a valid batch."""
    n = model.ndim
    mean, cov = model.initiate(np.zeros((0, 4)))
    p_mean, p_cov = model.predict(mean, cov)
    u_mean, u_cov = model.update(mean, cov, np.zeros((0, 4)))
    assert p_mean.shape == u_mean.shape == (0, n)
    assert p_cov.shape == u_cov.shape == (0, n, n)


# -- long runs: symmetric, positive definite --------------------------------------------------
def check_symmetric_pd(cov, step):
    """Symmetric to 1e-9 relative; positive definite (Cholesky succeeds, and the correlation
    matrix, which is scale-free, has positive eigenvalues)."""
    asym = np.abs(cov - np.swapaxes(cov, 1, 2)).max(axis=(1, 2))
    scale = np.abs(cov).max(axis=(1, 2))
    assert np.all(asym <= 1e-9 * scale), f"step {step}: asymmetry {np.max(asym / scale)}"
    var = np.diagonal(cov, axis1=1, axis2=2)
    assert np.all(var > 0), f"step {step}: non-positive variance"
    np.linalg.cholesky(cov)  # raises LinAlgError if any matrix is not positive definite
    sd = np.sqrt(var)
    corr = cov / (sd[:, :, None] * sd[:, None, :])
    eig = np.linalg.eigvalsh(0.5 * (corr + np.swapaxes(corr, 1, 2)))
    assert np.all(eig > 0), f"step {step}: smallest correlation eigenvalue {eig.min()}"


def long_run(model, seed, p_miss, steps=500, n_tracks=50):
    rng = np.random.default_rng(seed)
    walk = BoxWalk(rng, n_tracks)
    if isinstance(model, ConstantVelocityXYSR):
        to_z = lambda b: np.stack([b[:, 0], b[:, 1], b[:, 2] * b[:, 3] ** 2, b[:, 2]], 1)  # noqa: E731
    else:
        to_z = lambda b: b  # noqa: E731
    mean, cov = model.initiate(to_z(walk.step()))
    check_symmetric_pd(cov, -1)
    for step in range(steps):
        mean, cov = model.predict(mean, cov)
        check_symmetric_pd(cov, step)
        hit = rng.random(n_tracks) >= p_miss
        z = to_z(walk.step())
        if hit.any():
            m_u, c_u = model.update(mean[hit], cov[hit], z[hit])
            mean[hit] = m_u
            cov[hit] = c_u
        check_symmetric_pd(cov, step)
    assert np.all(np.isfinite(mean))


@settings(max_examples=5, deadline=None)
@given(seed=seeds, p_miss=st.floats(0.0, 0.9))
def test_long_run_xysr_covariance_stays_symmetric_pd(seed, p_miss):
    """500 steps, 50 tracks, random misses: covariances stay symmetric positive definite."""
    long_run(ConstantVelocityXYSR(), seed, p_miss)


@settings(max_examples=5, deadline=None)
@given(seed=seeds, p_miss=st.floats(0.0, 0.9))
def test_long_run_xyah_covariance_stays_symmetric_pd(seed, p_miss):
    """Same for deep_sort's model, whose noise follows the (moving) box height."""
    long_run(ConstantVelocityXYAH(), seed, p_miss)


def test_gating_distance_diagonal_fast_path_equals_dense_solve() -> None:
    """Block-diagonal states take the diagonal path; a correlated covariance takes Cholesky.
    Both must equal scipy's triangular solve (deep_sort's formula)."""
    from scipy.linalg import solve_triangular

    rng = np.random.default_rng(5)
    kf = ConstantVelocityXYAH()
    mean, cov = kf.initiate(rng.uniform([50, 50, 0.3, 40], [500, 400, 0.6, 200], size=(6, 4)))
    mean, cov = kf.predict(mean, cov)
    z = rng.uniform([50, 50, 0.3, 40], [500, 400, 0.6, 200], size=(5, 4))
    mixed = cov.copy()
    mixed[:, 0, 1] = mixed[:, 1, 0] = 0.3 * np.sqrt(mixed[:, 0, 0] * mixed[:, 1, 1])
    for c in (cov, mixed):
        got = kf.gating_distance(mean, c, z)
        pm, pc = kf.project(mean, c)
        for i in range(len(mean)):
            y = solve_triangular(np.linalg.cholesky(pc[i]), (z - pm[i]).T, lower=True)
            np.testing.assert_allclose(got[i], (y * y).sum(axis=0), rtol=1e-12)
    assert not np.allclose(kf.gating_distance(mean, cov, z), kf.gating_distance(mean, mixed, z))


@pytest.mark.parametrize("correlated", [False, True])
def test_gating_in_blocks_of_tracks_equals_one_pass(correlated, monkeypatch):
    """Crowds are gated in blocks of tracks (bounded temporaries); the values are identical."""
    import mottrack.motion.kalman as kalman

    kf = ConstantVelocityXYAH()
    rng = np.random.default_rng(3)
    z = np.column_stack(
        [rng.uniform(0, 1000, (50, 2)), rng.uniform(0.3, 0.6, 50), rng.uniform(50, 200, 50)]
    )
    mean, cov = kf.initiate(z[:37])
    if correlated:  # the dense (Cholesky) path
        cov[:, 0, 1] = cov[:, 1, 0] = 1.0
    whole = kf.gating_distance(mean, cov, z)
    whole_position = kf.gating_distance(mean, cov, z, only_position=True)
    monkeypatch.setattr(kalman, "_CHUNK_ELEMENTS", 4 * 50 * 3)  # blocks of 3 tracks
    np.testing.assert_array_equal(kf.gating_distance(mean, cov, z), whole)
    np.testing.assert_array_equal(
        kf.gating_distance(mean, cov, z, only_position=True), whole_position
    )


def _evaluate_law(scale: int, law: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """A noise law (``noise_laws``) evaluated per row in NumPy."""
    h = mean[:, scale : scale + 1] if scale >= 0 else np.zeros((len(mean), 1))
    std = h * law[0]
    return np.where((law[0] != 0) & (scale >= 0), std * std, law[1])


@pytest.mark.parametrize(
    "model",
    [ConstantVelocityXYSR(), ConstantVelocityXYAH(), ConstantVelocityXYAH(0.0, 1 / 7)],
    ids=["xysr", "xyah", "xyah-custom"],
)
def test_noise_laws_give_the_noise_diagonals_exactly(model):
    """The compiled kernels' noise (``noise_laws``) is the models' NumPy noise, bit for bit."""
    rng = np.random.default_rng(3)
    mean = rng.normal(0, 1, (50, model.ndim)) * rng.uniform(1, 400, (50, 1))
    scale, q_law, r_law = model.noise_laws()
    q = np.broadcast_to(model.process_noise_diag(mean), (50, model.ndim))
    r = np.broadcast_to(model.measurement_noise_diag(mean), (50, model.mdim))
    assert np.array_equal(_evaluate_law(scale, q_law, mean), q)
    assert np.array_equal(_evaluate_law(scale, r_law, mean), r)


def test_noise_laws_default_refuses_state_dependent_noise():
    class Scaled(ConstantVelocityXYSR):
        def process_noise_diag(self, mean):
            return mean * 0 + 1.0

    with pytest.raises(NotImplementedError, match="noise_laws"):
        BatchedKalmanFilter.noise_laws(Scaled())
