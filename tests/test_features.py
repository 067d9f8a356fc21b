"""Features beyond scikit-learn's MLPs: class weights, own validation data,
validation loss curves and stopping, restoring the best epoch, warm starts."""

import warnings

import numpy as np
import pytest
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, mean_poisson_deviance, mean_squared_error
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.estimator_checks import check_estimator

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor

SMALL = dict(hidden_layer_sizes=(8,), random_state=0)


def fit(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **kwargs)


def assert_same_weights(a, b, rtol=1e-12):
    for mine, other in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(mine, other, rtol=rtol, atol=1e-14)


@pytest.fixture(scope="module")
def imbalanced_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 5))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=120) > 1.0, "rare", "common")
    return X, y


@pytest.fixture(scope="module")
def split_multiclass(multiclass_data):
    X, y = multiclass_data
    return X[:100], y[:100], X[100:], y[100:]


# -- class_weight ---------------------------------------------------------------


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_balanced_class_weight_is_compute_sample_weight(solver, imbalanced_data):
    X, y = imbalanced_data
    params = dict(solver=solver, max_iter=30, **SMALL)
    weighted = fit(ScratchMLPClassifier(class_weight="balanced", **params), X, y)
    explicit = fit(
        ScratchMLPClassifier(**params), X, y,
        sample_weight=compute_sample_weight("balanced", y),
    )
    assert_same_weights(weighted, explicit)


def test_class_weight_multiplies_sample_weight_as_linear_models_do(imbalanced_data):
    """'balanced' counts classes by sample weight, as LogisticRegression does."""
    X, y = imbalanced_data
    sw = np.random.RandomState(1).uniform(0.2, 3.0, len(y))
    classes = np.unique(y)
    params = dict(solver="lbfgs", max_iter=30, **SMALL)
    for class_weight in ["balanced", {"rare": 4.0, "common": 0.5}]:
        per_class = compute_class_weight(
            class_weight, classes=classes, y=y, sample_weight=sw
        )
        expected = sw * per_class[np.searchsorted(classes, y)]
        weighted = fit(
            ScratchMLPClassifier(class_weight=class_weight, **params), X, y,
            sample_weight=sw,
        )
        explicit = fit(ScratchMLPClassifier(**params), X, y, sample_weight=expected)
        assert_same_weights(weighted, explicit)


def test_class_weight_leaves_sample_weight_unchanged(imbalanced_data):
    X, y = imbalanced_data
    sw = np.ones(len(y))
    clf = ScratchMLPClassifier(class_weight="balanced", max_iter=2, **SMALL)
    fit(clf, X, y, sample_weight=sw)
    np.testing.assert_array_equal(sw, np.ones(len(y)))


def test_balanced_class_weight_raises_minority_recall(imbalanced_data):
    X, y = imbalanced_data
    params = dict(solver="lbfgs", max_iter=200, **SMALL)
    plain = fit(ScratchMLPClassifier(alpha=1.0, **params), X, y)
    balanced = ScratchMLPClassifier(alpha=1.0, class_weight="balanced", **params)
    fit(balanced, X, y)
    rare = y == "rare"
    assert (balanced.predict(X)[rare] == "rare").mean() > (
        plain.predict(X)[rare] == "rare"
    ).mean()


def test_partial_fit_balances_each_batch(imbalanced_data):
    X, y = imbalanced_data
    classes = np.unique(y)
    weighted = ScratchMLPClassifier(class_weight="balanced", **SMALL)
    explicit = ScratchMLPClassifier(**SMALL)
    for batch in [slice(0, 60), slice(60, 120)]:
        weighted.partial_fit(X[batch], y[batch], classes=classes)
        explicit.partial_fit(
            X[batch], y[batch], classes=classes,
            sample_weight=compute_sample_weight("balanced", y[batch]),
        )
    assert_same_weights(weighted, explicit)


def test_class_weight_with_multilabel_targets_raises(multilabel_data):
    X, Y = multilabel_data
    clf = ScratchMLPClassifier(class_weight="balanced", max_iter=2, **SMALL)
    with pytest.raises(ValueError, match="not supported for multilabel targets"):
        clf.fit(X, Y)
    assert not hasattr(clf, "classes_")
    assert not clf.__sklearn_tags__().classifier_tags.multi_label


def test_class_weight_dict_missing_a_class_raises(imbalanced_data):
    X, y = imbalanced_data
    clf = ScratchMLPClassifier(class_weight={"rare": 2.0, "other": 1.0}, **SMALL)
    with pytest.raises(ValueError, match="not in class_weight"):
        clf.fit(X, y)


def test_class_weight_is_validated():
    with pytest.raises(ValueError, match="class_weight"):
        ScratchMLPClassifier(class_weight="even").fit([[0.0], [1.0]], [0, 1])


# -- validation data of one's own ------------------------------------------------


@pytest.mark.parametrize("early_stopping", [False, True])
def test_validation_data_give_curves_of_score_and_loss(
    early_stopping, split_multiclass
):
    X, y, X_val, y_val = split_multiclass
    clf = ScratchMLPClassifier(
        early_stopping=early_stopping, max_iter=12, n_iter_no_change=50, **SMALL
    )
    fit(clf, X, y, X_val=X_val, y_val=y_val)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == clf.n_iter_
    assert clf.t_ == clf.n_iter_ * len(X)  # all of X is trained on
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_validation_loss_ == min(clf.validation_loss_curve_)
    if not early_stopping:  # the last epoch's parameters are kept
        assert clf.validation_scores_[-1] == clf.score(X_val, y_val)
        assert clf.validation_loss_curve_[-1] == pytest.approx(
            log_loss(y_val, clf.predict_proba(X_val)), rel=1e-12
        )
        assert clf.best_loss_ == min(clf.loss_curve_)


def test_without_validation_data_the_curves_are_none(binary_data):
    clf = fit(ScratchMLPClassifier(max_iter=3, **SMALL), *binary_data)
    assert clf.validation_scores_ is None and clf.validation_loss_curve_ is None
    assert clf.best_validation_score_ is None and clf.best_validation_loss_ is None


def test_early_stopping_split_records_the_validation_loss(multiclass_data):
    """Same split and curve as scikit-learn's early stopping, plus the loss."""
    X, y = multiclass_data
    params = dict(early_stopping=True, max_iter=15, **SMALL)
    ours = fit(ScratchMLPClassifier(**params), X, y)
    theirs = fit(MLPClassifier(**params), X, y)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert_same_weights(ours, theirs, rtol=1e-9)
    assert ours.best_loss_ is None
    assert len(ours.validation_loss_curve_) == ours.n_iter_


@pytest.mark.parametrize(
    "make, loss",
    [
        (
            lambda: ScratchMLPRegressor(**SMALL),
            lambda y, p: mean_squared_error(y, p) / 2,
        ),
        (
            lambda: ScratchMLPRegressor(loss="poisson", **SMALL),
            lambda y, p: mean_poisson_deviance(y, p) / 2,
        ),
    ],
)
def test_regressor_validation_loss_is_the_unpenalized_loss(make, loss, regression_data):
    X, y = regression_data
    if make().loss == "poisson":
        y = np.exp(y / 2)
    reg = fit(make().set_params(max_iter=5, alpha=10.0), X[:90], y[:90],
              X_val=X[90:], y_val=y[90:])
    assert reg.validation_loss_curve_[-1] == pytest.approx(
        loss(y[90:], reg.predict(X[90:])), rel=1e-10
    )
    assert reg.validation_scores_[-1] == pytest.approx(reg.score(X[90:], y[90:]))


def test_validation_loss_is_weighted_like_training(imbalanced_data):
    """Validation samples carry their weights and the classes' weights."""
    X, y = imbalanced_data
    sw_val = np.random.RandomState(2).uniform(0.5, 2.0, 40)
    clf = ScratchMLPClassifier(class_weight="balanced", max_iter=4, **SMALL)
    fit(clf, X[:80], y[:80], X_val=X[80:], y_val=y[80:], sample_weight_val=sw_val)
    weights = sw_val * compute_class_weight(
        "balanced", classes=clf.classes_, y=y[80:], sample_weight=sw_val
    )[np.searchsorted(clf.classes_, y[80:])]
    assert clf.validation_loss_curve_[-1] == pytest.approx(
        log_loss(y[80:], clf.predict_proba(X[80:]), sample_weight=weights), rel=1e-10
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(X_val="X"), "X_val is given but y_val is not"),
        (dict(y_val="y"), "y_val is given but X_val is not"),
        (dict(sample_weight_val="w"), "sample_weight_val is given without"),
    ],
)
def test_incomplete_validation_data_raise(kwargs, match, split_multiclass):
    X, y, X_val, y_val = split_multiclass
    values = {"X": X_val, "y": y_val, "w": np.ones(len(y_val))}
    kwargs = {name: values[key] for name, key in kwargs.items()}
    clf = ScratchMLPClassifier(max_iter=2, **SMALL)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y, **kwargs)
    assert not hasattr(clf, "n_iter_")


def test_invalid_validation_data_raise_naming_them(split_multiclass):
    X, y, X_val, y_val = split_multiclass
    clf = ScratchMLPClassifier(max_iter=2, **SMALL)
    with pytest.raises(ValueError, match="X_val.*3 features.*expecting 8"):
        clf.fit(X, y, X_val=X_val[:, :3], y_val=y_val)
    with pytest.raises(ValueError, match="X_val, y_val.*classes not in"):
        clf.fit(X, y, X_val=X_val, y_val=y_val + 10)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(X, y, X_val=X_val, y_val=y_val[:-1])
    with pytest.raises(ValueError, match="stochastic solvers"):
        clf.set_params(solver="lbfgs").fit(X, y, X_val=X_val, y_val=y_val)
    assert not hasattr(clf, "n_iter_")


def test_regressor_validation_targets_need_the_same_outputs(
    multioutput_regression_data,
):
    X, Y = multioutput_regression_data
    reg = ScratchMLPRegressor(max_iter=2, **SMALL)
    with pytest.raises(ValueError, match="y_val has 1 outputs where y has 3"):
        reg.fit(X[:90], Y[:90], X_val=X[90:], y_val=Y[90:, 0])


def test_validation_data_are_transformed_by_a_pipeline(split_multiclass):
    """Routed like HistGradientBoosting's: request it, and transform_input it."""
    X, y, X_val, y_val = split_multiclass
    with config_context(enable_metadata_routing=True):
        clf = ScratchMLPClassifier(max_iter=5, **SMALL)
        clf.set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline(
            [("scale", StandardScaler()), ("mlp", clf)], transform_input=["X_val"]
        )
        fit(pipe, X, y, X_val=X_val, y_val=y_val)
    scaler = StandardScaler().fit(X)
    direct = fit(
        ScratchMLPClassifier(max_iter=5, **SMALL), scaler.transform(X), y,
        X_val=scaler.transform(X_val), y_val=y_val,
    )
    fitted = pipe.named_steps["mlp"]
    assert fitted.validation_loss_curve_ == direct.validation_loss_curve_
    assert_same_weights(fitted, direct)


# -- stopping on the validation loss, restoring the best epoch ------------------------


def test_early_stopping_on_the_loss_keeps_the_lowest_loss(split_multiclass):
    X, y, X_val, y_val = split_multiclass
    clf = ScratchMLPClassifier(
        early_stopping=True, early_stopping_metric="loss", learning_rate_init=0.05,
        max_iter=200, n_iter_no_change=3, tol=0, **SMALL,
    )
    fit(clf, X, y, X_val=X_val, y_val=y_val)
    curve = clf.validation_loss_curve_
    best_epoch = int(np.argmin(curve)) + 1
    assert clf.n_iter_ == best_epoch + 3 + 1 < 200  # stopped: 4 epochs without a gain
    assert log_loss(y_val, clf.predict_proba(X_val)) == pytest.approx(
        clf.best_validation_loss_, rel=1e-12
    )
    # The score has its own best, not necessarily at the best loss.
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_early_stopping_on_the_score_keeps_the_best_score(split_multiclass):
    X, y, X_val, y_val = split_multiclass
    clf = ScratchMLPClassifier(early_stopping=True, max_iter=40, **SMALL)
    fit(clf, X, y, X_val=X_val, y_val=y_val)
    assert clf.score(X_val, y_val) == clf.best_validation_score_


def test_early_stopping_metric_is_validated():
    with pytest.raises(ValueError, match="early_stopping_metric"):
        ScratchMLPClassifier(early_stopping_metric="auc").fit([[0.0], [1.0]], [0, 1])


def noisy_adam(**params):
    return ScratchMLPClassifier(
        learning_rate_init=0.5, batch_size=16, tol=0, n_iter_no_change=1000, **SMALL,
        **params,
    )


def test_restore_best_params_keeps_the_lowest_training_loss_epoch(binary_data):
    X, y = binary_data
    restored = fit(noisy_adam(max_iter=25, restore_best_params=True), X, y)
    best_epoch = int(np.argmin(restored.loss_curve_)) + 1
    assert best_epoch < 25, "the test needs a loss curve that rises again"
    truncated = fit(noisy_adam(max_iter=best_epoch), X, y)
    assert_same_weights(restored, truncated)
    assert restored.loss_curve_[:best_epoch] == truncated.loss_curve_
    assert restored.best_loss_ == min(restored.loss_curve_)


@pytest.mark.parametrize("metric", ["score", "loss"])
def test_restore_best_params_follows_the_validation_metric(metric, split_multiclass):
    X, y, X_val, y_val = split_multiclass
    clf = noisy_adam(
        max_iter=25, restore_best_params=True, early_stopping_metric=metric
    )
    fit(clf, X, y, X_val=X_val, y_val=y_val)
    assert clf.n_iter_ == 25  # recorded, not stopped on
    curve = clf.validation_scores_ if metric == "score" else clf.validation_loss_curve_
    best = np.argmax(curve) if metric == "score" else np.argmin(curve)
    assert best < 24, "the test needs a best epoch before the last"
    if metric == "score":
        assert clf.score(X_val, y_val) == clf.best_validation_score_
    else:
        assert log_loss(y_val, clf.predict_proba(X_val)) == pytest.approx(
            clf.best_validation_loss_, rel=1e-12
        )


def test_partial_fit_keeps_each_epoch_even_with_restore_best_params(binary_data):
    X, y = binary_data
    plain, restoring = noisy_adam(), noisy_adam(restore_best_params=True)
    for _ in range(6):
        plain.partial_fit(X, y, classes=[0, 1])
        restoring.partial_fit(X, y, classes=[0, 1])
    assert plain.loss_curve_ == restoring.loss_curve_
    assert_same_weights(plain, restoring)


def test_without_restore_the_last_epoch_is_kept(binary_data):
    X, y = binary_data
    last = fit(noisy_adam(max_iter=25), X, y)
    again = fit(noisy_adam(max_iter=25, restore_best_params=True), X, y)
    assert last.loss_curve_ == again.loss_curve_
    assert not np.allclose(last.coefs_[0], again.coefs_[0])


# Checks that fail with early stopping whatever it watches, as they do for
# scikit-learn's MLPs with early_stopping=True (verified with 1.9).
EARLY_STOPPING_FAILURES = {
    "check_estimators_partial_fit_n_features": "partial_fit refuses early stopping",
    "check_fit_score_takes_y": "it calls partial_fit",
    "check_n_features_in_after_fitting": "it calls partial_fit",
    "check_estimators_nan_inf": "too few samples to hold out a validation set",
    "check_fit2d_1feature": "too few samples to hold out a validation set",
    "check_classifiers_one_label": "too few samples to hold out a validation set",
    "check_regressors_no_decision_function": "too few samples for a validation set",
    "check_sample_weight_equivalence_on_dense_data": "the split sees repeated rows",
    "check_sample_weight_equivalence_on_sparse_data": "the split sees repeated rows",
}


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_early_stopping_on_the_loss_fails_no_other_estimator_check(Estimator):
    estimator = Estimator(early_stopping=True, early_stopping_metric="loss")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    assert failed <= set(EARLY_STOPPING_FAILURES), failed - set(EARLY_STOPPING_FAILURES)
    passed = {r["check_name"] for r in results if r["status"] == "passed"}
    assert len(passed) > 40


# -- warm starts ---------------------------------------------------------------------


@pytest.mark.parametrize("nesterov", [True, False])
def test_warm_start_keeps_the_sgd_velocity(nesterov, multiclass_data):
    X, y = multiclass_data
    params = dict(solver="sgd", nesterovs_momentum=nesterov, shuffle=False, tol=0,
                  learning_rate_init=0.05, **SMALL)
    full = fit(ScratchMLPClassifier(max_iter=4, **params), X, y)
    warm = ScratchMLPClassifier(max_iter=2, warm_start=True, **params)
    fit(warm, X, y)
    fit(warm, X, y)
    assert_same_weights(warm, full)
    assert warm.t_ == full.t_


def test_warm_start_with_another_solver_starts_its_own_optimizer(multiclass_data):
    X, y = multiclass_data
    params = dict(shuffle=False, tol=0, max_iter=2, **SMALL)
    warm = fit(ScratchMLPClassifier(solver="sgd", warm_start=True, **params), X, y)
    start = ScratchMLPClassifier(solver="adam", warm_start=True, **params)
    start.coefs_, start.intercepts_ = warm.coefs_, warm.intercepts_
    fit(warm.set_params(solver="adam"), X, y)
    fit(start, X, y)  # a fresh Adam from the same weights
    assert_same_weights(warm, start)


def test_lbfgs_in_between_drops_the_stochastic_state(multiclass_data):
    X, y = multiclass_data
    params = dict(shuffle=False, tol=0, max_iter=2, warm_start=True, **SMALL)
    clf = fit(ScratchMLPClassifier(**params), X, y)
    fit(clf.set_params(solver="lbfgs"), X, y)
    fresh = ScratchMLPClassifier(**params)
    fresh.coefs_, fresh.intercepts_ = clf.coefs_, clf.intercepts_
    fit(clf.set_params(solver="adam"), X, y)
    fit(fresh, X, y)
    assert_same_weights(clf, fresh)
