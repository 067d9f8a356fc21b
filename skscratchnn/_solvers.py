"""The training layer: minibatch SGD/Adam over epochs, and full-batch L-BFGS.

Both work on the flat vector ``theta`` in place and receive the objective as a
function; the estimator decides what the objective, the data and the
validation score are. A stochastic fit is staged as
``StochasticTrainer.run -> run_epoch -> step``; the early-stopping monitor
judges each epoch and the progress reporter prints.
"""

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._callbacks import NO_HOOKS
from ._dropout import Dropout, DropoutKeys
from ._early_stopping import EarlyStoppingMonitor, holdout_split
from ._network import Workspace, loss_and_grad
from ._optimizers import OptimizerOptions, continue_optimizer
from ._progress import EpochProgress

STOCHASTIC_SOLVERS = ("sgd", "adam")
SOLVERS = (*STOCHASTIC_SOLVERS, "lbfgs")


def _recorded_as(attribute, default=None, *, none_value=None, factory=None):
    """A TrainingState field, kept as the fitted ``attribute`` (see ``_state``).

    ``none_value`` stands for the attribute's None (None: never None).
    """
    metadata = {"attribute": attribute, "none_value": none_value}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class TrainingState:
    """The record of stochastic training that the next call goes on from.

    Each field is kept as the fitted attribute its metadata names: this is the
    one list of them. ``n_steps`` counts the updates (it salts the dropout
    masks). The validation lists are None until training sees validation data.
    """

    n_iter: int = _recorded_as("n_iter_", 0)
    n_samples_seen: int = _recorded_as("t_", 0)
    n_steps: int = _recorded_as("_n_steps", 0)
    loss: float = _recorded_as("loss_")
    loss_curve: list = _recorded_as("loss_curve_", factory=list)
    best_loss: float = _recorded_as("best_loss_", np.inf, none_value=np.inf)
    validation_scores: list = _recorded_as("validation_scores_")
    validation_losses: list = _recorded_as("validation_loss_curve_")
    best_validation_score: float = _recorded_as(
        "best_validation_score_", -np.inf, none_value=-np.inf
    )
    best_validation_loss: float = _recorded_as(
        "best_validation_loss_", np.inf, none_value=np.inf
    )
    no_improvement_count: int = _recorded_as("_no_improvement_count", 0)


@dataclass(frozen=True)
class TrainingData:
    """What a fit trains on, validated and encoded by the estimator.

    ``validation`` is the ``(X, Y, sw)`` of the user's validation data or
    None; ``stratify`` holds the labels the early-stopping split keeps in
    proportion, or None. ``Y`` and ``sw`` are of the network's dtype; ``X``
    may be of another, which the network's encoding takes (see
    :class:`~._network.Network`).
    """

    X: object
    Y: np.ndarray
    sw: np.ndarray = None
    validation: tuple = None
    stratify: np.ndarray = None

    @property
    def dtype(self):
        """The dtype the network trains in."""
        return self.Y.dtype


# What max_iter='auto' means: RealMLP's 256 epochs, but no more than about
# this many steps, which large tables reach in fewer epochs (the time of a fit
# then stops growing with the number of rows).
AUTO_MAX_EPOCHS, AUTO_STEP_BUDGET = 256, 8192


def epoch_limits(max_iter, auto_share=1):
    """Return the most epochs and the most steps (or None) that ``max_iter`` allows.

    A network given ``auto_share`` of the training of 'auto' (a member of an
    ensemble) runs that share of its epochs and steps.
    """
    if max_iter == "auto":
        return round(AUTO_MAX_EPOCHS * auto_share), round(AUTO_STEP_BUDGET * auto_share)
    return max_iter, None


@dataclass(frozen=True)
class StochasticConfig:
    """The settings of a stochastic fit, read once from the estimator's parameters.

    The counts that depend on the data (batch size, epochs, steps) are
    resolved once, by :meth:`schedule`, when the training rows are known.
    """

    optimizer: OptimizerOptions
    batch_size: object
    auto_batch_size: int
    even_batches: bool
    max_iter: int
    max_steps: int
    shuffle: bool
    tol: float
    n_iter_no_change: float
    early_stopping: bool
    validation_fraction: float
    metric: str
    restore_best: bool
    verbose: int

    @classmethod
    def from_params(cls, params, *, auto_batch_size, even_batches=False, auto_share=1,
                    rate_factors=None, n_decayed=0):
        """Read the settings from an estimator's ``get_params()``.

        ``batch_size='auto'`` is ``min(auto_batch_size, n_rows)``;
        ``even_batches`` splits each epoch into batches of equal size (see
        :func:`batch_bounds`);
        ``max_iter='auto'`` trains ``auto_share`` of its epochs and steps (see
        :func:`epoch_limits`); ``rate_factors`` and ``n_decayed`` go to
        :class:`OptimizerOptions`.
        """
        max_iter, max_steps = epoch_limits(params["max_iter"], auto_share)
        return cls(
            optimizer=OptimizerOptions.from_params(
                params, rate_factors=rate_factors, n_decayed=n_decayed
            ),
            batch_size=params["batch_size"],
            auto_batch_size=auto_batch_size,
            even_batches=even_batches,
            max_iter=max_iter,
            max_steps=max_steps,
            shuffle=params["shuffle"],
            tol=params["tol"],
            n_iter_no_change=params["n_iter_no_change"],
            early_stopping=params["early_stopping"],
            validation_fraction=params["validation_fraction"],
            metric=params["early_stopping_metric"],
            restore_best=params["restore_best_params"],
            verbose=params["verbose"],
        )

    def schedule(self, n_rows):
        """Return the batch size, the epochs to run and the steps of each.

        ``max_steps``, when not None, bounds the updates: a fit whose epochs
        hold many steps runs fewer than ``max_iter`` epochs.
        """
        batch_size = resolve_batch_size(self.batch_size, n_rows, self.auto_batch_size)
        steps_per_epoch = -(-n_rows // batch_size)
        n_epochs = self.max_iter
        if self.max_steps is not None:
            n_epochs = min(n_epochs, -(-self.max_steps // steps_per_epoch))
        return batch_size, n_epochs, steps_per_epoch


def resolve_batch_size(batch_size, n_samples, auto):
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


def batch_bounds(n_rows, batch_size, even=False):
    """Return the ``(start, stop)`` of each minibatch of an epoch over ``n_rows``.

    As many batches as ``batch_size`` rows need: ``batch_size`` rows each and
    the rest last, as scikit-learn; or, ``even``, of sizes that differ by at
    most one row, so that no batch is a few rows whose noise takes a full step.
    """
    n_batches = -(-n_rows // batch_size)
    if even:
        edges = np.arange(n_batches + 1) * n_rows // n_batches
    else:
        edges = np.minimum(np.arange(n_batches + 1) * batch_size, n_rows)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


def take_rows(rows, X, Y, sw):
    """Return the ``rows`` of ``X``, ``Y`` and ``sw`` (which may be None)."""
    return X[rows], Y[rows], None if sw is None else sw[rows]


def train_stochastic(theta, network, data, config, *, rng, previous, scorer,
                     hooks=NO_HOOKS, incremental=False):
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
    hooks : FitHooks or NoHooks, default=NO_HOOKS
    incremental : bool, default=False
        One epoch, as ``partial_fit``: no best-epoch restore.

    Returns
    -------
    optimizer : SGDOptimizer or AdamOptimizer
    state : TrainingState
    """
    network, X, validation = _encoded_up_front(network, data, theta.dtype)
    Y, sw = data.Y, data.sw
    dropout_keys = None
    if network.has_dropout:
        # Keyed on the rows as given: before the network's encoding, if any.
        units = (X.shape[1], *network.layout.layer_units[1:])
        dropout_keys = DropoutKeys.draw(rng, units, X.dtype)
    rows = None
    if config.early_stopping and validation is None:
        rows, val_rows = holdout_split(
            X.shape[0], config.validation_fraction, data.stratify, rng
        )
        validation = take_rows(val_rows, X, Y, sw)
    n_rows = X.shape[0] if rows is None else len(rows)
    batch_size, max_iter, steps_per_epoch = config.schedule(n_rows)
    old_optimizer, state = previous or (None, TrainingState())
    optimizer = config.optimizer.build(
        theta.size, theta.dtype, n_epochs=max_iter, n_steps=max_iter * steps_per_epoch
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
    work = Workspace(network, batch_size, theta.dtype, dropout=dropout)

    def objective(theta, Xb, Yb, swb, step, rows):
        if dropout is not None:
            dropout.for_batch(step, rows)
        return loss_and_grad(theta, Xb, Yb, swb, network, work)

    progress = EpochProgress(1 if incremental else max_iter, config.verbose)
    trainer = StochasticTrainer(
        objective, optimizer, monitor, batch_size, rng, progress, hooks,
        even_batches=config.even_batches,
    )
    trainer.run(theta, X, Y, sw, rows, max_iter=max_iter,
                shuffle=config.shuffle, incremental=incremental)
    return optimizer, state


# An encoding of the training rows up to this size is built once for the fit;
# above it the network encodes each batch, so that memory grows with the rows,
# not with their encoding (at some more time per step).
ENCODE_UP_FRONT_BYTES = 2**28


def _encoded_up_front(network, data, dtype, chunk_rows=4096):
    """Return the network, ``X`` and validation data that training goes through.

    With a small enough encoding (see :class:`~._network.Network`), the rows
    are encoded once, chunk by chunk, and the network trains on them as they
    are.
    """
    if network.encode is None:
        return network, data.X, data.validation
    width = network.layout.n_features
    if data.X.shape[0] * width * np.dtype(dtype).itemsize > ENCODE_UP_FRONT_BYTES:
        return network, data.X, data.validation

    def encoded(X):
        out = np.empty((X.shape[0], width), dtype)
        for start in range(0, len(out), chunk_rows):
            rows = slice(start, start + chunk_rows)
            network.encode(X[rows], out[rows])
        return out

    validation = data.validation
    if validation is not None:
        validation = (encoded(validation[0]), *validation[1:])
    return replace(network, encode=None), encoded(data.X), validation


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
        The most rows of a minibatch.
    rng : numpy.random.RandomState
        Shuffles the rows each epoch.
    progress : EpochProgress
    hooks : FitHooks or NoHooks, default=NO_HOOKS
        ``epoch_begins()`` and ``epoch_ends(theta, n_iter, loss)`` around
        each epoch; the latter returning True stops training.
    even_batches : bool, default=False
        Split each epoch into batches of equal size (see :func:`batch_bounds`).
    """

    def __init__(self, objective, optimizer, monitor, batch_size, rng, progress,
                 hooks=NO_HOOKS, *, even_batches=False):
        self.objective = objective
        self.optimizer = optimizer
        self.monitor = monitor
        self.batch_size = batch_size
        self.even_batches = even_batches
        self.rng = rng
        self.progress = progress
        self.hooks = hooks

    def run(self, theta, X, Y, sw, rows, *, max_iter, shuffle, incremental=False):
        """Train for up to ``max_iter`` epochs over ``rows`` of the data (None: all).

        Reaching ``max_iter`` warns as in scikit-learn (whatever
        ``n_iter_no_change``), unless the learning rate's schedule spans the
        fit; ``incremental`` runs one epoch without a convergence warning
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
                self.hooks.epoch_begins()
                loss = self.run_epoch(theta, X, Y, sw, order, gather)
                state.n_samples_seen += len(order)
                if self.monitor.epoch_ends(theta, loss):
                    break
                score = None
                if state.validation_scores is not None and self.monitor.validation:
                    score = state.validation_scores[-1]
                self.progress.update(state.n_iter, loss, score)
                if self.hooks.epoch_ends(theta, state.n_iter, loss):
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
                if (
                    state.n_iter == max_iter
                    and not self.optimizer.learning_rate.spans_training
                ):
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
        for start, stop in batch_bounds(n_rows, self.batch_size, self.even_batches):
            batch = slice(start, stop)
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


def train_lbfgs(theta, network, data, *, max_iter, max_fun, tol, verbose,
                hooks=NO_HOOKS):
    """Fit ``theta`` in place to all of ``data`` with L-BFGS; return n_iter, loss.

    The keywords are the estimator's parameters of the same names, with
    ``max_iter`` resolved (see :func:`epoch_limits`).
    """
    work = Workspace(network, data.X.shape[0], data.dtype)
    return run_lbfgs(
        lambda th: loss_and_grad(th, data.X, data.Y, data.sw, network, work),
        theta,
        max_iter=max_iter,
        max_fun=max_fun,
        tol=tol,
        progress=EpochProgress(max_iter, verbose),
        hooks=hooks,
    )


def run_lbfgs(objective, theta, *, max_iter, max_fun, tol, progress, hooks=NO_HOOKS):
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
    hooks : FitHooks or NoHooks, default=NO_HOOKS
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
        callback=end_iteration,
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
