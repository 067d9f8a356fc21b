"""Shared datasets for the test suite (small, so every test runs in moments)."""

import numpy as np
import pytest
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
