"""Input checks whose errors say which input is at fault.

scikit-learn's ``validate_data`` names the array in most of its messages
("Input X contains NaN") but not in all: "Found array with dim 3", the
sample-count mismatch of ``X`` and ``y`` and NumPy's "could not convert string
to float" leave the user to guess. ``validate_named`` adds the name there.
"""

import re

from sklearn.utils.validation import _check_sample_weight, check_array, validate_data


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
