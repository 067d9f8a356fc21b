"""Early stopping: the holdout split; EarlyStoppingMonitor driven by hand; the
estimators' own validation data, validation loss and best-epoch restoring."""

import math
import warnings

import numpy as np
import pytest
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, mean_poisson_deviance, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.estimator_checks import check_estimator

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor
from skscratchnn._early_stopping import (
    NON_FINITE_WEIGHTS,
    EarlyStoppingMonitor,
    check_validation_size,
    holdout_split,
)
from skscratchnn._solvers import TrainingState

# Short fits stop at max_iter and warn, as in scikit-learn; tests about warnings
# set their own filters.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- the holdout split ------------------------------------------------------------


@pytest.mark.parametrize("n_samples, fraction", [(50, 0.2), (37, 0.1), (10, 0.3)])
def test_holdout_split_sizes_match_train_test_split(n_samples, fraction):
    rows, val_rows = holdout_split(n_samples, fraction, None, np.random.RandomState(0))
    expected = train_test_split(np.arange(n_samples), test_size=fraction,
                                random_state=np.random.RandomState(0))
    np.testing.assert_array_equal(rows, expected[0])
    np.testing.assert_array_equal(val_rows, expected[1])
    assert len(val_rows) == math.ceil(fraction * n_samples)
    np.testing.assert_array_equal(np.sort(np.r_[rows, val_rows]), np.arange(n_samples))


def test_holdout_split_is_reproducible_with_a_seeded_random_state():
    first = holdout_split(40, 0.25, None, np.random.RandomState(3))
    again = holdout_split(40, 0.25, None, np.random.RandomState(3))
    other = holdout_split(40, 0.25, None, np.random.RandomState(4))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert set(first[1]) != set(other[1])


def test_holdout_split_stratifies_binary_labels():
    labels = np.r_[np.zeros(30), np.ones(20)]
    np.random.RandomState(0).shuffle(labels)
    for seed in range(5):
        rows, val_rows = holdout_split(50, 0.2, labels, np.random.RandomState(seed))
        assert np.bincount(labels[val_rows].astype(int)).tolist() == [6, 4]
        assert np.bincount(labels[rows].astype(int)).tolist() == [24, 16]


def test_holdout_split_with_a_class_of_one_member_keeps_sklearn_sentence_first():
    labels = np.r_[np.zeros(19), np.ones(1)]
    with pytest.raises(ValueError) as sklearn_error:
        train_test_split(np.arange(20), test_size=0.2, random_state=0, stratify=labels)
    with pytest.raises(ValueError) as error:
        holdout_split(20, 0.2, labels, np.random.RandomState(0))
    message = str(error.value)
    assert message.startswith("The least populated class")
    assert message.startswith(str(sklearn_error.value))
    assert "X_val" in message
    assert isinstance(error.value.__cause__, ValueError)


def test_holdout_split_too_small_for_the_classes_advises_a_larger_fraction():
    labels = np.r_[np.zeros(5), np.ones(5)]
    with pytest.raises(ValueError) as error:
        holdout_split(10, 0.1, labels, np.random.RandomState(0))
    message = str(error.value)
    assert "number of classes = 2. early_stopping=True" in message
    assert "raise validation_fraction" in message


def test_holdout_split_without_stratify_explains_sklearn_errors_after_them():
    with pytest.raises(ValueError) as sklearn_error:
        train_test_split(np.arange(3), test_size=5, random_state=0)
    with pytest.raises(ValueError) as error:
        holdout_split(3, 5, None, np.random.RandomState(0))
    message = str(error.value)
    assert message.startswith(str(sklearn_error.value))
    assert "early_stopping=True holds out a validation set (validation_fraction=5)" \
        in message
    assert "stratified" not in message
    assert isinstance(error.value.__cause__, ValueError)


@pytest.mark.parametrize("n_samples, fraction", [(10, 0.1), (15, 0.05)])
def test_holdout_split_refuses_fewer_than_two_validation_rows(n_samples, fraction):
    with pytest.raises(ValueError, match="validation set is too small"):
        holdout_split(n_samples, fraction, None, np.random.RandomState(0))


def test_check_validation_size_needs_two_rows():
    check_validation_size(2)
    for n_rows in (0, 1):
        with pytest.raises(ValueError, match=rf"too small.*X_val has {n_rows} row"):
            check_validation_size(n_rows)
    with pytest.raises(ValueError, match="my_val has 1 row"):
        check_validation_size(1, name="my_val")


# -- the monitor ------------------------------------------------------------------


class Scripted:
    """A ``validation(theta)`` returning scripted ``(score, loss)`` pairs."""

    def __init__(self, pairs):
        self.pairs = list(pairs)
        self.thetas = []

    def __call__(self, theta):
        self.thetas.append(theta.copy())
        return self.pairs[len(self.thetas) - 1]


def monitor(state=None, validation=None, *, early_stopping=False, metric="score",
            tol=0.25, n_iter_no_change=2, keep_best=False):
    return EarlyStoppingMonitor(
        TrainingState() if state is None else state, validation,
        early_stopping=early_stopping, metric=metric, tol=tol,
        n_iter_no_change=n_iter_no_change, keep_best=keep_best,
    )


def sklearn_counts(values, tol, higher_is_better):
    """scikit-learn's _update_no_improvement_count, for scores or losses."""
    count, best, counts = 0, -np.inf if higher_is_better else np.inf, []
    for value in values:
        if higher_is_better:
            count = count + 1 if value < best + tol else 0
            best = max(best, value)
        else:
            count = count + 1 if value > best - tol else 0
            best = min(best, value)
        counts.append(count)
    return counts


# Multiples of 1/8, exact in binary: 2.5 after a best of 2.75 improves by exactly tol.
LOSSES = [4.0, 3.0, 2.875, 2.75, 2.75, 2.5, 2.25, 3.0, 2.0, 2.0, 1.75, 1.75, 1.75]
SCORES = [0.25, 0.5, 0.625, 0.75, 0.75, 1.0, 0.5, 1.5, 1.5, 1.625, 1.75, 1.75, 1.75]


def test_monitor_counts_training_loss_epochs_without_improvement_as_sklearn():
    m = monitor(tol=0.25, n_iter_no_change=2)
    theta = np.zeros(2)
    counts, plateaus = [], []
    for loss in LOSSES:
        assert m.epoch_ends(theta, loss) is False
        counts.append(m.state.no_improvement_count)
        plateaus.append(m.plateau)
    expected = sklearn_counts(LOSSES, 0.25, higher_is_better=False)
    assert counts == expected
    assert 0 in expected[1:] and max(expected) > 2  # resets and a plateau
    assert plateaus == [count > 2 for count in expected]
    assert m.state.loss_curve == LOSSES and m.state.n_iter == len(LOSSES)
    assert m.state.best_loss == min(LOSSES) and m.state.loss == LOSSES[-1]
    assert m.state.validation_scores is None


@pytest.mark.parametrize("metric", ["score", "loss"])
def test_monitor_with_early_stopping_counts_the_validation_metric(metric):
    if metric == "score":
        pairs = [(s, 1.0) for s in SCORES]
        watched = SCORES
    else:
        pairs = [(0.5, loss) for loss in LOSSES]
        watched = [-loss for loss in LOSSES]
    m = monitor(validation=Scripted(pairs), early_stopping=True, metric=metric)
    counts = []
    for epoch in range(len(pairs)):
        # The training loss keeps improving: it must not matter.
        m.epoch_ends(np.zeros(2), 10.0 - epoch)
        counts.append(m.state.no_improvement_count)
    assert counts == sklearn_counts(watched, 0.25, higher_is_better=True)
    assert m.state.validation_scores == [p[0] for p in pairs]
    assert m.state.validation_losses == [p[1] for p in pairs]
    assert m.state.best_validation_score == max(p[0] for p in pairs)
    assert m.state.best_validation_loss == min(p[1] for p in pairs)


def test_monitor_with_validation_but_no_early_stopping_counts_the_training_loss():
    scores = [0.1, 0.9, 0.2, 0.3]
    m = monitor(validation=Scripted([(s, 1.0) for s in scores]), tol=0.0)
    losses = [1.0, 2.0, 3.0, 0.5]
    counts = []
    for loss in losses:
        m.epoch_ends(np.zeros(2), loss)
        counts.append(m.state.no_improvement_count)
    assert counts == sklearn_counts(losses, 0.0, higher_is_better=False)


def train_by_hand(m, losses, theta=None):
    """Run epochs whose parameters are all equal to the epoch number."""
    theta = np.zeros(3) if theta is None else theta
    for epoch, loss in enumerate(losses, start=1):
        theta[...] = epoch
        if m.epoch_ends(theta, loss):
            break
    return theta


def test_monitor_restore_best_writes_back_the_best_epoch_by_training_loss():
    m = monitor(keep_best=True)
    theta = train_by_hand(m, [3.0, 1.0, 2.0, 1.5])
    assert m.best_epoch == 2
    np.testing.assert_array_equal(theta, 4.0)
    m.restore_best(theta)
    np.testing.assert_array_equal(theta, 2.0)


@pytest.mark.parametrize("metric, best_epoch", [("score", 2), ("loss", 3)])
def test_monitor_keeps_the_best_epoch_by_the_validation_metric(metric, best_epoch):
    pairs = [(0.5, 0.9), (0.9, 0.7), (0.7, 0.4), (0.6, 0.8)]
    m = monitor(validation=Scripted(pairs), metric=metric, keep_best=True)
    theta = train_by_hand(m, [4.0, 3.0, 2.0, 1.0])
    m.restore_best(theta)
    assert m.best_epoch == best_epoch
    np.testing.assert_array_equal(theta, float(best_epoch))


def test_monitor_early_stopping_keeps_the_best_even_without_keep_best():
    m = monitor(validation=Scripted([(0.9, 1.0), (0.5, 1.0)]), early_stopping=True,
                keep_best=False)
    theta = train_by_hand(m, [2.0, 1.0])
    m.restore_best(theta)
    np.testing.assert_array_equal(theta, 1.0)


def test_monitor_without_keep_best_restores_nothing():
    m = monitor(keep_best=False)
    theta = train_by_hand(m, [1.0, 2.0, 3.0])
    m.restore_best(theta)
    np.testing.assert_array_equal(theta, 3.0)


def test_monitor_validation_sees_each_epoch_theta():
    validation = Scripted([(0.1, 1.0)] * 3)
    train_by_hand(monitor(validation=validation), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal([t[0] for t in validation.thetas], [1.0, 2.0, 3.0])


def test_monitor_on_a_carried_over_state_keeps_the_new_call_best():
    """The previous call's record (best_loss 0.01) need not be beaten."""
    state = TrainingState(loss_curve=[0.5, 0.01], best_loss=0.01, n_samples_seen=20)
    m = monitor(state, keep_best=True, tol=0.0)
    theta = train_by_hand(m, [1.0, 0.5, 0.8])
    assert state.no_improvement_count == 3  # none beats 0.01...
    m.restore_best(theta)
    np.testing.assert_array_equal(theta, 2.0)  # ...yet this call's best is kept
    assert state.loss_curve == [0.5, 0.01, 1.0, 0.5, 0.8] and state.best_loss == 0.01


def test_monitor_on_a_carried_over_validation_record_keeps_the_new_call_best():
    state = TrainingState(validation_scores=[0.99], validation_losses=[0.1],
                          best_validation_score=0.99, best_validation_loss=0.1)
    pairs = [(0.3, 1.0), (0.6, 0.8), (0.4, 0.9)]
    m = monitor(state, Scripted(pairs), early_stopping=True)
    theta = train_by_hand(m, [1.0, 1.0, 1.0])
    m.restore_best(theta)
    np.testing.assert_array_equal(theta, 2.0)
    assert state.validation_scores == [0.99, 0.3, 0.6, 0.4]


def test_monitor_divergence_restores_the_best_and_warns():
    pairs = [(np.float64(0.5), np.float64(0.9)), (np.float64(0.8), np.float64(0.6)),
             (np.float64(0.7), np.float64(0.5))]
    m = monitor(validation=Scripted(pairs), keep_best=True)
    theta = np.zeros(3)
    train_by_hand(m, [2.0, 1.0], theta)
    theta[...] = 3.0
    with pytest.warns(ConvergenceWarning, match=r"diverged in epoch 3.*epoch 2"):
        assert m.epoch_ends(theta, np.nan) is True
    np.testing.assert_array_equal(theta, 2.0)
    scores = m.state.validation_scores
    assert all(type(score) is float for score in scores)
    assert scores[:2] == [0.5, 0.8] and math.isnan(scores[-1])
    assert m.state.best_loss == 1.0
    assert m.state.best_validation_score == 0.8


def test_monitor_non_finite_validation_loss_counts_as_divergence():
    m = monitor(validation=Scripted([(0.5, 0.9), (0.6, np.inf)]), keep_best=True)
    theta = np.zeros(3)
    train_by_hand(m, [2.0], theta)
    theta[...] = 2.0
    with pytest.warns(ConvergenceWarning, match="epoch 2"):
        assert m.epoch_ends(theta, 1.0) is True
    np.testing.assert_array_equal(theta, 1.0)
    assert math.isnan(m.state.validation_scores[-1])


@pytest.mark.parametrize("loss", [np.nan, np.inf])
def test_monitor_divergence_with_nothing_kept_raises(loss):
    m = monitor(keep_best=False)
    m.epoch_ends(np.zeros(2), 1.0)
    with pytest.raises(ValueError) as error:
        m.epoch_ends(np.zeros(2), loss)
    assert str(error.value).startswith(
        "Solver produced non-finite parameter weights.")
    assert str(error.value).startswith(NON_FINITE_WEIGHTS)
    assert "epoch 2" in str(error.value)


def test_monitor_divergence_in_the_first_epoch_raises_even_with_keep_best():
    with pytest.raises(ValueError, match="^Solver produced non-finite"):
        monitor(keep_best=True).epoch_ends(np.zeros(2), np.inf)


def test_monitor_non_finite_theta_with_finite_loss_is_divergence():
    m = monitor(keep_best=True)
    theta = train_by_hand(m, [1.0])
    theta[1] = np.inf
    with pytest.warns(ConvergenceWarning, match="epoch 2"):
        assert m.epoch_ends(theta, 0.5) is True
    np.testing.assert_array_equal(theta, 1.0)
    assert m.state.best_loss == 1.0
    with pytest.raises(ValueError, match="^Solver produced non-finite"):
        monitor(keep_best=False).epoch_ends(np.array([0.0, np.nan]), 0.5)


def test_monitor_finite_epochs_do_not_warn():
    m = monitor(keep_best=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train_by_hand(m, [3.0, 2.0, 2.5])


@pytest.mark.parametrize("tol, n_iter_no_change", [(1e-4, 10), (0.25, 3)])
def test_monitor_plateau_message_matches_sklearn(tol, n_iter_no_change):
    training = monitor(tol=tol, n_iter_no_change=n_iter_no_change)
    # scikit-learn's "... tol=%f for %d consecutive epochs." % (tol, n_iter_no_change)
    assert training.plateau_message() == (
        f"Training loss did not improve more than tol={tol:f} for "
        f"{n_iter_no_change:d} consecutive epochs."
    )
    validation = monitor(Scripted([]), early_stopping=True, tol=tol,
                         n_iter_no_change=n_iter_no_change)
    assert validation.plateau_message() == (
        f"Validation score did not improve more than tol={tol:f} for "
        f"{n_iter_no_change:d} consecutive epochs."
    )
    by_loss = monitor(Scripted([]), early_stopping=True, metric="loss", tol=tol,
                      n_iter_no_change=n_iter_no_change)
    assert by_loss.plateau_message().startswith("Validation loss did not improve")


def test_monitor_with_validation_starts_the_validation_lists():
    assert monitor(validation=Scripted([])).state.validation_scores == []
    assert monitor().state.validation_scores is None


# -- the estimators' own validation data -------------------------------------------


@pytest.fixture(scope="module")
def split_multiclass(multiclass_data):
    X, y = multiclass_data
    return X[:100], y[:100], X[100:], y[100:]


@pytest.mark.parametrize("early_stopping", [False, True])
def test_validation_data_give_curves_of_score_and_loss(
    early_stopping, split_multiclass, small
):
    X, y, X_val, y_val = split_multiclass
    clf = ScratchMLPClassifier(
        early_stopping=early_stopping, max_iter=12, n_iter_no_change=50, **small
    )
    clf.fit(X, y, X_val=X_val, y_val=y_val)
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


def test_without_validation_data_the_curves_are_none(binary_data, small):
    clf = ScratchMLPClassifier(max_iter=3, **small).fit(*binary_data)
    assert clf.validation_scores_ is None and clf.validation_loss_curve_ is None
    assert clf.best_validation_score_ is None and clf.best_validation_loss_ is None


def test_early_stopping_split_records_the_validation_loss(
    multiclass_data, small, assert_same_weights
):
    """Same split and curve as scikit-learn's early stopping, plus the loss."""
    X, y = multiclass_data
    params = dict(early_stopping=True, max_iter=15, **small)
    ours = ScratchMLPClassifier(**params).fit(X, y)
    theirs = MLPClassifier(**params).fit(X, y)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert_same_weights(ours, theirs, rtol=1e-9)
    assert ours.best_loss_ is None
    assert len(ours.validation_loss_curve_) == ours.n_iter_


@pytest.mark.parametrize(
    "make, loss",
    [
        (
            lambda params: ScratchMLPRegressor(**params),
            lambda y, p: mean_squared_error(y, p) / 2,
        ),
        (
            lambda params: ScratchMLPRegressor(loss="poisson", **params),
            lambda y, p: mean_poisson_deviance(y, p) / 2,
        ),
    ],
)
def test_regressor_validation_loss_is_the_unpenalized_loss(
    make, loss, regression_data, small
):
    X, y = regression_data
    if make(small).loss == "poisson":
        y = np.exp(y / 2)
    reg = make(small).set_params(max_iter=5, alpha=10.0).fit(
        X[:90], y[:90], X_val=X[90:], y_val=y[90:],
    )
    assert reg.validation_loss_curve_[-1] == pytest.approx(
        loss(y[90:], reg.predict(X[90:])), rel=1e-10
    )
    assert reg.validation_scores_[-1] == pytest.approx(reg.score(X[90:], y[90:]))


def test_validation_loss_is_weighted_like_training(imbalanced_data, small):
    """Validation samples carry their weights and the classes' weights."""
    X, y = imbalanced_data
    sw_val = np.random.RandomState(2).uniform(0.5, 2.0, 40)
    clf = ScratchMLPClassifier(class_weight="balanced", max_iter=4, **small)
    clf.fit(X[:80], y[:80], X_val=X[80:], y_val=y[80:], sample_weight_val=sw_val)
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
def test_incomplete_validation_data_raise(kwargs, match, split_multiclass, small):
    X, y, X_val, y_val = split_multiclass
    values = {"X": X_val, "y": y_val, "w": np.ones(len(y_val))}
    kwargs = {name: values[key] for name, key in kwargs.items()}
    clf = ScratchMLPClassifier(max_iter=2, **small)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y, **kwargs)
    assert not hasattr(clf, "n_iter_")


def test_invalid_validation_data_raise_naming_them(split_multiclass, small):
    X, y, X_val, y_val = split_multiclass
    clf = ScratchMLPClassifier(max_iter=2, **small)
    with pytest.raises(ValueError, match="X_val.*3 features.*expecting 8"):
        clf.fit(X, y, X_val=X_val[:, :3], y_val=y_val)
    with pytest.raises(ValueError, match="X_val, y_val.*classes not in"):
        clf.fit(X, y, X_val=X_val, y_val=y_val + 10)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(X, y, X_val=X_val, y_val=y_val[:-1])
    with pytest.raises(ValueError, match="stochastic solvers"):
        clf.set_params(solver="lbfgs").fit(X, y, X_val=X_val, y_val=y_val)
    assert not hasattr(clf, "n_iter_")


def test_errors_about_sample_weight_val_name_it(binary_data, smaller):
    X, y = binary_data
    clf = ScratchMLPClassifier(max_iter=2, **smaller)
    with pytest.raises(ValueError, match="sample_weight_val") as error:
        clf.fit(X[:80], y[:80], X_val=X[80:], y_val=y[80:],
                sample_weight_val=np.ones(3))
    assert "sample_weight.shape" not in str(error.value)


@pytest.mark.parametrize("n_rows", [0, 1])
def test_validation_data_of_fewer_than_two_rows_are_refused(
    n_rows, binary_data, smaller
):
    X, y = binary_data
    clf = ScratchMLPClassifier(early_stopping=True, **smaller)
    X_val, y_val = X[:n_rows], y[:n_rows]
    with pytest.raises(ValueError, match="validation set is too small|0 sample"):
        clf.fit(X, y, X_val=X_val, y_val=y_val)


def test_stratified_split_error_keeps_sklearns_sentence(binary_data, smaller):
    X, y = binary_data
    y = np.zeros_like(y)
    y[0] = 1  # a class of one sample cannot be split in two
    with pytest.raises(ValueError) as theirs:
        MLPClassifier(early_stopping=True, **smaller).fit(X, y)
    with pytest.raises(ValueError) as ours:
        ScratchMLPClassifier(early_stopping=True, **smaller).fit(X, y)
    # Their whole message, the classes named as scikit-learn stratifies them.
    assert str(ours.value).startswith(str(theirs.value))
    assert "least populated class" in str(theirs.value)
    assert "X_val" in str(ours.value)  # and our advice after it


def test_regressor_validation_targets_need_the_same_outputs(
    multioutput_regression_data, small
):
    X, Y = multioutput_regression_data
    reg = ScratchMLPRegressor(max_iter=2, **small)
    with pytest.raises(ValueError, match="y_val has 1 outputs where y has 3"):
        reg.fit(X[:90], Y[:90], X_val=X[90:], y_val=Y[90:, 0])


def test_validation_data_are_transformed_by_a_pipeline(
    split_multiclass, small, assert_same_weights
):
    """Routed like HistGradientBoosting's: request it, and transform_input it."""
    X, y, X_val, y_val = split_multiclass
    with config_context(enable_metadata_routing=True):
        clf = ScratchMLPClassifier(max_iter=5, **small)
        clf.set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline(
            [("scale", StandardScaler()), ("mlp", clf)], transform_input=["X_val"]
        )
        pipe.fit(X, y, X_val=X_val, y_val=y_val)
    scaler = StandardScaler().fit(X)
    direct = ScratchMLPClassifier(max_iter=5, **small).fit(
        scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val,
    )
    fitted = pipe.named_steps["mlp"]
    assert fitted.validation_loss_curve_ == direct.validation_loss_curve_
    assert_same_weights(fitted, direct)


# -- stopping on the validation loss, restoring the best epoch ---------------------


def test_early_stopping_on_the_loss_keeps_the_lowest_loss(split_multiclass, small):
    X, y, X_val, y_val = split_multiclass
    clf = ScratchMLPClassifier(
        early_stopping=True, early_stopping_metric="loss", learning_rate_init=0.05,
        max_iter=200, n_iter_no_change=3, tol=0, **small,
    )
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    curve = clf.validation_loss_curve_
    best_epoch = int(np.argmin(curve)) + 1
    assert clf.n_iter_ == best_epoch + 3 + 1 < 200  # stopped: 4 epochs without a gain
    assert log_loss(y_val, clf.predict_proba(X_val)) == pytest.approx(
        clf.best_validation_loss_, rel=1e-12
    )
    # The score has its own best, not necessarily at the best loss.
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_early_stopping_on_the_score_keeps_the_best_score(split_multiclass, small):
    X, y, X_val, y_val = split_multiclass
    clf = ScratchMLPClassifier(early_stopping=True, max_iter=40, **small)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.score(X_val, y_val) == clf.best_validation_score_


def test_early_stopping_metric_is_validated():
    with pytest.raises(ValueError, match="early_stopping_metric"):
        ScratchMLPClassifier(early_stopping_metric="auc").fit([[0.0], [1.0]], [0, 1])


@pytest.fixture
def noisy_adam(small):
    """``noisy_adam(**params)``: Adam with steps large enough for a bumpy loss curve."""

    def make(**params):
        return ScratchMLPClassifier(
            learning_rate_init=0.5, batch_size=16, tol=0, n_iter_no_change=1000,
            **small, **params,
        )

    return make


def test_restore_best_params_keeps_the_lowest_training_loss_epoch(
    binary_data, assert_same_weights, noisy_adam
):
    X, y = binary_data
    restored = noisy_adam(max_iter=25, restore_best_params=True).fit(X, y)
    best_epoch = int(np.argmin(restored.loss_curve_)) + 1
    assert best_epoch < 25, "the test needs a loss curve that rises again"
    truncated = noisy_adam(max_iter=best_epoch).fit(X, y)
    assert_same_weights(restored, truncated)
    assert restored.loss_curve_[:best_epoch] == truncated.loss_curve_
    assert restored.best_loss_ == min(restored.loss_curve_)


@pytest.mark.parametrize("metric", ["score", "loss"])
def test_restore_best_params_follows_the_validation_metric(
    metric, split_multiclass, noisy_adam
):
    X, y, X_val, y_val = split_multiclass
    clf = noisy_adam(
        max_iter=25, restore_best_params=True, early_stopping_metric=metric
    )
    clf.fit(X, y, X_val=X_val, y_val=y_val)
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


def test_partial_fit_keeps_each_epoch_even_with_restore_best_params(
    binary_data, assert_same_weights, noisy_adam
):
    X, y = binary_data
    plain, restoring = noisy_adam(), noisy_adam(restore_best_params=True)
    for _ in range(6):
        plain.partial_fit(X, y, classes=[0, 1])
        restoring.partial_fit(X, y, classes=[0, 1])
    assert plain.loss_curve_ == restoring.loss_curve_
    assert_same_weights(plain, restoring)


def test_without_restore_the_last_epoch_is_kept(binary_data, noisy_adam):
    X, y = binary_data
    last = noisy_adam(max_iter=25).fit(X, y)
    again = noisy_adam(max_iter=25, restore_best_params=True).fit(X, y)
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
