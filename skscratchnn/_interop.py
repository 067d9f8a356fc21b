"""Conversion of a fitted estimator to scikit-learn's own MLP.

At prediction time our network is a plain MLP (dropout acts only in training),
so a fitted estimator maps onto a fitted ``MLPClassifier``/``MLPRegressor``
holding copies of its weights; every tool that accepts scikit-learn's MLPs
(inspection, skl2onnx, ...) then accepts ours.
"""

import copy

from sklearn.base import is_classifier
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from ._state import FITTED_ATTRIBUTES, INPUT_ATTRIBUTES, current_theta

# With the weights, only these settings shape predictions; the others act in training.
_PREDICTION_PARAMS = ("activation", "hidden_layer_sizes", "loss")

# Fitted attributes copied as they are (those scikit-learn's MLP has); the
# weights and the label binarizer are set apart.
_COPIED = tuple(
    name for name in (*FITTED_ATTRIBUTES, *INPUT_ATTRIBUTES, "classes_")
    if name not in ("coefs_", "intercepts_", "validation_loss_curve_",
                    "best_validation_loss_")
)


def _rejection(sklearn_class, name, value):
    """Return why ``sklearn_class`` rejects ``name=value``, or None if it takes it."""
    if name not in sklearn_class._get_param_names():
        return f"{sklearn_class.__name__} has no {name!r} parameter"
    try:
        sklearn_class(**{name: value})._validate_params()
    except InvalidParameterError as error:
        return str(error)
    return None


def to_sklearn(estimator):
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
    check_is_fitted(estimator)
    current_theta(estimator)  # weights assigned since fit decide the layers
    sklearn_class = MLPClassifier if is_classifier(estimator) else MLPRegressor
    network = estimator._network
    # The network as fitted, not parameters changed since, decides predictions.
    params = {
        **estimator.get_params(deep=False),
        "activation": network.activation,
        "hidden_layer_sizes": network.layout.layer_units[1:-1],
    }
    defaults = type(estimator)().get_params(deep=False)
    kept = {}
    for name, value in params.items():
        rejection = _rejection(sklearn_class, name, value)
        if rejection is None:
            kept[name] = value
        elif name in _PREDICTION_PARAMS and value != defaults[name]:
            raise ValueError(
                f"{name}={value!r} has no scikit-learn equivalent: "
                f"{rejection.rstrip('.')}."
            )
    converted = sklearn_class(**kept)

    coefs = [c.copy() for c in estimator.coefs_]
    intercepts = [b.copy() for b in estimator.intercepts_]
    converted.coefs_, converted.intercepts_ = coefs, intercepts
    for name in _COPIED:
        if hasattr(estimator, name):
            setattr(converted, name, copy.deepcopy(getattr(estimator, name)))
    if hasattr(estimator, "_label_binarizer"):
        converted._label_binarizer = copy.deepcopy(estimator._label_binarizer)

    # What scikit-learn's warm_start and partial_fit read to go on training.
    converted._best_coefs = [c.copy() for c in coefs]
    converted._best_intercepts = [b.copy() for b in intercepts]
    if hasattr(estimator, "_no_improvement_count"):
        converted._no_improvement_count = estimator._no_improvement_count
    return converted
