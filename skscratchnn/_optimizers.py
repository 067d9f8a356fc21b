"""Stochastic optimizers that update the flat parameter vector in place.

They reproduce scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer`` step for
step, as a few fused in-place passes over one array instead of one list
comprehension per parameter. Learning-rate schedules act between epochs only
(``iteration_ends``, ``trigger_stopping``), never inside ``step``.
"""

import numpy as np

LR_SCHEDULES = ("constant", "invscaling", "adaptive", "cosine")

# Bytes of one array per block of the Adam update: five such blocks fit in
# a core's L2 cache.
_BLOCK_BYTES = 2**18


class _EpochSchedule:
    """Learning-rate schedules applied between epochs, shared by both optimizers.

    A subclass names in ``_scheduled_rate`` the attribute that its ``step``
    scales updates by, and sets ``initial_rate``, ``lr_schedule``, ``power_t``,
    ``n_epochs`` and ``epochs`` (epochs done so far).
    """

    def iteration_ends(self, time_step):
        """Set the rate for the next epoch ('invscaling' and 'cosine').

        'invscaling' gives ``initial_rate / (time_step + 1) ** power_t`` with
        ``time_step`` the number of samples seen; 'cosine' anneals from
        ``initial_rate`` to 0 over ``n_epochs`` epochs and stays at 0 after.
        """
        self.epochs += 1
        if self.lr_schedule == "invscaling":
            rate = self.initial_rate / (time_step + 1) ** self.power_t
        elif self.lr_schedule == "cosine":
            done = min(self.epochs / self.n_epochs, 1.0)
            rate = 0.5 * self.initial_rate * (1.0 + np.cos(np.pi * done))
        else:
            return
        setattr(self, self._scheduled_rate, rate)

    def trigger_stopping(self, msg, verbose):
        """Return whether to stop; 'adaptive' first divides the rate by 5."""
        rate = getattr(self, self._scheduled_rate)
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        setattr(self, self._scheduled_rate, rate / 5.0)
        if verbose:
            print(msg + " Setting learning rate to %f" % (rate / 5.0))
        return False

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

    _scheduled_rate = "learning_rate"
    _moments = ("velocity",)

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init,
        lr_schedule,
        momentum,
        nesterov,
        power_t,
        n_epochs=None,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.initial_rate = float(learning_rate_init)
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

        ``v <- momentum v - lr g``; then ``theta += v``, or with Nesterov
        ``theta += momentum v - lr g``.
        """
        step = self._scratch
        np.multiply(grad, float(-self.learning_rate), out=step)
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
        The base rate that ``step`` corrects for bias; a schedule other than
        'constant' changes it between epochs.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
    lr_schedule : {'constant', 'invscaling', 'adaptive', 'cosine'}, default='constant'
    power_t : float, default=0.5
        The exponent of 'invscaling'.
    n_epochs : int, default=None
        Length of the 'cosine' schedule in epochs.
    """

    _scheduled_rate = "learning_rate_init"
    _moments = ("t", "m", "v")

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init,
        beta_1,
        beta_2,
        epsilon,
        lr_schedule="constant",
        power_t=0.5,
        n_epochs=None,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.initial_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.power_t = power_t
        self.n_epochs = n_epochs
        self.epochs = 0
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = np.zeros(n_params, dtype)
        self.v = np.zeros(n_params, dtype)
        self._scratch = np.empty(n_params, dtype)

    def step(self, theta, grad):
        r"""Update ``theta`` in place from ``grad``.

        .. math::

            m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad
            v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
            \theta \leftarrow \theta - lr_t \frac{m}{\sqrt{v} + \epsilon},
            \quad lr_t = lr \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
        """
        # The moments are kept as m / (1 - beta_1) and v / (1 - beta_2): the
        # same update in 10 passes over theta instead of 12.
        self.t += 1
        self.learning_rate = (
            self.learning_rate_init
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )
        # Python floats, not NumPy float64 scalars, keep float32 passes float32.
        root_1_minus_beta_2 = float(np.sqrt(1 - self.beta_2))
        epsilon = self.epsilon / root_1_minus_beta_2
        rate = float(-self.learning_rate * (1 - self.beta_1) / root_1_minus_beta_2)
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
            scratch *= rate
            theta[block] += scratch
