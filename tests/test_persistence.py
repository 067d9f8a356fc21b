"""Saving and loading fitted estimators: pickle, joblib and skops."""

import io
import pickle

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(hidden_layer_sizes=(8, 4), max_iter=20, random_state=0)

ESTIMATORS = {
    "classifier-adam-dropout": (
        ScratchMLPClassifier(dropout=0.2, **FAST),
        "multiclass_data",
    ),
    "classifier-sgd": (ScratchMLPClassifier(solver="sgd", **FAST), "binary_data"),
    "classifier-lbfgs": (
        ScratchMLPClassifier(solver="lbfgs", **FAST),
        "multilabel_data",
    ),
    "regressor-adam": (ScratchMLPRegressor(dropout=0.1, **FAST), "regression_data"),
}


def pickle_round_trip(estimator):
    return pickle.loads(pickle.dumps(estimator))


def joblib_round_trip(estimator):
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def predictions(estimator, X):
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    return estimator.predict(X)


def assert_same_model(loaded, original, X, y):
    """Check that ``loaded`` predicts, and goes on training, as ``original`` does."""
    assert type(loaded) is type(original)
    assert_array_equal(predictions(loaded, X), predictions(original, X))
    if original.solver != "lbfgs":
        before = predictions(original, X)
        original.partial_fit(X, y)
        loaded.partial_fit(X, y)
        assert not np.array_equal(predictions(original, X), before)
        # Equal only if the optimizer state (moments, velocity, t_) was restored.
        assert_array_equal(predictions(loaded, X), predictions(original, X))
        assert loaded.t_ == original.t_


@pytest.mark.parametrize("round_trip", [pickle_round_trip, joblib_round_trip])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_round_trip_keeps_predictions_and_training_state(name, round_trip, request):
    estimator, data = ESTIMATORS[name]
    X, y = request.getfixturevalue(data)
    original = estimator.__class__(**estimator.get_params()).fit(X, y)
    assert_same_model(round_trip(original), original, X, y)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_skops_round_trip_needs_only_our_types_trusted(name, request, tmp_path):
    sio = pytest.importorskip("skops.io")
    from skops.io.exceptions import UntrustedTypesFoundException

    estimator, data = ESTIMATORS[name]
    X, y = request.getfixturevalue(data)
    original = estimator.__class__(**estimator.get_params()).fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(original, path)

    untrusted = sio.get_untrusted_types(file=path)
    assert type(original).__name__ in " ".join(untrusted)
    assert all(name.startswith("skscratchnn.") for name in untrusted), untrusted
    with pytest.raises(UntrustedTypesFoundException):
        sio.load(path)
    loaded = sio.load(path, trusted=untrusted)
    assert_same_model(loaded, original, X, y)


def test_skops_loads_a_to_sklearn_export_with_no_trusted_types(binary_data, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = binary_data
    original = ScratchMLPClassifier(dropout=0.2, **FAST).fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(original.to_sklearn(), path)
    assert sio.get_untrusted_types(file=path) == []
    assert_array_equal(sio.load(path).predict_proba(X), original.predict_proba(X))
