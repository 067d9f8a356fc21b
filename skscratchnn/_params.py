"""Layout of all weights and biases of a network in one flat parameter vector."""

import numpy as np


class ParamLayout:
    """Where each layer's weights and biases live in the flat vector ``theta``.

    The order is scikit-learn's ``_pack`` order: all weight matrices, then all
    bias vectors, so the weights form one contiguous block that L2 regularization
    reaches in a single operation.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input and output layers included.
    """

    def __init__(self, layer_units):
        self.layer_units = tuple(int(n) for n in layer_units)
        fans = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        sizes = [n_in * n_out for n_in, n_out in fans] + [n for _, n in fans]
        # Python ints: skops cannot write slices of NumPy integers.
        bounds = np.cumsum([0, *sizes]).tolist()
        n_layers = len(fans)
        self.coef_shapes = fans
        self.coef_slices = [slice(*bounds[i : i + 2]) for i in range(n_layers)]
        self.intercept_slices = [
            slice(*bounds[n_layers + i : n_layers + i + 2]) for i in range(n_layers)
        ]
        self.n_coefs = int(bounds[n_layers])
        self.n_params = int(bounds[-1])

    def __eq__(self, other):
        return isinstance(other, ParamLayout) and self.layer_units == other.layer_units

    def __hash__(self):
        return hash(self.layer_units)

    def unpack(self, theta):
        """Return the per-layer weights and biases as views into ``theta``.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Flat parameter (or gradient) vector.

        Returns
        -------
        coefs : list of ndarray of shape (n_in, n_out)
        intercepts : list of ndarray of shape (n_out,)
        """
        coefs = [
            theta[s].reshape(shape) for s, shape in zip(self.coef_slices, self.coef_shapes)
        ]
        intercepts = [theta[s] for s in self.intercept_slices]
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype):
        """Return a new flat vector holding copies of ``coefs`` and ``intercepts``."""
        theta = np.empty(self.n_params, dtype=dtype)
        for view, value in zip(sum(self.unpack(theta), []), [*coefs, *intercepts]):
            view[...] = value
        return theta

    def init(self, rng, activation, dtype):
        """Draw Glorot-uniform weights and biases, as scikit-learn's MLP does.

        The draws follow scikit-learn's order (per layer: weights, then biases),
        so the same ``RandomState`` gives the same initial network.

        Parameters
        ----------
        rng : numpy.random.RandomState
        activation : str
            Hidden activation; 'logistic' uses the smaller bound sqrt(2 / fan).
        dtype : numpy dtype

        Returns
        -------
        theta : ndarray of shape (n_params,)
        """
        factor = 2.0 if activation == "logistic" else 6.0
        coefs, intercepts = [], []
        for n_in, n_out in self.coef_shapes:
            bound = np.sqrt(factor / (n_in + n_out))
            coefs.append(rng.uniform(-bound, bound, (n_in, n_out)))
            intercepts.append(rng.uniform(-bound, bound, n_out))
        return self.pack(coefs, intercepts, dtype)
