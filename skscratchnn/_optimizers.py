"""Stochastic optimizers that update the flat parameter vector in place.

They reproduce scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer`` step for
step, as a few fused in-place passes over one array instead of one list
comprehension per parameter. Learning-rate schedules act between epochs only
(``iteration_ends``, ``on_plateau``), never inside ``step``.
"""

import copy

import numpy as np

LR_SCHEDULES = ("constant", "invscaling", "adaptive", "cosine")

# Bytes of one array per block of the Adam update: five such blocks fit in
# a core's L2 cache.
_BLOCK_BYTES = 2**18


class _EpochSchedule:
    """Learning-rate schedules applied between epochs, shared by both optimizers.

    A subclass sets ``initial_rate`` (``learning_rate_init``), ``rate`` (the
    scheduled rate its ``step`` scales updates by), ``lr_schedule``,
    ``power_t``, ``n_epochs`` and ``epochs`` (epochs done so far), and names
    in ``_moments`` the state that a warm start carries over.
    """

    def iteration_ends(self, n_samples_seen):
        """Set the rate for the next epoch ('invscaling' and 'cosine').

        'invscaling' gives ``initial_rate / (n_samples_seen + 1) ** power_t``;
        'cosine' anneals from ``initial_rate`` to 0 over ``n_epochs`` epochs
        and stays at 0 after.
        """
        self.epochs += 1
        if self.lr_schedule == "invscaling":
            self.rate = self.initial_rate / (n_samples_seen + 1) ** self.power_t
        elif self.lr_schedule == "cosine":
            done = min(self.epochs / self.n_epochs, 1.0)
            self.rate = 0.5 * self.initial_rate * (1.0 + np.cos(np.pi * done))

    def on_plateau(self):
        """React to epochs without improvement; return ``(stop, what_was_done)``.

        'adaptive' divides the rate by 5 and goes on while it is above 1e-6;
        every other schedule stops.
        """
        if self.lr_schedule != "adaptive":
            return True, "Stopping."
        if self.rate <= 1e-6:
            return True, "Learning rate too small. Stopping."
        self.rate /= 5.0
        return False, f"Setting learning rate to {self.rate:f}"

    def resume(self, previous):
        """Carry on from ``previous``'s moment estimates (not its rate or schedule)."""
        for name in self._moments:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value[...] = getattr(previous, name)
            else:
                setattr(self, name, getattr(previous, name))


class SGDOptimizer(_EpochSchedule):
    """Stochastic gradient descent with momentum and learning-rate schedules.

    Parameters
    ----------
    n_params : int
    dtype : numpy dtype
    learning_rate_init : float
    lr_schedule : {'constant', 'invscaling', 'adaptive', 'cosine'}
    momentum : float
    nesterov : bool
    power_t : float
    n_epochs : int, default=None
        Length of the 'cosine' schedule in epochs.
    """

    _moments = ("velocity",)

    def __init__(
        self, n_params, dtype, learning_rate_init, lr_schedule, momentum, nesterov,
        power_t, n_epochs=None,
    ):
        self.initial_rate = float(learning_rate_init)
        self.rate = self.initial_rate
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.n_epochs = n_epochs
        self.epochs = 0
        self.velocity = np.zeros(n_params, dtype)
        self._scratch = np.empty(n_params, dtype)

    def step(self, theta, grad):
        """Update ``theta`` in place from ``grad``.

        ``v <- momentum v - rate g``; then ``theta += v``, or with Nesterov
        ``theta += momentum v - rate g``.
        """
        step = self._scratch
        np.multiply(grad, float(-self.rate), out=step)
        self.velocity *= self.momentum
        self.velocity += step
        if self.nesterov:
            step += self.momentum * self.velocity
            theta += step
        else:
            theta += self.velocity


class AdamOptimizer(_EpochSchedule):
    """Adam with bias correction (Kingma and Ba, 2014).

    Parameters
    ----------
    n_params : int
    dtype : numpy dtype
    learning_rate_init : float
        The base rate, which ``step`` corrects for bias; a schedule other than
        'constant' changes it (``rate``) between epochs.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
    lr_schedule : {'constant', 'invscaling', 'adaptive', 'cosine'}, default='constant'
    power_t : float, default=0.5
        The exponent of 'invscaling'.
    n_epochs : int, default=None
        Length of the 'cosine' schedule in epochs.
    """

    _moments = ("n_steps", "m", "v")

    def __init__(
        self, n_params, dtype, learning_rate_init, beta_1, beta_2, epsilon,
        lr_schedule="constant", power_t=0.5, n_epochs=None,
    ):
        self.initial_rate = float(learning_rate_init)
        self.rate = self.initial_rate
        self.lr_schedule = lr_schedule
        self.power_t = power_t
        self.n_epochs = n_epochs
        self.epochs = 0
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_steps = 0
        self.m = np.zeros(n_params, dtype)
        self.v = np.zeros(n_params, dtype)
        self._scratch = np.empty(n_params, dtype)

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
        corrected_rate = (
            self.rate
            * np.sqrt(1 - self.beta_2**self.n_steps)
            / (1 - self.beta_1**self.n_steps)
        )
        # Python floats, not NumPy float64 scalars, keep float32 passes float32.
        root_1_minus_beta_2 = float(np.sqrt(1 - self.beta_2))
        epsilon = self.epsilon / root_1_minus_beta_2
        scale = float(-corrected_rate * (1 - self.beta_1) / root_1_minus_beta_2)
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
            theta[block] += scratch


def make_optimizer(params, n_params, dtype):
    """Build the optimizer that the estimator parameters ``params`` ask for.

    Parameters
    ----------
    params : dict
        The estimator's ``get_params()``; ``solver`` is 'sgd' or 'adam'.
    n_params : int
    dtype : numpy dtype

    Returns
    -------
    optimizer : SGDOptimizer or AdamOptimizer
    """
    if params["solver"] == "sgd":
        return SGDOptimizer(
            n_params, dtype, params["learning_rate_init"], params["learning_rate"],
            params["momentum"], params["nesterovs_momentum"], params["power_t"],
            n_epochs=params["max_iter"],
        )
    # scikit-learn's Adam ignores learning_rate; 'cosine' and schedule_adam
    # are new, so applying them changes no scikit-learn configuration.
    schedule = "constant"
    if params["schedule_adam"] or params["learning_rate"] == "cosine":
        schedule = params["learning_rate"]
    return AdamOptimizer(
        n_params, dtype, params["learning_rate_init"], params["beta_1"],
        params["beta_2"], params["epsilon"], lr_schedule=schedule,
        power_t=params["power_t"], n_epochs=params["max_iter"],
    )


def continue_optimizer(previous, params, n_params, dtype, incremental):
    """Return the optimizer to train with, carrying on ``previous``'s state.

    ``partial_fit`` (``incremental``) goes on with the previous optimizer as
    it was; a warm start takes only its moment estimates into a new one built
    from the current parameters, so the learning rate and its schedule start
    again. Without a previous optimizer of the same kind, a new one.
    """
    optimizer = make_optimizer(params, n_params, dtype)
    if type(previous) is not type(optimizer):
        return optimizer
    if incremental:
        return copy.deepcopy(previous)
    optimizer.resume(previous)
    return optimizer
