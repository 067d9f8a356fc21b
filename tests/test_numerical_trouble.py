"""Numerical trouble: extreme scales, overflowing logits, diverging training.

No overflow or invalid-value RuntimeWarning may escape; a fit that diverges
falls back to the best epoch it kept, or else raises a clear ValueError and leaves
the estimator exactly as it was.
"""

import pickle
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor
from skscratchnn._losses import LOSSES, OUTPUT_ACTIVATIONS
from skscratchnn._optimizers import AdamOptimizer, SGDOptimizer

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("error::RuntimeWarning"),
]

RNG = np.random.RandomState(0)
X = RNG.randn(60, 4)
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
Y_REAL = X @ [1.0, -2.0, 0.5, 0.0]
DIVERGED = "Training diverged|non-finite parameter weights"


@settings(max_examples=30, deadline=None)
@given(
    exponent=st.sampled_from([-30, -10, 10, 30]),
    dtype=st.sampled_from([np.float32, np.float64]),
    solver=st.sampled_from(["adam", "sgd", "lbfgs"]),
    Estimator=st.sampled_from([ScratchMLPClassifier, ScratchMLPRegressor]),
)
def test_extreme_feature_scales_fit_or_fail_clearly(
    exponent, dtype, solver, Estimator, targets
):
    est = Estimator(hidden_layer_sizes=(5,), solver=solver, max_iter=10, random_state=0)
    X_scaled = (X * 10.0**exponent).astype(dtype)
    try:
        est.fit(X_scaled, targets(Estimator))
    except ValueError as error:
        assert exponent > 0, "tiny features must not break training"
        assert re.search(DIVERGED, str(error))
        with pytest.raises(NotFittedError):
            est.predict(X_scaled)
        return
    assert all(np.isfinite(c).all() for c in est.coefs_ + est.intercepts_)
    if Estimator is ScratchMLPClassifier:
        assert np.isfinite(est.predict_proba(X_scaled)).all()
    else:
        assert np.isfinite(est.predict(X_scaled)).all()


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiny_feature_scale_trains(solver, dtype):
    X_tiny = (X * 1e-30).astype(dtype)
    clf = ScratchMLPClassifier(hidden_layer_sizes=(5,), solver=solver, max_iter=5)
    proba = clf.fit(X_tiny, Y_CLASS).predict_proba(X_tiny)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("y", [Y_CLASS, Y_CLASS > 0], ids=["softmax", "logistic"])
@pytest.mark.parametrize("logit", [1e4, 1e30])
def test_huge_logits_give_valid_probabilities(dtype, y, logit):
    clf = ScratchMLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    clf.fit(X.astype(dtype), y)
    # Hidden activations are O(1): these logits are huge but representable.
    clf.coefs_[-1][...] = logit * np.sign(clf.coefs_[-1])
    proba = clf.predict_proba(X.astype(dtype))
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert not np.isnan(clf.predict_log_proba(X.astype(dtype))).any()


@pytest.mark.parametrize("out_activation", ["softmax", "logistic", "exp"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_stay_finite_at_huge_logits(out_activation, dtype):
    Z = np.array([[1e30, -1e30, 0.0], [-1e4, 1e4, 50.0]], dtype=dtype)
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=dtype)
    prediction = Z.copy()
    OUTPUT_ACTIVATIONS[out_activation](prediction)
    loss = LOSSES[out_activation](Z, Y)
    assert np.isfinite(loss).all() and np.isfinite(Z).all()
    assert np.isfinite(prediction).all()
    # The gradient is the prediction minus the target.
    np.testing.assert_allclose(Z, prediction - Y, rtol=1e-6)


# -- divergence: a clear error, nothing lost ------------------------------------------


def diverging(Estimator, **params):
    """An estimator whose SGD steps blow up within a few epochs."""
    return Estimator(
        hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=1e10, max_iter=50,
        random_state=0, **params
    )


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_diverging_fit_raises_and_stays_unfitted(Estimator, targets):
    est = diverging(Estimator)
    X_big = X * 1e30 if Estimator is ScratchMLPClassifier else X
    with pytest.raises(ValueError, match=DIVERGED):
        est.fit(X_big, targets(Estimator))
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert vars(est) == vars(diverging(Estimator))


def test_diverging_refit_keeps_previous_model_byte_identical():
    reg = ScratchMLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    reg.fit(X, Y_REAL)
    reg.set_params(solver="sgd", learning_rate_init=1e10, max_iter=50)
    before = pickle.dumps(reg)
    with pytest.raises(ValueError, match=DIVERGED):
        reg.fit(X, Y_REAL)
    assert pickle.dumps(reg) == before


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_diverging_warm_start_rolls_back(solver):
    reg = ScratchMLPRegressor(
        hidden_layer_sizes=(5,), solver=solver, max_iter=5, warm_start=True,
        random_state=0,
    ).fit(X, Y_REAL)
    coefs = [c.copy() for c in reg.coefs_ + reg.intercepts_]
    reg.set_params(learning_rate_init=1e300, max_iter=50)
    before = pickle.dumps(reg)
    with pytest.raises(ValueError, match=DIVERGED):
        reg.fit(X * 1e300, Y_REAL)
    assert pickle.dumps(reg) == before
    for got, want in zip(reg.coefs_ + reg.intercepts_, coefs):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_diverging_partial_fit_rolls_back(Estimator, targets):
    est = Estimator(hidden_layer_sizes=(5,), solver="sgd", batch_size=1, random_state=0)
    is_classifier = Estimator is ScratchMLPClassifier
    kwargs = {"classes": np.unique(Y_CLASS)} if is_classifier else {}
    est.partial_fit(X, targets(Estimator), **kwargs)
    n_iter, t, loss_curve = est.n_iter_, est.t_, list(est.loss_curve_)
    est.set_params(learning_rate_init=1e30)
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match=DIVERGED):
        est.partial_fit(X * 1e30, targets(Estimator))
    assert pickle.dumps(est) == before
    assert (est.n_iter_, est.t_, est.loss_curve_) == (n_iter, t, loss_curve)
    est.set_params(learning_rate_init=1e-3).partial_fit(X, targets(Estimator))
    assert est.t_ == t + len(X)


# -- divergence under early stopping or restore_best_params ------------------------


@pytest.fixture
def poison_step(monkeypatch):
    """Make the ``k``-th optimizer step leave non-finite parameters."""

    def arm(k):
        calls = 0
        for Optimizer in (AdamOptimizer, SGDOptimizer):

            def poisoned(self, theta, grad, _step=Optimizer.step):
                nonlocal calls
                calls += 1
                _step(self, theta, grad)
                if calls >= k:
                    theta[0] = np.inf

            monkeypatch.setattr(Optimizer, "step", poisoned)

    return arm


@pytest.mark.parametrize(
    "settings",
    [dict(early_stopping=True), dict(restore_best_params=True)],
)
def test_divergence_falls_back_to_the_best_epoch(settings, poison_step,
                                                 multiclass_data, smaller):
    X, y = multiclass_data
    params = dict(max_iter=10, batch_size=50, shuffle=False, tol=0, **smaller,
                  **settings)
    reference = ScratchMLPClassifier(**{**params, "max_iter": 3}).fit(X, y)
    # Batches of 50 over the 135 or 150 training rows: 3 steps per epoch; the
    # first step of epoch 4 leaves an infinite weight.
    poison_step(3 * 3 + 1)
    with pytest.warns(ConvergenceWarning, match="diverged in epoch 4"):
        clf = ScratchMLPClassifier(**params).fit(X, y)
    assert clf.n_iter_ == 4
    assert all(np.isfinite(c).all() for c in clf.coefs_ + clf.intercepts_)
    assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))
    if clf.validation_scores_ is not None:
        last = clf.validation_scores_[-1]
        assert type(last) is float and np.isnan(last)
        assert clf.validation_scores_[:3] == reference.validation_scores_


def test_divergence_with_nothing_to_fall_back_on_raises_and_keeps_the_model(
    poison_step, multiclass_data, smaller
):
    X, y = multiclass_data
    clf = ScratchMLPClassifier(max_iter=2, **smaller).fit(X, y)
    clf.set_params(early_stopping=True)
    before = {name: value for name, value in vars(clf).items()}
    poison_step(1)
    with pytest.raises(ValueError, match="diverged.*epoch 1"):
        clf.fit(X, y)
    assert vars(clf).keys() == before.keys()
    assert all(vars(clf)[name] is value for name, value in before.items())


@pytest.mark.parametrize("last_step", [True, False])
def test_non_finite_weights_error_keeps_sklearns_sentence(
    last_step, poison_step, regression_data, smaller
):
    """Weights blown up by the last step, or by one before it, as sklearn words it."""
    X, y = regression_data
    reg = ScratchMLPRegressor(max_iter=1 if last_step else 3, batch_size=40, **smaller)
    poison_step(3)
    with pytest.raises(ValueError) as ours:
        reg.fit(X, y)
    assert str(ours.value).startswith(
        "Solver produced non-finite parameter weights. The input data may contain "
        "large values and need to be preprocessed."
    )
