"""The estimator layer shared by the classifier and the regressor.

It owns parameter validation, data validation and the fit bookkeeping; the
maths lives in ``_network`` and the loops in ``_solvers``.
"""

import copy
import inspect
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._activations import ACTIVATIONS
from ._callbacks import CallbackSupportMixin, FitHooks, with_callbacks
from ._interop import to_sklearn
from ._network import (
    DropoutKeys,
    Network,
    Workspace,
    loss_and_grad,
    predict_and_loss,
    predict_raw,
)
from ._optimizers import LR_SCHEDULES, AdamOptimizer, SGDOptimizer
from ._params import ParamLayout
from ._solvers import TrainingState, run_lbfgs, run_stochastic
from ._validation import validate_named

STOCHASTIC_SOLVERS = ("sgd", "adam")
SOLVERS = (*STOCHASTIC_SOLVERS, "lbfgs")


@contextmanager
def _restored_on_error(estimator):
    """Put back the estimator's attributes if the block raises.

    Fitting only rebinds attributes (``theta`` is trained on a copy), so a
    shallow copy of ``__dict__`` is a complete snapshot.
    """
    snapshot = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(snapshot)
        raise


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
        "max_iter": [Interval(Integral, 1, None, closed="left")],
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
    }

    def __init__(
        self,
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

    # -- subclass hooks -------------------------------------------------------

    @abstractmethod
    def _validate_data_and_targets(self, X, y, reset, incremental):
        """Validate ``X, y``; return ``X``, 2-D float targets, the output activation."""

    @abstractmethod
    def _decode(self, output):
        """Turn the network output into predictions."""

    @abstractmethod
    def _validation_labels(self, y_rows):
        """Return the targets that the validation score compares predictions to."""

    @abstractmethod
    def _stratification(self, Y):
        """Return labels to stratify the early-stopping split on, or None."""

    @staticmethod
    @abstractmethod
    def _validation_metric(y_true, y_pred, sample_weight=None):
        """Score predictions on the early-stopping validation set."""

    def _weigh_classes(self, Y, sample_weight):
        """Return ``sample_weight`` times the class weights of the rows of ``Y``."""
        return sample_weight

    # -- weights as per-layer views into the flat vector ----------------------

    @property
    def coefs_(self):
        if not hasattr(self, "_theta"):
            raise AttributeError("coefs_ is set by fit or by assignment")
        return self._layout.unpack(self._theta)[0]

    @coefs_.setter
    def coefs_(self, coefs):
        coefs = [np.asarray(c) for c in coefs]
        units = [c.shape[0] for c in coefs[:1]] + [c.shape[1] for c in coefs]
        layout = ParamLayout(units)
        if getattr(self, "_layout", None) == layout:
            intercepts = self.intercepts_
        else:
            intercepts = [np.zeros(n) for n in units[1:]]
        if hasattr(self, "_theta"):
            dtype = self._theta.dtype
        else:
            dtype = np.result_type(coefs[0].dtype, np.float32)
        self._layout = layout
        self._theta = layout.pack(coefs, intercepts, dtype)

    @property
    def intercepts_(self):
        if not hasattr(self, "_theta"):
            raise AttributeError("intercepts_ is set by fit or by assignment")
        return self._layout.unpack(self._theta)[1]

    @intercepts_.setter
    def intercepts_(self, intercepts):
        intercepts = [np.asarray(b) for b in intercepts]
        if not hasattr(self, "_theta") or [b.shape for b in intercepts] != [
            b.shape for b in self.intercepts_
        ]:
            raise ValueError(
                "intercepts_ must match the shapes of coefs_: assign coefs_ first, "
                "then one bias vector of length coefs_[i].shape[1] per layer."
            )
        for view, value in zip(self.intercepts_, intercepts):
            view[...] = value

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

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if any(size <= 0 for size in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return sizes

    def _dropout_rates(self, n_hidden):
        rates = np.atleast_1d(np.asarray(self.dropout, dtype=float))
        if rates.ndim != 1 or (rates.size != 1 and rates.size != n_hidden):
            raise ValueError(
                f"dropout must be a float or have one rate per hidden layer "
                f"({n_hidden}), got {self.dropout!r}."
            )
        if not np.all((rates >= 0) & (rates < 1)):
            raise ValueError(f"dropout rates must be in [0, 1), got {self.dropout!r}.")
        rates = np.broadcast_to(rates, n_hidden)
        if self.solver == "lbfgs" and np.any(rates > 0):
            raise ValueError(
                f"dropout={self.dropout!r} makes the objective random, which "
                "solver='lbfgs' cannot minimize: use solver='adam' or 'sgd', or "
                "dropout=0."
            )
        return tuple(float(rate) for rate in rates)

    def _fit(self, X, y, sample_weight, incremental, validation_data=(None,) * 3):
        # Opened outside the rollback, so that a failed fit still tears down.
        hooks = None
        if not incremental:
            hooks = FitHooks.start(self, X, y, sample_weight, self.max_iter)
        # Overflow surfaces as a non-finite loss or weights, which raise.
        with _restored_on_error(self), np.errstate(over="ignore", invalid="ignore"):
            self._fit_unguarded(
                X, y, sample_weight, incremental, validation_data, hooks
            )
        if hooks is not None:
            hooks.fit_ends()
        return self

    def _fit_unguarded(self, X, y, sample_weight, incremental, validation_data, hooks):
        continuing = incremental or self.warm_start
        reset = not (continuing and hasattr(self, "n_iter_"))
        hidden = self._hidden_layer_sizes()
        dropout = self._dropout_rates(len(hidden))
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")

        X, Y, out_activation = self._validate_data_and_targets(X, y, reset, incremental)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError(
                    "Sample weights must contain at least one non-zero number."
                )
        sample_weight = self._weigh_classes(Y, sample_weight)
        validation = self._check_validation_data(*validation_data, X.dtype, Y.shape[1])
        layout = ParamLayout([X.shape[1], *hidden, Y.shape[1]])
        network = Network(layout, self.activation, out_activation, self.alpha, dropout)
        rng = check_random_state(self.random_state)
        if hooks is not None:
            hooks.fitted_attributes = partial(self._fitted_attributes, network=network)

        if continuing and hasattr(self, "_theta"):
            if self._layout != layout:
                raise ValueError(
                    f"The network has layer sizes {self._layout.layer_units}, but the "
                    f"data and hidden_layer_sizes need {layout.layer_units}."
                )
            theta = self._theta.astype(X.dtype, copy=True)
        else:
            theta = layout.init(rng, self.activation, X.dtype)

        if self.solver == "lbfgs":
            work = Workspace(network, X.shape[0], X.dtype)
            n_iter, loss = run_lbfgs(
                lambda th: loss_and_grad(th, X, Y, sample_weight, network, work),
                theta,
                max_iter=self.max_iter,
                max_fun=self.max_fun,
                tol=self.tol,
                hooks=hooks,
                verbose=self.verbose,
            )
            self._check_finite(theta)
            self.t_ = 0
            # A later warm start must not resume a stochastic run from before.
            self.__dict__.pop("_optimizer", None)
            self.__dict__.pop("_state", None)
        else:
            state = self._fit_stochastic(
                theta, X, Y, sample_weight, network, rng, incremental, reset,
                validation, hooks,
            )
            self._check_finite(theta)
            self._state = state
            n_iter, loss, self.t_ = state.n_iter, state.loss, state.t
            self.loss_curve_ = list(state.loss_curve)
            self.best_loss_ = None if self.early_stopping else state.best_loss
            validated = state.validation_scores is not None
            self.validation_scores_ = self.validation_loss_curve_ = None
            self.best_validation_score_ = self.best_validation_loss_ = None
            if validated:
                self.validation_scores_ = list(state.validation_scores)
                self.validation_loss_curve_ = list(state.validation_losses)
                self.best_validation_score_ = state.best_validation_score
                self.best_validation_loss_ = state.best_validation_loss

        fitted = self._fitted_attributes(theta, n_iter, loss, network=network)
        for name, value in fitted.items():
            setattr(self, name, value)

    def _fit_stochastic(
        self, theta, X, Y, sample_weight, network, rng, incremental, reset, validation,
        hooks,
    ):
        dropout_keys = None
        if network.has_dropout:
            dropout_keys = DropoutKeys.draw(rng, network, X.dtype)

        n_samples = X.shape[0]
        rows = None
        if self.early_stopping and validation is None:
            rows, val_rows = train_test_split(
                np.arange(n_samples),
                test_size=self.validation_fraction,
                random_state=rng,
                stratify=self._stratification(Y),
            )
            if len(val_rows) < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            sw_val = None if sample_weight is None else sample_weight[val_rows]
            validation = X[val_rows], Y[val_rows], sw_val
            n_samples = len(rows)

        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. "
                    "It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        optimizer = self._continued_optimizer(theta.size, X.dtype, incremental, reset)
        if reset or not hasattr(self, "_state"):
            state = TrainingState()
        else:
            state = copy.deepcopy(self._state)
        state.n_iter = 0

        work = Workspace(network, batch_size, X.dtype)

        def objective(theta, Xb, Yb, swb, step):
            return loss_and_grad(theta, Xb, Yb, swb, network, work, step, dropout_keys)

        run_stochastic(
            objective,
            theta,
            X,
            Y,
            sample_weight,
            optimizer,
            state,
            rows=rows,
            batch_size=batch_size,
            max_iter=self.max_iter,
            shuffle=self.shuffle,
            rng=rng,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            incremental=incremental,
            validation=None if validation is None else self._validation(
                network, *validation
            ),
            early_stopping=self.early_stopping,
            metric=self.early_stopping_metric,
            keep_best=self.restore_best_params and not incremental,
            hooks=hooks,
            verbose=self.verbose,
        )
        self._optimizer = optimizer
        return state

    def _continued_optimizer(self, n_params, dtype, incremental, reset):
        """Return the optimizer to train with, carrying on the previous one's state.

        ``partial_fit`` goes on with the previous optimizer as it was; a warm
        start takes only its moment estimates into a new one built from the
        current parameters, so the learning rate and its schedule start again.
        """
        previous = None if reset else getattr(self, "_optimizer", None)
        solver_class = SGDOptimizer if self.solver == "sgd" else AdamOptimizer
        if not isinstance(previous, solver_class):
            return self._new_optimizer(n_params, dtype)
        if incremental:
            return copy.deepcopy(previous)
        optimizer = self._new_optimizer(n_params, dtype)
        optimizer.resume(previous)
        return optimizer

    def _new_optimizer(self, n_params, dtype):
        if self.solver == "sgd":
            return SGDOptimizer(
                n_params,
                dtype,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
                n_epochs=self.max_iter,
            )
        # scikit-learn's Adam ignores learning_rate; 'cosine' and schedule_adam
        # are new, so applying them changes no scikit-learn configuration.
        schedule = "constant"
        if self.schedule_adam or self.learning_rate == "cosine":
            schedule = self.learning_rate
        return AdamOptimizer(
            n_params,
            dtype,
            self.learning_rate_init,
            self.beta_1,
            self.beta_2,
            self.epsilon,
            lr_schedule=schedule,
            power_t=self.power_t,
            n_epochs=self.max_iter,
        )

    def _check_validation_data(self, X_val, y_val, sample_weight_val, dtype, n_outputs):
        """Validate the validation data passed to fit; return them, or None."""
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val is given without X_val and y_val.")
            return None
        if X_val is None or y_val is None:
            given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
            raise ValueError(f"{given} is given but {missing} is not: pass both.")
        if self.solver not in STOCHASTIC_SOLVERS:
            raise ValueError(
                f"X_val and y_val are used by the stochastic solvers "
                f"{STOCHASTIC_SOLVERS} only, not by solver={self.solver!r}."
            )
        try:
            X_val, Y_val, _ = self._validate_data_and_targets(
                X_val, y_val, reset=False, incremental=True
            )
        except ValueError as error:
            raise ValueError(f"Invalid X_val, y_val: {error}") from error
        if Y_val.shape[1] != n_outputs:
            raise ValueError(
                f"y_val has {Y_val.shape[1]} outputs where y has {n_outputs}."
            )
        if sample_weight_val is not None:
            sample_weight_val = _check_sample_weight(
                sample_weight_val, X_val, dtype=dtype, ensure_non_negative=True
            )
        Y_val = Y_val.astype(dtype, copy=False)
        sample_weight_val = self._weigh_classes(Y_val, sample_weight_val)
        return X_val.astype(dtype, copy=False), Y_val, sample_weight_val

    def _validation(self, network, X_val, Y_val, sw_val):
        """Return ``validation(theta) -> (score, loss)`` on the given data."""
        labels = self._validation_labels(Y_val)

        def validation(theta):
            output, loss = predict_and_loss(theta, X_val, Y_val, sw_val, network)
            if not np.isfinite(output).all():
                return np.nan, loss
            score = self._validation_metric(
                labels, self._decode(output), sample_weight=sw_val
            )
            return score, loss

        return validation

    def _fitted_attributes(self, theta, n_iter, loss, *, network):
        """Return what makes a copy of this estimator predict with ``theta``."""
        return {
            "_theta": theta,
            "_layout": network.layout,
            "_network": network,
            "n_layers_": len(network.layout.layer_units),
            "n_outputs_": network.layout.layer_units[-1],
            "out_activation_": network.out_activation,
            "n_iter_": n_iter,
            "loss_": loss,
        }

    @staticmethod
    def _check_finite(theta):
        if not np.isfinite(theta).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may "
                "contain large values and need to be preprocessed, or the learning "
                "rate may be too large."
            )

    # -- prediction ------------------------------------------------------------

    def _forward(self, X):
        """Validate ``X`` and return the network output for it."""
        check_is_fitted(self)
        X = validate_named(
            self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32),
            reset=False,
        )
        theta = self._theta.astype(X.dtype, copy=False)
        return predict_raw(theta, X, self._network)

    def to_sklearn(self):
        """Return an equivalent fitted scikit-learn MLP.

        The result is a :class:`~sklearn.neural_network.MLPClassifier` or
        :class:`~sklearn.neural_network.MLPRegressor` with the same parameters
        (where scikit-learn takes them), copies of ``coefs_`` and ``intercepts_``,
        and the fitted attributes that its ``predict``, ``predict_proba``,
        ``score``, ``partial_fit`` and tools such as skl2onnx read.

        Returns
        -------
        estimator : MLPClassifier or MLPRegressor
            A fitted scikit-learn estimator that predicts as this one does.

        Raises
        ------
        ValueError
            If a setting that shapes predictions has no scikit-learn
            equivalent: an ``activation`` outside 'identity', 'logistic',
            'tanh' and 'relu', or a ``loss`` that the installed scikit-learn's
            MLP lacks.

        Notes
        -----
        Settings that act only in training do not prevent conversion: those
        scikit-learn lacks (``dropout`` among them) or whose value it rejects
        get its defaults, which matter only if the result is trained further.
        Such training goes on with a fresh optimizer state.
        The Poisson output clips its log-prediction before ``exp``
        (at 300 in float64, 40 in float32) where scikit-learn's does not, so
        the two differ where the log-prediction passes that bound.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from skscratchnn import ScratchMLPClassifier
        >>> X, y = make_classification(n_samples=100, random_state=0)
        >>> clf = ScratchMLPClassifier(dropout=0.2, random_state=0)
        >>> sk_clf = clf.fit(X, y).to_sklearn()
        >>> sk_clf
        MLPClassifier(random_state=0)
        >>> bool((sk_clf.predict(X) == clf.predict(X)).all())
        True
        """
        return to_sklearn(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def base_signature_with(*, leading=None, trailing=None):
    """Return ``BaseScratchMLP.__init__``'s signature with parameters added.

    The subclasses' ``__init__`` take their own parameters and forward the rest
    as ``**kwargs``; scikit-learn reads parameters from the signature, so it is
    set to the full list.

    Parameters
    ----------
    leading : inspect.Parameter, default=None
        Inserted first, right after ``self``.
    trailing : inspect.Parameter, default=None
        Appended last.
    """
    signature = inspect.signature(BaseScratchMLP.__init__)
    self_parameter, *parameters = signature.parameters.values()
    if leading is not None:
        parameters.insert(0, leading)
    if trailing is not None:
        parameters.append(trailing)
    return signature.replace(parameters=[self_parameter, *parameters])
