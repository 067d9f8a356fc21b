"""Input checks whose errors say which input is at fault.

scikit-learn's ``validate_data`` names the array in most of its messages
("Input X contains NaN") but not in all: "Found array with dim 3", the
sample-count mismatch of ``X`` and ``y`` and NumPy's "could not convert string
to float" leave the user to guess. ``validate_named`` adds the name there.
The other checks here (sample weights, validation data, layer sizes, dropout
rates) name the argument at fault in the same way.
"""

import re
from numbers import Integral

import numpy as np
from sklearn.utils.validation import (
    _check_sample_weight,
    _check_y,
    check_array,
    check_consistent_length,
    validate_data,
)

from ._early_stopping import check_validation_size
from ._solvers import STOCHASTIC_SOLVERS


def validate_named(estimator, X, y="no_validation", **check_params):
    """Validate ``X`` (and ``y``) with ``validate_data``, naming the culprit.

    Parameters
    ----------
    estimator : estimator instance
    X : array-like or sparse matrix
    y : array-like or "no_validation", default="no_validation"
    **check_params
        Passed to :func:`sklearn.utils.validation.validate_data`.

    Returns
    -------
    The return value of ``validate_data``.

    Raises
    ------
    ValueError
        As ``validate_data`` does, with the name of the offending input added
        to the message where it was missing.
    """
    try:
        return validate_data(estimator, X, y, **check_params)
    except ValueError as error:
        message = str(error)
        if re.search(r"\b(X|y)\b", message):
            raise
        if isinstance(y, str) and y == "no_validation":
            raise ValueError(f"X is invalid: {message}") from error
        culprit = _culprit(X, y, check_params)
        if culprit is None:
            raise ValueError(f"X and y do not match: {message}") from error
        raise ValueError(f"{culprit} is invalid: {message}") from error


def check_targets(estimator, y, X, *, numeric):
    """Validate ``y`` for the rows of ``X`` as ``validate_data`` would, naming ``y``.

    ``X`` is already validated (the network's input): checking ``y`` apart
    lets an estimator transform ``X`` first.
    """
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y "
            "is None."
        )
    y = _check_y(y, multi_output=True, y_numeric=numeric, estimator=estimator)
    try:
        check_consistent_length(X, y)
    except ValueError as error:
        raise ValueError(f"X and y do not match: {error}") from error
    return y


def check_weights(sample_weight, X, dtype, name="sample_weight"):
    """Check non-negative sample weights for ``X``; errors name the argument.

    scikit-learn's ``_check_sample_weight`` calls every weight vector
    'sample_weight'; ``name`` puts the argument the user passed instead.
    """
    try:
        return _check_sample_weight(
            sample_weight, X, dtype=dtype, ensure_non_negative=True
        )
    except ValueError as error:
        if name == "sample_weight":
            raise
        raise ValueError(str(error).replace("sample_weight", name)) from error


def _culprit(X, y, check_params):
    """Return "X" or "y", whichever fails validation on its own, else None."""
    checks = [("X", X, {"accept_sparse": check_params.get("accept_sparse", False)})]
    if not (isinstance(y, str) and y == "no_validation"):
        numeric = check_params.get("y_numeric", False)
        checks.append(
            ("y", y, {"ensure_2d": False, "dtype": "numeric" if numeric else None})
        )
    for name, array, params in checks:
        try:
            check_array(array, **params)
        except (ValueError, TypeError):
            return name
    return None


def check_hidden_layer_sizes(hidden_layer_sizes):
    """Return ``hidden_layer_sizes`` as a list of positive ints, or raise."""
    sizes = hidden_layer_sizes
    sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
    # Refused rather than truncated: (0.5,) would train a layer of no units.
    if not all(isinstance(n, Integral) and not isinstance(n, bool) for n in sizes):
        raise ValueError(
            "hidden_layer_sizes must hold integers (units per hidden layer), got "
            f"{hidden_layer_sizes!r}."
        )
    if any(size <= 0 for size in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return [int(size) for size in sizes]


def check_dropout(dropout, n_hidden, solver):
    """Return one dropout rate per hidden layer, or raise naming the problem."""
    rates = np.atleast_1d(np.asarray(dropout, dtype=float))
    if rates.ndim != 1 or (rates.size != 1 and rates.size != n_hidden):
        raise ValueError(
            f"dropout must be a float or have one rate per hidden layer "
            f"({n_hidden}), got {dropout!r}."
        )
    if not np.all((rates >= 0) & (rates < 1)):
        raise ValueError(f"dropout rates must be in [0, 1), got {dropout!r}.")
    rates = np.broadcast_to(rates, n_hidden)
    if solver == "lbfgs" and np.any(rates > 0):
        raise ValueError(
            f"dropout={dropout!r} makes the objective random, which "
            "solver='lbfgs' cannot minimize: use solver='adam' or 'sgd', or "
            "dropout=0."
        )
    return tuple(float(rate) for rate in rates)


def check_validation_data(estimator, validation_data, input_dtype, dtype, n_outputs):
    """Check the ``X_val, y_val, sample_weight_val`` of fit; return them or None.

    They are validated and encoded by ``estimator``'s own hooks, as ``X, y``
    are, and weighted by its class weights; ``X_val`` is returned in the
    training input's ``input_dtype``, the rest in the network's ``dtype``.
    """
    X_val, y_val, sample_weight_val = validation_data
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val is given without X_val and y_val.")
        return None
    if X_val is None or y_val is None:
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(f"{given} is given but {missing} is not: pass both.")
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise ValueError(
            f"X_val and y_val are used by the stochastic solvers "
            f"{STOCHASTIC_SOLVERS} only, not by solver={estimator.solver!r}."
        )
    try:
        X_val = estimator._training_input(X_val, reset=False)
    except (TypeError, ValueError) as error:
        # Its message speaks of X: say that X_val is meant.
        raise type(error)(f"Invalid X_val: {error}") from error
    try:
        Y_val, _ = estimator._encode_targets(
            y_val, X_val, reset=False, incremental=True
        )
    except ValueError as error:
        raise ValueError(f"Invalid X_val, y_val: {error}") from error
    check_validation_size(X_val.shape[0])
    if Y_val.shape[1] != n_outputs:
        raise ValueError(
            f"y_val has {Y_val.shape[1]} outputs where y has {n_outputs}."
        )
    if sample_weight_val is not None:
        sample_weight_val = check_weights(
            sample_weight_val, X_val, dtype, name="sample_weight_val"
        )
    Y_val = Y_val.astype(dtype, copy=False)
    sample_weight_val = estimator._weigh_classes(Y_val, sample_weight_val)
    return X_val.astype(input_dtype, copy=False), Y_val, sample_weight_val
