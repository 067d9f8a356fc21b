"""scikit-learn's own idioms and awkward real data: the answers scikit-learn gives.

Each test here failed before the estimators read their weight lists at every
use, kept one record per fit call and stopped on divergence with a fallback.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor
from skscratchnn._optimizers import AdamOptimizer, SGDOptimizer

SMALL = dict(hidden_layer_sizes=(5,), random_state=0)


def fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


def relu_forward(X, coefs, intercepts):
    """The output pre-activation of a ReLU network, by hand."""
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        A = A @ W + b
        if i < len(coefs) - 1:
            A = np.maximum(A, 0)
    return A


# -- weights assigned by hand ------------------------------------------------------


@pytest.mark.parametrize("hidden", [(7,), (4, 6)])
def test_assigned_weights_of_another_shape_decide_the_layers(hidden, binary_data):
    X, y = binary_data
    clf = fit(ScratchMLPClassifier(max_iter=5, **SMALL), X, y)
    rng = np.random.RandomState(1)
    units = [X.shape[1], *hidden, 1]
    coefs = [rng.randn(a, b) for a, b in zip(units[:-1], units[1:])]
    intercepts = [rng.randn(b) for b in units[1:]]
    clf.coefs_, clf.intercepts_ = coefs, intercepts
    expected = expit(relu_forward(X, coefs, intercepts)).ravel()
    assert_allclose(clf.predict_proba(X)[:, 1], expected, rtol=1e-12)
    assert clf.n_layers_ == len(units)
    assert clf.n_outputs_ == 1


def test_replacing_one_weight_array_takes_effect_as_in_sklearn(multiclass_data):
    X, y = multiclass_data
    ours = fit(ScratchMLPClassifier(max_iter=5, **SMALL), X, y)
    theirs = ours.to_sklearn()
    rng = np.random.RandomState(2)
    new_W, new_b = rng.randn(*ours.coefs_[0].shape), rng.randn(3)
    for model in (ours, theirs):
        model.coefs_[0] = new_W
        model.intercepts_[1] = new_b
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)
    assert ours.coefs_[0] is not new_W  # copied into the flat buffer...
    assert_array_equal(ours.coefs_[0], new_W)
    ours.coefs_[0][:] = 0  # ... whose views still take writes in place
    proba = ours.predict_proba(X)
    assert_allclose(proba, np.broadcast_to(proba[0], proba.shape))


def hand_built(Estimator):
    """scikit-learn's hand-built model (its test_mlp.test_fit), before partial_fit."""
    mlp = Estimator(
        solver="sgd", learning_rate_init=0.1, alpha=0.1, activation="logistic",
        random_state=1, max_iter=1, hidden_layer_sizes=2, momentum=0,
    )
    mlp.coefs_ = [0] * 2
    mlp.intercepts_ = [0] * 2
    mlp.n_outputs_ = 1
    mlp.coefs_[0] = np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0]])
    mlp.coefs_[1] = np.array([[0.1], [0.2]])
    mlp.intercepts_[0] = np.array([0.1, 0.1])
    mlp.intercepts_[1] = np.array([1.0])
    mlp.n_features_in_ = 3
    mlp.n_layers_ = 3
    mlp.out_activation_ = "logistic"
    mlp.t_ = 0
    mlp.best_loss_ = np.inf
    mlp.loss_curve_ = []
    return mlp


def test_hand_built_model_trains_as_sklearn_does():
    X, y = np.array([[0.6, 0.8, 0.7]]), np.array([0])
    ours, theirs = hand_built(ScratchMLPClassifier), hand_built(MLPClassifier)
    for model in (ours, theirs):
        model.partial_fit(X, y, classes=[0, 1])
    # scikit-learn's hand-worked value.
    assert ours.predict_proba(X)[0, 1] == pytest.approx(0.739, abs=5e-4)
    for mine, sk in zip(ours.coefs_ + ours.intercepts_,
                        theirs.coefs_ + theirs.intercepts_):
        assert_allclose(mine, sk, rtol=1e-12)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)
    assert ours.t_ == theirs.t_ == 1


def test_weight_lists_that_describe_no_network_are_refused(binary_data):
    X, y = binary_data
    clf = fit(ScratchMLPClassifier(max_iter=2, **SMALL), X, y)
    clf.intercepts_ = [np.zeros(3), np.zeros(1)]  # the hidden layer has 5 units
    with pytest.raises(ValueError, match="do not describe a network"):
        clf.predict(X)


# -- one record per fit call -------------------------------------------------------


def test_warm_start_with_restore_best_params_keeps_the_second_fit(regression_data):
    """The first fit's low losses must not veto every epoch of the second."""
    X, y = regression_data
    params = dict(warm_start=True, shuffle=False, tol=0, max_iter=8, **SMALL)
    reg = fit(ScratchMLPRegressor(restore_best_params=True, **params), X, y)
    first = [c.copy() for c in reg.coefs_]
    fit(reg, X, 10 * y)  # every loss of this fit is above the first fit's best
    second_curve = reg.loss_curve_[8:]
    assert min(second_curve) > min(reg.loss_curve_[:8])
    assert not np.array_equal(reg.coefs_[0], first[0])
    # The weights are those of the second fit's best epoch.
    best_epoch = int(np.argmin(second_curve)) + 1
    twin = fit(ScratchMLPRegressor(**params), X, y)
    fit(twin.set_params(max_iter=best_epoch), X, 10 * y)
    assert_allclose(reg.coefs_[0], twin.coefs_[0], rtol=1e-12)


def test_a_fresh_fit_leaves_nothing_of_the_previous_one(multiclass_data):
    X, y = multiclass_data
    clf = fit(ScratchMLPClassifier(max_iter=3, early_stopping=True, **SMALL), X, y)
    assert clf.loss_curve_ and clf.validation_scores_
    fit(clf.set_params(solver="lbfgs", early_stopping=False), X, y)
    for name in ("loss_curve_", "validation_scores_", "best_validation_score_",
                 "_optimizer"):
        assert not hasattr(clf, name), name
    assert clf.n_iter_ <= 3 and clf.t_ == 0


# -- precision ---------------------------------------------------------------------


def test_float64_model_predicts_float32_input_in_float64(regression_data):
    X, y = regression_data
    reg = fit(ScratchMLPRegressor(max_iter=20, **SMALL), X, 1e6 + y)
    X32 = X.astype(np.float32)
    prediction = reg.predict(X32)
    assert prediction.dtype == np.float64
    assert_array_equal(prediction, reg.predict(X32.astype(np.float64)))


# -- divergence under early stopping ---------------------------------------------


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
                                                 multiclass_data):
    X, y = multiclass_data
    params = dict(max_iter=10, batch_size=50, shuffle=False, tol=0, **SMALL, **settings)
    reference = fit(ScratchMLPClassifier(**{**params, "max_iter": 3}), X, y)
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
    poison_step, multiclass_data
):
    X, y = multiclass_data
    clf = fit(ScratchMLPClassifier(max_iter=2, **SMALL), X, y)
    clf.set_params(early_stopping=True)
    before = {name: value for name, value in vars(clf).items()}
    poison_step(1)
    with pytest.raises(ValueError, match="diverged.*epoch 1"):
        clf.fit(X, y)
    assert vars(clf).keys() == before.keys()
    assert all(vars(clf)[name] is value for name, value in before.items())


# -- awkward data --------------------------------------------------------------------


def test_minibatches_of_zero_weight_are_skipped(binary_data):
    """A batch with no weight changes nothing: training equals training without it."""
    X, y = binary_data
    params = dict(max_iter=4, batch_size=20, shuffle=False, tol=0, **SMALL)
    weights = np.r_[np.zeros(20), np.ones(len(y) - 20)]
    weighted = fit(ScratchMLPClassifier(**params), X, y, sample_weight=weights)
    dropped = fit(ScratchMLPClassifier(**params), X[20:], y[20:])
    for a, b in zip(weighted.coefs_ + weighted.intercepts_,
                    dropped.coefs_ + dropped.intercepts_):
        assert_allclose(a, b, rtol=1e-12)


def test_a_zero_class_weight_fills_whole_batches(binary_data):
    X, y = binary_data
    order = np.argsort(y, kind="stable")
    clf = ScratchMLPClassifier(class_weight={0: 0.0, 1: 1.0}, batch_size=10,
                               shuffle=False, max_iter=3, **SMALL)
    fit(clf, X[order], y[order])
    assert np.isfinite(clf.loss_curve_).all()


def test_all_zero_sample_weight_is_still_an_error(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="at least one non-zero"):
        ScratchMLPClassifier(**SMALL).fit(X, y, sample_weight=np.zeros(len(y)))


# -- messages scikit-learn users match on ------------------------------------------


def test_stratified_split_error_keeps_sklearns_sentence(binary_data):
    X, y = binary_data
    y = np.zeros_like(y)
    y[0] = 1  # a class of one sample cannot be split in two
    with pytest.raises(ValueError) as theirs:
        MLPClassifier(early_stopping=True, **SMALL).fit(X, y)
    with pytest.raises(ValueError) as ours:
        ScratchMLPClassifier(early_stopping=True, **SMALL).fit(X, y)
    # Their whole message, the classes named as scikit-learn stratifies them.
    assert str(ours.value).startswith(str(theirs.value))
    assert "least populated class" in str(theirs.value)
    assert "X_val" in str(ours.value)  # and our advice after it


@pytest.mark.parametrize("last_step", [True, False])
def test_non_finite_weights_error_keeps_sklearns_sentence(
    last_step, poison_step, regression_data
):
    """Weights blown up by the last step, or by one before it, as sklearn words it."""
    X, y = regression_data
    reg = ScratchMLPRegressor(max_iter=1 if last_step else 3, batch_size=40, **SMALL)
    poison_step(3)
    with pytest.raises(ValueError) as ours:
        fit(reg, X, y)
    assert str(ours.value).startswith(
        "Solver produced non-finite parameter weights. The input data may contain "
        "large values and need to be preprocessed."
    )


def test_predict_with_reordered_columns_names_X_only(binary_data):
    X, y = binary_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = fit(ScratchMLPClassifier(max_iter=2, **SMALL), frame, y)
    with pytest.raises(ValueError) as error:
        clf.predict(frame[frame.columns[::-1]])
    assert "X and y" not in str(error.value)
    assert "feature names" in str(error.value)


def test_errors_about_sample_weight_val_name_it(binary_data):
    X, y = binary_data
    clf = ScratchMLPClassifier(max_iter=2, **SMALL)
    with pytest.raises(ValueError, match="sample_weight_val") as error:
        clf.fit(X[:80], y[:80], X_val=X[80:], y_val=y[80:],
                sample_weight_val=np.ones(3))
    assert "sample_weight.shape" not in str(error.value)


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_unknown_keyword_names_the_class_called(Estimator):
    with pytest.raises(TypeError, match=rf"^{Estimator.__name__}\.__init__\(\)"):
        Estimator(hidden_units=3)


@pytest.mark.parametrize("sizes", [(0.5,), (2.7,), (3, 1.0), 2.0])
def test_non_integer_hidden_layer_sizes_are_refused(sizes, binary_data):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        ScratchMLPClassifier(hidden_layer_sizes=sizes).fit(*binary_data)


@pytest.mark.parametrize("n_rows", [0, 1])
def test_validation_data_of_fewer_than_two_rows_are_refused(n_rows, binary_data):
    X, y = binary_data
    clf = ScratchMLPClassifier(early_stopping=True, **SMALL)
    X_val, y_val = X[:n_rows], y[:n_rows]
    with pytest.raises(ValueError, match="validation set is too small|0 sample"):
        clf.fit(X, y, X_val=X_val, y_val=y_val)
