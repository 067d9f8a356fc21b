"""MLPs for tabular data: RealMLP's recipe on the same core.

:class:`TabularMLPClassifier` and :class:`TabularMLPRegressor` are the
drop-in estimators with the recipe's defaults (a scaling layer, the NTK
parametrization, per-group rate factors, ``max_iter='auto'``: parameters of
every estimator) and their own input preprocessing
(:class:`TabularPreprocessor`), which joins the estimator through its
training and prediction input hooks.
"""

from numbers import Integral

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._classifier import ScratchMLPClassifier
from ._docstrings import fill_shared_docs
from ._ensemble import average, fit_members
from ._regressor import ScratchMLPRegressor
from ._state import INPUT_ATTRIBUTES
from ._tabular_preprocessing import TabularPreprocessor

# The preprocessing's parameters (the output dtype is the network's, float32)
# and the ensemble's.
_TABULAR_CONSTRAINTS = {
    **{
        name: constraint
        for name, constraint in TabularPreprocessor._parameter_constraints.items()
        if name != "dtype"
    },
    "numeric_embedding": [StrOptions({"periodic"}), None],
    "n_members": [Interval(Integral, 1, None, closed="left")],
    "n_jobs": [Integral, None],
}


class _TabularMixin:
    """The preprocessing of ``X``, fitted with the network, and what it rules out."""

    _auto_batch_size = 256
    # A last batch of a few rows takes a full Adam step on their noise, just
    # before each epoch ends, where the ensemble takes its candidates.
    _even_batches = True

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):
        """Fit the preprocessing, then the network, to X and y.

        ``X`` may be a DataFrame (pandas, polars or a pyarrow Table) with
        numeric, date and categorical columns and missing values, as it is;
        the preprocessing (see :class:`TabularPreprocessor`) is fitted on
        ``X`` and applied to ``X_val`` too. A warm start keeps the fitted
        preprocessing.

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
            Weights of the rows of ``X_val``.

        Returns
        -------
        self : object
            The fitted estimator, its preprocessing included.
        """
        return super().fit(X, y, sample_weight, X_val=X_val, y_val=y_val,
                           sample_weight_val=sample_weight_val)

    def _training_input(self, X, *, reset):
        # The estimator takes what the preprocessing takes: its input checks
        # are the preprocessing's, as in HistGradientBoosting.
        if reset:
            self.preprocessor_ = TabularPreprocessor(
                categorical_features=self.categorical_features,
                max_categories=self.max_categories,
                clip_scale=self.clip_scale,
                n_bins=self.n_bins,
                dtype=np.float32,
            )
            # The network takes arrays, whatever the global transform_output.
            self.preprocessor_.set_output(transform="default").fit(X)
            self.n_features_in_ = self.preprocessor_.n_features_in_
            if hasattr(self.preprocessor_, "feature_names_in_"):
                self.feature_names_in_ = self.preprocessor_.feature_names_in_
        # The compact form, which the network's first map encodes (see
        # _input_encoding): training holds the encoding in full only where it
        # is small. In float64, whose rounding the bin scales would magnify.
        return self.preprocessor_._compact(X, np.float64)

    def _network_dtype(self, X):
        return np.float32

    def _fit_network(self, data, out_activation, rng, *, resume, incremental, hooks,
                     auto_share=1):
        # A fit of several members writes members_, member_weights_, n_iter_
        # and the out-of-fold record; they share the other fitted attributes,
        # which are written by now.
        if self.n_members == 1:
            return super()._fit_network(
                data, out_activation, rng, resume=resume, incremental=incremental,
                hooks=hooks, auto_share=auto_share,
            )
        if self.warm_start:
            raise ValueError(
                f"warm_start=True continues the training of one network; with "
                f"n_members={self.n_members} each fit trains new members. Set "
                "n_members=1 to continue a fit, or warm_start=False."
            )
        shared = {
            name: value for name, value in vars(self).items()
            if name in (*INPUT_ATTRIBUTES, *self._subclass_fitted_attributes)
        }
        self.members_, self.member_weights_, self.n_iter_, out_of_fold = fit_members(
            self, data, out_activation, rng, shared
        )
        self._record_out_of_fold(out_of_fold, data.Y)

    def _fold_labels(self, Y):
        """Return the labels the members' folds keep in proportion, or None."""
        if not is_classifier(self) or self._label_binarizer.y_type_.startswith(
            "multilabel"
        ):
            return None
        return Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0] > 0.5

    def _network_output(self, X):
        members = vars(self).get("members_")
        if members is None:
            return super()._network_output(X)
        return average([member._network_output(X) for member in members],
                       self.member_weights_)

    def _input_encoding(self, X):
        # The numeric columns come first in the encoding.
        n_embedded = 0
        if self.numeric_embedding == "periodic":
            n_embedded = self.preprocessor_._n_numeric
        return self.preprocessor_._expand, self.preprocessor_._n_encoded, n_embedded

    def _prediction_input(self, X):
        # In float64, which the float32 weights then take: float32 products
        # round differently with the number of rows on some BLAS kernels, and
        # a row's prediction must not depend on the rest of the batch. Encoded
        # chunk by chunk, as the network's first map.
        return self._training_input(X, reset=False)

    def _check_partial_fit(self):
        raise AttributeError(
            f"{type(self).__name__} has no partial_fit: its preprocessing is "
            "fitted on the whole of X. Use ScratchMLP estimators to learn in batches."
        )

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

    members_ : list of TabularMLPClassifier
        The networks the ensemble averages (``n_members > 1`` only): the
        epochs each member picked on the fold it left out, member after
        member, each an estimator of one network that shares
        ``preprocessor_``.

    member_weights_ : ndarray of shape (n_networks,)
        The weights of the ``n_networks`` networks of ``members_`` in the
        average, which sum to 1: each member's ``1 / n_members``, split
        among its epochs as often as it picked them.

    oof_decision_function_ : ndarray of shape (n_samples, n_classes)
        The class probabilities of each training sample from the member that
        did not train on it (``n_members > 1`` only): out-of-fold
        predictions, as for stacking.

    oof_score_ : float
        The accuracy of the out-of-fold predictions (``n_members > 1`` only):
        a validation score without a second fit. Each prediction is one
        member's, whose epochs the same fold picked: the score can be a
        little above that of new data.

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
    _subclass_fitted_attributes = (
        *ScratchMLPClassifier._subclass_fitted_attributes, "preprocessor_",
        "members_", "member_weights_", "oof_decision_function_", "oof_score_",
    )

    def __init__(
        self,
        hidden_layer_sizes=(256, 256, 256),
        activation="selu",
        *,
        solver="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate="coslog4",
        learning_rate_init=0.04,
        power_t=0.5,
        max_iter="auto",
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=True,
        validation_fraction=0.2,
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        n_iter_no_change=np.inf,
        max_fun=15000,
        dropout=0.0,
        early_stopping_metric="loss",
        restore_best_params=False,
        schedule_adam=False,
        weight_decay=0.0,
        scaling_layer=True,
        parametrization="ntk",
        scale_rate_factor=6.0,
        bias_rate_factor=0.1,
        class_weight=None,
        label_smoothing=0.1,
        categorical_features="from_dtype",
        max_categories=32,
        clip_scale=3.0,
        n_bins=16,
        numeric_embedding=None,
        n_members=5,
        n_jobs=None,
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
            class_weight=class_weight,
            label_smoothing=label_smoothing,
        )
        self.categorical_features = categorical_features
        self.max_categories = max_categories
        self.clip_scale = clip_scale
        self.n_bins = n_bins
        self.numeric_embedding = numeric_embedding
        self.n_members = n_members
        self.n_jobs = n_jobs

    def _record_out_of_fold(self, output, Y):
        self.oof_decision_function_ = self._probabilities(output)
        self.oof_score_ = self._validation_metric(self._decode(Y), self._decode(output))


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

    members_ : list of TabularMLPRegressor
        The networks the ensemble averages (``n_members > 1`` only): the
        epochs each member picked on the fold it left out, member after
        member, each an estimator of one network that shares
        ``preprocessor_`` and the target scaling.

    member_weights_ : ndarray of shape (n_networks,)
        The weights of the ``n_networks`` networks of ``members_`` in the
        average, which sum to 1: each member's ``1 / n_members``, split
        among its epochs as often as it picked them.

    oof_prediction_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The prediction of each training sample from the member that did not
        train on it (``n_members > 1`` only): out-of-fold predictions, as for
        stacking.

    oof_score_ : float
        The :math:`R^2` of the out-of-fold predictions (``n_members > 1``
        only): a validation score without a second fit. Each prediction is
        one member's, whose epochs the same fold picked: the score can be a
        little above that of new data.

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
    _subclass_fitted_attributes = (
        "preprocessor_", "target_mean_", "target_scale_", "target_range_",
        "members_", "member_weights_", "oof_prediction_", "oof_score_",
    )

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(256, 256, 256),
        activation="mish",
        *,
        solver="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate="coslog4",
        learning_rate_init=0.07,
        power_t=0.5,
        max_iter="auto",
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=True,
        validation_fraction=0.2,
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        n_iter_no_change=np.inf,
        max_fun=15000,
        dropout=0.0,
        early_stopping_metric="loss",
        restore_best_params=False,
        schedule_adam=False,
        weight_decay=0.0,
        scaling_layer=True,
        parametrization="ntk",
        scale_rate_factor=6.0,
        bias_rate_factor=0.1,
        categorical_features="from_dtype",
        max_categories=32,
        clip_scale=3.0,
        n_bins=16,
        numeric_embedding=None,
        n_members=5,
        n_jobs=None,
    ):
        super().__init__(
            loss=loss,
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
        self.categorical_features = categorical_features
        self.max_categories = max_categories
        self.clip_scale = clip_scale
        self.n_bins = n_bins
        self.numeric_embedding = numeric_embedding
        self.n_members = n_members
        self.n_jobs = n_jobs

    def _transform_targets(self, Y, reset):
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
        # In float64, as the targets were standardized; within the range of
        # the training targets.
        output = output.astype(np.float64) * self.target_scale_ + self.target_mean_
        # Plain arrays: an unpickled estimator may hold read-only memmaps.
        low, high = (np.array(b, dtype=float).ravel() for b in self.target_range_)
        return super()._decode(np.clip(output, low, high))

    def _record_out_of_fold(self, output, Y):
        self.oof_prediction_ = self._decode(output)
        self.oof_score_ = self._validation_metric(self._decode(Y), self.oof_prediction_)

    def predict(self, X, return_std=False):
        """Predict with the network, or the weighted mean of the ensemble's.

        Predictions are clipped to the range of the training targets.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input data.

        return_std : bool, default=False
            Also return the standard deviation of the networks' predictions,
            weighted by ``member_weights_`` (``n_members > 1`` only): how much
            they disagree, which is no calibrated interval (see Notes).

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.

        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The weighted standard deviation of the networks' predictions;
            only with ``return_std=True``.
        """
        if not return_std:
            return super().predict(X)
        check_is_fitted(self)
        members = vars(self).get("members_")
        if members is None:
            raise ValueError(
                "return_std=True gives the spread of an ensemble's members; this "
                "estimator was fitted with n_members=1. Fit it with n_members > 1."
            )
        X = self._prediction_input(X)
        outputs = [member._network_output(X) for member in members]
        predictions = [self._decode(output) for output in outputs]
        mean = average(predictions, self.member_weights_)
        variance = average([(p - mean) ** 2 for p in predictions], self.member_weights_)
        return self._decode(average(outputs, self.member_weights_)), np.sqrt(variance)
