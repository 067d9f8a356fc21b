r"""RealMLP's periodic embedding of numeric columns ("PBLD"), forward and backward.

Each embedded column :math:`x_j` gets ``N_FREQUENCIES`` cosines with trainable
frequencies and phases, mapped linearly to ``N_OUTPUTS`` new inputs of the
first layer:

.. math::

    c_{jk} = \cos(2 \pi w_{jk} x_j + b_{jk}), \quad
    e_{jm} = \textstyle\sum_k c_{jk} v_{jkm} + u_{jm}.

The first layer takes the columns as they were, then the ``e`` of each
embedded column in turn (the "densenet" part: :math:`x_j` itself stays an
input). Pure functions of the embedding's parameters, views into ``theta``
(see :class:`~._params.ParamLayout`); the data and outputs have rows first.
"""

import numpy as np

N_FREQUENCIES = 16
N_OUTPUTS = 3
# RealMLP-TD's choices: frequencies start small (x is scaled to about [-3, 3]),
# and the embedding learns at a tenth of the network's rate.
FREQUENCY_SCALE = 0.1
RATE_FACTOR = 0.1


def n_params(n_columns):
    """The number of parameters of the embedding of ``n_columns`` columns."""
    return n_columns * (2 * N_FREQUENCIES + N_FREQUENCIES * N_OUTPUTS + N_OUTPUTS)


def unpack(params, n_columns):
    """Return frequencies, phases (n_columns, K), weights (n_columns, K, M) and
    biases (n_columns, M) as views into the flat ``params``."""
    k, m = N_FREQUENCIES, N_OUTPUTS
    bounds = np.cumsum([0, k, k, k * m, m]) * n_columns
    shapes = [(n_columns, k), (n_columns, k), (n_columns, k, m), (n_columns, m)]
    return [params[start:stop].reshape(shape)
            for start, stop, shape in zip(bounds[:-1], bounds[1:], shapes)]


def init(rng, params, n_columns):
    """Draw the starting embedding into ``params``, as RealMLP-TD does.

    Frequencies are normal with standard deviation ``FREQUENCY_SCALE``,
    phases uniform in [-pi, pi]; the linear map is uniform in
    +-1/sqrt(N_FREQUENCIES), as PyTorch's linear layers start.
    """
    frequencies, phases, weights, biases = unpack(params, n_columns)
    bound = 1.0 / np.sqrt(N_FREQUENCIES)
    frequencies[...] = FREQUENCY_SCALE * rng.standard_normal(frequencies.shape)
    phases[...] = np.pi * rng.uniform(-1.0, 1.0, phases.shape)
    weights[...] = rng.uniform(-bound, bound, weights.shape)
    biases[...] = rng.uniform(-bound, bound, biases.shape)


class Buffers:
    """What the embedding of up to ``max_rows`` rows keeps for the backward pass.

    Stacks of one matrix per column, (n_columns, rows, ...): each step of the
    embedding is then one stacked matrix product, which NumPy hands to BLAS,
    or an elementwise operation.

    Parameters
    ----------
    n_columns : int
    max_rows : int
    dtype : numpy dtype
    training : bool, default=True
        Keep the angles for the backward pass; without, the cosines take
        their place.
    """

    def __init__(self, n_columns, max_rows, dtype, training=True):
        # Each column's values beside ones, so that one product applies the
        # frequencies and the phases, and one sums over the rows.
        self.inputs = np.ones((n_columns, max_rows, 2), dtype)
        self.angle_map = np.empty((n_columns, 2, N_FREQUENCIES), dtype)
        shape = (n_columns, max_rows, N_FREQUENCIES)
        self.angles = np.empty(shape, dtype)
        self.cosines = np.empty(shape, dtype) if training else self.angles
        self.outputs = np.empty((n_columns, max_rows, N_OUTPUTS), dtype)


def forward(params, columns, out, buffers):
    """Write the embedding of ``columns`` (n, n_columns) into ``out``.

    ``out`` has shape (n, n_columns * N_OUTPUTS): each column's outputs in turn.
    """
    n, n_columns = columns.shape
    frequencies, phases, weights, biases = unpack(params, n_columns)
    inputs = buffers.inputs[:, :n]
    inputs[:, :, 0] = columns.T
    np.multiply(frequencies, 2 * np.pi, out=buffers.angle_map[:, 0])
    buffers.angle_map[:, 1] = phases
    angles = np.matmul(inputs, buffers.angle_map, out=buffers.angles[:, :n])
    cosines = np.cos(angles, out=buffers.cosines[:, :n])
    outputs = np.matmul(cosines, weights, out=buffers.outputs[:, :n])
    outputs += biases[:, None]
    out.reshape(n, n_columns, N_OUTPUTS)[...] = outputs.transpose(1, 0, 2)


def backward(params, grad_out, buffers, grad_params):
    """Write the gradient of the embedding's parameters into ``grad_params``.

    Parameters
    ----------
    params : ndarray
        The embedding's parameters, as the last :func:`forward` took them;
        ``buffers`` still holds what it computed.
    grad_out : ndarray of shape (n, n_columns * N_OUTPUTS)
        The gradient of the loss with respect to the embedding's output.
    buffers : Buffers
    grad_params : ndarray
        Receives the gradient, in the layout of ``params``.
    """
    n = grad_out.shape[0]
    n_columns = grad_out.shape[1] // N_OUTPUTS
    _, _, weights, _ = unpack(params, n_columns)
    grad_frequencies, grad_phases, grad_weights, grad_biases = unpack(
        grad_params, n_columns
    )
    inputs_t = buffers.inputs[:, :n].transpose(0, 2, 1)  # values, then ones
    grad_outputs = buffers.outputs[:, :n]  # the outputs are spent
    grad_outputs[...] = grad_out.reshape(n, n_columns, N_OUTPUTS).transpose(1, 0, 2)
    grad_biases[...] = np.matmul(inputs_t, grad_outputs)[:, 1]
    np.matmul(buffers.cosines[:, :n].transpose(0, 2, 1), grad_outputs, out=grad_weights)
    # d loss / d angle = -sin(angle) * sum_m grad_output[m] weight[k, m]
    grad_angles = np.matmul(grad_outputs, weights.transpose(0, 2, 1))
    grad_angles *= np.sin(buffers.angles[:, :n])
    grad_angle_map = np.matmul(inputs_t, grad_angles)
    np.multiply(grad_angle_map[:, 0], -2 * np.pi, out=grad_frequencies)
    np.negative(grad_angle_map[:, 1], out=grad_phases)
