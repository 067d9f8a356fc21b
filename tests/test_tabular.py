"""The tabular estimators: their own preprocessing, recipe and parametrization."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skscratchnn import (
    ScratchMLPClassifier,
    TabularMLPClassifier,
    TabularMLPRegressor,
    TabularPreprocessor,
    _solvers,
)
from skscratchnn import _embeddings as embeddings
from skscratchnn._activations import ACTIVATIONS

# Short fits stop at max_iter and warn, as in scikit-learn; tests about warnings
# set their own filters.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# One network: most tests here are about it; the ensembles have their own.
FAST = dict(hidden_layer_sizes=(16, 16), max_iter=15, random_state=0, n_members=1)


@pytest.fixture(scope="module")
def table():
    """A mixed table: numbers with missing values, a category, a flag."""
    rng = np.random.RandomState(0)
    n = 400
    X = pd.DataFrame({
        "income": rng.lognormal(3, 1, n),
        "age": rng.uniform(18, 80, n),
        "city": pd.Categorical(rng.choice(["north", "south", "east", "west"], n)),
        "member": rng.rand(n) < 0.3,
    })
    X.loc[rng.rand(n) < 0.1, "income"] = np.nan
    signal = (np.log(X["income"].fillna(20)) - 3) + (X["city"] == "north") * 1.5
    y_class = np.where(signal + rng.normal(scale=0.3, size=n) > 0.5, "yes", "no")
    y_real = 1000 * (signal + 0.5 * X["member"]) + 5000
    return X, y_class, y_real.to_numpy()


def hand_forward(estimator, X):
    """The output pre-activation of the fitted network, from coefs_ and, if
    any, the numeric columns' embedding."""
    A = estimator.preprocessor_.transform(X).astype(np.float64)
    layout = estimator._layout
    if layout.n_embedded:
        frequencies, phases, weights, biases = embeddings.unpack(
            layout.embedding(estimator._theta), layout.n_embedded
        )
        cosines = np.cos(2 * np.pi * A[:, : layout.n_embedded, None] * frequencies
                         + phases)
        outputs = np.einsum("njk,jkm->njm", cosines, weights) + biases
        A = np.hstack([A, outputs.reshape(len(A), -1)])
    for i, (W, b) in enumerate(zip(estimator.coefs_, estimator.intercepts_)):
        A = A @ W + b
        if i < len(estimator.coefs_) - 1:
            ACTIVATIONS[estimator.activation](A)
    return A


def test_classifier_takes_a_dataframe_as_it_is(table):
    X, y, _ = table
    clf = TabularMLPClassifier(**FAST).fit(X, y)
    assert list(clf.classes_) == ["no", "yes"]
    assert clf.score(X, y) > 0.8
    assert clf.n_features_in_ == 4
    assert list(clf.feature_names_in_) == list(X.columns)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X[X.columns[::-1]])


@pytest.mark.parametrize("numeric_embedding", ["periodic", None])
def test_the_scaling_layer_is_folded_into_the_first_weights(numeric_embedding, table):
    """After fit the network is a plain MLP on the preprocessed columns, and
    the embedding's outputs of the two numeric ones if it embeds them."""
    X, y, _ = table
    clf = TabularMLPClassifier(**FAST, numeric_embedding=numeric_embedding).fit(X, y)
    logits = hand_forward(clf, X)[:, 0]
    proba = 1 / (1 + np.exp(-logits))
    assert_allclose(clf.predict_proba(X)[:, 1], proba, rtol=1e-4, atol=1e-6)
    width = clf.preprocessor_.transform(X.iloc[:1]).shape[1]
    if numeric_embedding:
        width += 2 * embeddings.N_OUTPUTS
    assert clf.coefs_[0].shape == (width, 16)


@pytest.mark.parametrize("settings", [
    dict(), dict(scaling_layer=False), dict(parametrization="standard"),
    dict(numeric_embedding="periodic"),
    dict(scaling_layer=False, numeric_embedding="periodic"),
])
def test_each_piece_can_be_switched_off(settings, table):
    X, y, _ = table
    clf = TabularMLPClassifier(**FAST, **settings).fit(X, y)
    assert clf.score(X, y) > 0.75


def test_the_pieces_change_training(table):
    X, y, _ = table
    full = TabularMLPClassifier(**FAST).fit(X, y)
    for settings in [dict(scaling_layer=False), dict(parametrization="standard"),
                     dict(scale_rate_factor=1.0), dict(bias_rate_factor=1.0),
                     dict(numeric_embedding="periodic")]:
        other = TabularMLPClassifier(**FAST, **settings).fit(X, y)
        # The embedding's outputs come after the columns the two share.
        other_first = other.coefs_[0][: len(full.coefs_[0])]
        assert not np.allclose(other_first, full.coefs_[0]), settings


def test_regressor_is_equivariant_to_the_units_of_y(table):
    """Standardized targets: y in other units gives the same model, rescaled."""
    X, _, y = table
    reg = TabularMLPRegressor(**FAST).fit(X, y)
    rescaled = TabularMLPRegressor(**FAST).fit(X, y / 1000 - 7)
    assert_allclose(reg.predict(X) / 1000 - 7, rescaled.predict(X), rtol=1e-4,
                    atol=1e-4)
    assert reg.score(X, y) > 0.7


def test_regressor_predictions_stay_in_the_training_range(table):
    X, _, y = table
    reg = TabularMLPRegressor(**FAST).fit(X, y)
    far = X.copy()
    far["income"] = 1e9
    prediction = reg.predict(far)
    assert prediction.min() >= y.min() and prediction.max() <= y.max()
    assert reg.target_range_[0] == pytest.approx(y.min())


def test_defaults_are_the_recipe():
    clf, reg = TabularMLPClassifier(), TabularMLPRegressor()
    for est in (clf, reg):
        params = est.get_params()
        assert params["hidden_layer_sizes"] == (256, 256, 256)
        assert params["learning_rate"] == "coslog4"
        assert params["beta_2"] == 0.95
        assert params["max_iter"] == "auto"
        assert params["early_stopping"] and params["validation_fraction"] == 0.2
        assert params["early_stopping_metric"] == "loss"
        assert params["n_iter_no_change"] == np.inf
        assert params["scaling_layer"] and params["parametrization"] == "ntk"
        assert params["n_bins"] == 16 and params["numeric_embedding"] is None
    assert clf.activation == "selu" and clf.label_smoothing == 0.1
    assert clf.learning_rate_init == 0.04
    assert reg.activation == "mish" and reg.learning_rate_init == 0.07
    assert clone(clf).get_params() == clf.get_params()


def test_all_epochs_run_without_a_convergence_warning(table):
    """The 'coslog4' schedule spans max_iter epochs: running them all is the plan."""
    X, y, _ = table
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = TabularMLPClassifier(**{**FAST, "max_iter": 12}).fit(X, y)
    assert clf.n_iter_ == len(clf.validation_scores_) == 12
    assert clf.best_validation_loss_ == min(clf.validation_loss_curve_)


@pytest.mark.parametrize("n_members, n_rows, batch_size, epochs", [
    (1, 400, "auto", 256), (1, 3000, 8, 28), (2, 400, "auto", 256),
    (5, 400, "auto", 102), (5, 3000, 8, 11),
])
def test_auto_max_iter_is_256_epochs_or_a_step_budget(n_members, n_rows, batch_size,
                                                      epochs):
    """8192 steps at most: 2400 training rows in batches of 8 take 28 epochs.

    The members of an ensemble share two networks' training: each of 5 trains
    2/5 of it, 102 epochs or 3277 steps (its bag holds 2400 rows too).
    """
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_rows, 3))
    y = X[:, 0] > 0
    clf = TabularMLPClassifier(hidden_layer_sizes=(4,), batch_size=batch_size,
                               random_state=0, n_members=n_members).fit(X, y)
    assert clf.n_iter_ == epochs
    for member in getattr(clf, "members_", []):
        assert len(member.loss_curve_) == epochs


@pytest.mark.parametrize("Estimator, target", [(TabularMLPClassifier, 1),
                                               (TabularMLPRegressor, 2)])
def test_encoding_each_batch_trains_as_encoding_up_front(
    Estimator, target, table, monkeypatch
):
    """Large tables are encoded batch by batch: the same network, bit for bit."""
    X, y = table[0], table[target]
    up_front = Estimator(**FAST).fit(X, y)
    monkeypatch.setattr(_solvers, "ENCODE_UP_FRONT_BYTES", 0)
    per_batch = Estimator(**FAST).fit(X, y)
    for a, b in zip(up_front.coefs_ + up_front.intercepts_,
                    per_batch.coefs_ + per_batch.intercepts_):
        assert_array_equal(a, b)
    assert per_batch.validation_loss_curve_ == up_front.validation_loss_curve_


def test_cosine_schedule_anneals_over_the_epochs_the_step_budget_allows():
    """The step budget ends the fit after 28 epochs: the cosine ends there too."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 3))
    clf = TabularMLPClassifier(hidden_layer_sizes=(4,), batch_size=8,
                               learning_rate="cosine", random_state=0, n_members=1)
    clf.fit(X, X[:, 0] > 0)
    assert clf.n_iter_ == 28
    assert clf._optimizer.learning_rate.rate == 0.0


def test_no_partial_fit_and_no_sklearn_conversion(table):
    assert not hasattr(TabularMLPClassifier(), "partial_fit")
    assert not hasattr(TabularMLPRegressor(), "partial_fit")
    X, y, _ = table
    clf = TabularMLPClassifier(**FAST).fit(X, y)
    with pytest.raises(TypeError, match="no scikit-learn equivalent"):
        clf.to_sklearn()


def test_numpy_input_with_categorical_indices(table):
    X, y, _ = table
    array = X.assign(city=X["city"].cat.codes).to_numpy(dtype=float)
    clf = TabularMLPClassifier(categorical_features=[2], **FAST).fit(array, y)
    assert clf.score(array, y) > 0.8
    width = TabularPreprocessor(categorical_features=[2], n_bins=16).fit_transform(
        array).shape[1]
    assert clf.coefs_[0].shape[0] == width


def test_validation_data_are_preprocessed_like_X(table):
    X, y, _ = table
    clf = TabularMLPClassifier(**FAST).fit(X[:300], y[:300],
                                           X_val=X[300:], y_val=y[300:])
    assert len(clf.validation_scores_) == clf.n_iter_
    best = int(np.argmin(clf.validation_loss_curve_))
    assert clf.score(X[300:], y[300:]) == pytest.approx(clf.validation_scores_[best])


def test_failed_fit_leaves_the_estimator_as_it_was(table):
    X, y, _ = table
    clf = TabularMLPClassifier(**FAST).fit(X, y)
    before = dict(vars(clf))
    with pytest.raises(ValueError):
        clf.fit(X, y[:10])
    assert vars(clf).keys() == before.keys()
    assert all(vars(clf)[k] is v for k, v in before.items())


def test_warm_start_keeps_the_preprocessing(table):
    X, y, _ = table
    clf = TabularMLPClassifier(warm_start=True, **FAST).fit(X, y)
    preprocessor = clf.preprocessor_
    clf.fit(X[:200], y[:200])
    assert clf.preprocessor_ is preprocessor
    fresh = clf.set_params(warm_start=False).fit(X[:200], y[:200])
    assert fresh.preprocessor_ is not preprocessor


def test_pipeline_grid_search_and_pickle(table):
    X, y, _ = table
    pipe = make_pipeline(FunctionTransformer(lambda frame: frame),
                         TabularMLPClassifier(**FAST))
    search = GridSearchCV(pipe, {"tabularmlpclassifier__label_smoothing": [0.0, 0.1]},
                          cv=2)
    search.fit(X, y)
    assert search.best_score_ > 0.7
    model = search.best_estimator_[-1]
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_label_smoothing_bounds_confidence():
    """With smoothing eps the best probability of a separable class is 1 - eps/2."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    X[:, 0] += np.where(y == 1, 3.0, -3.0)
    params = dict(hidden_layer_sizes=(8,), max_iter=300, random_state=0,
                  learning_rate_init=0.01)
    plain = ScratchMLPClassifier(**params).fit(X, y)
    smooth = ScratchMLPClassifier(label_smoothing=0.2, **params).fit(X, y)
    assert np.median(plain.predict_proba(X).max(axis=1)) > 0.99
    confidence = np.median(smooth.predict_proba(X).max(axis=1))
    assert confidence == pytest.approx(0.9, abs=0.02)
    y3 = np.where(y == 1, 2, X[:, 1] > 0).astype(int)
    multi = ScratchMLPClassifier(label_smoothing=0.3, **params).fit(X, y3)
    # The targets' largest probability is 0.7 + 0.3 / 3.
    confidence = np.median(multi.predict_proba(X).max(axis=1))
    assert softmax(np.zeros(3)).max() < confidence < 0.83


def test_regressor_standardizes_large_targets_in_float64(table):
    """Targets far from 0 keep their differences, which float32 would round off."""
    X, _, y = table
    y = y / 1000
    reg = TabularMLPRegressor(**FAST).fit(X, y)
    shifted = TabularMLPRegressor(**FAST).fit(X, y + 1e7)
    assert_allclose(shifted.predict(X) - 1e7, reg.predict(X), atol=1e-5)


def test_regressor_clips_predictions_to_the_exact_training_range(table):
    X, _, y = table
    y = y / 1000 - y.min() / 1000 + 0.7
    reg = TabularMLPRegressor(**FAST).fit(X, y)
    far = X.assign(income=-1e9, city="north")
    far_too = X.assign(income=1e9, city="north")
    predictions = np.concatenate([reg.predict(far), reg.predict(far_too)])
    assert reg.target_range_[0] == y.min() and reg.target_range_[1] == y.max()
    assert predictions.min() >= 0.7 and predictions.max() <= y.max()
    assert predictions.dtype == np.float64


@pytest.mark.parametrize("output", ["pandas", "polars"])
@pytest.mark.parametrize("Estimator", [TabularMLPClassifier, TabularMLPRegressor])
def test_global_transform_output_leaves_fit_and_predict_alone(Estimator, output,
                                                              table):
    """The preprocessing inside the estimator returns arrays whatever the setting."""
    pytest.importorskip(output)
    X, y_class, y_real = table
    y = y_class if Estimator is TabularMLPClassifier else y_real
    before = Estimator(**FAST).fit(X, y)
    expected = before.predict(X)
    with sklearn.config_context(transform_output=output):
        assert_array_equal(before.predict(X), expected)
        during = Estimator(**FAST).fit(X, y)
        assert_array_equal(during.predict(X), expected)


@pytest.mark.parametrize("change", [
    dict(income=np.inf), dict(income="high"), dict(extra=1.0),
])
def test_invalid_validation_data_are_named(change, table):
    X, y, _ = table
    with pytest.raises(ValueError, match="^Invalid X_val: "):
        TabularMLPClassifier(**FAST).fit(X, y, X_val=X.assign(**change), y_val=y)


@pytest.mark.parametrize("Estimator, y", [
    (TabularMLPClassifier, ["yes"]), (TabularMLPRegressor, [1.0]),
])
def test_one_row_is_too_few_for_the_validation_split(Estimator, y):
    with pytest.raises(ValueError, match=r"early_stopping=True holds out a "
                       r"validation set.*\(validation_fraction=0.2\)"):
        Estimator(**FAST).fit(pd.DataFrame({"x": [1.0]}), y)


def test_subnormal_values_fit(table):
    X, _, y = table
    tiny = X.assign(age=X["age"] * 1e-320)
    reg = TabularMLPRegressor(**FAST).fit(tiny, y)
    assert np.isfinite(reg.predict(tiny)).all()


def test_dates_predict_alike_in_any_unit(table):
    """A date column read from CSV (us) predicts as the same dates in ns."""
    X, y, _ = table
    days = pd.to_timedelta(X["age"].round(), unit="D")
    dated = X.assign(day=(pd.Timestamp("2020-01-01") + days).astype("datetime64[us]"))
    dated.loc[::7, "day"] = pd.NaT
    clf = TabularMLPClassifier(**FAST).fit(dated, y)
    assert "missingindicator_day" in clf.preprocessor_.get_feature_names_out()
    in_ns = dated.assign(day=dated["day"].astype("datetime64[ns]"))
    assert_array_equal(clf.predict_proba(in_ns), clf.predict_proba(dated))


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_categorical_columns_of_other_dataframes_are_detected(library, table):
    module = pytest.importorskip(library)
    X, y, _ = table
    columns = X.assign(city=X["city"].astype(str)).to_dict("list")
    if library == "polars":
        other = module.DataFrame(columns).with_columns(
            module.col("city").cast(module.Categorical))
    else:
        other = module.table(columns)
        other = other.set_column(2, "city", other["city"].dictionary_encode())
    clf = TabularMLPClassifier(**FAST).fit(other, y)
    assert_array_equal(clf.preprocessor_.is_categorical_, [False, False, True, True])
    reference = TabularMLPClassifier(**FAST).fit(X, y)
    assert_allclose(clf.predict_proba(other), reference.predict_proba(X), rtol=1e-5)
