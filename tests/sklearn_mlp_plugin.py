"""Run scikit-learn's own MLP tests against the drop-in estimators.

Load it with ``-p`` while collecting the test module scikit-learn installs::

    python -m pytest --pyargs sklearn.neural_network.tests.test_mlp \
        -p tests.sklearn_mlp_plugin

The module is imported with ``sklearn.neural_network.MLPClassifier`` and
``MLPRegressor`` pointing at :class:`~skscratchnn.ScratchMLPClassifier` and
:class:`~skscratchnn.ScratchMLPRegressor`, so its names and its parametrizations
hold our classes. The tests that reach into scikit-learn's private internals are
skipped by name, with their reason, from ``PRIVATE_INTERNALS``; every other
test runs and every failure fails. The run errors out if the module is not
installed, is never collected, or a skipped name no longer exists.
"""

import importlib
from unittest import mock

import pytest
import sklearn.neural_network

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor

MODULE = "sklearn.neural_network.tests.test_mlp"

# Test function name -> the private internals of scikit-learn's that it needs.
PRIVATE_INTERNALS = {
    "test_gradient": (
        "calls the private _initialize, _init_coef and _loss_grad_lbfgs to "
        "compare the gradient with finite differences"
    ),
    "test_learning_rate_warmstart": (
        "reads the rate off the private _optimizer.learning_rate, a float in "
        "scikit-learn's optimizers"
    ),
    "test_adaptive_learning_rate": (
        "reads the rate off the private _optimizer.learning_rate, a float in "
        "scikit-learn's optimizers"
    ),
}

_module_key = pytest.StashKey[object]()


def pytest_configure(config):
    # Imported here, before any collector (the module's or the doctest one)
    # imports it, so the names it binds at import time, parametrizations
    # included, are ours.
    try:
        with mock.patch.multiple(
            sklearn.neural_network,
            MLPClassifier=ScratchMLPClassifier,
            MLPRegressor=ScratchMLPRegressor,
        ):
            module = importlib.import_module(MODULE)
    except ImportError as error:
        raise pytest.UsageError(f"{MODULE} cannot be imported: {error}") from error
    if (module.MLPClassifier, module.MLPRegressor) != (
        ScratchMLPClassifier,
        ScratchMLPRegressor,
    ):
        raise pytest.UsageError(
            f"{MODULE} was imported before its estimators could be substituted"
        )
    stale = sorted(name for name in PRIVATE_INTERNALS if not hasattr(module, name))
    if stale:
        raise pytest.UsageError(f"skipped tests not found in {MODULE}: {stale}")
    config.stash[_module_key] = module


def pytest_collection_modifyitems(config, items):
    module = config.stash[_module_key]
    tests = [item for item in items if getattr(item, "module", None) is module]
    if not tests:
        raise pytest.UsageError(f"{MODULE} was not collected: nothing to run")
    for item in tests:
        if item.originalname in PRIVATE_INTERNALS:
            reason = PRIVATE_INTERNALS[item.originalname]
            item.add_marker(pytest.mark.skip(reason=reason))
