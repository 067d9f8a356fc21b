"""Training loops: minibatch SGD/Adam over epochs, and full-batch L-BFGS.

Both work on the flat vector ``theta`` in place and receive the objective as a
function; the estimator decides what the objective, the data and the
validation score are.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._progress import EpochProgress


@dataclass
class TrainingState:
    """Progress of stochastic training, carried over by ``partial_fit``.

    Attributes mirror the estimator's fitted attributes (``n_iter_``, ``t_``,
    ``loss_curve_``, ...); ``best_theta`` holds the parameters of the best
    epoch when they are to be restored. The validation lists are None until
    training sees validation data.
    """

    n_iter: int = 0
    t: int = 0
    n_updates: int = 0
    loss: float = None
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    validation_scores: list = None
    validation_losses: list = None
    best_validation_score: float = -np.inf
    best_validation_loss: float = np.inf
    no_improvement_count: int = 0
    best_theta: np.ndarray = None


class _BatchGatherer:
    """Copy minibatches into buffers reused across batches and epochs."""

    def __init__(self, arrays, batch_size):
        self.arrays = arrays
        self.buffers = [
            None if a is None or sp.issparse(a)
            else np.empty((batch_size, *a.shape[1:]), a.dtype)
            for a in arrays
        ]

    def gather(self, idx):
        out = []
        for a, buffer in zip(self.arrays, self.buffers):
            if a is None:
                out.append(None)
            elif buffer is None:
                out.append(a[idx])
            else:
                # mode="clip" (the indices are valid anyway) lets take write
                # straight into out; the default "raise" goes through a copy.
                out.append(np.take(a, idx, axis=0, out=buffer[: len(idx)], mode="clip"))
        return out


def run_stochastic(
    objective,
    theta,
    X,
    Y,
    sw,
    optimizer,
    state,
    *,
    rows,
    batch_size,
    max_iter,
    shuffle,
    rng,
    tol,
    n_iter_no_change,
    incremental,
    validation=None,
    early_stopping=False,
    metric="score",
    keep_best=False,
    hooks=None,
    verbose=False,
):
    """Train ``theta`` in place with minibatch updates from ``optimizer``.

    Parameters
    ----------
    objective : callable
        ``objective(theta, X, Y, sw, step) -> (loss, grad)``.
    theta : ndarray of shape (n_params,)
    X, Y, sw : arrays
        All the data; ``sw`` may be None.
    optimizer : SGDOptimizer or AdamOptimizer
    state : TrainingState
        Updated in place.
    rows : ndarray of int or None
        Rows of ``X`` to train on (None: all).
    batch_size : int
    max_iter : int
        Number of epochs (1 when ``incremental``).
    shuffle : bool
    rng : numpy.random.RandomState
    tol : float
    n_iter_no_change : int or inf
    incremental : bool
        One epoch, no convergence warning (``partial_fit``).
    validation : callable, default=None
        ``validation(theta) -> (score, loss)`` on validation data, recorded
        after each epoch.
    early_stopping : bool, default=False
        Count epochs without improvement on the validation ``metric`` rather
        than on the training loss.
    metric : {'score', 'loss'}, default='score'
        The validation metric that early stopping and ``keep_best`` follow.
    keep_best : bool, default=False
        End with the parameters of the best epoch: by the validation
        ``metric`` if there is ``validation``, else by the training loss.
        Always done when early stopping.
    hooks : object, default=None
        ``hooks.epoch_begins()`` and ``hooks.epoch_ends(theta, n_iter, loss)``
        are called around each epoch; the latter returning True stops training.
    verbose : bool or int
    """
    n_samples = X.shape[0] if rows is None else len(rows)
    order = np.arange(n_samples) if rows is None else rows.copy()
    gatherer = _BatchGatherer([X, Y, sw], batch_size)
    needs_gather = shuffle or rows is not None
    keep_best = keep_best or early_stopping
    if validation is not None and state.validation_scores is None:
        state.validation_scores, state.validation_losses = [], []
    progress = EpochProgress(1 if incremental else max_iter, verbose)
    try:
        for _ in range(max_iter):
            if shuffle:
                # Shuffle row indices, not the data, to save memory.
                rng.shuffle(order)
            if hooks is not None:
                hooks.epoch_begins()
            accumulated_loss = 0.0
            for batch_start in range(0, n_samples, batch_size):
                batch = slice(batch_start, min(batch_start + batch_size, n_samples))
                if needs_gather:
                    Xb, Yb, swb = gatherer.gather(order[batch])
                else:
                    Xb, Yb = X[batch], Y[batch]
                    swb = None if sw is None else sw[batch]
                loss, grad = objective(theta, Xb, Yb, swb, state.n_updates)
                optimizer.step(theta, grad)
                state.n_updates += 1
                accumulated_loss += loss * (batch.stop - batch.start)

            state.n_iter += 1
            state.loss = accumulated_loss / n_samples
            if not np.isfinite(state.loss):
                raise ValueError(
                    f"Training diverged: the loss became {state.loss} in epoch "
                    f"{state.n_iter}. Lower learning_rate_init "
                    f"(={optimizer.learning_rate_init}) or scale the input data."
                )
            state.t += n_samples
            state.loss_curve.append(state.loss)
            _record_epoch(
                state, theta, validation, early_stopping, metric, keep_best, tol
            )
            score = None if validation is None else state.validation_scores[-1]
            progress.update(state.n_iter, state.loss, score)
            if hooks is not None and hooks.epoch_ends(theta, state.n_iter, state.loss):
                break

            optimizer.iteration_ends(state.t)
            if state.no_improvement_count > n_iter_no_change:
                what = "Training loss"
                if early_stopping:
                    what = f"Validation {metric}"
                msg = (
                    f"{what} did not improve more than tol={tol:f} for "
                    f"{n_iter_no_change} consecutive epochs."
                )
                progress.end_line()
                if optimizer.trigger_stopping(msg, verbose):
                    break
                state.no_improvement_count = 0
            if incremental:
                break
            if state.n_iter == max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({max_iter}) reached "
                    "and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
    except KeyboardInterrupt:
        progress.end_line()
        warnings.warn("Training interrupted by user.")
    finally:
        progress.end_line()
    if keep_best and state.best_theta is not None:
        np.copyto(theta, state.best_theta)


def _record_epoch(state, theta, validation, early_stopping, metric, keep_best, tol):
    """Record an epoch's metrics, count it if no better, keep ``theta`` if best.

    Each metric is compared as a gain (higher is better) against its best
    before this epoch, as scikit-learn does for the score and the loss.
    """
    training = -state.loss, -state.best_loss
    state.best_loss = min(state.best_loss, state.loss)
    watched = training
    if validation is not None:
        score, loss = validation(theta)
        state.validation_scores.append(score)
        state.validation_losses.append(loss)
        if metric == "score":
            watched = score, state.best_validation_score
        else:
            watched = -loss, -state.best_validation_loss
        state.best_validation_score = max(state.best_validation_score, score)
        state.best_validation_loss = min(state.best_validation_loss, loss)

    gain, best = watched if early_stopping else training
    if gain < best + tol:
        state.no_improvement_count += 1
    else:
        state.no_improvement_count = 0
    gain, best = watched
    if keep_best and gain > best:
        if state.best_theta is None:
            state.best_theta = theta.copy()
        else:
            np.copyto(state.best_theta, theta)


def run_lbfgs(objective, theta, *, max_iter, max_fun, tol, hooks=None, verbose=False):
    """Minimize ``objective`` over ``theta`` with L-BFGS-B; update ``theta`` in place.

    Parameters
    ----------
    objective : callable
        ``objective(theta) -> (loss, grad)`` on the full data.
    theta : ndarray of shape (n_params,)
    max_iter, max_fun : int
        Limits on iterations and on objective evaluations.
    tol : float
        Passed as ``gtol``.
    hooks : object, default=None
        As in :func:`run_stochastic`, with one L-BFGS iteration for an epoch;
        called once the iteration is done.
    verbose : bool or int

    Returns
    -------
    n_iter : int
    loss : float
    """

    def fun(x):
        # scipy owns x and keeps the returned gradient: hand it a copy.
        loss, grad = objective(x.astype(theta.dtype, copy=False))
        return loss, grad.astype(np.float64)

    n_iter, stopped = 0, False

    def end_iteration(intermediate_result):
        nonlocal n_iter, stopped
        n_iter += 1
        if verbose:
            print(f"L-BFGS iteration, loss = {intermediate_result.fun:.8f}")
        if hooks is not None:
            hooks.epoch_begins()
            x = intermediate_result.x.astype(theta.dtype)
            if hooks.epoch_ends(x, n_iter, float(intermediate_result.fun)):
                stopped = True
                raise StopIteration

    result = scipy.optimize.minimize(
        fun,
        theta.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        callback=end_iteration if verbose or hooks is not None else None,
    )
    if result.status != 0 and not stopped:
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iteration(s) "
            f"(status={result.status}): {result.message}. Increase the number of "
            f"iterations (max_iter={max_iter}) or of function evaluations "
            f"(max_fun={max_fun}), or scale the data.",
            ConvergenceWarning,
        )
    theta[...] = result.x
    return min(result.nit, max_iter), float(result.fun)
