"""Early stopping on its own: the holdout split; EarlyStoppingMonitor driven by hand."""

import math
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skscratchnn._early_stopping import (
    NON_FINITE_WEIGHTS,
    EarlyStoppingMonitor,
    check_validation_size,
    holdout_split,
)
from skscratchnn._solvers import TrainingState

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
