"""Determinism: a seed fixes the fit bit for bit, in any process, after pickling;
a row's prediction does not depend on the other rows of its batch."""

import pickle

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from skscratchnn import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    TabularMLPRegressor,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

RNG = np.random.RandomState(0)
X = RNG.randn(90, 5)
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
Y_REAL = X @ [1.0, -2.0, 0.5, 0.0, 0.3]
PARAMS = dict(hidden_layer_sizes=(7, 4), max_iter=15, batch_size=16, random_state=3)


def weights(est):
    return [w.tobytes() for w in est.coefs_ + est.intercepts_]


# Dropout needs a stochastic solver; early stopping adds the validation split.
@pytest.mark.parametrize(
    "solver, dropout", [("adam", 0.0), ("adam", 0.3), ("sgd", 0.3), ("lbfgs", 0.0)]
)
@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_same_seed_gives_bitwise_identical_fits(Estimator, solver, dropout, targets):
    early_stopping = solver != "lbfgs"
    params = dict(PARAMS, solver=solver, dropout=dropout, early_stopping=early_stopping)
    first = Estimator(**params).fit(X, targets(Estimator))
    second = Estimator(**params).fit(X, targets(Estimator))
    assert weights(first) == weights(second)
    assert first.n_iter_ == second.n_iter_


def test_different_seeds_give_different_fits():
    first = ScratchMLPClassifier(**PARAMS).fit(X, Y_CLASS)
    second = ScratchMLPClassifier(**{**PARAMS, "random_state": 4}).fit(X, Y_CLASS)
    assert weights(first) != weights(second)


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_fits_in_worker_processes_match_in_process_fits(Estimator, targets):
    est = Estimator(dropout=0.2, **PARAMS)
    cv = KFold(3, shuffle=True, random_state=0)
    results = [
        cross_validate(est, X, targets(Estimator), cv=cv, n_jobs=n_jobs,
                       return_estimator=True)
        for n_jobs in (1, 2)
    ]
    for in_process, in_worker in zip(*(r["estimator"] for r in results)):
        assert weights(in_process) == weights(in_worker)
    np.testing.assert_array_equal(results[0]["test_score"], results[1]["test_score"])


def test_grid_search_is_independent_of_n_jobs():
    grid = {"alpha": [1e-4, 1e-1], "dropout": [0.0, 0.2]}
    searches = [
        GridSearchCV(ScratchMLPClassifier(**PARAMS), grid, cv=3, n_jobs=n_jobs).fit(
            X, Y_CLASS
        )
        for n_jobs in (1, 2)
    ]
    for key in [f"split{i}_test_score" for i in range(3)]:
        np.testing.assert_array_equal(
            searches[0].cv_results_[key], searches[1].cv_results_[key]
        )
    assert weights(searches[0].best_estimator_) == weights(searches[1].best_estimator_)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_pickled_model_predicts_and_continues_identically(Estimator, solver, targets):
    y = targets(Estimator)
    original = Estimator(solver=solver, dropout=0.2, **PARAMS).fit(X, y)
    restored = pickle.loads(pickle.dumps(original))
    np.testing.assert_array_equal(restored.predict(X), original.predict(X))
    if Estimator is ScratchMLPClassifier:
        np.testing.assert_array_equal(
            restored.predict_proba(X), original.predict_proba(X)
        )
    for est in (original, restored):
        est.partial_fit(X[:50], y[:50]).partial_fit(X[50:], y[50:])
    assert weights(restored) == weights(original)
    assert restored.loss_curve_ == original.loss_curve_
    assert restored.t_ == original.t_


# -- batch invariance ----------------------------------------------------------------


def batch_predictions(predict, X):
    """Yield (rows, predictions) for the rows of X in other batches than all of X."""
    perm = np.random.RandomState(1).permutation(len(X))
    yield perm, predict(X[perm])
    for rows in (slice(0, 1), slice(0, 5), slice(5, 37), slice(37, 300)):
        yield rows, predict(X[rows])


def small_net(Estimator):
    return Estimator(hidden_layer_sizes=(256, 128), max_iter=2, random_state=0)


# The drop-in estimators fitted on float32 data predict in float32, as
# scikit-learn's MLPs do, which some kernels round differently per batch. The
# tabular ones hold float32 weights and predict in float64 whatever the input,
# their periodic embedding of the numeric columns too.
@pytest.mark.parametrize("estimator, dtype", [
    (small_net(ScratchMLPClassifier), np.float64),
    (small_net(ScratchMLPRegressor), np.float64),
    *((Estimator(max_iter=2, random_state=0), dtype)
      for Estimator in (TabularMLPClassifier, TabularMLPRegressor)
      for dtype in (np.float64, np.float32)),
    *((Estimator(max_iter=2, random_state=0, numeric_embedding="periodic"), np.float64)
      for Estimator in (TabularMLPClassifier, TabularMLPRegressor)),
], ids=lambda param: getattr(param, "__name__", type(param).__name__))
def test_a_prediction_does_not_depend_on_the_rest_of_the_batch(estimator, dtype):
    """On every BLAS kernel: CI runs this under several OPENBLAS_CORETYPE."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(600, 30)).astype(dtype)
    y = X[:, 0] + np.sin(X[:, 1])
    if is_classifier(estimator):
        estimator.fit(X, y > 0)
        predict = estimator.predict_proba
    else:
        predict = estimator.fit(X, y).predict
    everything = predict(X)
    for rows, predictions in batch_predictions(predict, X):
        np.testing.assert_allclose(predictions, everything[rows], rtol=1e-12, atol=0)
