r"""The multi-layer perceptron itself: forward pass, loss and gradient.

Pure functions of a flat parameter vector ``theta`` and data; nothing here knows
about scikit-learn. Notation, with ``L`` layers of weights:

- ``X`` : (n, n_features) input batch, dense or sparse; ``A[0] = X``, or
  ``X`` then the periodic embedding of its first columns (see
  :mod:`._embeddings`).
- ``W[i], b[i]`` : (units[i], units[i + 1]) weights, (units[i + 1],) biases,
  views into ``theta`` (see :class:`ParamLayout`).
- ``A[i]`` : (n, units[i]) activations; hidden ones are ``f(A[i-1] W + b)``
  then dropout (the fit's :class:`~._dropout.Dropout`, reached through the
  :class:`Workspace`), the last holds the output pre-activation.
- ``delta`` : gradient of the loss with respect to a layer's pre-activation.
- ``Y`` : (n, n_outputs) encoded targets; ``sw`` : (n,) sample weights or None.

The objective is scikit-learn's: the ``sw``-weighted mean of the per-sample loss
plus ``alpha / (2 sum(sw)) * ||W||^2`` over all weights (biases excluded).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import _embeddings
from ._activations import ACTIVATIONS, DERIVATIVES, NEEDS_PREACTIVATION
from ._losses import LOSSES, OUTPUT_ACTIVATIONS
from ._params import ParamLayout

# Derivatives that read only the sign of A, so they may see the dropout-scaled A.
_SCALE_FREE_DERIVATIVES = frozenset({"identity", "relu", "leaky_relu"})


@dataclass(frozen=True)
class Network:
    """Architecture and objective of an MLP.

    Parameters
    ----------
    layout : ParamLayout
        Layer sizes and where their parameters live in ``theta``.
    activation : str
        Hidden activation, a key of ``ACTIVATIONS``.
    out_activation : str
        Output activation, a key of ``LOSSES`` (it fixes the loss).
    alpha : float, default=0.0
        L2 penalty on the weights.
    dropout : tuple of float, default=()
        Drop rate of each hidden layer; empty means no dropout.
    encode : callable, default=None
        A fixed first map, without parameters, from the data's columns to the
        ``layout.n_features`` columns the network takes: ``encode(X, out)``
        writes them into ``out`` and returns it. It runs on each batch, so a
        wide encoding of the data never has to exist in full. None takes ``X``
        as it is.
    """

    layout: ParamLayout
    activation: str
    out_activation: str
    alpha: float = 0.0
    dropout: tuple = ()
    encode: object = None

    @property
    def n_weight_layers(self):
        """Layers with weights: one less than the layers counted by ``n_layers_``."""
        return len(self.layout.layer_units) - 1

    def for_prediction(self, theta):
        """Return ``theta`` and the network as prediction sees them.

        Training-only settings (L2, dropout) are dropped and the input
        scales folded into the first weights: a plain MLP, equal in output.
        """
        layout, theta = self.layout.fold_input_scaling(theta)
        return theta, Network(layout, self.activation, self.out_activation,
                              encode=self.encode)

    @property
    def has_dropout(self):
        """Whether any hidden layer has a nonzero drop rate."""
        return any(rate > 0 for rate in self.dropout)


class Workspace:
    """Buffers for batches of up to ``max_rows`` rows, allocated once per fit.

    Parameters
    ----------
    network : Network
    max_rows : int
    dtype : numpy dtype
    training : bool, default=True
        Also allocate what the backward pass needs.
    dropout : Dropout, default=None
        The fit's dropout, which keeps its own buffers and masks; None trains
        (or predicts) without.
    """

    def __init__(self, network, max_rows, dtype, training=True, dropout=None):
        layout = network.layout
        units = layout.layer_units
        hidden = range(1, network.n_weight_layers)

        def buffers(layers):
            return {i: np.empty((max_rows, units[i]), dtype) for i in layers}

        self.A = buffers(range(1, network.n_weight_layers + 1))
        needs_z = training and network.activation in NEEDS_PREACTIVATION
        self.Z = buffers(hidden if needs_z else [])
        self.delta = buffers(hidden if training else [])
        self.ones = np.ones(max_rows if training else 0, dtype)
        self.dropout = dropout
        encoded = network.encode is not None
        self.encoded = np.empty((max_rows if encoded else 0, layout.n_features), dtype)
        embedded = layout.n_embedded > 0
        self.embedded = np.empty((max_rows if embedded else 0, units[0]), dtype)
        self.embedding = _embeddings.Buffers(
            layout.n_embedded, max_rows if embedded else 0, dtype, training
        )
        scaled = layout.input_scaling
        self.X_scaled = np.empty((max_rows if scaled else 0, units[0]), dtype)
        # Of the last forward pass: the data as the first layer takes them
        # (encoded and embedded), and the input it multiplied (scaled too).
        self.X = self.input = None
        self.grad = np.empty(layout.n_params if training else 0, dtype)
        self.penalty = np.empty(layout.n_coefs if training else 0, dtype)


def _matmul(A, W, out):
    """Compute ``A @ W`` into ``out`` (``A`` may be sparse)."""
    if sp.issparse(A):
        out[...] = A @ W
    else:
        np.matmul(A, W, out=out)


def _scaled_input(theta, X, network, work):
    """Return ``X`` times the input scales (the scaling layer), or ``X`` itself."""
    scales = network.layout.scales(theta)
    if scales is None:
        return X
    if sp.issparse(X):
        return sp.csr_matrix(X.multiply(scales))
    return np.multiply(X, scales, out=work.X_scaled[: X.shape[0]])


def _forward(theta, X, network, work):
    """Run the forward pass over ``work``'s buffers; return the output pre-activation.

    With ``work.dropout`` each hidden activation is multiplied by its inverted
    dropout mask, which the dropout keeps for the backward pass.
    """
    n = X.shape[0]
    layout = network.layout
    coefs, intercepts = layout.unpack(theta)
    activate = ACTIVATIONS[network.activation]
    dropout = work.dropout
    # The encoding goes straight where the embedding's outputs will follow it.
    columns = work.embedded[:n, : layout.n_features] if layout.n_embedded else None
    if network.encode is not None:
        X = network.encode(X, work.encoded[:n] if columns is None else columns)
    if layout.n_embedded:
        if X is not columns:
            columns[...] = X
        X = work.embedded[:n]
        _embeddings.forward(layout.embedding(theta), X[:, : layout.n_embedded],
                            X[:, layout.n_features :], work.embedding)
    # Kept for the backward pass: the input the first layer multiplied.
    work.X = X
    work.input = A_prev = _scaled_input(theta, X, network, work)
    for i, (W, b) in enumerate(zip(coefs, intercepts), start=1):
        A = work.A[i][:n]
        _matmul(A_prev, W, A)
        A += b
        if i < network.n_weight_layers:
            if i in work.Z:
                np.copyto(work.Z[i][:n], A)
            activate(A)
            if dropout is not None:
                dropout.apply(A, i)
        A_prev = A
    return A_prev


def loss_and_grad(theta, X, Y, sw, network, work):
    r"""Compute the objective and its gradient with respect to ``theta``.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sw : ndarray of shape (n_samples,) or None
    network : Network
    work : Workspace
        Buffers with room for ``n_samples`` rows; ``work.grad`` receives the
        gradient. Its ``dropout``, if any, must have been told the batch
        (:meth:`~._dropout.Dropout.for_batch`).

    Returns
    -------
    loss : float
    grad : ndarray of shape (n_params,)
        ``work.grad``, overwritten by the next call.

    Notes
    -----
    Back-propagation, with :math:`\odot` the elementwise product, :math:`m_i` the
    dropout mask and :math:`s = \sum_j sw_j`:

    .. math::

        \delta_L = \frac{sw}{s} \odot (f_{out}(Z_L) - Y), \quad
        \nabla W_i = A_{i-1}^T \delta_i + \frac{\alpha}{s} W_i, \quad
        \nabla b_i = \textstyle\sum_n \delta_i,

        \delta_{i-1} = (\delta_i W_i^T) \odot m_{i-1} \odot f'(Z_{i-1}).
    """
    n = X.shape[0]
    layout = network.layout
    coefs, _ = layout.unpack(theta)
    grad_coefs, grad_intercepts = layout.unpack(work.grad)
    delta = _forward(theta, X, network, work)

    sample_losses = LOSSES[network.out_activation](delta, Y)
    if sw is None:
        sw_sum = float(n)
        loss = sample_losses.sum() / sw_sum
        delta *= 1.0 / sw_sum
    else:
        sw_sum = float(sw.sum())
        loss = (sample_losses @ sw) / sw_sum
        delta *= (sw / sw_sum).astype(delta.dtype, copy=False)[:, None]
    weights = theta[: layout.n_coefs]
    loss += 0.5 * network.alpha * float(np.dot(weights, weights)) / sw_sum

    derivative = DERIVATIVES[network.activation]
    dropout = work.dropout
    for i in range(network.n_weight_layers, 0, -1):
        A_prev = work.input if i == 1 else work.A[i - 1][:n]
        if sp.issparse(A_prev):
            grad_coefs[i - 1][...] = A_prev.T @ delta
        else:
            np.matmul(A_prev.T, delta, out=grad_coefs[i - 1])
        # Column sums as a product with ones: BLAS beats a NumPy reduction here.
        np.matmul(work.ones[:n], delta, out=grad_intercepts[i - 1])
        if i == 1:
            _before_first_layer_grad(theta, delta, coefs[0], layout, work)
            break
        delta_prev = work.delta[i - 1][:n]
        np.matmul(delta, coefs[i - 1].T, out=delta_prev)
        derivative_input = A_prev
        if i - 1 in work.Z:
            derivative_input = work.Z[i - 1][:n]
        if dropout is not None:
            dropout.backward(delta_prev, i - 1)
            if network.activation not in _SCALE_FREE_DERIVATIVES | NEEDS_PREACTIVATION:
                # Dropped units have delta 0 already; kept ones need A unscaled.
                derivative_input = dropout.unscaled(A_prev, i - 1)
        derivative(derivative_input, delta_prev)
        delta = delta_prev

    # The L2 term of every weight gradient at once. NumPy rather than scipy's
    # BLAS axpy: two BLAS libraries' thread pools spinning in turn on the same
    # cores made training several times slower.
    np.multiply(weights, network.alpha / sw_sum, out=work.penalty)
    work.grad[: layout.n_coefs] += work.penalty
    return float(loss), work.grad


def _before_first_layer_grad(theta, delta, W, layout, work):
    """Write the gradients of the input scales and the embedding, if any.

    ``delta`` is the first layer's; ``work.X`` holds its input, unscaled.
    """
    if layout.input_scaling:
        grad_input = delta @ W.T
        # d loss / d s_j = sum_n X_nj (delta W^T)_nj
        layout.scales(work.grad)[...] = _column_dot(work.X, grad_input)
    if not layout.n_embedded:
        return
    outputs = slice(layout.n_features, None)
    if layout.input_scaling:
        grad_embedded = grad_input[:, outputs] * layout.scales(theta)[outputs]
    else:
        grad_embedded = delta @ W[outputs].T
    _embeddings.backward(layout.embedding(theta), grad_embedded, work.embedding,
                         layout.embedding(work.grad))


def _column_dot(X, B):
    """Return ``sum_n X[n, j] B[n, j]`` for each column ``j`` (``X`` may be sparse)."""
    if sp.issparse(X):
        return np.asarray(X.multiply(B).sum(axis=0)).ravel()
    return np.einsum("ij,ij->j", X, B)


def predict_raw(theta, X, network, chunk_rows=4096):
    """Return the network's output (after the output activation) for ``X``.

    No dropout. Rows are processed in chunks of ``chunk_rows`` so the hidden
    activations never take more memory than one chunk's.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    network : Network
    chunk_rows : int, default=4096

    Returns
    -------
    output : ndarray of shape (n_samples, n_outputs)
    """
    return predict_and_loss(theta, X, None, None, network, chunk_rows)[0]


def predict_and_loss(theta, X, Y, sw, network, chunk_rows=4096):
    """Return the network's output for ``X`` and its loss on ``Y`` in one pass.

    The loss is the ``sw``-weighted mean of the per-sample loss, without the L2
    penalty and without dropout: the fit to ``Y`` alone, as on validation data.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs) or None
        Encoded targets; None skips the loss.
    sw : ndarray of shape (n_samples,) or None
    network : Network
    chunk_rows : int, default=4096

    Returns
    -------
    output : ndarray of shape (n_samples, n_outputs)
    loss : float or None
    """
    n = X.shape[0]
    output = np.empty((n, network.layout.layer_units[-1]), dtype=theta.dtype)
    sample_losses = None if Y is None else np.empty(n, dtype=theta.dtype)
    work = Workspace(network, min(n, chunk_rows), theta.dtype, training=False)
    output_activation = OUTPUT_ACTIVATIONS[network.out_activation]
    for start in range(0, n, chunk_rows):
        rows = slice(start, min(start + chunk_rows, n))
        chunk = _forward(theta, X[rows], network, work)
        if Y is not None:
            # The loss overwrites its input with the gradient: hand it a copy.
            output[rows] = chunk
            sample_losses[rows] = LOSSES[network.out_activation](output[rows], Y[rows])
        output_activation(chunk)
        output[rows] = chunk
    if Y is None:
        return output, None
    if sw is None:
        return output, float(sample_losses.mean())
    return output, float(sample_losses @ sw / sw.sum())
