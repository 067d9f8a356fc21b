"""Layout of all weights and biases of a network in one flat parameter vector."""

import numpy as np

from . import _embeddings


class ParamLayout:
    """Where each layer's weights and biases live in the flat vector ``theta``.

    The order is scikit-learn's ``_pack`` order: all weight matrices, then all
    bias vectors, so the weights form one contiguous block that L2 regularization
    reaches in a single operation. With ``n_embedded`` the periodic embedding
    of the first ``n_embedded`` data columns follows (see :mod:`._embeddings`),
    whose outputs are the last inputs of the first layer. With
    ``input_scaling`` one factor per input of the first layer ends ``theta``
    (the scaling layer, a training-time parametrization that
    :meth:`fold_input_scaling` folds into the first weights).

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input and output layers included; the input layer
        counts the embedding's outputs.
    input_scaling : bool, default=False
        Whether ``theta`` ends with one scale per input of the first layer.
    n_embedded : int, default=0
        How many of the data's first columns the network embeds.
    """

    def __init__(self, layer_units, input_scaling=False, n_embedded=0):
        self.layer_units = tuple(int(n) for n in layer_units)
        self.input_scaling = bool(input_scaling)
        self.n_embedded = int(n_embedded)
        # The columns of the data: the first layer's inputs but the embedding's.
        self.n_features = self.layer_units[0] - _embeddings.N_OUTPUTS * self.n_embedded
        if self.n_features < self.n_embedded:
            raise ValueError(
                f"{self.layer_units[0]} inputs cannot hold the embedding of "
                f"{self.n_embedded} columns and the columns themselves."
            )
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
        n_embedding = _embeddings.n_params(self.n_embedded)
        self.embedding_slice = slice(int(bounds[-1]), int(bounds[-1]) + n_embedding)
        n_scales = self.layer_units[0] if self.input_scaling else 0
        end = self.embedding_slice.stop
        self.scale_slice = slice(end, end + n_scales)
        self.n_params = end + n_scales

    def _key(self):
        return self.layer_units, self.input_scaling, self.n_embedded

    def __eq__(self, other):
        return isinstance(other, ParamLayout) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

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

    def scales(self, theta):
        """Return the input scales as a view into ``theta``, or None."""
        return theta[self.scale_slice] if self.input_scaling else None

    def embedding(self, theta):
        """Return the embedding's parameters as a view into ``theta``, or None."""
        return theta[self.embedding_slice] if self.n_embedded else None

    def pack(self, coefs, intercepts, dtype):
        """Return a new flat vector holding copies of ``coefs`` and ``intercepts``.

        Input scales and the embedding, if any, are set to 1 (:meth:`init`
        draws the embedding).
        """
        theta = np.ones(self.n_params, dtype=dtype)
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
        return self._with_embedding(rng, self.pack(coefs, intercepts, dtype))

    def init_ntk(self, rng, dtype):
        """Draw the initial network of the NTK parametrization, in standard form.

        In the NTK parametrization a layer computes ``x W / sqrt(fan_in) + b``
        with ``W`` and ``b`` standard normal; stored in standard form the
        weights are ``N(0, 1 / fan_in)``. The output layer starts at zero, so
        the first predictions are neutral (RealMLP-TD-S's choice).

        Returns
        -------
        theta : ndarray of shape (n_params,)
        """
        coefs, intercepts = [], []
        for n_in, n_out in self.coef_shapes[:-1]:
            coefs.append(rng.standard_normal((n_in, n_out)) / np.sqrt(n_in))
            intercepts.append(rng.standard_normal(n_out))
        n_in, n_out = self.coef_shapes[-1]
        coefs.append(np.zeros((n_in, n_out)))
        intercepts.append(np.zeros(n_out))
        return self._with_embedding(rng, self.pack(coefs, intercepts, dtype))

    def _with_embedding(self, rng, theta):
        """Draw the embedding, if any, into ``theta`` (after the layers' draws)."""
        if self.n_embedded:
            _embeddings.init(rng, self.embedding(theta), self.n_embedded)
        return theta

    def rate_factors(self, dtype, *, ntk=False, bias_factor=1.0, scale_factor=1.0):
        """Return a learning-rate factor per parameter, or None if all are 1.

        Adam on NTK-parametrized weights ``W_ntk = sqrt(fan_in) W`` moves ``W``
        as Adam on ``W`` would with its rate divided by ``sqrt(fan_in)`` (its
        ``epsilon`` multiplied by ``sqrt(fan_in)``, which is negligible), so the
        parametrization is a factor ``1 / sqrt(fan_in)`` on each layer's
        weights. Biases and input scales take their own factors, the
        embedding its own (``_embeddings.RATE_FACTOR``).
        """
        if not (ntk or self.n_embedded) and bias_factor == 1.0 and scale_factor == 1.0:
            return None
        factors = np.empty(self.n_params, dtype=dtype)
        for s, (n_in, _) in zip(self.coef_slices, self.coef_shapes):
            factors[s] = 1.0 / np.sqrt(n_in) if ntk else 1.0
        factors[self.n_coefs : self.embedding_slice.start] = bias_factor
        factors[self.embedding_slice] = _embeddings.RATE_FACTOR
        factors[self.scale_slice] = scale_factor
        return factors

    def fold_input_scaling(self, theta):
        """Return the layout and parameters of the same network without scales.

        ``(x * s) W = x (diag(s) W)``: the scales go into the first weights.
        """
        if not self.input_scaling:
            return self, theta
        plain = ParamLayout(self.layer_units, n_embedded=self.n_embedded)
        folded = theta[: plain.n_params].copy()
        plain.unpack(folded)[0][0][...] *= self.scales(theta)[:, None]
        return plain, folded

    def with_input_scaling(self, theta):
        """Return the layout and parameters of a scaled network equal to this one.

        The inverse of :meth:`fold_input_scaling`, with every scale at 1.
        """
        scaled = ParamLayout(self.layer_units, input_scaling=True,
                             n_embedded=self.n_embedded)
        extended = np.ones(scaled.n_params, dtype=theta.dtype)
        extended[: self.n_params] = theta
        return scaled, extended
