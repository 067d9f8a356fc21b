"""Interrupting a fit (Ctrl-C): stochastic solvers stop cleanly, L-BFGS rolls back.

A ``KeyboardInterrupt`` is injected by making the optimizer's ``step`` (or the
L-BFGS objective) raise on its k-th call.
"""

import pickle

import numpy as np
import pytest
import scipy.optimize
from sklearn.exceptions import NotFittedError

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor
from skscratchnn._optimizers import AdamOptimizer, SGDOptimizer

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

RNG = np.random.RandomState(0)
X = RNG.randn(60, 4)
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int)
Y_REAL = X @ [1.0, -2.0, 0.5, 0.0]
BATCHES_PER_EPOCH = 3
PARAMS = dict(hidden_layer_sizes=(5,), batch_size=20, random_state=0, max_iter=20)


@pytest.fixture
def interrupt_at_step(monkeypatch):
    """Make the ``k``-th optimizer step raise ``KeyboardInterrupt``."""

    def arm(k):
        calls = 0
        for Optimizer in (AdamOptimizer, SGDOptimizer):
            step = Optimizer.step

            def interrupting(self, theta, grad, _step=step):
                nonlocal calls
                calls += 1
                if calls == k:
                    raise KeyboardInterrupt
                return _step(self, theta, grad)

            monkeypatch.setattr(Optimizer, "step", interrupting)

    return arm


def assert_same_weights(a, b):
    for got, want in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_interrupt_between_epochs_keeps_the_epochs_done(
    Estimator, solver, interrupt_at_step, targets
):
    y = targets(Estimator)
    reference = Estimator(solver=solver, **{**PARAMS, "max_iter": 2}).fit(X, y)
    interrupt_at_step(2 * BATCHES_PER_EPOCH + 1)
    est = Estimator(solver=solver, **PARAMS)
    with pytest.warns(UserWarning, match="Training interrupted"):
        est.fit(X, y)
    assert est.n_iter_ == 2
    assert est.loss_curve_ == reference.loss_curve_
    assert est.loss_ == reference.loss_curve_[-1]
    assert_same_weights(est, reference)
    np.testing.assert_array_equal(est.predict(X), reference.predict(X))


# Epochs after which the last validation score is below the best one.
@pytest.mark.parametrize(
    "Estimator, epochs", [(ScratchMLPClassifier, 4), (ScratchMLPRegressor, 8)]
)
def test_interrupt_with_early_stopping_keeps_the_best_epoch(
    Estimator, epochs, interrupt_at_step, targets
):
    y = targets(Estimator)
    params = {**PARAMS, "early_stopping": True, "learning_rate_init": 0.05}
    reference = Estimator(**{**params, "max_iter": epochs}).fit(X, y)
    interrupt_at_step(epochs * BATCHES_PER_EPOCH + 1)
    est = Estimator(**params)
    with pytest.warns(UserWarning, match="Training interrupted"):
        est.fit(X, y)
    assert est.n_iter_ == epochs
    assert est.validation_scores_ == reference.validation_scores_
    assert est.best_validation_score_ == max(est.validation_scores_)
    # The last epoch was not the best: its weights were replaced by the best's.
    assert est.validation_scores_[-1] < est.best_validation_score_
    assert_same_weights(est, reference)


@pytest.mark.parametrize("k", [1, BATCHES_PER_EPOCH + 2])
def test_interrupt_mid_epoch_leaves_a_usable_estimator(k, interrupt_at_step):
    interrupt_at_step(k)
    clf = ScratchMLPClassifier(**PARAMS)
    with pytest.warns(UserWarning, match="Training interrupted"):
        clf.fit(X, Y_CLASS)
    epochs_done = (k - 1) // BATCHES_PER_EPOCH
    assert clf.n_iter_ == epochs_done == len(clf.loss_curve_)
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    # Training can go on from where it stopped.
    clf.partial_fit(X, Y_CLASS)
    assert len(clf.loss_curve_) == epochs_done + 1


def test_interrupted_partial_fit_keeps_the_steps_done(interrupt_at_step):
    reg = ScratchMLPRegressor(**PARAMS).partial_fit(X, Y_REAL)
    t = reg.t_
    interrupt_at_step(2)
    with pytest.warns(UserWarning, match="Training interrupted"):
        reg.partial_fit(X, Y_REAL)
    assert reg.t_ == t and len(reg.loss_curve_) == 1
    assert np.isfinite(reg.predict(X)).all()


@pytest.fixture
def interrupt_lbfgs_at_evaluation(monkeypatch):
    """Make the ``k``-th objective evaluation inside L-BFGS raise."""

    def arm(k):
        minimize = scipy.optimize.minimize
        calls = 0

        def interrupting_minimize(fun, x0, *args, **kwargs):
            def interrupting_fun(x):
                nonlocal calls
                calls += 1
                if calls == k:
                    raise KeyboardInterrupt
                return fun(x)

            return minimize(interrupting_fun, x0, *args, **kwargs)

        monkeypatch.setattr(scipy.optimize, "minimize", interrupting_minimize)

    return arm


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_lbfgs_interrupt_propagates_and_keeps_unfitted(
    Estimator, interrupt_lbfgs_at_evaluation, targets
):
    # As in scikit-learn, L-BFGS does not catch the interrupt: it stops the fit.
    interrupt_lbfgs_at_evaluation(5)
    est = Estimator(solver="lbfgs", **PARAMS)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, targets(Estimator))
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_lbfgs_interrupt_keeps_previous_fit_byte_identical(
    interrupt_lbfgs_at_evaluation,
):
    reg = ScratchMLPRegressor(solver="lbfgs", **PARAMS).fit(X, Y_REAL)
    before = pickle.dumps(reg)
    interrupt_lbfgs_at_evaluation(5)
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X[::-1], Y_REAL[::-1])
    assert pickle.dumps(reg) == before
