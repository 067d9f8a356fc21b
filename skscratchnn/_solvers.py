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
    ``loss_curve_``, ...); ``best_theta`` holds the best parameters seen on the
    validation data when early stopping.
    """

    n_iter: int = 0
    t: int = 0
    n_updates: int = 0
    loss: float = None
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    validation_scores: list = None
    best_validation_score: float = None
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
                out.append(np.take(a, idx, axis=0, out=buffer[: len(idx)]))
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
    validation_score=None,
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
    validation_score : callable, default=None
        ``validation_score(theta) -> float``; switches on early stopping.
    verbose : bool or int
    """
    n_samples = X.shape[0] if rows is None else len(rows)
    order = np.arange(n_samples) if rows is None else rows.copy()
    gatherer = _BatchGatherer([X, Y, sw], batch_size)
    needs_gather = shuffle or rows is not None
    early_stopping = validation_score is not None
    progress = EpochProgress(1 if incremental else max_iter, verbose)
    try:
        for _ in range(max_iter):
            if shuffle:
                # Shuffle row indices, not the data, to save memory.
                rng.shuffle(order)
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
                    f"{state.n_iter + 1}. Lower learning_rate_init "
                    f"(={optimizer.learning_rate_init}) or scale the input data."
                )
            state.t += n_samples
            state.loss_curve.append(state.loss)
            if early_stopping:
                _update_validation(state, validation_score(theta), theta, tol)
            else:
                _update_training_loss(state, tol)
            score = state.validation_scores[-1] if early_stopping else None
            progress.update(state.n_iter, state.loss, score)

            optimizer.iteration_ends(state.t)
            if state.no_improvement_count > n_iter_no_change:
                what = "Validation score" if early_stopping else "Training loss"
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
    if early_stopping and state.best_theta is not None:
        np.copyto(theta, state.best_theta)


def _update_validation(state, score, theta, tol):
    state.validation_scores.append(score)
    if score < state.best_validation_score + tol:
        state.no_improvement_count += 1
    else:
        state.no_improvement_count = 0
    if score > state.best_validation_score:
        state.best_validation_score = score
        state.best_theta = theta.copy()


def _update_training_loss(state, tol):
    if state.loss_curve[-1] > state.best_loss - tol:
        state.no_improvement_count += 1
    else:
        state.no_improvement_count = 0
    state.best_loss = min(state.best_loss, state.loss_curve[-1])


def run_lbfgs(objective, theta, *, max_iter, max_fun, tol, verbose=False):
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

    def report(intermediate_result):
        print(f"L-BFGS iteration, loss = {intermediate_result.fun:.8f}")

    result = scipy.optimize.minimize(
        fun,
        theta.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        callback=report if verbose else None,
    )
    if result.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iteration(s) "
            f"(status={result.status}): {result.message}. Increase the number of "
            f"iterations (max_iter={max_iter}) or of function evaluations "
            f"(max_fun={max_fun}), or scale the data.",
            ConvergenceWarning,
        )
    theta[...] = result.x
    return min(result.nit, max_iter), float(result.fun)
