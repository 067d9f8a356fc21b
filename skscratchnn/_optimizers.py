"""Stochastic optimizers that update the flat parameter vector in place.

They reproduce scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer`` step for
step, as a few fused in-place passes over one array instead of one list
comprehension per parameter. Beyond scikit-learn they take a learning-rate
factor per parameter (parameter groups: NTK layers, biases, input scales)
and decoupled weight decay. The rate and its schedule live in
:class:`LearningRate`: epoch schedules change it between epochs
(``epoch_ends``, ``on_plateau``), step schedules at each step.
"""

import copy
from dataclasses import dataclass

import numpy as np

EPOCH_SCHEDULES = ("constant", "invscaling", "adaptive", "cosine")
STEP_SCHEDULES = ("coslog4",)
LR_SCHEDULES = EPOCH_SCHEDULES + STEP_SCHEDULES

# Bytes of one array per block of the Adam update: five such blocks fit in
# a core's L2 cache.
_BLOCK_BYTES = 2**18


def coslog4(done):
    """Return RealMLP's 'coslog4' factor at the fraction ``done`` of training.

    ``(1 - cos(2 pi log2(1 + 15 t))) / 2``: four cycles whose length doubles,
    each rising from 0 to 1 and falling back, the last ending at 0.
    """
    return 0.5 * (1.0 - np.cos(2.0 * np.pi * np.log2(1.0 + 15.0 * done)))


class LearningRate:
    """A learning rate and its schedule.

    Parameters
    ----------
    initial : float
        ``learning_rate_init``.
    schedule : {'constant', 'invscaling', 'adaptive', 'cosine', 'coslog4'}, \
default='constant'
        'invscaling' and 'cosine' change the rate between epochs, 'adaptive'
        on a plateau; 'coslog4' scales it at every step by
        :func:`coslog4` of the fraction of the ``n_steps`` done.
    power_t : float, default=0.5
        The exponent of 'invscaling'.
    n_epochs : int, default=None
        Length of the 'cosine' schedule in epochs.
    n_steps : int, default=None
        Length of the 'coslog4' schedule in steps.
    """

    def __init__(self, initial, schedule="constant", power_t=0.5, n_epochs=None,
                 n_steps=None):
        self.initial = float(initial)
        self.rate = self.initial
        self.schedule = schedule
        self.power_t = power_t
        self.n_epochs = n_epochs
        self.n_steps = n_steps
        self.epochs = 0
        self.steps = 0

    @property
    def spans_training(self):
        """Whether the schedule is sized to the fit and ends at 0 there.

        'cosine' and 'coslog4' anneal over the fit's epochs (steps): reaching
        ``max_iter`` is their plan, not a failure to converge.
        """
        return self.schedule in ("cosine", "coslog4")

    def next_step(self):
        """Return the rate of the next step."""
        if self.schedule != "coslog4":
            return self.rate
        done = min(self.steps / self.n_steps, 1.0)
        self.steps += 1
        return self.rate * coslog4(done)

    def epoch_ends(self, n_samples_seen):
        """Set the rate for the next epoch ('invscaling' and 'cosine').

        'invscaling' gives ``initial / (n_samples_seen + 1) ** power_t``;
        'cosine' anneals from ``initial`` to 0 over ``n_epochs`` epochs and
        stays at 0 after.
        """
        self.epochs += 1
        if self.schedule == "invscaling":
            self.rate = self.initial / (n_samples_seen + 1) ** self.power_t
        elif self.schedule == "cosine":
            done = min(self.epochs / self.n_epochs, 1.0)
            self.rate = 0.5 * self.initial * (1.0 + np.cos(np.pi * done))

    def on_plateau(self):
        """React to epochs without improvement; return ``(stop, what_was_done)``.

        'adaptive' divides the rate by 5 and goes on while it is above 1e-6;
        every other schedule stops.
        """
        if self.schedule != "adaptive":
            return True, "Stopping."
        if self.rate <= 1e-6:
            return True, "Learning rate too small. Stopping."
        self.rate /= 5.0
        return False, f"Setting learning rate to {self.rate:f}"


class _Optimizer:
    """What both optimizers share: the rate, parameter groups, weight decay.

    A subclass names in ``_moments`` the state that a warm start carries over.
    """

    def __init__(self, n_params, dtype, learning_rate, rate_factors, weight_decay,
                 n_decayed):
        self.n_params = n_params
        self.learning_rate = learning_rate
        self.rate_factors = rate_factors
        self.weight_decay = weight_decay
        self.n_decayed = n_decayed
        self._scratch = np.empty(n_params, dtype)

    def epoch_ends(self, n_samples_seen):
        """Let the rate's schedule follow the end of an epoch."""
        self.learning_rate.epoch_ends(n_samples_seen)

    def on_plateau(self):
        """See :meth:`LearningRate.on_plateau`."""
        return self.learning_rate.on_plateau()

    def resume(self, previous):
        """Carry on from ``previous``'s moment estimates (not its rate or schedule)."""
        for name in self._moments:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value[...] = getattr(previous, name)
            else:
                setattr(self, name, getattr(previous, name))

    def _decay(self, theta, rate):
        # Decoupled weight decay (AdamW): shrink the weights, not the biases,
        # apart from the gradient step.
        if self.weight_decay:
            theta[: self.n_decayed] *= 1.0 - rate * self.weight_decay


class SGDOptimizer(_Optimizer):
    """Stochastic gradient descent with momentum.

    Parameters
    ----------
    n_params : int
    dtype : numpy dtype
    learning_rate : LearningRate
    momentum : float
    nesterov : bool
    rate_factors : ndarray of shape (n_params,), default=None
        A factor on the rate of each parameter; None means 1.
    weight_decay : float, default=0.0
        Decoupled weight decay of the first ``n_decayed`` parameters.
    n_decayed : int, default=0
    """

    _moments = ("velocity",)

    def __init__(self, n_params, dtype, learning_rate, momentum, nesterov, *,
                 rate_factors=None, weight_decay=0.0, n_decayed=0):
        super().__init__(n_params, dtype, learning_rate, rate_factors, weight_decay,
                         n_decayed)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = np.zeros(n_params, dtype)

    def step(self, theta, grad):
        """Update ``theta`` in place from ``grad``.

        ``v <- momentum v - rate g``; then ``theta += v``, or with Nesterov
        ``theta += momentum v - rate g``.
        """
        rate = self.learning_rate.next_step()
        self._decay(theta, rate)
        step = self._scratch
        np.multiply(grad, float(-rate), out=step)
        if self.rate_factors is not None:
            step *= self.rate_factors
        self.velocity *= self.momentum
        self.velocity += step
        if self.nesterov:
            step += self.momentum * self.velocity
            theta += step
        else:
            theta += self.velocity


class AdamOptimizer(_Optimizer):
    """Adam with bias correction (Kingma and Ba, 2014).

    Parameters
    ----------
    n_params : int
    dtype : numpy dtype
    learning_rate : LearningRate
        The base rate, which ``step`` corrects for bias.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
    rate_factors : ndarray of shape (n_params,), default=None
        A factor on the rate of each parameter; None means 1.
    weight_decay : float, default=0.0
        Decoupled weight decay of the first ``n_decayed`` parameters.
    n_decayed : int, default=0
    """

    _moments = ("n_steps", "m", "v")

    def __init__(self, n_params, dtype, learning_rate, beta_1, beta_2, epsilon, *,
                 rate_factors=None, weight_decay=0.0, n_decayed=0):
        super().__init__(n_params, dtype, learning_rate, rate_factors, weight_decay,
                         n_decayed)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_steps = 0
        self.m = np.zeros(n_params, dtype)
        self.v = np.zeros(n_params, dtype)

    def step(self, theta, grad):
        r"""Update ``theta`` in place from ``grad``.

        .. math::

            m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad
            v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
            \theta \leftarrow \theta - r_t \frac{m}{\sqrt{v} + \epsilon},
            \quad r_t = rate \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
        """
        # The moments are kept as m / (1 - beta_1) and v / (1 - beta_2): the
        # same update in 10 passes over theta instead of 12.
        self.n_steps += 1
        rate = self.learning_rate.next_step()
        self._decay(theta, rate)
        t = self.n_steps
        corrected_rate = rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        # Python floats, not NumPy float64 scalars, keep float32 passes float32.
        root_1_minus_beta_2 = float(np.sqrt(1 - self.beta_2))
        epsilon = self.epsilon / root_1_minus_beta_2
        scale = float(-corrected_rate * (1 - self.beta_1) / root_1_minus_beta_2)
        factors = self.rate_factors
        # The 10 passes run block by block, so that each block's five arrays
        # stay in cache from the first pass to the last.
        block_size = _BLOCK_BYTES // theta.itemsize
        for start in range(0, len(theta), block_size):
            block = slice(start, start + block_size)
            m, v, g, scratch = self.m[block], self.v[block], grad[block], self._scratch[block]
            m *= self.beta_1
            m += g
            v *= self.beta_2
            np.multiply(g, g, out=scratch)
            v += scratch
            np.sqrt(v, out=scratch)
            scratch += epsilon
            np.divide(m, scratch, out=scratch)
            scratch *= scale
            if factors is not None:
                scratch *= factors[block]
            theta[block] += scratch


@dataclass(frozen=True)
class OptimizerOptions:
    """What builds a fit's optimizer, read once from the estimator's parameters.

    Parameters
    ----------
    solver : {'sgd', 'adam'}
    learning_rate_init : float
    schedule : str
        The schedule that applies: scikit-learn's Adam ignores 'invscaling'
        and 'adaptive' unless ``schedule_adam`` (see :meth:`from_params`).
    power_t, momentum, nesterov, beta_1, beta_2, epsilon, weight_decay : float
        As the estimator's parameters of the same names.
    rate_factors : ndarray of shape (n_params,) or None
        A learning-rate factor per parameter (parameter groups); None means 1.
    n_decayed : int
        The number of weights, which lead ``theta`` and take weight decay.
    """

    solver: str
    learning_rate_init: float
    schedule: str
    power_t: float
    momentum: float
    nesterov: bool
    beta_1: float
    beta_2: float
    epsilon: float
    weight_decay: float = 0.0
    rate_factors: np.ndarray = None
    n_decayed: int = 0

    @classmethod
    def from_params(cls, params, *, rate_factors=None, n_decayed=0):
        """Read the options from an estimator's ``get_params()``."""
        schedule = params["learning_rate"]
        # scikit-learn's Adam ignores its epoch schedules; applying them is an
        # option (schedule_adam), while the schedules it lacks always apply.
        if params["solver"] == "adam" and schedule in ("invscaling", "adaptive"):
            schedule = schedule if params["schedule_adam"] else "constant"
        return cls(
            solver=params["solver"],
            learning_rate_init=params["learning_rate_init"],
            schedule=schedule,
            power_t=params["power_t"],
            momentum=params["momentum"],
            nesterov=params["nesterovs_momentum"],
            beta_1=params["beta_1"],
            beta_2=params["beta_2"],
            epsilon=params["epsilon"],
            weight_decay=params["weight_decay"],
            rate_factors=rate_factors,
            n_decayed=n_decayed,
        )

    def build(self, n_params, dtype, *, n_epochs, n_steps):
        """Return a fresh optimizer for a fit of ``n_epochs`` and ``n_steps``.

        Parameters
        ----------
        n_params : int
        dtype : numpy dtype
        n_epochs : int
            Epochs the fit will run at most, the length of an epoch schedule.
        n_steps : int
            Steps the fit will take at most, the length of a step schedule.

        Returns
        -------
        optimizer : SGDOptimizer or AdamOptimizer
        """
        learning_rate = LearningRate(
            self.learning_rate_init, self.schedule, self.power_t,
            n_epochs=n_epochs, n_steps=n_steps,
        )
        groups = dict(rate_factors=self.rate_factors, weight_decay=self.weight_decay,
                      n_decayed=self.n_decayed)
        if self.solver == "sgd":
            return SGDOptimizer(n_params, dtype, learning_rate, self.momentum,
                                self.nesterov, **groups)
        return AdamOptimizer(n_params, dtype, learning_rate, self.beta_1, self.beta_2,
                             self.epsilon, **groups)


def continue_optimizer(previous, optimizer, incremental):
    """Return the optimizer to train with, carrying on ``previous``'s state.

    ``partial_fit`` (``incremental``) goes on with the previous optimizer as
    it was; a warm start takes only its moment estimates into the new
    ``optimizer``, built from the current parameters, so the learning rate and
    its schedule start again. Without a previous optimizer of the same kind
    and size, ``optimizer`` starts afresh.
    """
    if type(previous) is not type(optimizer) or previous.n_params != optimizer.n_params:
        return optimizer
    if incremental:
        return copy.deepcopy(previous)
    optimizer.resume(previous)
    return optimizer
