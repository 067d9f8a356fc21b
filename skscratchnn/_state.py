"""The fitted state of an estimator: what a fit writes, in one list, and the
weights as scikit-learn users see them.

``coefs_`` and ``intercepts_`` are plain lists, as in scikit-learn, whose
arrays start as views into the flat parameter vector ``_theta``: writing into
them reaches the network directly. A user may also assign new lists or replace
elements; :func:`current_theta` brings whatever the lists hold back into
``_theta`` (rebuilding its layout) whenever prediction or training starts.
"""

from contextlib import contextmanager
from dataclasses import fields

import numpy as np

from ._network import Network
from ._params import ParamLayout
from ._solvers import TrainingState

# TrainingState field -> (fitted attribute, the value that stands for the
# attribute's None, or None if it is never None).
_RECORD = {
    f.name: (f.metadata["attribute"], f.metadata["none_value"])
    for f in fields(TrainingState)
}
# Public fitted attributes written by fit and partial_fit (the input checks
# add n_features_in_ and feature_names_in_, the classifier classes_).
NETWORK_ATTRIBUTES = ("coefs_", "intercepts_", "n_layers_", "n_outputs_",
                      "out_activation_")
TRAINING_ATTRIBUTES = tuple(
    attribute for attribute, _ in _RECORD.values() if not attribute.startswith("_")
)
FITTED_ATTRIBUTES = NETWORK_ATTRIBUTES + TRAINING_ATTRIBUTES
INPUT_ATTRIBUTES = ("n_features_in_", "feature_names_in_")
# The flat weights and their views, the fitted network, the solver's state.
_PRIVATE_ATTRIBUTES = (
    "_theta", "_layout", "_views", "_network", "_optimizer",
    *(attribute for attribute, _ in _RECORD.values() if attribute.startswith("_")),
)


@contextmanager
def restored_on_error(estimator):
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


def clear_fit_state(estimator, extra=()):
    """Remove every attribute a previous fit left, and those named in ``extra``."""
    for name in (*FITTED_ATTRIBUTES, *INPUT_ATTRIBUTES, *_PRIVATE_ATTRIBUTES, *extra):
        vars(estimator).pop(name, None)


def forget_training(estimator):
    """Remove the record of stochastic training and the optimizer's state."""
    for attribute, _ in _RECORD.values():
        vars(estimator).pop(attribute, None)
    vars(estimator).pop("_optimizer", None)


def training_state(estimator):
    """Return the record that a continued fit goes on from, read off ``estimator``.

    Attributes set by hand (scikit-learn's hand-built-model idiom) count like
    fitted ones; missing ones start afresh.
    """
    state = TrainingState()
    for name, (attribute, none_value) in _RECORD.items():
        value = getattr(estimator, attribute, None)
        if value is not None:
            setattr(state, name, list(value) if isinstance(value, list) else value)
        elif none_value is not None:
            setattr(state, name, none_value)
    state.n_iter = 0
    return state


def record_training(estimator, state, early_stopping):
    """Write ``state`` to the fitted attributes; None where scikit-learn has None."""
    for name, (attribute, none_value) in _RECORD.items():
        value = getattr(state, name)
        if isinstance(value, list):
            value = list(value)
        elif none_value is not None and value == none_value:
            value = None
        setattr(estimator, attribute, value)
    if early_stopping:
        estimator.best_loss_ = None


def network_attributes(theta, network):
    """Return the attributes that make an estimator predict with ``theta``."""
    units = network.layout.layer_units
    return {
        "_theta": theta,
        "_layout": network.layout,
        "_network": network,
        **_weight_views(theta, network.layout),
        "n_layers_": len(units),
        "n_outputs_": units[-1],
        "out_activation_": network.out_activation,
    }


def without_views(state):
    """Return a copy of an estimator's ``__dict__`` fit for pickling.

    Views do not survive pickling (they come back as copies), so the weight
    lists are left out where ``_theta`` holds them, and rebuilt on loading.
    """
    state = dict(state)
    views = state.pop("_views", None)
    if views is not None and _same_arrays(state["coefs_"], views[0]) and _same_arrays(
        state["intercepts_"], views[1]
    ):
        del state["coefs_"], state["intercepts_"]
    return state


def restore_views(estimator):
    """Rebuild the weight lists as views into ``_theta`` after unpickling."""
    attributes = vars(estimator)
    if "_theta" in attributes and "coefs_" not in attributes:
        attributes.update(_weight_views(attributes["_theta"], attributes["_layout"]))


def _weight_views(theta, layout):
    coefs, intercepts = layout.unpack(theta)
    return {"coefs_": coefs, "intercepts_": intercepts,
            "_views": (list(coefs), list(intercepts))}


def current_theta(estimator):
    """Return ``_theta`` holding what ``coefs_`` and ``intercepts_`` hold now.

    If the lists still hold the views into ``_theta`` nothing is done;
    otherwise their arrays are packed into a new ``_theta`` (in their common
    floating dtype) whose layout follows their shapes, the lists are replaced
    by views into it, and ``n_layers_`` and ``n_outputs_`` follow.

    Raises
    ------
    ValueError
        If the lists do not describe a network: not lists of 2-D weight and
        1-D bias arrays whose shapes chain from layer to layer.
    """
    coefs, intercepts = estimator.coefs_, estimator.intercepts_
    views = vars(estimator).get("_views")
    if views is not None and _same_arrays(coefs, views[0]) and _same_arrays(
        intercepts, views[1]
    ):
        return estimator._theta
    coefs, intercepts = _checked_weights(coefs, intercepts)
    # The hidden activation and embedding as fitted, else (weights set by
    # hand) as set now.
    fitted = vars(estimator).get("_network")
    n_embedded = 0 if fitted is None else fitted.layout.n_embedded
    layout = ParamLayout([coefs[0].shape[0], *(c.shape[1] for c in coefs)],
                         n_embedded=n_embedded)
    dtype = np.result_type(*coefs, *intercepts, np.float32)
    theta = layout.pack(coefs, intercepts, dtype)
    if n_embedded:
        layout.embedding(theta)[...] = fitted.layout.embedding(estimator._theta)
    activation = estimator.activation if fitted is None else fitted.activation
    encode = None if fitted is None else fitted.encode
    out_activation = getattr(estimator, "out_activation_", None)
    network = Network(layout, activation, out_activation, encode=encode)
    attributes = network_attributes(theta, network)
    attributes.pop("out_activation_")  # set by fit or by the user
    vars(estimator).update(attributes)
    return theta


def _same_arrays(values, views):
    return (
        isinstance(values, list)
        and len(values) == len(views)
        and all(value is view for value, view in zip(values, views))
    )


def _checked_weights(coefs, intercepts):
    try:
        coefs = [np.asarray(c) for c in coefs]
        intercepts = [np.asarray(b) for b in intercepts]
    except TypeError as error:
        raise ValueError(
            "coefs_ and intercepts_ must be lists of arrays, one per layer."
        ) from error
    ok = (
        len(coefs) >= 1
        and len(intercepts) == len(coefs)
        and all(c.ndim == 2 and c.dtype.kind in "biuf" for c in coefs)
        and all(b.ndim == 1 and b.dtype.kind in "biuf" for b in intercepts)
    )
    if ok:
        units = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
        ok = all(c.shape[0] == n for c, n in zip(coefs, units)) and all(
            b.shape == (n,) for b, n in zip(intercepts, units[1:])
        )
    if not ok:
        raise ValueError(
            "coefs_ and intercepts_ do not describe a network: coefs_[i] must be a "
            "2-D array of shape (units[i], units[i + 1]) and intercepts_[i] a 1-D "
            "array of length units[i + 1], one of each per layer; got coefs_ of "
            f"shapes {[c.shape for c in coefs]} and intercepts_ of shapes "
            f"{[b.shape for b in intercepts]}."
        )
    return coefs, intercepts
