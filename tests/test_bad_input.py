"""Bad input: each case raises the right error naming the problem and the input.

Also checks that every accepted input (sparse formats, object arrays of numbers)
gives what the dense float array gives, and that nothing passed in is modified.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

FAST = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
ESTIMATORS = [ScratchMLPClassifier, ScratchMLPRegressor]
RNG = np.random.RandomState(0)
X = RNG.randn(30, 4)
Y_CLASS = np.arange(30) % 3
Y_REAL = RNG.randn(30)
SPARSE_FORMATS = ["csr", "csc", "coo", "lil", "dok", "bsr", "dia"]


@pytest.fixture(scope="module")
def fitted(targets):
    """``fitted(Estimator)``: a quick fit on this module's data."""
    return lambda Estimator: Estimator(**FAST).fit(X, targets(Estimator))


# -- non-finite values -----------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    row=st.integers(0, 29),
    col=st.integers(0, 3),
    value=st.sampled_from([np.nan, np.inf, -np.inf]),
    dtype=st.sampled_from([np.float32, np.float64]),
    Estimator=st.sampled_from(ESTIMATORS),
)
def test_fit_rejects_non_finite_X(row, col, value, dtype, Estimator, targets):
    X_bad = X.astype(dtype)
    X_bad[row, col] = value
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        Estimator(**FAST).fit(X_bad, targets(Estimator))


@settings(max_examples=15, deadline=None)
@given(row=st.integers(0, 29), value=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_fit_rejects_non_finite_y(row, value):
    y_bad = Y_REAL.copy()
    y_bad[row] = value
    with pytest.raises(ValueError, match=r"Input y contains (NaN|infinity)"):
        ScratchMLPRegressor(**FAST).fit(X, y_bad)


def test_classifier_rejects_nan_label():
    y_bad = Y_CLASS.astype(float)
    y_bad[3] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        ScratchMLPClassifier(**FAST).fit(X, y_bad)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_predict_rejects_non_finite_X(Estimator, value, fitted):
    X_bad = X.copy()
    X_bad[0, 0] = value
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        fitted(Estimator).predict(X_bad)


# -- shapes ----------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("n_features", [3, 5])
def test_predict_rejects_wrong_number_of_features(Estimator, n_features, fitted):
    with pytest.raises(ValueError, match=f"X has {n_features} features, but .* 4"):
        fitted(Estimator).predict(RNG.randn(5, n_features))


def test_partial_fit_rejects_wrong_number_of_features():
    clf = ScratchMLPClassifier(**FAST).partial_fit(X, Y_CLASS, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="X has 3 features, but .* 4"):
        clf.partial_fit(X[:, :3], Y_CLASS)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "shape, problem",
    [((0, 4), r"0 sample\(s\)"), ((30, 0), r"0 feature\(s\)")],
)
def test_fit_rejects_empty_X(Estimator, shape, problem, targets):
    with pytest.raises(ValueError, match=f"X is invalid: .*{problem}"):
        Estimator(**FAST).fit(np.empty(shape), targets(Estimator)[: shape[0]])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predict_rejects_empty_X(Estimator, fitted):
    with pytest.raises(ValueError, match=r"X is invalid: .*0 sample\(s\)"):
        fitted(Estimator).predict(np.empty((0, 4)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "predict"])
@pytest.mark.parametrize(
    "X_bad, problem",
    [(X.reshape(30, 2, 2), "dim 3"), (X[:, 0], "Expected 2D array, got 1D")],
)
def test_rejects_X_that_is_not_2d(Estimator, method, X_bad, problem, targets, fitted):
    est = fitted(Estimator) if method == "predict" else Estimator(**FAST)
    args = (X_bad,) if method == "predict" else (X_bad, targets(Estimator))
    with pytest.raises(ValueError, match=f"X is invalid: .*{problem}"):
        getattr(est, method)(*args)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("n_targets", [29, 31])
def test_fit_rejects_y_of_wrong_length(Estimator, n_targets, targets):
    y = np.resize(targets(Estimator), n_targets)
    problem = rf"X and y do not match: .*\[30, {n_targets}\]"
    with pytest.raises(ValueError, match=problem):
        Estimator(**FAST).fit(X, y)


def test_predict_with_reordered_columns_names_X_only(binary_data, smaller):
    X, y = binary_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = ScratchMLPClassifier(max_iter=2, **smaller).fit(frame, y)
    with pytest.raises(ValueError) as error:
        clf.predict(frame[frame.columns[::-1]])
    assert "X and y" not in str(error.value)
    assert "feature names" in str(error.value)


# -- types -----------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_rejects_object_X_with_strings(Estimator, targets, fitted):
    X_bad = X.astype(object)
    X_bad[2, 1] = "a"
    with pytest.raises(ValueError, match="X is invalid: could not convert string"):
        Estimator(**FAST).fit(X_bad, targets(Estimator))
    with pytest.raises(ValueError, match="X is invalid: could not convert string"):
        fitted(Estimator).predict(X_bad)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_object_X_of_numbers_is_converted(Estimator, targets):
    # As in scikit-learn: an object array holding numbers is data.
    y = targets(Estimator)
    expected = Estimator(**FAST).fit(X, y)
    est = Estimator(**FAST).fit(X.astype(object), y)
    np.testing.assert_array_equal(est.predict(X.astype(object)), expected.predict(X))


def test_rejects_complex_X():
    with pytest.raises(ValueError, match="X is invalid: Complex data not supported"):
        ScratchMLPClassifier(**FAST).fit(X + 1j, Y_CLASS)


def test_regressor_rejects_string_targets():
    with pytest.raises(ValueError, match="y must hold numbers for regression"):
        ScratchMLPRegressor(**FAST).fit(X, np.array(["a"] * 30))


# -- targets ---------------------------------------------------------------------


@pytest.mark.parametrize("label", [0, "spam"])
def test_classifier_fits_and_predicts_a_single_class_as_sklearn_does(label):
    """Small or imbalanced folds, one-vs-rest on rare labels: y with one class."""
    y = np.full(30, label)
    clf = ScratchMLPClassifier(**FAST).fit(X, y)
    theirs = MLPClassifier(**FAST).fit(X, y)
    assert list(clf.classes_) == list(theirs.classes_) == [label]
    assert (clf.predict(X) == label).all()
    assert (theirs.predict(X) == label).all()
    # Each row's probabilities sum to 1 over classes_, as for any classifier.
    np.testing.assert_array_equal(clf.predict_proba(X), np.ones((30, 1)))


def test_partial_fit_rejects_labels_not_in_classes():
    clf = ScratchMLPClassifier(**FAST).partial_fit(X, Y_CLASS, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, Y_CLASS + 1)


def test_partial_fit_requires_classes_on_first_call():
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        ScratchMLPClassifier(**FAST).partial_fit(X, Y_CLASS)


def test_warm_start_rejects_new_classes():
    clf = ScratchMLPClassifier(warm_start=True, **FAST).fit(X, Y_CLASS)
    with pytest.raises(ValueError, match="warm_start .* same classes"):
        clf.fit(X, Y_CLASS + 1)


@settings(max_examples=15, deadline=None)
@given(row=st.integers(0, 29), value=st.floats(-1e6, -1e-6))
def test_poisson_rejects_negative_targets(row, value):
    y = np.abs(Y_REAL)
    y[row] = value
    with pytest.raises(ValueError, match=r"y are negative .* loss='poisson'"):
        ScratchMLPRegressor(loss="poisson", **FAST).fit(X, y)


# -- sample weights --------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(row=st.integers(0, 29), value=st.floats(-1e6, -1e-6))
def test_rejects_negative_sample_weight(row, value):
    sample_weight = np.ones(30)
    sample_weight[row] = value
    problem = "Negative values in data passed to `sample_weight`"
    with pytest.raises(ValueError, match=problem):
        ScratchMLPClassifier(**FAST).fit(X, Y_CLASS, sample_weight=sample_weight)


@pytest.mark.parametrize(
    "sample_weight, problem",
    [
        (np.zeros(30), "Sample weights must contain at least one non-zero"),
        (np.ones(29), r"sample_weight.shape == \(29,\), expected \(30,\)"),
        (np.ones(31), r"sample_weight.shape == \(31,\), expected \(30,\)"),
        (np.ones((30, 1)), "Sample weights must be 1D"),
        (np.full(30, np.nan), "Input sample_weight contains NaN"),
        (np.full(30, np.inf), "Input sample_weight contains infinity"),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_rejects_bad_sample_weight(Estimator, sample_weight, problem, targets):
    with pytest.raises(ValueError, match=problem):
        Estimator(**FAST).fit(X, targets(Estimator), sample_weight=sample_weight)


def test_all_zero_sample_weight_is_still_an_error(binary_data, smaller):
    X, y = binary_data
    with pytest.raises(ValueError, match="at least one non-zero"):
        ScratchMLPClassifier(**smaller).fit(X, y, sample_weight=np.zeros(len(y)))


# -- sparse formats: all converted to CSR, as dense ---------------------------------


@pytest.mark.parametrize("fmt", SPARSE_FORMATS)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_every_sparse_format_fits_and_predicts_as_dense(Estimator, fmt, targets):
    y = targets(Estimator)
    X_sparse = sp.random(30, 4, density=0.5, format=fmt, random_state=0)
    X_dense = X_sparse.toarray()
    expected = Estimator(**FAST).fit(X_dense, y)
    est = Estimator(**FAST).fit(X_sparse, y)
    for got, want in zip(est.coefs_, expected.coefs_):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        est.predict(X_sparse.asformat(fmt)), expected.predict(X_dense), rtol=1e-10
    )


@pytest.mark.parametrize("fmt", SPARSE_FORMATS)
def test_every_sparse_format_works_with_partial_fit(fmt):
    X_sparse = sp.random(30, 4, density=0.5, format=fmt, random_state=0)
    expected = ScratchMLPClassifier(**FAST).partial_fit(
        X_sparse.toarray(), Y_CLASS, classes=[0, 1, 2]
    )
    clf = ScratchMLPClassifier(**FAST).partial_fit(X_sparse, Y_CLASS, classes=[0, 1, 2])
    np.testing.assert_allclose(clf.coefs_[0], expected.coefs_[0], rtol=1e-10)


# -- not fitted ------------------------------------------------------------------


@pytest.mark.parametrize(
    "Estimator, method",
    [
        (ScratchMLPClassifier, "predict"),
        (ScratchMLPClassifier, "predict_proba"),
        (ScratchMLPClassifier, "predict_log_proba"),
        (ScratchMLPClassifier, "score"),
        (ScratchMLPRegressor, "predict"),
        (ScratchMLPRegressor, "score"),
    ],
)
def test_methods_before_fit_raise_not_fitted(Estimator, method, targets):
    args = (X, targets(Estimator)) if method == "score" else (X,)
    problem = f"This {Estimator.__name__} instance is not fitted"
    with pytest.raises(NotFittedError, match=problem):
        getattr(Estimator(), method)(*args)


# -- inputs are never modified -------------------------------------------------------


def _assert_same(a, b):
    if sp.issparse(a):
        assert a.format == b.format
        a, b = a.toarray(), b.toarray()
    np.testing.assert_array_equal(a, b)
    assert a.dtype == b.dtype


@settings(max_examples=20, deadline=None)
@given(
    Estimator=st.sampled_from(ESTIMATORS),
    solver=st.sampled_from(["adam", "sgd", "lbfgs"]),
    dtype=st.sampled_from([np.float32, np.float64]),
    order=st.sampled_from(["C", "F"]),
    fmt=st.sampled_from([None, "csr", "csc", "coo"]),
    weighted=st.booleans(),
    early_stopping=st.booleans(),
)
def test_inputs_are_not_modified(
    Estimator, solver, dtype, order, fmt, weighted, early_stopping
):
    X_in = np.asarray(RNG.randn(40, 4), dtype=dtype, order=order)
    if fmt is not None:
        X_in = sp.random(40, 4, density=0.6, format=fmt, random_state=1, dtype=dtype)
    y_in = np.arange(40) % 2 if Estimator is ScratchMLPClassifier else RNG.randn(40)
    sw_in = RNG.uniform(0.5, 2, 40).astype(dtype) if weighted else None
    inputs = [a for a in (X_in, y_in, sw_in) if a is not None]
    before = [a.copy() for a in inputs]

    est = Estimator(
        solver=solver, early_stopping=early_stopping and solver != "lbfgs", **FAST
    )
    est.fit(X_in, y_in, sample_weight=sw_in)
    est.predict(X_in)
    if solver != "lbfgs" and not est.early_stopping:
        est.partial_fit(X_in, y_in, sample_weight=sw_in)
    if Estimator is ScratchMLPClassifier:
        est.predict_proba(X_in)
    est.score(X_in, y_in, sample_weight=sw_in)

    for a, b in zip(inputs, before):
        _assert_same(a, b)
