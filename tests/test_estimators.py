"""Behaviour shared by both estimators: sklearn integration, continuation, agreement,
parameter checks, precision."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor

# Short fits stop at max_iter and warn, as in scikit-learn; tests about warnings
# set their own filters.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PAIRS = [(ScratchMLPClassifier, MLPClassifier), (ScratchMLPRegressor, MLPRegressor)]


@pytest.fixture
def data(request, multiclass_data, regression_data):
    return multiclass_data if request.param is ScratchMLPClassifier else regression_data


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_signature_matches_sklearn(ours, theirs):
    """Same parameters, defaults and positional/keyword kinds; dropout added."""
    import inspect

    sk = inspect.signature(theirs.__init__).parameters
    own = inspect.signature(ours.__init__).parameters
    assert list(own)[: len(sk)] == list(sk)
    for name, parameter in sk.items():
        assert own[name].default == parameter.default, name
        assert own[name].kind == parameter.kind, name
    assert own["dropout"].default == 0.0
    assert own["dropout"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize(
    "settings",
    [
        dict(solver="adam"),
        dict(solver="sgd", learning_rate="adaptive"),
        dict(solver="sgd", learning_rate="invscaling", nesterovs_momentum=False),
        dict(solver="adam", activation="tanh", batch_size=32, alpha=0.1),
        dict(solver="sgd", activation="logistic", shuffle=False),
    ],
)
@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_fit_matches_sklearn_from_the_same_seed(
    ours, theirs, settings, multiclass_data, regression_data
):
    """Same random_state, same data: the same weights to rounding error."""
    X, y = multiclass_data if ours is ScratchMLPClassifier else regression_data
    params = dict(hidden_layer_sizes=(7, 5), max_iter=15, random_state=0, **settings)
    a = ours(**params).fit(X, y)
    b = theirs(**params).fit(X, y)
    for mine, sk in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(mine, sk, rtol=1e-9, atol=1e-12)
    assert a.n_iter_ == b.n_iter_
    assert a.loss_ == pytest.approx(b.loss_, rel=1e-9)
    if settings["solver"] != "lbfgs":
        np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-9)
        assert a.t_ == b.t_


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_lbfgs_fit_matches_sklearn(ours, theirs, multiclass_data, regression_data):
    X, y = multiclass_data if ours is ScratchMLPClassifier else regression_data
    a = ours(solver="lbfgs", random_state=0).fit(X, y)
    b = theirs(solver="lbfgs", random_state=0).fit(X, y)
    assert a.n_iter_ == b.n_iter_
    if ours is ScratchMLPClassifier:
        np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-9)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-8)


def test_log_loss_is_exact_where_sklearn_clips():
    """sklearn clips probabilities at eps, so its loss is capped where ours is not.

    L-BFGS line searches that probe such points can then take another path.
    """
    from scipy.special import log_softmax

    from skscratchnn._network import Network, Workspace, loss_and_grad
    from skscratchnn._params import ParamLayout

    X = np.array([[60.0, -60.0], [1.0, 2.0]])
    Y = np.array([[1.0], [0.0]])
    network = Network(ParamLayout([2, 1]), "relu", "logistic")
    theta = np.array([-1.0, 1.0, 0.0])  # W = [[-1], [1]], b = [0]
    logits = X @ theta[:2]
    log_p = log_softmax(np.column_stack([np.zeros(2), logits]), axis=1)
    exact = -np.mean(log_p[[0, 1], [1, 0]])
    loss = loss_and_grad(theta, X, Y, None, network, Workspace(network, 2, float))[0]
    assert loss == pytest.approx(exact, rel=1e-12)
    assert exact > 36.0  # -log(eps): sklearn's cap on one sample's loss


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_binary_early_stopping_matches_sklearn(ours, theirs, binary_data):
    X, y = binary_data
    params = dict(hidden_layer_sizes=(6,), early_stopping=True, random_state=0,
                  max_iter=40, n_iter_no_change=5)
    a = ours(**params).fit(X, y)
    b = theirs(**params).fit(X, y)
    np.testing.assert_allclose(a.validation_scores_, b.validation_scores_)
    assert a.best_validation_score_ == b.best_validation_score_
    np.testing.assert_allclose(a.predict(X), b.predict(X))


def test_multioutput_lbfgs_reaches_sklearn_quality(multioutput_regression_data):
    """sklearn's multi-output L-BFGS gradient is off by n_outputs; ours is exact."""
    X, y = multioutput_regression_data
    ours = ScratchMLPRegressor(solver="lbfgs", random_state=0).fit(X, y)
    theirs = MLPRegressor(solver="lbfgs", random_state=0).fit(X, y)
    assert ours.score(X, y) > 0.99
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), abs=0.01)


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_pipeline_grid_search_and_cross_validation(Estimator, multiclass_data,
                                                   regression_data):
    X, y = multiclass_data if Estimator is ScratchMLPClassifier else regression_data
    pipe = make_pipeline(
        StandardScaler(), Estimator(max_iter=50, learning_rate_init=0.01, random_state=0)
    )
    step = pipe.steps[-1][0]
    grid = {f"{step}__alpha": [1e-4, 1e-1], f"{step}__dropout": [0.0, 0.2],
            f"{step}__hidden_layer_sizes": [(8,), (8, 4)]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    scores = cross_val_score(search.best_estimator_, X, y, cv=3)
    assert len(search.cv_results_["params"]) == 8
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert scores.mean() > 0.5


@pytest.mark.parametrize("data", [ScratchMLPClassifier, ScratchMLPRegressor],
                         indirect=True)
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_same_seed_gives_bitwise_identical_models(data, dropout):
    X, y = data
    Estimator = ScratchMLPClassifier if y.dtype.kind == "i" else ScratchMLPRegressor
    a = Estimator(max_iter=5, dropout=dropout, random_state=7).fit(X, y)
    b = clone(a).fit(X, y)
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert np.array_equal(p, q)


def test_pickle_round_trip_predicts_identically_and_continues(multiclass_data):
    X, y = multiclass_data
    clf = ScratchMLPClassifier(max_iter=5, dropout=0.2, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.predict_proba(X), clf.predict_proba(X))
    clf.partial_fit(X, y)
    restored.partial_fit(X, y)
    assert np.array_equal(restored.coefs_[0], clf.coefs_[0])


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_partial_fit_continues_where_fit_stopped(Estimator, multiclass_data,
                                                 regression_data):
    """fit for 3 epochs == fit for 1 epoch then 2 partial_fit calls (no shuffle)."""
    X, y = multiclass_data if Estimator is ScratchMLPClassifier else regression_data
    params = dict(max_iter=3, shuffle=False, random_state=0, tol=0)
    full = Estimator(**params).fit(X, y)
    stepwise = Estimator(**{**params, "max_iter": 1}).fit(X, y)
    stepwise.partial_fit(X, y)
    stepwise.partial_fit(X, y)
    np.testing.assert_allclose(stepwise.coefs_[0], full.coefs_[0], rtol=1e-12)
    assert stepwise.t_ == full.t_
    np.testing.assert_allclose(stepwise.loss_curve_, full.loss_curve_, rtol=1e-12)


def test_warm_start_continues_with_the_optimizer_state(multiclass_data):
    """Two warm-started fits of 2 epochs equal one fit of 4 (Adam moments kept)."""
    X, y = multiclass_data
    params = dict(shuffle=False, random_state=0, tol=0)
    full = ScratchMLPClassifier(max_iter=4, **params).fit(X, y)
    warm = ScratchMLPClassifier(max_iter=2, warm_start=True, **params)
    warm.fit(X, y)
    warm.fit(X, y)
    np.testing.assert_allclose(warm.coefs_[0], full.coefs_[0], rtol=1e-12)


def test_partial_fit_takes_classes_on_first_call(multiclass_data):
    X, y = multiclass_data
    clf = ScratchMLPClassifier(random_state=0)
    clf.partial_fit(X[:20], y[:20], classes=np.unique(y))
    assert list(clf.classes_) == [0, 1, 2]
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y + 5)


def test_partial_fit_refuses_y_with_classes_not_in_classes(binary_data):
    X, y = binary_data
    clf = ScratchMLPClassifier(solver="sgd", random_state=0)
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, y, classes=[1, 2])
    assert not hasattr(clf, "classes_")  # a failed call leaves it unfitted


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_partial_fit_only_for_stochastic_solvers(Estimator):
    assert not hasattr(Estimator(solver="lbfgs"), "partial_fit")
    assert hasattr(Estimator(solver="sgd"), "partial_fit")


def test_assigned_weights_are_used_for_prediction_and_training(multiclass_data):
    X, y = multiclass_data
    source = MLPClassifier((6,), max_iter=30, random_state=0).fit(X, y)
    ours = ScratchMLPClassifier((6,), max_iter=1, random_state=1).fit(X, y)
    ours.coefs_ = source.coefs_
    ours.intercepts_ = source.intercepts_
    np.testing.assert_allclose(ours.predict_proba(X), source.predict_proba(X))
    ours.coefs_[0][:] = 0  # in-place writes reach the network too
    assert np.allclose(ours.predict_proba(X), ours.predict_proba(X[::-1])[::-1])

    fresh = ScratchMLPClassifier((6,), random_state=0)
    fresh.coefs_ = source.coefs_
    fresh.intercepts_ = source.intercepts_
    fresh.partial_fit(X, y, classes=np.unique(y))
    # One epoch from the transplanted weights stays close to them.
    assert np.abs(fresh.coefs_[0] - source.coefs_[0]).max() < 0.1


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(alpha=-1), "alpha"),
        (dict(solver="newton"), "solver"),
        (dict(activation="swish"), "activation"),
        (dict(dropout=1.0), "dropout"),
        (dict(batch_size=0), "batch_size"),
        (dict(learning_rate="cosine-ish"), "learning_rate"),
        (dict(max_iter=0), "max_iter"),
    ],
)
@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_invalid_parameters_raise_naming_the_parameter(Estimator, params, match,
                                                       binary_data):
    with pytest.raises(InvalidParameterError, match=match):
        Estimator(**params).fit(*binary_data)


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_unknown_keyword_names_the_class_called(Estimator):
    with pytest.raises(TypeError, match=rf"^{Estimator.__name__}\.__init__\(\)"):
        Estimator(hidden_units=3)


@pytest.mark.parametrize("sizes", [(0.5,), (2.7,), (3, 1.0), 2.0])
def test_non_integer_hidden_layer_sizes_are_refused(sizes, binary_data):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        ScratchMLPClassifier(hidden_layer_sizes=sizes).fit(*binary_data)


def test_dropout_with_lbfgs_names_both_parameters(binary_data):
    with pytest.raises(ValueError, match="dropout.*lbfgs"):
        ScratchMLPClassifier(solver="lbfgs", dropout=0.1).fit(*binary_data)


def test_dropout_sequence_needs_one_rate_per_hidden_layer(binary_data):
    with pytest.raises(ValueError, match="one rate per hidden layer"):
        ScratchMLPClassifier((4, 4), dropout=[0.1, 0.2, 0.3]).fit(*binary_data)


def test_float32_is_trained_and_predicted_in_float32(multiclass_data):
    X, y = multiclass_data
    clf = ScratchMLPClassifier(max_iter=5, random_state=0).fit(X.astype(np.float32), y)
    assert clf.coefs_[0].dtype == np.float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float64


def test_float64_model_predicts_float32_input_in_float64(regression_data, smaller):
    X, y = regression_data
    reg = ScratchMLPRegressor(max_iter=20, **smaller).fit(X, 1e6 + y)
    X32 = X.astype(np.float32)
    prediction = reg.predict(X32)
    assert prediction.dtype == np.float64
    assert_array_equal(prediction, reg.predict(X32.astype(np.float64)))


def test_failed_fit_leaves_the_estimator_as_it_was(multiclass_data):
    X, y = multiclass_data
    clf = ScratchMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    before = {k: v for k, v in vars(clf).items()}
    coefs = [c.copy() for c in clf.coefs_]
    with pytest.raises(ValueError):
        clf.fit(X[:, :3], np.where(y == 0, "a", "b"), sample_weight=-np.ones(len(y)))
    assert vars(clf).keys() == before.keys()
    for old, new in zip(coefs, clf.coefs_):
        assert np.array_equal(old, new)
