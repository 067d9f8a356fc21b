"""Stochastic optimizers that update the flat parameter vector in place.

They reproduce scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer`` step for
step, as a few fused in-place passes over one array instead of one list
comprehension per parameter.
"""

import numpy as np


class SGDOptimizer:
    """Stochastic gradient descent with momentum and learning-rate schedules.

    Parameters
    ----------
    n_params : int
    dtype : numpy dtype
    learning_rate_init : float
    lr_schedule : {'constant', 'invscaling', 'adaptive'}
    momentum : float
    nesterov : bool
    power_t : float
    """

    def __init__(
        self, n_params, dtype, learning_rate_init, lr_schedule, momentum, nesterov, power_t
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros(n_params, dtype)
        self._scratch = np.empty(n_params, dtype)

    def step(self, theta, grad):
        """Update ``theta`` in place from ``grad``.

        ``v <- momentum v - lr g``; then ``theta += v``, or with Nesterov
        ``theta += momentum v - lr g``.
        """
        step = self._scratch
        np.multiply(grad, -self.learning_rate, out=step)
        self.velocity *= self.momentum
        self.velocity += step
        if self.nesterov:
            step += self.momentum * self.velocity
            theta += step
        else:
            theta += self.velocity

    def iteration_ends(self, time_step):
        """Decay the learning rate after an epoch, for 'invscaling'."""
        if self.lr_schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        """Return whether to stop; 'adaptive' first divides the rate by 5."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class AdamOptimizer:
    """Adam with bias correction (Kingma and Ba, 2014).

    Parameters
    ----------
    n_params : int
    dtype : numpy dtype
    learning_rate_init : float
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
    """

    def __init__(self, n_params, dtype, learning_rate_init, beta_1, beta_2, epsilon):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = np.zeros(n_params, dtype)
        self.v = np.zeros(n_params, dtype)
        self._scratch = np.empty(n_params, dtype)
        self._update = np.empty(n_params, dtype)

    def step(self, theta, grad):
        r"""Update ``theta`` in place from ``grad``.

        .. math::

            m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad
            v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
            \theta \leftarrow \theta - lr_t \frac{m}{\sqrt{v} + \epsilon},
            \quad lr_t = lr \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
        """
        scratch = self._scratch
        self.t += 1
        self.m *= self.beta_1
        np.multiply(grad, 1 - self.beta_1, out=scratch)
        self.m += scratch
        self.v *= self.beta_2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - self.beta_2
        self.v += scratch
        self.learning_rate = (
            self.learning_rate_init
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )
        # Same rounding order as scikit-learn: (-lr_t * m) / (sqrt(v) + eps).
        np.sqrt(self.v, out=scratch)
        scratch += self.epsilon
        np.multiply(self.m, -self.learning_rate, out=self._update)
        self._update /= scratch
        theta += self._update

    def iteration_ends(self, time_step):
        """Nothing to do at the end of an epoch."""

    def trigger_stopping(self, msg, verbose):
        """Return True: Adam has no schedule to fall back on."""
        if verbose:
            print(msg + " Stopping.")
        return True
