"""Learning-rate schedules: the optimizers' formulas and the estimators' use of them."""


import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor
from skscratchnn._optimizers import AdamOptimizer, LearningRate, SGDOptimizer

# Short fits stop at max_iter and warn, as in scikit-learn; tests about warnings
# set their own filters.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

LR = 0.1


def sgd(schedule, n_epochs=None):
    return SGDOptimizer(3, np.float64, LearningRate(LR, schedule, 0.5, n_epochs), 0.9,
                        True)


def adam(schedule, n_epochs=None):
    return AdamOptimizer(3, np.float64, LearningRate(LR, schedule, 0.5, n_epochs), 0.9,
                         0.999, 1e-8)


def scheduled_rate(optimizer):
    """The rate a step scales by, before Adam's bias correction."""
    return optimizer.learning_rate.rate


@pytest.mark.parametrize("make", [sgd, adam])
def test_cosine_anneals_to_zero_over_n_epochs_and_stays(make):
    optimizer = make("cosine", n_epochs=4)
    rates = [scheduled_rate(optimizer)]
    for epoch in range(6):
        optimizer.epoch_ends(n_samples_seen=10 * (epoch + 1))
        rates.append(scheduled_rate(optimizer))
    expected = [LR * (1 + np.cos(np.pi * min(e, 4) / 4)) / 2 for e in range(7)]
    np.testing.assert_allclose(rates, expected, atol=1e-15)
    assert rates[:5] == sorted(rates[:5], reverse=True) and rates[4] == pytest.approx(0)


@pytest.mark.parametrize("make", [sgd, adam])
def test_invscaling_follows_the_number_of_samples_seen(make):
    optimizer = make("invscaling")
    optimizer.epoch_ends(n_samples_seen=99)
    assert scheduled_rate(optimizer) == pytest.approx(LR / 100**0.5)


@pytest.mark.parametrize("make", [sgd, adam])
def test_adaptive_divides_by_five_then_stops(make):
    optimizer = make("adaptive")
    assert not optimizer.on_plateau()[0]
    assert scheduled_rate(optimizer) == pytest.approx(LR / 5)
    while not optimizer.on_plateau()[0]:
        pass
    assert scheduled_rate(optimizer) <= 1e-6


@pytest.mark.parametrize("make", [sgd, adam])
@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_non_adaptive_schedules_stop_on_a_plateau(make, schedule):
    optimizer = make(schedule, n_epochs=5)
    assert optimizer.on_plateau()[0]


def test_adam_step_scales_by_the_scheduled_base_rate():
    """After the schedule halves the base rate, a step moves half as far."""
    grad = np.array([1.0, -2.0, 0.5])
    steps = []
    for n_epochs in [None, 2]:  # constant, then a cosine at half way
        optimizer = adam("constant" if n_epochs is None else "cosine", n_epochs)
        optimizer.epoch_ends(n_samples_seen=1)
        theta = np.zeros(3)
        optimizer.step(theta, grad)
        steps.append(theta)
    np.testing.assert_allclose(steps[1], steps[0] / 2, rtol=1e-12)


@pytest.mark.parametrize("learning_rate", ["invscaling", "adaptive"])
def test_adam_ignores_sgd_schedules_unless_asked_as_sklearn_does(
    learning_rate, multiclass_data
):
    X, y = multiclass_data
    params = dict(hidden_layer_sizes=(7,), max_iter=15, random_state=0, tol=0.5,
                  n_iter_no_change=2, learning_rate_init=0.01)
    ours = ScratchMLPClassifier(learning_rate=learning_rate, **params).fit(X, y)
    constant = ScratchMLPClassifier(**params).fit(X, y)
    theirs = MLPClassifier(learning_rate=learning_rate, **params).fit(X, y)
    np.testing.assert_array_equal(ours.coefs_[0], constant.coefs_[0])
    np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-9, atol=1e-12)
    assert ours.n_iter_ == theirs.n_iter_

    scheduled = ScratchMLPClassifier(
        learning_rate=learning_rate, schedule_adam=True, **params
    ).fit(X, y)
    assert not np.allclose(scheduled.coefs_[0], constant.coefs_[0])


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_cosine_epochs_equal_warm_started_epochs_at_the_cosine_rates(
    solver, Estimator, multiclass_data, regression_data
):
    """Three cosine epochs equal three warm-started one-epoch fits at its rates.

    A warm start keeps the optimizer's moments and takes the new
    learning_rate_init, so this checks both the schedule and the warm start.
    """
    X, y = multiclass_data if Estimator is ScratchMLPClassifier else regression_data
    params = dict(solver=solver, hidden_layer_sizes=(6,), shuffle=False,
                  random_state=0, tol=0, learning_rate_init=0.01)
    cosine = Estimator(learning_rate="cosine", max_iter=3, **params).fit(X, y)
    stepwise = Estimator(max_iter=1, warm_start=True, **params)
    for epoch in range(3):
        rate = 0.01 * (1 + np.cos(np.pi * epoch / 3)) / 2
        stepwise.set_params(learning_rate_init=rate).fit(X, y)
    for a, b in zip(cosine.coefs_ + cosine.intercepts_,
                    stepwise.coefs_ + stepwise.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(cosine.loss_curve_, stepwise.loss_curve_, rtol=1e-12)


def test_cosine_restarts_with_each_warm_started_fit(multiclass_data):
    """Two warm-started 2-epoch cosine fits run at rates lr, lr/2, lr, lr/2."""
    X, y = multiclass_data
    params = dict(hidden_layer_sizes=(6,), shuffle=False, random_state=0, tol=0,
                  warm_start=True)
    cosine = ScratchMLPClassifier(learning_rate="cosine", max_iter=2, **params)
    cosine.fit(X, y)
    cosine.fit(X, y)
    stepwise = ScratchMLPClassifier(max_iter=1, **params)
    for rate in [1e-3, 5e-4, 1e-3, 5e-4]:
        stepwise.set_params(learning_rate_init=rate).fit(X, y)
    np.testing.assert_allclose(cosine.coefs_[0], stepwise.coefs_[0], rtol=1e-12)
