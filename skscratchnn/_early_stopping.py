"""Early stopping: the validation data, the record of each epoch, when to stop
and the best parameters seen.

scikit-learn splits this over its estimator and its optimizers; here one
monitor watches each epoch of the stochastic solvers. It follows
scikit-learn's rules: an epoch counts as no improvement unless the watched
metric beats its best by ``tol``, and training stops after
``n_iter_no_change`` such epochs in a row (the optimizer may first lower its
rate). When the loss diverges, it falls back to the best parameters seen.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

# scikit-learn's sentence, kept first so that code matching it still works.
NON_FINITE_WEIGHTS = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)
_TOO_SMALL = (
    "The validation set is too small. Increase 'validation_fraction' or the size "
    "of your dataset."
)


def check_validation_size(n_rows, name="X_val"):
    """Refuse a validation set of fewer than 2 rows, which cannot be scored."""
    if n_rows < 2:
        raise ValueError(f"{_TOO_SMALL} {name} has {n_rows} row(s); at least 2 needed.")


def holdout_split(n_samples, fraction, stratify, rng):
    """Return the training and the validation rows of the early-stopping split.

    Parameters
    ----------
    n_samples : int
    fraction : float
        ``validation_fraction``.
    stratify : ndarray of shape (n_samples,) or (n_samples, 1) or None
        Labels to stratify on (binary targets, as scikit-learn does).
    rng : numpy.random.RandomState

    Returns
    -------
    rows, validation_rows : ndarray of int
    """
    try:
        rows, validation_rows = train_test_split(
            np.arange(n_samples), test_size=fraction, random_state=rng,
            stratify=stratify,
        )
    except ValueError as error:
        # scikit-learn's own message first, so code that matches it still works.
        sentence = str(error) if str(error).endswith(".") else f"{error}."
        held_out, advice = "a validation set", "give more samples"
        if stratify is not None:
            held_out += " stratified on the classes"
            advice = "give each class enough samples for both sides"
        raise ValueError(
            f"{sentence} early_stopping=True holds out {held_out} "
            f"(validation_fraction={fraction}): {advice}, raise "
            "validation_fraction, or pass X_val and y_val to fit."
        ) from error
    if len(validation_rows) < 2:
        raise ValueError(_TOO_SMALL)
    return rows, validation_rows


class EarlyStoppingMonitor:
    """Record each epoch, decide when to stop, and keep the best parameters.

    Parameters
    ----------
    state : TrainingState
        The record carried over from call to call; updated in place.
    validation : callable or None
        ``validation(theta) -> (score, loss)`` on the validation data.
    early_stopping : bool
        Count epochs without improvement of the validation ``metric`` rather
        than of the training loss.
    metric : {'score', 'loss'}
        The validation metric that early stopping and ``keep_best`` follow.
    tol : float
    n_iter_no_change : int or inf
    keep_best : bool
        Keep the parameters of the best epoch of this call, to restore at the
        end: by the validation ``metric`` if there is ``validation``, else by
        the training loss.
    """

    def __init__(self, state, validation, *, early_stopping, metric, tol,
                 n_iter_no_change, keep_best):
        self.state = state
        self.validation = validation
        self.early_stopping = early_stopping
        self.metric = metric
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.keep_best = keep_best or early_stopping
        # The best of this call only: a warm start's new data never have to
        # beat the previous fit's record to be kept.
        self.best_gain = -np.inf
        self.best_epoch = None
        self.best_theta = None
        if validation is not None and state.validation_scores is None:
            state.validation_scores, state.validation_losses = [], []

    def epoch_ends(self, theta, loss):
        """Record an epoch with mean training ``loss``; return whether to stop.

        Returns
        -------
        stop : bool
            True when training diverged and the best parameters are restored.

        Raises
        ------
        ValueError
            If training diverged with no finite parameters to fall back on.
        """
        state = self.state
        state.n_iter += 1
        state.loss = loss
        state.loss_curve.append(loss)
        training = -loss, -state.best_loss
        watched = training
        finite = np.isfinite(loss) and np.isfinite(theta).all()
        if finite:
            state.best_loss = min(state.best_loss, loss)
        if self.validation is not None:
            score, val_loss = self.validation(theta)
            # Python floats: the curves are plain lists of numbers.
            score, val_loss = float(score), float(val_loss)
            finite = finite and np.isfinite(val_loss)
            state.validation_scores.append(score if finite else float("nan"))
            state.validation_losses.append(val_loss)
            if self.metric == "score":
                watched = score, state.best_validation_score
            else:
                watched = -val_loss, -state.best_validation_loss
            if finite:
                state.best_validation_score = max(state.best_validation_score, score)
                state.best_validation_loss = min(state.best_validation_loss, val_loss)
        if not finite:
            return self._diverged(theta, loss)

        gain, best = watched if self.early_stopping else training
        if gain < best + self.tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        gain = watched[0]
        if self.keep_best and gain > self.best_gain:
            self.best_gain, self.best_epoch = gain, state.n_iter
            if self.best_theta is None:
                self.best_theta = theta.copy()
            else:
                np.copyto(self.best_theta, theta)
        return False

    @property
    def plateau(self):
        """Whether ``n_iter_no_change`` epochs in a row failed to improve."""
        return self.state.no_improvement_count > self.n_iter_no_change

    def plateau_message(self):
        """Describe the plateau as scikit-learn does."""
        what = f"Validation {self.metric}" if self.early_stopping else "Training loss"
        return (
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )

    def restore_best(self, theta):
        """Put the best parameters of this call back into ``theta``, if kept."""
        if self.keep_best and self.best_theta is not None:
            np.copyto(theta, self.best_theta)

    def _diverged(self, theta, loss):
        epoch = self.state.n_iter
        if self.best_theta is None:
            raise ValueError(
                f"{NON_FINITE_WEIGHTS} Training diverged: the loss became {loss} in "
                f"epoch {epoch}, with no finite epoch to fall back on. Lower "
                "learning_rate_init or scale the input data."
            )
        warnings.warn(
            f"Training diverged in epoch {epoch} (the loss became {loss}): training "
            f"stops there with the parameters of epoch {self.best_epoch}, the best "
            "before it. Lower learning_rate_init or scale the input data.",
            ConvergenceWarning,
        )
        self.restore_best(theta)
        return True
