"""The multi-layer perceptron regressor."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import column_or_1d

from ._base import BaseScratchMLP
from ._docstrings import fill_shared_docs
from ._input_checks import check_targets

_OUTPUT_ACTIVATIONS = {"squared_error": "identity", "poisson": "exp"}


@fill_shared_docs
class ScratchMLPRegressor(RegressorMixin, BaseScratchMLP):
    """Multi-layer perceptron regressor with dropout.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    same parameters, defaults and fitted attributes, plus ``dropout``. It
    minimizes the squared error (identity output) or the Poisson deviance
    (exponential output) with L-BFGS, SGD or Adam.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss: half the squared error averaged over outputs, or half the
        Poisson deviance with a log link (``y`` must be non-negative).

{shared_parameters}

    Attributes
    ----------
{shared_attributes}

    See Also
    --------
    ScratchMLPClassifier : Multi-layer perceptron classifier.
    sklearn.neural_network.MLPRegressor : The estimator this one replaces.

    Notes
    -----
    With several outputs the gradient is that of the reported loss (the mean
    over outputs); scikit-learn's L-BFGS uses ``n_outputs`` times it.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import train_test_split
    >>> from skscratchnn import ScratchMLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=10, noise=1, random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=1)
    >>> regr = ScratchMLPRegressor(solver="lbfgs", random_state=1)
    >>> regr.fit(X_train, y_train)
    ScratchMLPRegressor(random_state=1, solver='lbfgs')
    >>> regr.score(X_test, y_test)
    0.99...
    """

    _parameter_constraints: dict = {
        **BaseScratchMLP._parameter_constraints,
        "loss": [StrOptions(set(_OUTPUT_ACTIVATIONS))],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        early_stopping_metric="score",
        restore_best_params=False,
        schedule_adam=False,
        weight_decay=0.0,
        scaling_layer=False,
        parametrization="standard",
        scale_rate_factor=1.0,
        bias_rate_factor=1.0,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            early_stopping_metric=early_stopping_metric,
            restore_best_params=restore_best_params,
            schedule_adam=schedule_adam,
            weight_decay=weight_decay,
            scaling_layer=scaling_layer,
            parametrization=parametrization,
            scale_rate_factor=scale_rate_factor,
            bias_rate_factor=bias_rate_factor,
        )
        self.loss = loss

    _validation_metric = staticmethod(r2_score)

    def _encode_targets(self, y, X, *, reset, incremental, classes=None):
        y = check_targets(self, y, X, numeric=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.dtype.kind not in "biuf":
            raise ValueError(f"y must hold numbers for regression, got dtype {y.dtype}.")
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed with "
                "loss='poisson'."
            )
        Y = self._transform_targets(y.reshape(len(y), -1).astype(np.float64), reset)
        return Y, _OUTPUT_ACTIVATIONS[self.loss]

    def _transform_targets(self, Y, reset):
        """Return the float64 targets ``Y`` as the network is to fit them."""
        return Y

    def _decode(self, output):
        return output.ravel() if output.shape[1] == 1 else output

    @available_if(lambda est: est._check_partial_fit())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags
