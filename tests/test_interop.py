"""to_sklearn(): conversion to scikit-learn's MLPClassifier / MLPRegressor."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils._param_validation import StrOptions

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor
from skscratchnn._activations import ACTIVATIONS

SKLEARN_ACTIVATIONS = {"identity", "logistic", "tanh", "relu"}

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)

# id -> (estimator, data fixture, dtype); between them they cover every output
# activation, hidden activation and solver scikit-learn has, and dropout.
CASES = {
    "binary": (
        ScratchMLPClassifier(activation="tanh", dropout=0.2, **FAST),
        "binary_data",
        np.float64,
    ),
    "multiclass": (
        ScratchMLPClassifier(
            activation="logistic",
            solver="lbfgs",
            **{**FAST, "hidden_layer_sizes": (8, 4)},
        ),
        "multiclass_data",
        np.float64,
    ),
    "multilabel": (
        ScratchMLPClassifier(solver="sgd", dropout=0.1, **FAST),
        "multilabel_data",
        np.float64,
    ),
    "regression": (
        ScratchMLPRegressor(solver="lbfgs", **FAST),
        "regression_data",
        np.float64,
    ),
    "multioutput": (
        ScratchMLPRegressor(activation="identity", dropout=0.2, **FAST),
        "multioutput_regression_data",
        np.float64,
    ),
    "poisson": (
        ScratchMLPRegressor(loss="poisson", solver="lbfgs", **FAST),
        "poisson_data",
        np.float64,
    ),
    "float32-classifier": (
        ScratchMLPClassifier(dropout=0.2, **FAST),
        "multiclass_data",
        np.float32,
    ),
    "float32-regressor": (
        ScratchMLPRegressor(activation="tanh", **FAST),
        "regression_data",
        np.float32,
    ),
}

SHARED_FITTED_ATTRIBUTES = (
    "n_features_in_",
    "n_iter_",
    "t_",
    "loss_",
    "n_layers_",
    "n_outputs_",
    "out_activation_",
)


@pytest.fixture(scope="module")
def poisson_data(regression_data):
    X, y = regression_data
    return X, np.round(np.exp(y))


@pytest.fixture(params=list(CASES), scope="module")
def fitted_pair(request):
    """A fitted estimator of ours, its conversion, and data to predict on."""
    estimator, data, dtype = CASES[request.param]
    X, y = request.getfixturevalue(data)
    X = X.astype(dtype)
    ours = estimator.__class__(**estimator.get_params()).fit(X, y)
    return ours, ours.to_sklearn(), X, y


def test_to_sklearn_returns_sklearn_class_with_same_params(fitted_pair):
    ours, theirs, _, _ = fitted_pair
    expected = MLPClassifier if isinstance(ours, ScratchMLPClassifier) else MLPRegressor
    assert type(theirs) is expected
    ours_params = ours.get_params()
    for name, value in theirs.get_params().items():
        assert value == ours_params[name], name


def test_to_sklearn_copies_weights_and_fitted_attributes(fitted_pair):
    ours, theirs, _, _ = fitted_pair
    for mine, copied in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_
    ):
        assert copied.dtype == mine.dtype
        assert_array_equal(copied, mine)
        assert not np.shares_memory(copied, ours._theta)
    for name in SHARED_FITTED_ATTRIBUTES:
        assert getattr(theirs, name) == getattr(ours, name), name
    if isinstance(ours, ScratchMLPClassifier):
        assert_array_equal(theirs.classes_, ours.classes_)


def test_to_sklearn_predicts_as_ours(fitted_pair):
    ours, theirs, X, y = fitted_pair
    tol = dict(rtol=1e-5, atol=1e-6) if X.dtype == np.float32 else dict(rtol=1e-12)
    if isinstance(ours, ScratchMLPClassifier):
        assert_array_equal(theirs.predict(X), ours.predict(X))
        assert_allclose(theirs.predict_proba(X), ours.predict_proba(X), **tol)
        assert_allclose(theirs.predict_log_proba(X), ours.predict_log_proba(X), **tol)
    else:
        assert_allclose(theirs.predict(X), ours.predict(X), **tol)
    assert_allclose(theirs.score(X, y), ours.score(X, y), **tol)


def test_to_sklearn_works_with_inspection_tools(fitted_pair):
    ours, theirs, X, y = fitted_pair
    X = X.astype(np.float64)
    kwargs = dict(n_repeats=2, random_state=0)
    theirs_importance = permutation_importance(theirs, X, y, **kwargs)
    ours_importance = permutation_importance(ours, X, y, **kwargs)
    assert_allclose(theirs_importance.importances, ours_importance.importances)
    if ours.out_activation_ == "logistic" and ours.n_outputs_ > 1:
        return  # partial_dependence does not take multilabel classifiers
    kwargs = dict(features=[0], grid_resolution=5)
    theirs_dependence = partial_dependence(theirs, X, **kwargs)
    ours_dependence = partial_dependence(ours, X, **kwargs)
    assert_allclose(theirs_dependence["average"], ours_dependence["average"])


def test_to_sklearn_keeps_feature_names(binary_data):
    pd = pytest.importorskip("pandas")
    X, y = binary_data
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    theirs = ScratchMLPClassifier(**FAST).fit(X, y).to_sklearn()
    assert_array_equal(theirs.feature_names_in_, X.columns)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error", UserWarning
        )  # "X does not have valid feature names"
        theirs.predict(X)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_to_sklearn_result_can_go_on_training(binary_data, solver):
    X, y = binary_data
    theirs = ScratchMLPClassifier(solver=solver, **FAST).fit(X, y).to_sklearn()
    coefs_before = [c.copy() for c in theirs.coefs_]
    if solver == "lbfgs":
        theirs.set_params(warm_start=True, max_iter=5).fit(X, y)
    else:
        t_before = theirs.t_
        theirs.partial_fit(X, y)
        assert theirs.t_ == t_before + len(X)
    assert not np.array_equal(theirs.coefs_[0], coefs_before[0])


@pytest.mark.parametrize("activation", sorted(set(ACTIVATIONS) - SKLEARN_ACTIVATIONS))
def test_to_sklearn_rejects_activation_sklearn_lacks(binary_data, activation):
    X, y = binary_data
    ours = ScratchMLPClassifier(activation=activation, **{**FAST, "max_iter": 2})
    with pytest.raises(ValueError, match=f"activation='{activation}'"):
        ours.fit(X, y).to_sklearn()


def test_to_sklearn_follows_the_fitted_network_not_later_params(binary_data):
    X, y = binary_data
    ours = ScratchMLPClassifier(**FAST).fit(X, y)
    ours.set_params(activation="gelu", hidden_layer_sizes=(3, 3))
    theirs = ours.to_sklearn()
    assert theirs.activation == "relu"
    assert theirs.hidden_layer_sizes == (8,)
    assert_array_equal(theirs.predict_proba(X), ours.predict_proba(X))

    gelu = ScratchMLPClassifier(activation="gelu", **FAST).fit(X, y)
    with pytest.raises(ValueError, match="activation='gelu'"):
        gelu.set_params(activation="relu").to_sklearn()


def test_to_sklearn_rejects_params_missing_from_installed_sklearn(
    regression_data, monkeypatch
):
    # scikit-learn < 1.7 has no MLPRegressor(loss=...): only its default converts.
    names = [n for n in MLPRegressor._get_param_names() if n != "loss"]
    monkeypatch.setattr(
        MLPRegressor, "_get_param_names", classmethod(lambda cls: names)
    )
    X, y = regression_data
    default_loss = ScratchMLPRegressor(solver="lbfgs", **FAST).fit(X, y)
    assert "loss" not in default_loss.to_sklearn().get_params()
    poisson = ScratchMLPRegressor(loss="poisson", solver="lbfgs", **FAST).fit(X, y**2)
    with pytest.raises(ValueError, match="loss='poisson'"):
        poisson.to_sklearn()


def test_to_sklearn_gives_training_only_values_sklearn_rejects_its_default(
    binary_data, monkeypatch
):
    constraints = {**MLPClassifier._parameter_constraints}
    constraints["learning_rate"] = [StrOptions({"constant"})]
    monkeypatch.setattr(MLPClassifier, "_parameter_constraints", constraints)
    X, y = binary_data
    ours = ScratchMLPClassifier(solver="sgd", learning_rate="adaptive", **FAST)
    theirs = ours.fit(X, y).to_sklearn()
    assert theirs.learning_rate == "constant"
    assert_array_equal(theirs.predict_proba(X), ours.predict_proba(X))


def test_to_sklearn_needs_a_fitted_estimator():
    with pytest.raises(NotFittedError):
        ScratchMLPRegressor().to_sklearn()


def test_to_sklearn_leaves_the_estimator_alone(binary_data):
    X, y = binary_data
    ours = ScratchMLPClassifier(solver="sgd", **FAST).fit(X, y)
    proba = ours.predict_proba(X)
    theirs = ours.to_sklearn()
    theirs.partial_fit(X, y)
    assert_array_equal(ours.predict_proba(X), proba)
