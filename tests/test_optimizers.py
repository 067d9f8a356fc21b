"""Optimizers: LearningRate and coslog4, Adam and SGD vs formulas, groups, factories,
and what warm-started estimators keep of them."""

import copy

import numpy as np
import pytest

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor
from skscratchnn._optimizers import (
    AdamOptimizer,
    LearningRate,
    OptimizerOptions,
    SGDOptimizer,
    continue_optimizer,
    coslog4,
)

# Short fits stop at max_iter and warn, as in scikit-learn; tests about warnings
# set their own filters.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

B1, B2 = 0.9, 0.999


def grads(n_steps, n_params, seed=0):
    return np.random.RandomState(seed).normal(size=(n_steps, n_params))


def adam(n_params, lr=0.01, epsilon=1e-8, beta_2=B2, dtype=np.float64, **kwargs):
    return AdamOptimizer(n_params, dtype, LearningRate(lr), B1, beta_2, epsilon,
                         **kwargs)


def sgd(n_params, lr=0.1, momentum=0.9, nesterov=False, **kwargs):
    return SGDOptimizer(n_params, np.float64, LearningRate(lr), momentum, nesterov,
                        **kwargs)


def reference_adam(theta, gradients, lr, epsilon, beta_2=B2):
    """Adam as written in Kingma and Ba's algorithm 1, with epsilon-hat (section 2)."""
    theta = theta.copy()
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(gradients, start=1):
        m = B1 * m + (1 - B1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        rate = lr * np.sqrt(1 - beta_2**t) / (1 - B1**t)
        theta = theta - rate * m / (np.sqrt(v) + epsilon)
    return theta


def reference_sgd(theta, gradients, lr, momentum, nesterov):
    theta, velocity = theta.copy(), np.zeros_like(theta)
    for g in gradients:
        velocity = momentum * velocity - lr * g
        theta = theta + (momentum * velocity - lr * g if nesterov else velocity)
    return theta


def run(optimizer, theta, gradients):
    theta = theta.copy()
    for g in gradients:
        optimizer.step(theta, g)
    return theta


# -- LearningRate ---------------------------------------------------------------


def test_coslog4_matches_its_formula():
    t = np.array([0.0, 0.01, 0.1, 0.25, 0.3, 0.5, 0.77, 0.9, 1.0])
    expected = (1 - np.cos(2 * np.pi * np.log2(1 + 15 * t))) / 2
    np.testing.assert_allclose(coslog4(t), expected, rtol=1e-14, atol=1e-15)
    for value, done in zip(expected, t):
        assert coslog4(float(done)) == pytest.approx(value, abs=1e-15)


def test_coslog4_is_zero_at_both_ends_and_one_at_the_four_peaks():
    assert coslog4(0.0) == 0.0
    assert coslog4(1.0) == pytest.approx(0.0, abs=1e-14)
    peaks = (2.0 ** (np.arange(4) + 0.5) - 1) / 15
    np.testing.assert_allclose(coslog4(peaks), 1.0, rtol=1e-14)
    # ...with a zero between each pair of peaks, at t = (2^k - 1) / 15.
    troughs = (2.0 ** np.arange(1, 4) - 1) / 15
    np.testing.assert_allclose(coslog4(troughs), 0.0, atol=1e-14)


def test_learning_rate_coslog4_walks_over_n_steps_then_stays_at_the_end():
    n_steps = 40
    rate = LearningRate(0.2, "coslog4", n_steps=n_steps)
    rates = [rate.next_step() for _ in range(n_steps + 3)]
    expected = [0.2 * coslog4(min(i / n_steps, 1.0)) for i in range(n_steps + 3)]
    np.testing.assert_allclose(rates, expected, rtol=1e-14, atol=1e-17)
    assert rate.steps == n_steps + 3
    assert rate.rate == 0.2  # the base rate is untouched


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive", "cosine"])
def test_learning_rate_epoch_schedules_keep_the_rate_within_an_epoch(schedule):
    rate = LearningRate(0.3, schedule, n_epochs=5)
    assert [rate.next_step() for _ in range(4)] == [0.3] * 4
    assert rate.steps == 0


# -- Adam -------------------------------------------------------------------------


def test_adam_one_step_matches_the_formula():
    rng = np.random.RandomState(0)
    theta, g = rng.normal(size=7), rng.normal(size=7)
    lr, epsilon = 0.01, 1e-3
    updated = run(adam(7, lr, epsilon), theta, [g])
    m, v = (1 - B1) * g, (1 - B2) * g**2
    rate = lr * np.sqrt(1 - B2) / (1 - B1)
    np.testing.assert_allclose(updated, theta - rate * m / (np.sqrt(v) + epsilon),
                               rtol=1e-13)


def test_adam_without_epsilon_equals_the_textbook_bias_corrected_step():
    rng = np.random.RandomState(1)
    theta, g = rng.normal(size=7), rng.normal(size=7)
    updated = run(adam(7, 0.01, epsilon=0.0), theta, [g])
    m_hat = (1 - B1) * g / (1 - B1)
    v_hat = (1 - B2) * g**2 / (1 - B2)
    np.testing.assert_allclose(updated, theta - 0.01 * m_hat / np.sqrt(v_hat),
                               rtol=1e-13)


@pytest.mark.parametrize("beta_2", [B2, 0.95])
def test_adam_several_steps_match_a_reference_implementation(beta_2):
    theta = np.random.RandomState(2).normal(size=9)
    gradients = grads(25, 9)
    ours = run(adam(9, 0.05, 1e-4, beta_2=beta_2), theta, gradients)
    np.testing.assert_allclose(ours, reference_adam(theta, gradients, 0.05, 1e-4,
                                                    beta_2), rtol=1e-12)


def test_adam_matches_the_reference_across_several_cache_blocks():
    n = 70_001  # more than two blocks of float64, and a partial one
    theta = np.random.RandomState(3).normal(size=n)
    gradients = grads(3, n, seed=4)
    ours = run(adam(n, 0.01), theta, gradients)
    np.testing.assert_allclose(ours, reference_adam(theta, gradients, 0.01, 1e-8),
                               rtol=1e-12)


def test_adam_in_float32_stays_float32_and_close_to_float64():
    theta = np.random.RandomState(5).normal(size=11)
    gradients = grads(5, 11, seed=6)
    theta32 = theta.astype(np.float32)
    opt = adam(11, 0.01, dtype=np.float32)
    for g in gradients.astype(np.float32):
        opt.step(theta32, g)
    assert theta32.dtype == np.float32 and opt.m.dtype == np.float32
    np.testing.assert_allclose(theta32, reference_adam(theta, gradients, 0.01, 1e-8),
                               rtol=1e-5)


def test_adam_matches_sklearn_adam_optimizer():
    try:
        from sklearn.neural_network._stochastic_optimizers import (
            AdamOptimizer as SkAdam,
        )
    except ImportError:
        pytest.skip("scikit-learn's private AdamOptimizer is gone")
    theta = np.random.RandomState(7).normal(size=(3, 4))
    gradients = grads(10, 12, seed=8)
    param = theta.copy()
    theirs = SkAdam([param], 0.02, B1, B2, 1e-8)
    for g in gradients:
        theirs.update_params([param], [g.reshape(3, 4)])
    ours = run(adam(12, 0.02), theta.ravel(), gradients)
    np.testing.assert_allclose(ours, param.ravel(), rtol=1e-12)


# -- SGD --------------------------------------------------------------------------


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_the_momentum_formulas(momentum, nesterov):
    theta = np.random.RandomState(9).normal(size=6)
    gradients = grads(8, 6, seed=10)
    ours = run(sgd(6, 0.1, momentum, nesterov), theta, gradients)
    np.testing.assert_allclose(
        ours, reference_sgd(theta, gradients, 0.1, momentum, nesterov), rtol=1e-13
    )


def test_sgd_one_nesterov_step_by_hand():
    theta, g = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    updated = run(sgd(2, 0.1, 0.9, True), theta, [g])
    # v = -0.1 g; theta += 0.9 v - 0.1 g = -0.19 g
    np.testing.assert_allclose(updated, theta - 0.19 * g, rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_matches_sklearn_sgd_optimizer(nesterov):
    try:
        from sklearn.neural_network._stochastic_optimizers import SGDOptimizer as SkSGD
    except ImportError:
        pytest.skip("scikit-learn's private SGDOptimizer is gone")
    theta = np.random.RandomState(11).normal(size=8)
    gradients = grads(10, 8, seed=12)
    param = theta.copy()
    theirs = SkSGD([param], 0.05, "constant", 0.8, nesterov)
    for g in gradients:
        theirs.update_params([param], [g])
    ours = run(sgd(8, 0.05, 0.8, nesterov), theta, gradients)
    np.testing.assert_allclose(ours, param, rtol=1e-13)


# -- parameter groups and weight decay ----------------------------------------


@pytest.mark.parametrize("make", [adam, sgd])
def test_rate_factors_move_each_parameter_as_its_own_scaled_rate(make):
    n, lr = 6, 0.03
    factors = np.random.RandomState(13).uniform(0.1, 3.0, n)
    theta = np.random.RandomState(14).normal(size=n)
    gradients = grads(6, n, seed=15)
    grouped = run(make(n, lr, rate_factors=factors), theta, gradients)
    for i in range(n):
        alone = run(make(1, lr * factors[i]), theta[i : i + 1], gradients[:, i : i + 1])
        assert grouped[i] == pytest.approx(alone[0], rel=1e-12)
    plain = run(make(n, lr), theta, gradients)
    assert not np.allclose(grouped, plain)


@pytest.mark.parametrize("make", [adam, sgd])
def test_weight_decay_shrinks_only_the_first_n_decayed_parameters(make):
    theta = np.random.RandomState(16).normal(size=5)
    lr, wd = 0.1, 0.2
    # A zero gradient moves nothing: only the decay acts.
    decayed = run(make(5, lr, weight_decay=wd, n_decayed=3), theta, [np.zeros(5)])
    np.testing.assert_allclose(decayed[:3], theta[:3] * (1 - lr * wd), rtol=1e-15)
    np.testing.assert_array_equal(decayed[3:], theta[3:])


@pytest.mark.parametrize("make", [adam, sgd])
def test_weight_decay_acts_before_the_gradient_step(make):
    theta = np.random.RandomState(17).normal(size=5)
    g = np.random.RandomState(18).normal(size=5)
    lr, wd = 0.1, 0.2
    ours = run(make(5, lr, weight_decay=wd, n_decayed=3), theta, [g])
    shrunk = theta.copy()
    shrunk[:3] *= 1 - lr * wd
    np.testing.assert_allclose(ours, run(make(5, lr), shrunk, [g]), rtol=1e-14)


def test_weight_decay_follows_the_step_schedule():
    theta = np.ones(2)
    opt = AdamOptimizer(2, np.float64, LearningRate(0.5, "coslog4", n_steps=10), B1,
                        B2, 1e-8, weight_decay=0.4, n_decayed=2)
    opt.step(theta, np.zeros(2))  # coslog4(0) = 0: no decay in the first step
    np.testing.assert_array_equal(theta, 1.0)
    opt.step(theta, np.zeros(2))
    np.testing.assert_allclose(theta, 1 - 0.5 * coslog4(0.1) * 0.4, rtol=1e-15)


# -- factories --------------------------------------------------------------------


def test_optimizer_options_build_sgd_from_estimator_params():
    params = ScratchMLPClassifier(
        solver="sgd", learning_rate="adaptive", momentum=0.7, nesterovs_momentum=False,
        learning_rate_init=0.03, power_t=0.25, max_iter=17,
    ).get_params()
    opt = OptimizerOptions.from_params(params).build(10, np.float32, n_epochs=17,
                                                     n_steps=None)
    assert type(opt) is SGDOptimizer
    assert (opt.momentum, opt.nesterov, opt.n_params) == (0.7, False, 10)
    rate = opt.learning_rate
    assert (rate.schedule, rate.initial, rate.power_t, rate.n_epochs) == (
        "adaptive", 0.03, 0.25, 17)
    assert opt.velocity.dtype == np.float32
    assert opt.rate_factors is None and opt.weight_decay == 0.0


def test_optimizer_options_build_adam_with_groups_and_weight_decay():
    params = ScratchMLPRegressor(
        beta_1=0.8, beta_2=0.95, epsilon=1e-6, learning_rate="coslog4",
        weight_decay=0.02,
    ).get_params()
    factors = np.full(10, 0.5)
    options = OptimizerOptions.from_params(params, rate_factors=factors, n_decayed=6)
    opt = options.build(10, np.float64, n_epochs=None, n_steps=123)
    assert type(opt) is AdamOptimizer
    assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.8, 0.95, 1e-6)
    assert opt.learning_rate.schedule == "coslog4" and opt.learning_rate.n_steps == 123
    assert opt.rate_factors is factors
    assert (opt.weight_decay, opt.n_decayed) == (0.02, 6)


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_optimizer_options_adam_ignore_sgd_schedules_unless_schedule_adam(schedule):
    estimator = ScratchMLPClassifier(solver="adam", learning_rate=schedule)
    assert OptimizerOptions.from_params(estimator.get_params()).schedule == "constant"
    estimator.set_params(schedule_adam=True)
    assert OptimizerOptions.from_params(estimator.get_params()).schedule == schedule
    sgd_params = estimator.set_params(solver="sgd", schedule_adam=False).get_params()
    assert OptimizerOptions.from_params(sgd_params).schedule == schedule


@pytest.mark.parametrize("schedule", ["cosine", "coslog4"])
def test_optimizer_options_adam_always_apply_the_new_schedules(schedule):
    params = ScratchMLPClassifier(learning_rate=schedule).get_params()
    opt = OptimizerOptions.from_params(params).build(4, np.float64, n_epochs=3,
                                                     n_steps=5)
    assert opt.learning_rate.schedule == schedule


def trained_adam(n=4, lr=0.01, seed=19, schedule="constant"):
    opt = AdamOptimizer(n, np.float64, LearningRate(lr, schedule), B1, B2, 1e-8)
    run(opt, np.zeros(n), grads(3, n, seed))
    return opt


def test_continue_optimizer_partial_fit_goes_on_with_a_copy_of_the_previous():
    previous = trained_adam(schedule="adaptive")
    previous.on_plateau()  # the rate is now 0.002
    fresh = adam(4, 0.01)
    continued = continue_optimizer(previous, fresh, incremental=True)
    assert continued is not previous and continued is not fresh
    assert continued.learning_rate.rate == pytest.approx(0.002)
    g = grads(1, 4, seed=20)
    expected = run(copy.deepcopy(previous), np.ones(4), g)
    state_before = previous.m.copy(), previous.v.copy(), previous.n_steps
    np.testing.assert_array_equal(run(continued, np.ones(4), g), expected)
    # The previous optimizer is left as it was.
    np.testing.assert_array_equal(previous.m, state_before[0])
    np.testing.assert_array_equal(previous.v, state_before[1])
    assert previous.n_steps == state_before[2]


def test_continue_optimizer_warm_start_keeps_moments_but_resets_the_rate():
    previous = trained_adam(lr=0.01, schedule="adaptive")
    previous.on_plateau()
    fresh = adam(4, 0.05)
    continued = continue_optimizer(previous, fresh, incremental=False)
    assert continued is fresh and continued.learning_rate.rate == 0.05
    assert continued.n_steps == previous.n_steps == 3
    g = grads(2, 4, seed=21)
    # The previous optimizer's moments at the new rate...
    reference = copy.deepcopy(previous)
    reference.learning_rate = LearningRate(0.05)
    np.testing.assert_allclose(run(continued, np.ones(4), g),
                               run(reference, np.ones(4), g), rtol=1e-15)
    # ...which differs from starting afresh.
    assert not np.allclose(run(adam(4, 0.05), np.ones(4), g),
                           run(reference, np.ones(4), g))


def test_continue_optimizer_warm_start_keeps_sgd_velocity():
    previous = sgd(3, 0.1, 0.9)
    run(previous, np.zeros(3), grads(2, 3, seed=22))
    fresh = sgd(3, 0.2, 0.9)
    continued = continue_optimizer(previous, fresh, incremental=False)
    assert continued is fresh and continued.learning_rate.rate == 0.2
    assert previous.velocity.any()
    np.testing.assert_array_equal(continued.velocity, previous.velocity)
    assert not np.shares_memory(continued.velocity, previous.velocity)


@pytest.mark.parametrize("incremental", [False, True])
@pytest.mark.parametrize("make_fresh", [lambda: sgd(4), lambda: adam(5), lambda: None],
                         ids=["other-type", "other-size", "no-previous"])
def test_continue_optimizer_starts_afresh_for_another_type_or_size(
    make_fresh, incremental
):
    fresh = make_fresh()
    previous = trained_adam(n=4)
    if fresh is None:  # nothing to continue from
        previous, fresh = None, adam(4)
    assert continue_optimizer(previous, fresh, incremental) is fresh
    moments = fresh.velocity if isinstance(fresh, SGDOptimizer) else fresh.m
    assert not moments.any()


# -- warm starts of the estimators -------------------------------------------------


@pytest.mark.parametrize("nesterov", [True, False])
def test_warm_start_keeps_the_sgd_velocity(
    nesterov, multiclass_data, small, assert_same_weights
):
    X, y = multiclass_data
    params = dict(solver="sgd", nesterovs_momentum=nesterov, shuffle=False, tol=0,
                  learning_rate_init=0.05, **small)
    full = ScratchMLPClassifier(max_iter=4, **params).fit(X, y)
    warm = ScratchMLPClassifier(max_iter=2, warm_start=True, **params)
    warm.fit(X, y)
    warm.fit(X, y)
    assert_same_weights(warm, full)
    assert warm.t_ == full.t_


def test_warm_start_with_another_solver_starts_its_own_optimizer(
    multiclass_data, small, assert_same_weights
):
    X, y = multiclass_data
    params = dict(shuffle=False, tol=0, max_iter=2, **small)
    warm = ScratchMLPClassifier(solver="sgd", warm_start=True, **params).fit(X, y)
    start = ScratchMLPClassifier(solver="adam", warm_start=True, **params)
    start.coefs_, start.intercepts_ = warm.coefs_, warm.intercepts_
    warm.set_params(solver="adam").fit(X, y)
    start.fit(X, y)  # a fresh Adam from the same weights
    assert_same_weights(warm, start)


def test_lbfgs_in_between_drops_the_stochastic_state(
    multiclass_data, small, assert_same_weights
):
    X, y = multiclass_data
    params = dict(shuffle=False, tol=0, max_iter=2, warm_start=True, **small)
    clf = ScratchMLPClassifier(**params).fit(X, y)
    clf.set_params(solver="lbfgs").fit(X, y)
    fresh = ScratchMLPClassifier(**params)
    fresh.coefs_, fresh.intercepts_ = clf.coefs_, clf.intercepts_
    clf.set_params(solver="adam").fit(X, y)
    fresh.fit(X, y)
    assert_same_weights(clf, fresh)
