"""The estimator layer shared by the classifier and the regressor.

A fit reads validate -> build the network and ``theta`` -> train -> record the
fitted attributes (``_fit``). The maths lives in ``_network``, training in ``_solvers``,
early stopping in ``_early_stopping`` and the fitted state in ``_state``.
"""

from abc import ABCMeta, abstractmethod
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._activations import ACTIVATIONS
from ._callbacks import NO_HOOKS, CallbackSupportMixin, FitHooks, with_callbacks
from ._early_stopping import NON_FINITE_WEIGHTS
from ._embeddings import N_OUTPUTS as N_EMBEDDING_OUTPUTS
from ._input_checks import (
    check_dropout,
    check_hidden_layer_sizes,
    check_validation_data,
    check_weights,
    validate_named,
)
from ._interop import to_sklearn as _to_sklearn
from ._network import Network, predict_and_loss, predict_raw
from ._optimizers import LR_SCHEDULES
from ._params import ParamLayout
from ._solvers import (
    SOLVERS,
    STOCHASTIC_SOLVERS,
    StochasticConfig,
    TrainingData,
    TrainingState,
    epoch_limits,
    train_lbfgs,
    train_stochastic,
)
from ._state import (
    clear_fit_state,
    current_theta,
    forget_training,
    network_attributes,
    record_training,
    restore_views,
    restored_on_error,
    training_state,
    without_views,
)


class BaseScratchMLP(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the MLP estimators; use the subclasses."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions(set(SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(set(LR_SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "early_stopping_metric": [StrOptions({"score", "loss"})],
        "restore_best_params": ["boolean"],
        "schedule_adam": ["boolean"],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "scaling_layer": ["boolean"],
        "parametrization": [StrOptions({"standard", "ntk"})],
        "scale_rate_factor": [Interval(Real, 0, None, closed="neither")],
        "bias_rate_factor": [Interval(Real, 0, None, closed="neither")],
    }

    # Fitted attributes of a subclass beyond the shared ones.
    _subclass_fitted_attributes = ()
    # What batch_size='auto' means: min(_auto_batch_size, n_samples).
    _auto_batch_size = 200
    # Whether an epoch splits into batches of equal size rather than
    # batch_size rows and the rest (scikit-learn's; see batch_bounds).
    _even_batches = False

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        dropout,
        early_stopping_metric,
        restore_best_params,
        schedule_adam,
        weight_decay,
        scaling_layer,
        parametrization,
        scale_rate_factor,
        bias_rate_factor,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.early_stopping_metric = early_stopping_metric
        self.restore_best_params = restore_best_params
        self.schedule_adam = schedule_adam
        self.weight_decay = weight_decay
        self.scaling_layer = scaling_layer
        self.parametrization = parametrization
        self.scale_rate_factor = scale_rate_factor
        self.bias_rate_factor = bias_rate_factor

    # -- subclass hooks -------------------------------------------------------

    def _training_input(self, X, *, reset):
        """Validate ``X`` as passed to fit; return what the network trains on.

        With ``reset`` it sets ``n_features_in_`` (and ``feature_names_in_``)
        from ``X``; otherwise it checks ``X`` against them. The training twin
        of :meth:`_prediction_input`.
        """
        return validate_named(
            self, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=reset
        )

    def _network_dtype(self, X):
        """Return the dtype the network trains in: that of its input ``X``."""
        return X.dtype

    def _input_encoding(self, X):
        """Return the network's fixed first map of ``X``, the width it gives,
        and how many of its first columns the network embeds.

        The map (see :class:`Network`) runs on each batch; None gives ``X``
        to the network as it is.
        """
        return None, X.shape[1], 0

    @abstractmethod
    def _encode_targets(self, y, X, *, reset, incremental, classes=None):
        """Validate ``y`` for the rows of ``X``; return 2-D numeric targets
        (cast once, to the network's dtype, by the caller) and the output
        activation."""

    @abstractmethod
    def _decode(self, output):
        """Turn the network output into predictions."""

    @staticmethod
    @abstractmethod
    def _validation_metric(y_true, y_pred, sample_weight=None):
        """Score predictions on the validation data."""

    def _weigh_classes(self, Y, sample_weight):
        """Return ``sample_weight`` times the class weights of the rows of ``Y``."""
        return sample_weight

    def _training_targets(self, Y):
        """Return the targets training fits (label smoothing changes them)."""
        return Y

    # -- fitting ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    @with_callbacks
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):
        """Fit the model to data matrix X and target(s) y.

        Callbacks set with ``set_callbacks`` (scikit-learn 1.9 and later) are
        called at the start and end of the fit and of each epoch (each
        iteration of 'lbfgs'); one returning True at the end of an epoch stops
        training there.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights; a weight of 2 counts a sample twice.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
default=None
            Validation data of your own, used instead of a split of ``X``
            (``validation_fraction`` is then ignored). Each epoch records its
            score in ``validation_scores_`` and its loss in
            ``validation_loss_curve_``; with ``early_stopping=True`` they decide
            when to stop, otherwise they are only recorded (and guide
            ``restore_best_params``). Stochastic solvers only. In a
            :class:`~sklearn.pipeline.Pipeline`, request it with
            ``set_fit_request(X_val=True, y_val=True)`` and transform it like
            ``X`` with ``Pipeline(..., transform_input=["X_val"])``.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            The targets of ``X_val``; required with it.

        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(
            X, y, sample_weight, incremental=False,
            validation_data=(X_val, y_val, sample_weight_val),
        )

    def _check_partial_fit(self):
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers "
                f"{STOCHASTIC_SOLVERS}; solver={self.solver!r} is not stochastic."
            )
        return True

    def _fit(self, X, y, sample_weight, *, incremental, classes=None,
             validation_data=(None, None, None)):
        # Opened outside the rollback, so that a failed fit still tears down.
        # Callbacks see X as passed; max_iter='auto' is known with the data.
        hooks = NO_HOOKS
        if not incremental:
            max_epochs = None if self.max_iter == "auto" else self.max_iter
            hooks = FitHooks.start(self, X, y, sample_weight, max_epochs)
        # Overflow surfaces as a non-finite loss or weights, which raise.
        with restored_on_error(self), np.errstate(over="ignore", invalid="ignore"):
            resume = "coefs_" in vars(self) and (incremental or self.warm_start)
            if not resume:
                clear_fit_state(self, self._subclass_fitted_attributes)
            data, out_activation = self._validated_data(
                X, y, sample_weight, validation_data, resume, incremental, classes
            )
            rng = check_random_state(self.random_state)
            self._fit_network(
                data, out_activation, rng,
                resume=resume, incremental=incremental, hooks=hooks,
            )
        hooks.fit_ends()
        return self

    def _fit_network(self, data, out_activation, rng, *, resume, incremental, hooks,
                     auto_share=1):
        """Build the network, train it on validated ``data`` and record it.

        ``max_iter='auto'`` trains ``auto_share`` of its epochs and steps.
        """
        network, theta = self._build(data, out_activation, resume, rng)
        hooks.set_fitted_attributes(lambda theta, n_iter, loss: {
            **network_attributes(*network.for_prediction(theta)),
            "n_iter_": n_iter, "loss_": loss,
        })
        optimizer, state = self._train(
            network, theta, data, rng, resume, incremental, hooks, auto_share
        )
        self._record(network, theta, optimizer, state)

    def _validated_data(self, X, y, sample_weight, validation_data, resume,
                        incremental, classes):
        """Check the inputs of a fit; return them as TrainingData and the output."""
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        X = self._training_input(X, reset=not resume)
        Y, out_activation = self._encode_targets(
            y, X, reset=not resume, incremental=incremental, classes=classes
        )
        dtype = self._network_dtype(X)
        Y = Y.astype(dtype, copy=False)
        if sample_weight is not None:
            sample_weight = check_weights(sample_weight, X, dtype)
            if not sample_weight.sum() > 0:
                raise ValueError(
                    "Sample weights must contain at least one non-zero number."
                )
        sample_weight = self._weigh_classes(Y, sample_weight)
        # scikit-learn stratifies the early-stopping split of binary targets only,
        # on their one boolean column, so its error names the class 'True'.
        stratify = Y.astype(bool) if is_classifier(self) and Y.shape[1] == 1 else None
        data = TrainingData(
            X, self._training_targets(Y), sample_weight,
            check_validation_data(self, validation_data, X.dtype, dtype, Y.shape[1]),
            stratify,
        )
        return data, out_activation

    def _build(self, data, out_activation, resume, rng):
        """Return the network to train and its starting parameters ``theta``."""
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        encode, n_features, n_embedded = self._input_encoding(data.X)
        layout = ParamLayout(
            [n_features + N_EMBEDDING_OUTPUTS * n_embedded, *hidden, data.Y.shape[1]],
            input_scaling=self.scaling_layer, n_embedded=n_embedded,
        )
        network = Network(
            layout, self.activation, out_activation, self.alpha,
            check_dropout(self.dropout, len(hidden), self.solver), encode,
        )
        dtype = data.dtype
        if not resume:
            if self.parametrization == "ntk":
                return network, layout.init_ntk(rng, dtype)
            return network, layout.init(rng, self.activation, dtype)
        theta = current_theta(self)
        if self._layout.layer_units != layout.layer_units:
            raise ValueError(
                f"The network has layer sizes {self._layout.layer_units}, but the "
                f"data and hidden_layer_sizes need {layout.layer_units}."
            )
        if layout.input_scaling:  # fitted networks hold their scales folded in
            theta = self._layout.with_input_scaling(theta)[1]
        return network, theta.astype(dtype, copy=True)

    def _train(self, network, theta, data, rng, resume, incremental, hooks,
               auto_share):
        """Train ``theta`` in place; return the optimizer and the training record.

        L-BFGS has no optimizer to keep, and records only iterations and loss.
        """
        if self.solver == "lbfgs":
            n_iter, loss = train_lbfgs(
                theta, network, data,
                max_iter=epoch_limits(self.max_iter, auto_share)[0],
                max_fun=self.max_fun, tol=self.tol, verbose=self.verbose, hooks=hooks,
            )
            return None, TrainingState(n_iter=n_iter, loss=loss)
        previous = None
        if resume:
            previous = vars(self).get("_optimizer"), training_state(self)
        layout = network.layout
        config = StochasticConfig.from_params(
            self.get_params(deep=False),
            auto_batch_size=self._auto_batch_size,
            even_batches=self._even_batches,
            auto_share=auto_share,
            rate_factors=layout.rate_factors(
                data.dtype, ntk=self.parametrization == "ntk",
                bias_factor=self.bias_rate_factor, scale_factor=self.scale_rate_factor,
            ),
            n_decayed=layout.n_coefs,
        )
        return train_stochastic(
            theta, network, data, config, rng=rng, previous=previous,
            scorer=self._validation_scorer, hooks=hooks, incremental=incremental,
        )

    def _record(self, network, theta, optimizer, state):
        """Set the fitted attributes from the trained ``theta`` and the record."""
        _check_finite(theta)
        vars(self).update(network_attributes(*network.for_prediction(theta)))
        if optimizer is None:
            # L-BFGS keeps no record of epochs: drop a stochastic fit's.
            forget_training(self)
            self.n_iter_, self.loss_, self.t_ = state.n_iter, state.loss, 0
        else:
            record_training(self, state, self.early_stopping)
            self._optimizer = optimizer

    def _validation_scorer(self, network, X_val, Y_val, sw_val):
        """Return ``validation(theta) -> (score, loss)`` on the given data."""
        labels = self._decode(Y_val)

        def validation(theta):
            output, loss = predict_and_loss(theta, X_val, Y_val, sw_val, network)
            if not np.isfinite(output).all():
                return np.nan, loss
            score = self._validation_metric(
                labels, self._decode(output), sample_weight=sw_val
            )
            return score, loss

        return validation

    # -- prediction ------------------------------------------------------------

    def _forward(self, X):
        """Validate ``X`` and return the network output for it."""
        check_is_fitted(self)
        return self._network_output(self._prediction_input(X))

    def _network_output(self, X):
        """Return the network output for ``X`` as the network takes it.

        It is computed in the precision of the weights or of ``X``, whichever
        is higher, from the weights that ``coefs_`` and ``intercepts_`` hold.
        """
        theta = current_theta(self)
        dtype = np.result_type(theta.dtype, X.dtype)
        network = replace(
            self._network, layout=self._layout, out_activation=self.out_activation_
        )
        return predict_raw(
            theta.astype(dtype, copy=False), X.astype(dtype, copy=False), network
        )

    def _prediction_input(self, X):
        """Check ``X`` against the data seen in fit; return what the network takes."""
        return validate_named(
            self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32),
            reset=False,
        )

    def predict(self, X):
        """Predict with the multi-layer perceptron.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted classes (classifier) or values (regressor).
        """
        return self._decode(self._forward(X))

    def to_sklearn(self):
        return _to_sklearn(self)

    to_sklearn.__doc__ = _to_sklearn.__doc__

    # -- persistence: the views into theta are rebuilt, not pickled -------------

    def __getstate__(self):
        return without_views(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(state)
        restore_views(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _check_finite(theta):
    if not np.isfinite(theta).all():
        raise ValueError(
            f"{NON_FINITE_WEIGHTS} Lowering learning_rate_init may help too."
        )
