"""The training layer: minibatch SGD/Adam over epochs, and full-batch L-BFGS.

Both work on the flat vector ``theta`` in place and receive the objective as a
function; the estimator decides what the objective, the data and the
validation score are. A stochastic fit is staged as
``StochasticTrainer.run -> run_epoch -> step``; the early-stopping monitor
judges each epoch and the progress reporter prints.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._dropout import Dropout, DropoutKeys
from ._early_stopping import EarlyStoppingMonitor, holdout_split
from ._network import Workspace, loss_and_grad
from ._optimizers import continue_optimizer, make_optimizer
from ._progress import EpochProgress

STOCHASTIC_SOLVERS = ("sgd", "adam")
SOLVERS = (*STOCHASTIC_SOLVERS, "lbfgs")


@dataclass
class TrainingState:
    """The record of stochastic training that the next call goes on from.

    Each field mirrors a fitted attribute (see ``_state``): ``n_samples_seen``
    is ``t_``, ``n_steps`` counts the updates (it salts the dropout masks).
    The validation lists are None until training sees validation data.
    """

    n_iter: int = 0
    n_samples_seen: int = 0
    n_steps: int = 0
    loss: float = None
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    validation_scores: list = None
    validation_losses: list = None
    best_validation_score: float = -np.inf
    best_validation_loss: float = np.inf
    no_improvement_count: int = 0


@dataclass(frozen=True)
class TrainingData:
    """What a fit trains on, validated and encoded by the estimator.

    ``validation`` is the ``(X, Y, sw)`` of the user's validation data or
    None; ``stratify`` holds the labels the early-stopping split keeps in
    proportion, or None.
    """

    X: object
    Y: np.ndarray
    sw: np.ndarray = None
    validation: tuple = None
    stratify: np.ndarray = None


@dataclass(frozen=True)
class StochasticConfig:
    """The settings of a stochastic fit, read once from the estimator's parameters.

    ``params`` keeps all of them for the optimizer factory; ``groups`` holds
    the parameter groups' rate factors and the number of weights (see
    :func:`make_optimizer`). ``max_steps``, when not None, bounds the updates:
    a fit whose epochs hold many steps runs fewer than ``max_iter`` epochs.
    """

    params: dict
    groups: dict
    auto_batch_size: int
    batch_size: object
    max_iter: int
    shuffle: bool
    tol: float
    n_iter_no_change: float
    early_stopping: bool
    validation_fraction: float
    metric: str
    restore_best: bool
    verbose: int
    max_steps: int = None

    @classmethod
    def from_params(cls, params, groups=None, auto_batch_size=200):
        return cls(
            params=params,
            groups=groups,
            auto_batch_size=auto_batch_size,
            batch_size=params["batch_size"],
            max_iter=params["max_iter"],
            shuffle=params["shuffle"],
            tol=params["tol"],
            n_iter_no_change=params["n_iter_no_change"],
            early_stopping=params["early_stopping"],
            validation_fraction=params["validation_fraction"],
            metric=params["early_stopping_metric"],
            restore_best=params["restore_best_params"],
            verbose=params["verbose"],
            max_steps=params["max_steps"],
        )

    def n_epochs(self, steps_per_epoch):
        """Return how many epochs to run, given the updates in each."""
        if self.max_steps is None:
            return self.max_iter
        return min(self.max_iter, -(-self.max_steps // steps_per_epoch))


def resolve_batch_size(batch_size, n_samples, auto=200):
    """Return the minibatch size: 'auto' is ``min(auto, n)``; larger ones clip."""
    if batch_size == "auto":
        return min(auto, n_samples)
    if batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. "
            "It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n_samples))


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


def train_stochastic(theta, network, data, config, *, rng, previous, scorer,
                     hooks=None, incremental=False):
    """Prepare a stochastic fit, run it on ``theta`` in place, return its state.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
    network : Network
    data : TrainingData
    config : StochasticConfig
    rng : numpy.random.RandomState
        Draws the dropout keys, the early-stopping split and the shuffles.
    previous : tuple of (optimizer, TrainingState) or None
        What the call goes on from; None starts afresh.
    scorer : callable
        ``scorer(network, X_val, Y_val, sw_val) -> validation`` with
        ``validation(theta) -> (score, loss)``.
    hooks : FitHooks, default=None
    incremental : bool, default=False
        One epoch, as ``partial_fit``: no best-epoch restore.

    Returns
    -------
    optimizer : SGDOptimizer or AdamOptimizer
    state : TrainingState
    """
    X, Y, sw = data.X, data.Y, data.sw
    dropout_keys = None
    if network.has_dropout:
        dropout_keys = DropoutKeys.draw(rng, network.layout.layer_units, X.dtype)
    rows, validation = None, data.validation
    if config.early_stopping and validation is None:
        rows, val_rows = holdout_split(
            X.shape[0], config.validation_fraction, data.stratify, rng
        )
        validation = X[val_rows], Y[val_rows], None if sw is None else sw[val_rows]
    n_rows = X.shape[0] if rows is None else len(rows)
    batch_size = resolve_batch_size(config.batch_size, n_rows, config.auto_batch_size)
    steps_per_epoch = -(-n_rows // batch_size)
    max_iter = config.n_epochs(steps_per_epoch)
    old_optimizer, state = previous or (None, TrainingState())
    optimizer = make_optimizer(
        config.params, theta.size, X.dtype, groups=config.groups,
        n_steps=max_iter * steps_per_epoch,
    )
    optimizer = continue_optimizer(old_optimizer, optimizer, incremental)
    monitor = EarlyStoppingMonitor(
        state,
        None if validation is None else scorer(network, *validation),
        early_stopping=config.early_stopping,
        metric=config.metric,
        tol=config.tol,
        n_iter_no_change=config.n_iter_no_change,
        keep_best=config.restore_best and not incremental,
    )
    dropout = None
    if dropout_keys is not None:
        dropout = Dropout(dropout_keys, network.dropout, X, batch_size)
    work = Workspace(network, batch_size, X.dtype, dropout=dropout)

    def objective(theta, Xb, Yb, swb, step, rows):
        if dropout is not None:
            dropout.for_batch(step, rows)
        return loss_and_grad(theta, Xb, Yb, swb, network, work)

    progress = EpochProgress(1 if incremental else max_iter, config.verbose)
    trainer = StochasticTrainer(
        objective, optimizer, monitor, batch_size, rng, progress, hooks
    )
    trainer.run(theta, X, Y, sw, rows, max_iter=max_iter,
                shuffle=config.shuffle, incremental=incremental)
    return optimizer, state


class StochasticTrainer:
    """Train ``theta`` in place with minibatch updates, epoch by epoch.

    Parameters
    ----------
    objective : callable
        ``objective(theta, X, Y, sw, step, rows) -> (loss, grad)`` on a
        minibatch; ``step`` numbers the update, ``rows`` (an index array or a
        slice) says which rows of the data the minibatch holds.
    optimizer : SGDOptimizer or AdamOptimizer
    monitor : EarlyStoppingMonitor
        Judges each epoch; its ``state`` is the record updated in place.
    batch_size : int
    rng : numpy.random.RandomState
        Shuffles the rows each epoch.
    progress : EpochProgress
    hooks : FitHooks or None
        ``epoch_begins()`` and ``epoch_ends(theta, n_iter, loss)`` around
        each epoch; the latter returning True stops training.
    """

    def __init__(self, objective, optimizer, monitor, batch_size, rng, progress,
                 hooks=None):
        self.objective = objective
        self.optimizer = optimizer
        self.monitor = monitor
        self.batch_size = batch_size
        self.rng = rng
        self.progress = progress
        self.hooks = hooks

    def run(self, theta, X, Y, sw, rows, *, max_iter, shuffle, incremental=False):
        """Train for up to ``max_iter`` epochs over ``rows`` of the data (None: all).

        ``incremental`` runs one epoch without a convergence warning
        (``partial_fit``). The best parameters are restored at the end if the
        monitor keeps them; Ctrl-C stops training cleanly after a warning.
        """
        state = self.monitor.state
        order = np.arange(X.shape[0]) if rows is None else rows.copy()
        gatherer = _BatchGatherer([X, Y, sw], self.batch_size)
        gather = gatherer.gather if shuffle or rows is not None else None
        try:
            for _ in range(max_iter):
                if shuffle:
                    # Shuffle row indices, not the data, to save memory.
                    self.rng.shuffle(order)
                if self.hooks is not None:
                    self.hooks.epoch_begins()
                loss = self.run_epoch(theta, X, Y, sw, order, gather)
                state.n_samples_seen += len(order)
                if self.monitor.epoch_ends(theta, loss):
                    break
                score = None
                if state.validation_scores is not None and self.monitor.validation:
                    score = state.validation_scores[-1]
                self.progress.update(state.n_iter, loss, score)
                if self.hooks is not None and self.hooks.epoch_ends(
                    theta, state.n_iter, loss
                ):
                    break
                self.optimizer.epoch_ends(state.n_samples_seen)
                if self.monitor.plateau:
                    stop, action = self.optimizer.on_plateau()
                    self.progress.note(f"{self.monitor.plateau_message()} {action}")
                    if stop:
                        break
                    state.no_improvement_count = 0
                if incremental:
                    break
                # With no convergence criterion (n_iter_no_change=inf), training
                # for max_iter epochs is the plan, not a failure to converge.
                if state.n_iter == max_iter and self.monitor.n_iter_no_change < np.inf:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({max_iter}) "
                        "reached and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            self.progress.end_line()
            warnings.warn("Training interrupted by user.")
        finally:
            self.progress.end_line()
        self.monitor.restore_best(theta)

    def run_epoch(self, theta, X, Y, sw, order, gather):
        """Run one pass over the rows in ``order``; return its mean loss.

        With ``gather`` None the rows are taken in place, as slices.
        """
        total = 0.0
        n_rows = len(order)
        for start in range(0, n_rows, self.batch_size):
            batch = slice(start, min(start + self.batch_size, n_rows))
            if gather is not None:
                rows = order[batch]
                Xb, Yb, swb = gather(rows)
            else:
                rows = batch
                Xb, Yb = X[batch], Y[batch]
                swb = None if sw is None else sw[batch]
            total += self.step(theta, Xb, Yb, swb, rows) * (batch.stop - batch.start)
        return total / n_rows

    def step(self, theta, Xb, Yb, swb, rows):
        """Update ``theta`` from one minibatch, ``rows`` of the data; return its loss.

        A minibatch whose sample weights sum to zero carries no information:
        it is skipped (no data term, no L2 step) and adds 0 to the epoch loss.
        """
        if swb is not None and not swb.any():
            return 0.0
        state = self.monitor.state
        loss, grad = self.objective(theta, Xb, Yb, swb, state.n_steps, rows)
        self.optimizer.step(theta, grad)
        state.n_steps += 1
        return loss


def train_lbfgs(theta, network, data, params, hooks=None):
    """Fit ``theta`` in place to all of ``data`` with L-BFGS; return n_iter, loss.

    ``params`` are the estimator's parameters (``max_iter``, ``max_fun``,
    ``tol``, ``verbose``).
    """
    work = Workspace(network, data.X.shape[0], data.X.dtype)
    return run_lbfgs(
        lambda th: loss_and_grad(th, data.X, data.Y, data.sw, network, work),
        theta,
        max_iter=params["max_iter"],
        max_fun=params["max_fun"],
        tol=params["tol"],
        progress=EpochProgress(params["max_iter"], params["verbose"]),
        hooks=hooks,
    )


def run_lbfgs(objective, theta, *, max_iter, max_fun, tol, progress, hooks=None):
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
    progress : EpochProgress
        Told of each iteration.
    hooks : FitHooks, default=None
        As in :class:`StochasticTrainer`, with one L-BFGS iteration for an
        epoch; called once the iteration is done.

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
        progress.note(f"L-BFGS iteration, loss = {intermediate_result.fun:.8f}")
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
        callback=end_iteration if progress.verbose or hooks is not None else None,
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
