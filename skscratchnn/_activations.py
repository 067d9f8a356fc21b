"""Hidden-layer activation functions and their derivatives, computed in place.

Each forward function overwrites its argument ``Z = A_prev @ W + b`` with the
activation ``A = f(Z)``. Each derivative multiplies the back-propagated error
``delta`` (the gradient with respect to ``A``) in place by ``f'(Z)``, turning it
into the gradient with respect to ``Z``. Where ``f'`` is a function of the
output ``A`` the derivative takes ``A``, so the forward pass needs to keep only
the activations; the few functions whose derivative needs ``Z`` itself are
listed in ``NEEDS_PREACTIVATION`` and the core keeps ``Z`` for them.
"""

import numpy as np
from scipy.special import erf, expit

LEAKY_RELU_SLOPE = 0.01
# SELU's constants (Klambauer et al., 2017), which keep activations normalized.
SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


def inplace_identity(Z):
    """Leave ``Z`` unchanged: f(z) = z."""


def inplace_logistic(Z):
    """Apply the logistic sigmoid in place: f(z) = 1 / (1 + exp(-z))."""
    expit(Z, out=Z)


def inplace_tanh(Z):
    """Apply the hyperbolic tangent in place."""
    np.tanh(Z, out=Z)


def inplace_relu(Z):
    """Apply the rectified linear unit in place: f(z) = max(z, 0)."""
    np.maximum(Z, 0, out=Z)


def inplace_leaky_relu(Z):
    """Apply the leaky ReLU in place: f(z) = z if z > 0 else 0.01 z."""
    np.maximum(Z, LEAKY_RELU_SLOPE * Z, out=Z)


def inplace_elu(Z):
    """Apply the exponential linear unit in place: f(z) = z if z > 0 else e^z - 1."""
    np.expm1(np.minimum(Z, 0), out=Z, where=Z < 0)


def inplace_softplus(Z):
    """Apply the softplus in place: f(z) = log(1 + e^z), computed stably."""
    np.logaddexp(Z, 0, out=Z)


def inplace_gelu(Z):
    """Apply the exact GELU in place: f(z) = z * Phi(z), Phi the normal CDF."""
    Z *= 0.5 * (1.0 + erf(Z / np.sqrt(2.0)))


def inplace_silu(Z):
    """Apply the SiLU (swish) in place: f(z) = z * sigmoid(z)."""
    Z *= expit(Z)


def inplace_selu(Z):
    """Apply the SELU in place: f(z) = s z if z > 0 else s a (e^z - 1)."""
    # Masked writes (np.where, copyto with where=) are many times slower than
    # whole-array passes: the two branches are summed instead.
    negative = np.minimum(Z, 0.0)
    np.exp(negative, out=negative)
    negative -= 1.0
    negative *= SELU_SCALE * SELU_ALPHA
    np.maximum(Z, 0.0, out=Z)
    Z *= SELU_SCALE
    Z += negative


# Mish's pre-activations are clipped to these bounds, beyond which
# tanh(softplus(z)) and f'(z) are 0 or 1 to the dtype's precision.
_MISH_LOW, _MISH_HIGH = -40.0, 20.0


def _tanh_softplus(Z):
    """Return tanh(softplus(z)) = 1 - 2 / ((1 + e^z)^2 + 1), as a new array.

    Where ``1 + e^z`` rounds to 1 (z below about -17 in float32, -37 in
    float64) the result is exactly 0, never a subnormal number: subnormal
    activations and errors slow the matrix products several times over, and
    Mish units pushed far below zero made float32 training five times
    slower. The absolute error is about the dtype's epsilon.
    """
    t = np.clip(Z, _MISH_LOW, _MISH_HIGH)
    np.exp(t, out=t)
    t += 1.0
    np.square(t, out=t)
    t += 1.0
    np.divide(-2.0, t, out=t)
    t += 1.0
    return t


def inplace_mish(Z):
    """Apply the Mish in place: f(z) = z tanh(softplus(z))."""
    Z *= _tanh_softplus(Z)


def inplace_identity_derivative(A, delta):
    """Leave ``delta`` unchanged: f'(z) = 1."""


def inplace_logistic_derivative(A, delta):
    """Multiply ``delta`` by f'(z) = A (1 - A)."""
    delta *= A
    delta *= 1 - A


def inplace_tanh_derivative(A, delta):
    """Multiply ``delta`` by f'(z) = 1 - A^2."""
    delta *= 1 - A**2


def inplace_relu_derivative(A, delta):
    """Multiply ``delta`` by f'(z) = 1 if A > 0 else 0."""
    delta *= A > 0


def inplace_leaky_relu_derivative(A, delta):
    """Multiply ``delta`` by f'(z) = 1 if A > 0 else 0.01."""
    delta *= np.where(A > 0, 1.0, LEAKY_RELU_SLOPE).astype(delta.dtype, copy=False)


def inplace_elu_derivative(A, delta):
    """Multiply ``delta`` by f'(z) = 1 if A > 0 else A + 1 (that is, e^z)."""
    np.multiply(delta, A + 1, out=delta, where=A < 0)


def inplace_softplus_derivative(A, delta):
    """Multiply ``delta`` by f'(z) = sigmoid(z) = 1 - exp(-A)."""
    delta *= -np.expm1(-A)


def inplace_gelu_derivative(Z, delta):
    """Multiply ``delta`` by f'(z) = Phi(z) + z phi(z), from the pre-activation."""
    cdf = 0.5 * (1.0 + erf(Z / np.sqrt(2.0)))
    pdf = np.exp(-0.5 * Z**2) / np.sqrt(2.0 * np.pi)
    delta *= cdf + Z * pdf


def inplace_silu_derivative(Z, delta):
    """Multiply ``delta`` by f'(z) = s (1 + z (1 - s)), s = sigmoid(z)."""
    s = expit(Z)
    delta *= s * (1 + Z * (1 - s))


def inplace_selu_derivative(A, delta):
    """Multiply ``delta`` by f'(z) = s if A > 0 else A + s a (that is, s a e^z)."""
    # s a + min(A, 0) - (s a - s) [A > 0], without a masked write.
    factor = np.greater(A, 0, out=np.empty_like(A), casting="unsafe")
    factor *= SELU_SCALE - SELU_SCALE * SELU_ALPHA
    factor += SELU_SCALE * SELU_ALPHA
    factor += np.minimum(A, 0.0)
    delta *= factor


def inplace_mish_derivative(Z, delta):
    """Multiply ``delta`` by f'(z) = t + z sigmoid(z) (1 - t^2), t = tanh(sp(z)).

    ``sp`` is the softplus. With ``m = 1 + e^z`` and ``d = m^2 + 1``:
    ``t = 1 - 2 / d``, ``sigmoid(z) = (m - 1) / m`` and ``1 - t^2 = 4 m^2 / d^2``,
    so the second term is ``4 z (m - 1) m / d^2``. Far below zero ``m`` rounds
    to 1 and the factor is exactly 0 (see :func:`_tanh_softplus`).
    """
    z = np.clip(Z, _MISH_LOW, _MISH_HIGH)
    m = np.exp(z)
    m += 1.0
    d = np.square(m)
    d += 1.0
    np.reciprocal(d, out=d)  # 1 / d
    z *= 4.0
    z *= m
    m -= 1.0
    z *= m
    z *= d
    z *= d
    d *= -2.0
    d += 1.0  # t
    z += d
    delta *= z


ACTIVATIONS = {
    "identity": inplace_identity,
    "logistic": inplace_logistic,
    "tanh": inplace_tanh,
    "relu": inplace_relu,
    "leaky_relu": inplace_leaky_relu,
    "elu": inplace_elu,
    "softplus": inplace_softplus,
    "gelu": inplace_gelu,
    "silu": inplace_silu,
    "selu": inplace_selu,
    "mish": inplace_mish,
}

DERIVATIVES = {
    "identity": inplace_identity_derivative,
    "logistic": inplace_logistic_derivative,
    "tanh": inplace_tanh_derivative,
    "relu": inplace_relu_derivative,
    "leaky_relu": inplace_leaky_relu_derivative,
    "elu": inplace_elu_derivative,
    "softplus": inplace_softplus_derivative,
    "gelu": inplace_gelu_derivative,
    "silu": inplace_silu_derivative,
    "selu": inplace_selu_derivative,
    "mish": inplace_mish_derivative,
}

# f' is not a function of f(z) for these: their derivatives take Z, not A.
NEEDS_PREACTIVATION = frozenset({"gelu", "silu", "mish"})
