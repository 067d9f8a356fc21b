"""The fitted state: clearing it, one training record per fit, weights as views and
as assigned by hand, rollback."""

import pickle
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier
from sklearn.utils.validation import check_is_fitted

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor, TabularMLPClassifier
from skscratchnn._solvers import TrainingState
from skscratchnn._state import (
    FITTED_ATTRIBUTES,
    INPUT_ATTRIBUTES,
    clear_fit_state,
    current_theta,
    record_training,
    restored_on_error,
    training_state,
)

# Short fits stop at max_iter and warn, as in scikit-learn; tests about warnings
# set their own filters.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)


def fitted(data, **params):
    X, y = data
    params = {"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0, **params}
    return ScratchMLPClassifier(**params).fit(X, y)


# -- clear_fit_state --------------------------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_clear_fit_state_leaves_only_the_parameters(data, solver):
    estimator = fitted(data, solver=solver, early_stopping=solver == "adam")
    assert set(vars(estimator)) > set(estimator.get_params())
    clear_fit_state(estimator, extra=("classes_", "_label_binarizer"))
    assert set(vars(estimator)) == set(estimator.get_params())
    for name in FITTED_ATTRIBUTES + INPUT_ATTRIBUTES:
        assert not hasattr(estimator, name), name
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)


def test_clear_fit_state_keeps_what_extra_does_not_name(data):
    estimator = fitted(data)
    clear_fit_state(estimator)
    remaining = set(vars(estimator)) - set(estimator.get_params())
    assert remaining == {"classes_", "_label_binarizer"}
    clear_fit_state(estimator)  # nothing left to clear: no error


# -- training_state and record_training -------------------------------------------


def test_training_state_reads_hand_set_attributes():
    estimator = ScratchMLPClassifier()
    estimator.t_ = 50
    estimator.loss_curve_ = [1.0, 0.5]
    estimator.best_loss_ = 0.5
    estimator.n_iter_ = 2
    state = training_state(estimator)
    assert state.n_samples_seen == 50 and state.best_loss == 0.5
    assert state.loss_curve == [1.0, 0.5]
    assert state.loss_curve is not estimator.loss_curve_  # a copy to extend
    assert state.n_iter == 0  # each call counts its own epochs
    fresh = TrainingState()
    for name in ("n_steps", "validation_scores", "validation_losses",
                 "best_validation_score", "best_validation_loss",
                 "no_improvement_count", "loss"):
        assert getattr(state, name) == getattr(fresh, name), name


def test_training_state_of_an_unfitted_estimator_starts_afresh():
    assert training_state(ScratchMLPClassifier()) == TrainingState()


def test_training_state_reads_none_as_the_fresh_value():
    estimator = ScratchMLPClassifier()
    estimator.best_loss_ = None  # as after early stopping
    estimator.best_validation_score_ = None  # as without it
    state = training_state(estimator)
    assert state.best_loss == TrainingState().best_loss
    assert state.best_validation_score == TrainingState().best_validation_score


def test_training_state_of_a_fitted_estimator_matches_its_attributes(data):
    estimator = fitted(data, early_stopping=True, max_iter=4)
    state = training_state(estimator)
    assert state.loss_curve == estimator.loss_curve_
    assert state.validation_scores == estimator.validation_scores_
    assert state.best_validation_score == estimator.best_validation_score_
    assert state.n_samples_seen == estimator.t_


def sklearn_fitted(data, early_stopping):
    X, y = data
    return MLPClassifier((4,), max_iter=3, random_state=0,
                         early_stopping=early_stopping).fit(X, y)


NONE_ATTRIBUTES = ("best_loss_", "validation_scores_", "best_validation_score_")


@pytest.mark.parametrize("early_stopping", [False, True])
def test_record_training_writes_none_where_sklearn_has_none(data, early_stopping):
    state = TrainingState(n_iter=3, n_samples_seen=30, n_steps=6, loss=0.4,
                          loss_curve=[0.9, 0.6, 0.4], best_loss=0.4)
    if early_stopping:
        state.validation_scores, state.validation_losses = [0.5, 0.7, 0.6], [1, 2, 3]
        state.best_validation_score, state.best_validation_loss = 0.7, 1
    estimator = ScratchMLPClassifier()
    record_training(estimator, state, early_stopping)
    reference = sklearn_fitted(data, early_stopping)
    for name in NONE_ATTRIBUTES:
        assert (getattr(estimator, name) is None) == (getattr(reference, name) is None)
    assert (estimator.validation_loss_curve_ is None) == (not early_stopping)
    assert (estimator.best_validation_loss_ is None) == (not early_stopping)
    assert estimator.loss_curve_ == state.loss_curve
    assert estimator.loss_curve_ is not state.loss_curve
    assert (estimator.n_iter_, estimator.t_, estimator.loss_) == (3, 30, 0.4)
    assert type(estimator.n_iter_) is int and type(estimator.t_) is int


def test_record_training_keeps_validation_without_early_stopping():
    """X_val without early stopping: recorded, and best_loss_ kept."""
    state = TrainingState(n_iter=1, loss=0.3, loss_curve=[0.3], best_loss=0.3,
                          validation_scores=[0.8], validation_losses=[0.5],
                          best_validation_score=0.8, best_validation_loss=0.5)
    estimator = ScratchMLPClassifier()
    record_training(estimator, state, early_stopping=False)
    assert estimator.best_loss_ == 0.3
    assert estimator.validation_scores_ == [0.8]
    assert estimator.best_validation_score_ == 0.8


def test_record_then_read_training_state_round_trips():
    state = TrainingState(n_iter=4, n_samples_seen=80, n_steps=8, loss=0.2,
                          loss_curve=[0.5, 0.4, 0.3, 0.2], best_loss=0.2,
                          validation_scores=[0.1, 0.2, 0.3, 0.4],
                          validation_losses=[4.0, 3.0, 2.0, 1.0],
                          best_validation_score=0.4, best_validation_loss=1.0,
                          no_improvement_count=2)
    estimator = ScratchMLPClassifier()
    record_training(estimator, state, early_stopping=False)
    again = training_state(estimator)
    state.n_iter = 0  # each call counts its own epochs
    assert again == state


# -- one record per fit call -------------------------------------------------------


def test_warm_start_with_restore_best_params_keeps_the_second_fit(
    regression_data, smaller
):
    """The first fit's low losses must not veto every epoch of the second."""
    X, y = regression_data
    params = dict(warm_start=True, shuffle=False, tol=0, max_iter=8, **smaller)
    reg = ScratchMLPRegressor(restore_best_params=True, **params).fit(X, y)
    first = [c.copy() for c in reg.coefs_]
    reg.fit(X, 10 * y)  # every loss of this fit is above the first fit's best
    second_curve = reg.loss_curve_[8:]
    assert min(second_curve) > min(reg.loss_curve_[:8])
    assert not np.array_equal(reg.coefs_[0], first[0])
    # The weights are those of the second fit's best epoch.
    best_epoch = int(np.argmin(second_curve)) + 1
    twin = ScratchMLPRegressor(**params).fit(X, y)
    twin.set_params(max_iter=best_epoch).fit(X, 10 * y)
    assert_allclose(reg.coefs_[0], twin.coefs_[0], rtol=1e-12)


def test_a_fresh_fit_leaves_nothing_of_the_previous_one(multiclass_data, smaller):
    X, y = multiclass_data
    clf = ScratchMLPClassifier(max_iter=3, early_stopping=True, **smaller).fit(X, y)
    assert clf.loss_curve_ and clf.validation_scores_
    clf.set_params(solver="lbfgs", early_stopping=False).fit(X, y)
    for name in ("loss_curve_", "validation_scores_", "best_validation_score_",
                 "_optimizer"):
        assert not hasattr(clf, name), name
    assert clf.n_iter_ <= 3 and clf.t_ == 0


# -- current_theta ----------------------------------------------------------------


def test_current_theta_returns_the_same_array_while_lists_hold_the_views(data):
    estimator = fitted(data)
    theta = current_theta(estimator)
    assert current_theta(estimator) is theta
    for array in estimator.coefs_ + estimator.intercepts_:
        assert np.shares_memory(array, theta)
    proba = estimator.predict_proba(data[0])
    estimator.coefs_[1][...] *= 2  # written through the view
    assert current_theta(estimator) is theta
    assert not np.allclose(estimator.predict_proba(data[0]), proba)


def test_current_theta_repacks_a_replaced_element(data):
    estimator = fitted(data)
    old = current_theta(estimator)
    new_first = np.random.RandomState(1).normal(size=estimator.coefs_[0].shape)
    estimator.coefs_[0] = new_first
    theta = current_theta(estimator)
    assert theta is not old and not np.shares_memory(theta, old)
    assert current_theta(estimator) is theta  # the views again
    np.testing.assert_array_equal(estimator.coefs_[0], new_first)
    assert estimator.coefs_[0] is not new_first
    for array in estimator.coefs_ + estimator.intercepts_:
        assert np.shares_memory(array, theta)
    np.testing.assert_array_equal(theta[: new_first.size], new_first.ravel())


def test_a_replaced_element_keeps_the_numeric_embedding(data):
    X, y = data
    estimator = TabularMLPClassifier(
        hidden_layer_sizes=(4,), max_iter=3, n_members=1, random_state=0,
        numeric_embedding="periodic",
    ).fit(X, y)
    proba = estimator.predict_proba(X)
    old = current_theta(estimator)
    estimator.coefs_[1] = estimator.coefs_[1].copy()
    theta = current_theta(estimator)
    assert theta is not old and estimator._layout.n_embedded == X.shape[1]
    assert_array_equal(theta, old)
    assert_array_equal(estimator.predict_proba(X), proba)


def test_current_theta_follows_reassigned_lists_of_other_shapes(data):
    X, _ = data
    estimator = fitted(data)
    n_classes = estimator.n_outputs_
    rng = np.random.RandomState(2)
    units = [X.shape[1], 6, 5, n_classes]
    coefs = [rng.normal(size=shape) for shape in zip(units[:-1], units[1:])]
    intercepts = [rng.normal(size=n) for n in units[1:]]
    estimator.coefs_, estimator.intercepts_ = coefs, intercepts
    theta = current_theta(estimator)
    assert estimator.n_layers_ == len(units) and estimator.n_outputs_ == n_classes
    assert theta.size == sum(a.size for a in coefs + intercepts)
    views = estimator.coefs_ + estimator.intercepts_
    for given, view in zip(coefs + intercepts, views):
        np.testing.assert_array_equal(view, given)
        assert np.shares_memory(view, theta)
    # Predictions follow the new network: a hand-written forward pass.
    hidden = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        hidden = np.maximum(hidden @ W + b, 0)
    logits = hidden @ coefs[-1] + intercepts[-1]
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(estimator.predict_proba(X), expected, rtol=1e-10)


def test_current_theta_takes_the_common_floating_dtype(data):
    estimator = fitted(data)
    coefs = [c.astype(np.float32) for c in estimator.coefs_]
    intercepts = [b.astype(np.float32) for b in estimator.intercepts_]
    estimator.coefs_, estimator.intercepts_ = coefs, intercepts
    assert current_theta(estimator).dtype == np.float32
    estimator.intercepts_ = [b.astype(np.float64) for b in intercepts]
    assert current_theta(estimator).dtype == np.float64


@pytest.mark.parametrize(
    "breakage",
    ["shape", "count", "ndim", "strings", "none", "scalar"],
)
def test_current_theta_refuses_lists_that_do_not_describe_a_network(data, breakage):
    estimator = fitted(data)
    coefs, intercepts = list(estimator.coefs_), list(estimator.intercepts_)
    if breakage == "shape":
        coefs[1] = np.zeros((coefs[1].shape[0] + 1, coefs[1].shape[1]))
    elif breakage == "count":
        intercepts = intercepts[:1]
    elif breakage == "ndim":
        intercepts[0] = intercepts[0][None, :]
    elif breakage == "none":
        coefs[0] = None
    elif breakage == "scalar":
        coefs[1] = 1.0
    else:
        coefs[0] = np.full(coefs[0].shape, "a")
    estimator.coefs_, estimator.intercepts_ = coefs, intercepts
    with pytest.raises(ValueError, match="do not describe a network"):
        current_theta(estimator)


def test_current_theta_refuses_what_is_not_a_list_of_arrays(data):
    estimator = fitted(data)
    estimator.coefs_ = 5
    with pytest.raises(ValueError, match="must be lists of arrays"):
        current_theta(estimator)


# -- weights assigned by hand ------------------------------------------------------


def relu_forward(X, coefs, intercepts):
    """The output pre-activation of a ReLU network, by hand."""
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        A = A @ W + b
        if i < len(coefs) - 1:
            A = np.maximum(A, 0)
    return A


@pytest.mark.parametrize("hidden", [(7,), (4, 6)])
def test_assigned_weights_of_another_shape_decide_the_layers(
    hidden, binary_data, smaller
):
    X, y = binary_data
    clf = ScratchMLPClassifier(max_iter=5, **smaller).fit(X, y)
    rng = np.random.RandomState(1)
    units = [X.shape[1], *hidden, 1]
    coefs = [rng.randn(a, b) for a, b in zip(units[:-1], units[1:])]
    intercepts = [rng.randn(b) for b in units[1:]]
    clf.coefs_, clf.intercepts_ = coefs, intercepts
    expected = expit(relu_forward(X, coefs, intercepts)).ravel()
    assert_allclose(clf.predict_proba(X)[:, 1], expected, rtol=1e-12)
    assert clf.n_layers_ == len(units)
    assert clf.n_outputs_ == 1


def test_replacing_one_weight_array_takes_effect_as_in_sklearn(
    multiclass_data, smaller
):
    X, y = multiclass_data
    ours = ScratchMLPClassifier(max_iter=5, **smaller).fit(X, y)
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


def test_weight_lists_that_describe_no_network_are_refused(binary_data, smaller):
    X, y = binary_data
    clf = ScratchMLPClassifier(max_iter=2, **smaller).fit(X, y)
    clf.intercepts_ = [np.zeros(3), np.zeros(1)]  # the hidden layer has 5 units
    with pytest.raises(ValueError, match="do not describe a network"):
        clf.predict(X)


# -- pickling ---------------------------------------------------------------------


def test_pickled_estimator_keeps_weights_as_views_into_theta(data):
    X, _ = data
    estimator = fitted(data)
    pickled = pickle.dumps(estimator)
    loaded = pickle.loads(pickled)
    # The weights come back as views into one vector, not as separate copies.
    bases = {id(a.base) for a in loaded.coefs_ + loaded.intercepts_}
    assert len(bases) == 1 and loaded.coefs_[0].base is not None
    theta = current_theta(loaded)
    for array in loaded.coefs_ + loaded.intercepts_:
        assert np.shares_memory(array, theta)
    np.testing.assert_array_equal(loaded.predict_proba(X), estimator.predict_proba(X))
    loaded.coefs_[0][...] = 0  # still reaches the network
    assert current_theta(loaded) is theta
    assert not np.array_equal(loaded.predict_proba(X), estimator.predict_proba(X))


def test_pickled_estimator_keeps_a_replaced_element(data):
    X, _ = data
    estimator = fitted(data)
    original = estimator.predict_proba(X)
    estimator.coefs_[0] = estimator.coefs_[0] * 3  # a new array, not a view
    loaded = pickle.loads(pickle.dumps(estimator))  # pickled before any repacking
    np.testing.assert_array_equal(loaded.coefs_[0], estimator.coefs_[0])
    expected = estimator.predict_proba(X)
    assert not np.allclose(expected, original)
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


# -- restored_on_error ------------------------------------------------------------


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_restored_on_error_puts_back_the_attributes_and_reraises(error):
    obj = SimpleNamespace(a=1, b=[1, 2])
    before = dict(vars(obj))
    with pytest.raises(error):
        with restored_on_error(obj):
            obj.a = 2
            obj.c = 3
            del obj.b
            raise error
    assert vars(obj) == before and obj.b is before["b"]


def test_restored_on_error_keeps_the_changes_without_error():
    obj = SimpleNamespace(a=1)
    with restored_on_error(obj):
        obj.a = 2
        obj.c = 3
    assert vars(obj) == {"a": 2, "c": 3}


def test_restored_on_error_rolls_back_a_failed_fit(data):
    X, y = data
    estimator = fitted(data)
    before = dict(vars(estimator))
    estimator.set_params(warm_start=True, hidden_layer_sizes=(7,))
    with pytest.raises(ValueError, match="layer sizes"):
        estimator.fit(X, y)
    assert set(vars(estimator)) == set(before)
    for name in ("coefs_", "loss_curve_", "n_iter_"):
        assert vars(estimator)[name] is before[name]
