"""MLPs for tabular data: RealMLP's recipe on the same core.

:class:`TabularMLPClassifier` and :class:`TabularMLPRegressor` are the
drop-in estimators with other defaults and three more pieces: their own input
preprocessing (:class:`TabularPreprocessor`), a scaling layer and the NTK
parametrization (a learning-rate factor per parameter group). Every piece is
an ordinary parameter, so each can be switched off or tuned.
"""

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ._classifier import ScratchMLPClassifier
from ._docstrings import fill_shared_docs
from ._regressor import ScratchMLPRegressor
from ._state import restored_on_error
from ._tabular_preprocessing import TabularPreprocessor

_TABULAR_CONSTRAINTS = {
    **{
        name: constraint
        for name, constraint in TabularPreprocessor._parameter_constraints.items()
        if name != "dtype"
    },
    "scaling_layer": ["boolean"],
    "parametrization": [StrOptions({"standard", "ntk"})],
    "scale_rate_factor": [Interval(Real, 0, None, closed="neither")],
    "bias_rate_factor": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
}
# max_iter='auto': RealMLP's 256 epochs, but no more than about this many
# steps, which large tables reach in fewer epochs (the time of a fit then
# stops growing with the number of rows).
_MAX_EPOCHS, _STEP_BUDGET = 256, 8192

# The recipe's parameters and defaults, shared by both estimators; the
# classifier and the regressor differ in activation and learning rate.
_RECIPE = dict(
    hidden_layer_sizes=(256, 256, 256),
    alpha=0.0,
    learning_rate="coslog4",
    max_iter="auto",
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=np.inf,
    # The validation loss, a proper scoring rule, picks the best epoch with
    # less noise than the accuracy on a small validation set.
    early_stopping_metric="loss",
    beta_2=0.95,
)
_TABULAR_DEFAULTS = dict(
    categorical_features="from_dtype",
    max_categories=32,
    clip_scale=3.0,
    n_bins=16,
    scaling_layer=True,
    parametrization="ntk",
    scale_rate_factor=6.0,
    bias_rate_factor=0.1,
)


def _tabular_signature(estimator_class, defaults):
    """Return ``estimator_class.__init__``'s signature with the recipe's defaults."""
    signature = inspect.signature(estimator_class.__init__)
    parameters = [
        p.replace(default=defaults[p.name]) if p.name in defaults else p
        for p in signature.parameters.values()
    ]
    parameters += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
        for name, default in _TABULAR_DEFAULTS.items()
    ]
    return signature.replace(parameters=parameters)


class _TabularMixin:
    """Preprocessing in fit and predict, and the training-time parametrization."""

    _auto_batch_size = 256

    def _init_tabular(self, kwargs, defaults):
        """Split the keywords into the recipe's, the tabular ones and the rest.

        Unknown keywords go on with the rest, which the drop-in estimator's
        ``__init__`` refuses, naming this class.
        """
        tabular = {name: kwargs.pop(name, value)
                   for name, value in _TABULAR_DEFAULTS.items()}
        recipe = {name: kwargs.pop(name, value) for name, value in defaults.items()}
        return recipe, kwargs, tabular

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):
        """Fit the preprocessing, then the network, to X and y.

        ``X`` may be a DataFrame (pandas, polars or a pyarrow Table) with
        numeric, date and categorical columns and missing values, as it is;
        the preprocessing (see :class:`TabularPreprocessor`) is fitted on
        ``X`` and applied to ``X_val`` too. A warm start keeps the fitted preprocessing.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        X_val : {array-like, DataFrame} of shape (n_val, n_features), \
default=None
            Validation data of your own, used instead of the split of ``X``.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            The targets of ``X_val``.

        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with restored_on_error(self):
            if not (self.warm_start and hasattr(self, "preprocessor_")):
                self.preprocessor_ = TabularPreprocessor(
                    categorical_features=self.categorical_features,
                    max_categories=self.max_categories,
                    clip_scale=self.clip_scale,
                    n_bins=self.n_bins,
                    dtype=np.float32,
                )
                # The network takes arrays, whatever the global transform_output.
                self.preprocessor_.set_output(transform="default").fit(X)
            if X_val is not None:
                try:
                    X_val = self.preprocessor_.transform(X_val)
                except (TypeError, ValueError) as error:
                    # Its message speaks of X: say that X_val is meant.
                    raise type(error)(f"Invalid X_val: {error}") from error
            X = self.preprocessor_.transform(X)
            # The network's input checks see the preprocessed columns (a warm
            # start compares them with the previous fit's).
            vars(self).pop("feature_names_in_", None)
            self.n_features_in_ = X.shape[1]
            super().fit(
                X, y, sample_weight, X_val=X_val, y_val=y_val,
                sample_weight_val=sample_weight_val,
            )
            # The estimator takes what the preprocessing takes.
            self.n_features_in_ = self.preprocessor_.n_features_in_
            if hasattr(self.preprocessor_, "feature_names_in_"):
                self.feature_names_in_ = self.preprocessor_.feature_names_in_
        return self

    def _prediction_input(self, X):
        # In float64, which the float32 weights then take: float32 products
        # round differently with the number of rows on some BLAS kernels, and
        # a row's prediction must not depend on the rest of the batch.
        return self.preprocessor_._transform(X, np.float64)

    def _training_params(self):
        params = super()._training_params()
        if params["max_iter"] == "auto":
            params.update(max_iter=_MAX_EPOCHS, max_steps=_STEP_BUDGET)
        return params

    def _check_partial_fit(self):
        raise AttributeError(
            f"{type(self).__name__} has no partial_fit: its preprocessing is "
            "fitted on the whole of X. Use ScratchMLP estimators to learn in batches."
        )

    def _training_layout(self, layer_units):
        layout = super()._training_layout(layer_units)
        return type(layout)(layout.layer_units, input_scaling=self.scaling_layer)

    def _initial_theta(self, layout, rng, dtype):
        if self.parametrization == "standard":
            return super()._initial_theta(layout, rng, dtype)
        return layout.init_ntk(rng, dtype)

    def _parameter_groups(self, layout, dtype):
        factors = layout.rate_factors(
            dtype, ntk=self.parametrization == "ntk",
            bias_factor=self.bias_rate_factor, scale_factor=self.scale_rate_factor,
        )
        return {**super()._parameter_groups(layout, dtype), "rate_factors": factors}

    def to_sklearn(self):
        """Refuse: scikit-learn's MLPs have no preprocessing of their own.

        Raises
        ------
        TypeError
            Always; convert a :class:`ScratchMLPClassifier` or
            :class:`ScratchMLPRegressor` instead.
        """
        raise TypeError(
            f"{type(self).__name__} preprocesses its input itself, which "
            "scikit-learn's MLPs do not: it has no scikit-learn equivalent."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.sparse = False
        return tags


@fill_shared_docs
class TabularMLPClassifier(_TabularMixin, ScratchMLPClassifier):
    """Multi-layer perceptron classifier for tabular data, with RealMLP's recipe.

    Takes a DataFrame of numeric and categorical columns with missing values
    as it is, and trains a network whose defaults are a recipe for tabular
    data (see Notes): it aims at the accuracy of gradient boosting without
    tuning. The parameters are those of :class:`ScratchMLPClassifier`, with
    other defaults, and those of the recipe.

    Parameters
    ----------
{shared_parameters}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, as in :class:`ScratchMLPClassifier`.

    label_smoothing : float, default=0.1
        Label smoothing of the training targets, as in
        :class:`ScratchMLPClassifier`.

{tabular_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of ndarray
        Class labels for each output.

    preprocessor_ : TabularPreprocessor
        The fitted preprocessing of ``X``.

{shared_attributes}

    See Also
    --------
    TabularMLPRegressor : The regressor with the same recipe.
    ScratchMLPClassifier : The same network with scikit-learn's defaults.
    sklearn.ensemble.HistGradientBoostingClassifier : Gradient boosting.

{tabular_notes}

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skscratchnn import TabularMLPClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"income": rng.lognormal(size=300),
    ...                   "city": rng.choice(["a", "b", "c"], size=300)})
    >>> X.loc[::10, "income"] = np.nan
    >>> y = (X["city"] == "a") ^ (X["income"] > 1)
    >>> clf = TabularMLPClassifier(max_iter=20, random_state=0).fit(X, y)
    >>> clf.score(X, y)
    0.9...
    """

    _parameter_constraints: dict = {
        **ScratchMLPClassifier._parameter_constraints, **_TABULAR_CONSTRAINTS
    }
    _defaults = dict(_RECIPE, activation="selu", learning_rate_init=0.04,
                     label_smoothing=0.1)

    def __init__(self, hidden_layer_sizes=(256, 256, 256), activation="selu",
                 **kwargs):
        recipe, kwargs, tabular = self._init_tabular(
            {"hidden_layer_sizes": hidden_layer_sizes, "activation": activation,
             **kwargs},
            self._defaults,
        )
        super().__init__(**recipe, **kwargs)
        vars(self).update(tabular)

    __init__.__signature__ = _tabular_signature(ScratchMLPClassifier, _defaults)


@fill_shared_docs
class TabularMLPRegressor(_TabularMixin, ScratchMLPRegressor):
    """Multi-layer perceptron regressor for tabular data, with RealMLP's recipe.

    Takes a DataFrame of numeric and categorical columns with missing values
    as it is, and trains a network whose defaults are a recipe for tabular
    data (see Notes): it aims at the accuracy of gradient boosting without
    tuning. The parameters are those of :class:`ScratchMLPRegressor`, with
    other defaults, and those of the recipe. With the squared error the
    network fits standardized targets; predictions are clipped to the range
    of the training targets.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss, as in :class:`ScratchMLPRegressor`; only the squared error
        standardizes the targets.

{shared_parameters}

{tabular_parameters}

    Attributes
    ----------
    preprocessor_ : TabularPreprocessor
        The fitted preprocessing of ``X``.

    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        The standardization of the targets (0 and 1 for 'poisson'); the
        losses in ``loss_curve_`` are those of the standardized targets.

    target_range_ : tuple of ndarray of shape (n_outputs,)
        The smallest and largest training targets, which bound predictions.

{shared_attributes}

    See Also
    --------
    TabularMLPClassifier : The classifier with the same recipe.
    ScratchMLPRegressor : The same network with scikit-learn's defaults.
    sklearn.ensemble.HistGradientBoostingRegressor : Gradient boosting.

{tabular_notes}

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skscratchnn import TabularMLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"area": rng.uniform(20, 200, size=300),
    ...                   "city": rng.choice(["a", "b"], size=300)})
    >>> y = 1000 * X["area"] * np.where(X["city"] == "a", 2.0, 1.0)
    >>> reg = TabularMLPRegressor(max_iter=30, random_state=0).fit(X, y)
    >>> reg.score(X, y)
    0.9...
    """

    _parameter_constraints: dict = {
        **ScratchMLPRegressor._parameter_constraints, **_TABULAR_CONSTRAINTS
    }
    _defaults = dict(_RECIPE, activation="mish", learning_rate_init=0.07)
    _subclass_fitted_attributes = ("target_mean_", "target_scale_", "target_range_")

    def __init__(self, loss="squared_error", hidden_layer_sizes=(256, 256, 256),
                 activation="mish", **kwargs):
        recipe, kwargs, tabular = self._init_tabular(
            {"hidden_layer_sizes": hidden_layer_sizes, "activation": activation,
             **kwargs},
            self._defaults,
        )
        super().__init__(loss, **recipe, **kwargs)
        vars(self).update(tabular)

    __init__.__signature__ = _tabular_signature(ScratchMLPRegressor, _defaults)

    def _encode_targets(self, Y, reset):
        # The squared error is fitted to standardized targets, whose scale
        # the learning rate and the output layer's zero start suit whatever
        # the units of y. Standardized in float64: rounding large targets to
        # float32 first would lose their small differences.
        if reset:
            self.target_range_ = Y.min(axis=0), Y.max(axis=0)
            standardize = self.loss == "squared_error"
            self.target_mean_ = Y.mean(axis=0) if standardize else np.zeros(Y.shape[1])
            std = Y.std(axis=0) if standardize else np.ones(Y.shape[1])
            self.target_scale_ = np.where(std > 0, std, 1.0)
        return (Y - self.target_mean_) / self.target_scale_

    def _decode(self, output):
        # In float64, as the targets were standardized.
        output = output.astype(np.float64) * self.target_scale_ + self.target_mean_
        return super()._decode(output)

    def predict(self, X):
        """Predict with the network, within the range of the training targets.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values, clipped to the range of ``y`` seen in fit.
        """
        prediction = super().predict(X)
        # Plain arrays: an unpickled estimator may hold read-only memmaps.
        low, high = (np.array(b, dtype=float).ravel() for b in self.target_range_)
        if prediction.ndim == 1:
            low, high = low[0], high[0]
        return np.clip(prediction, low, high)

