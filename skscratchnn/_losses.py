"""Output layers: the output activation paired with its canonical loss.

Each pairing is a canonical link, so the gradient of the loss with respect to
the output pre-activation ``Z`` is simply ``f(Z) - Y`` (scaled by ``1/k`` for the
squared error, which averages over its ``k`` outputs as scikit-learn's does).
Working from ``Z`` rather than from probabilities keeps every loss finite: the
log-sum-exp for softmax, ``logaddexp`` for the logistic, no clipping of ``p``.

``loss_and_delta(Z, Y)`` returns the per-sample loss and overwrites ``Z`` with
the per-sample gradient; ``OUTPUT_ACTIVATIONS[name](Z)`` maps ``Z`` to the
prediction in place, and :func:`prediction_loss` scores a prediction, such as
an average of several networks' predictions, by the same loss.
"""

import numpy as np
from scipy.special import expit, logit, xlogy

from ._activations import inplace_identity, inplace_logistic

# Clipping the Poisson log-prediction keeps exp(z), its sum over a batch and
# its square (Adam's second moment) finite; a diverging fit is then caught by
# the finite-weights check instead of raising overflow warnings.
_LOG_MAX = {np.dtype(np.float32): 40.0, np.dtype(np.float64): 300.0}


def inplace_softmax(Z):
    """Apply the softmax over each row in place, shifted by the row maximum."""
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)


def inplace_exp(Z):
    """Apply the exponential in place, clipped below the overflow threshold."""
    np.minimum(Z, _LOG_MAX[Z.dtype], out=Z)
    np.exp(Z, out=Z)


def softmax_log_loss(Z, Y):
    """Return the cross-entropy of ``softmax(Z)``; set ``Z`` to its gradient.

    The loss is ``log(sum_k exp z_k) * sum_k y_k - sum_k y_k z_k`` per row and its
    gradient ``softmax(Z) - Y``.
    """
    Z -= Z.max(axis=1, keepdims=True)
    y_dot_z = np.einsum("ij,ij->i", Y, Z)
    np.exp(Z, out=Z)
    row_sums = Z.sum(axis=1, keepdims=True)
    Z /= row_sums
    Z -= Y
    return np.log(row_sums[:, 0]) * Y.sum(axis=1) - y_dot_z


def logistic_log_loss(Z, Y):
    """Return the binary cross-entropy of ``sigmoid(Z)`` summed over outputs.

    Per element the loss is ``log(1 + e^z) - y z``; its gradient ``sigmoid(z) - y``
    overwrites ``Z``.
    """
    loss = np.logaddexp(0, Z).sum(axis=1) - np.einsum("ij,ij->i", Y, Z)
    expit(Z, out=Z)
    Z -= Y
    return loss


def squared_error(Z, Y):
    """Return half the squared error averaged over outputs; set ``Z`` to its gradient.

    With ``k`` outputs the loss is ``sum_k (z_k - y_k)^2 / (2 k)`` and its gradient
    ``(Z - Y) / k``.
    """
    Z -= Y
    loss = 0.5 * np.einsum("ij,ij->i", Z, Z) / Z.shape[1]
    Z /= Z.shape[1]
    return loss


def poisson_deviance(Z, Y):
    """Return half the Poisson deviance of ``exp(Z)``; set ``Z`` to its gradient.

    Per element the loss is ``y log(y / e^z) - y + e^z`` and the gradient
    ``e^z - y``.
    """
    np.minimum(Z, _LOG_MAX[Z.dtype], out=Z)
    loss = (xlogy(Y, Y) - Y * Z - Y).sum(axis=1)
    np.exp(Z, out=Z)
    loss += Z.sum(axis=1)
    Z -= Y
    return loss


OUTPUT_ACTIVATIONS = {
    "softmax": inplace_softmax,
    "logistic": inplace_logistic,
    "identity": inplace_identity,
    "exp": inplace_exp,
}

LOSSES = {
    "softmax": softmax_log_loss,
    "logistic": logistic_log_loss,
    "identity": squared_error,
    "exp": poisson_deviance,
}


def _floored_log(P):
    """``log(P)``, with zeros mapped to the log of the smallest normal float."""
    return np.log(np.maximum(P, np.finfo(P.dtype).tiny))


# Each output activation's inverse, from predictions back to ``Z``.
# Probabilities of 0 or 1 map to large finite values: a confident wrong
# prediction then costs a large loss, never an undefined one.
_INVERSE_ACTIVATIONS = {
    "softmax": _floored_log,
    "logistic": lambda P: logit(np.clip(P, np.finfo(P.dtype).eps, 1 - np.finfo(P.dtype).eps)),
    "identity": lambda P: P.copy(),
    "exp": _floored_log,
}


def prediction_loss(prediction, Y, sw, out_activation):
    """Return the ``sw``-weighted mean loss of ``prediction``, an output of the
    ``out_activation`` layer, on the encoded targets ``Y``."""
    Z = _INVERSE_ACTIVATIONS[out_activation](prediction)
    sample_losses = LOSSES[out_activation](Z, Y)
    return float(np.average(sample_losses, weights=sw))
