"""Shared fixtures: datasets (small, so every test runs in moments), the module's
targets for an estimator class, small networks' parameters, a weight comparison."""

import numpy as np
import pytest
from sklearn.base import ClassifierMixin
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)


@pytest.fixture(scope="module")
def binary_data():
    return make_classification(n_samples=120, n_features=6, random_state=0)


@pytest.fixture(scope="module")
def multiclass_data():
    return make_classification(
        n_samples=150, n_features=8, n_informative=5, n_classes=3, random_state=0
    )


@pytest.fixture(scope="module")
def multilabel_data():
    return make_multilabel_classification(
        n_samples=120, n_features=6, n_classes=3, random_state=0
    )


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=120, n_features=6, noise=0.1, random_state=0)
    return X, y / y.std()


@pytest.fixture(scope="module")
def multioutput_regression_data():
    X, y = make_regression(
        n_samples=120, n_features=6, n_targets=3, noise=0.1, random_state=0
    )
    return X, y / y.std()


@pytest.fixture
def rng():
    return np.random.RandomState(0)


@pytest.fixture(scope="module")
def imbalanced_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 5))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=120) > 1.0, "rare", "common")
    return X, y


@pytest.fixture(scope="module")
def targets(request):
    """``targets(Estimator)``: the requesting module's ``Y_CLASS`` for a classifier,
    its ``Y_REAL`` for a regressor (module-scoped, so hypothesis tests may use it)."""

    def pick(Estimator):
        is_classifier = issubclass(Estimator, ClassifierMixin)
        return request.module.Y_CLASS if is_classifier else request.module.Y_REAL

    return pick


# Small seeded networks, for tests about anything but the network's size.
@pytest.fixture
def small():
    return dict(hidden_layer_sizes=(8,), random_state=0)


@pytest.fixture
def smaller():
    return dict(hidden_layer_sizes=(5,), random_state=0)


@pytest.fixture(scope="session")
def assert_same_weights():
    """``assert_same_weights(a, b, rtol)``: two fitted networks' weights agree."""

    def check(a, b, rtol=1e-12):
        for mine, other in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
            np.testing.assert_allclose(mine, other, rtol=rtol, atol=1e-14)

    return check
