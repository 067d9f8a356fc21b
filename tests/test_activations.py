"""Hidden activations: values and derivatives against references, in place."""

import numpy as np
import pytest
from scipy.stats import norm

from skscratchnn._activations import ACTIVATIONS, DERIVATIVES, NEEDS_PREACTIVATION
from skscratchnn._docstrings import SHARED_PARAMETERS


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# name: (f(z), f'(z)), written from the definitions with NumPy and scipy.
REFERENCES = {
    "identity": (lambda z: z, np.ones_like),
    "logistic": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "tanh": (
        lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
        lambda z: 1 / np.cosh(z) ** 2,
    ),
    "relu": (lambda z: np.where(z > 0, z, 0.0), lambda z: np.where(z > 0, 1.0, 0.0)),
    "leaky_relu": (
        lambda z: np.where(z > 0, z, 0.01 * z),
        lambda z: np.where(z > 0, 1.0, 0.01),
    ),
    "elu": (
        lambda z: np.where(z > 0, z, np.exp(z) - 1),
        lambda z: np.where(z > 0, 1.0, np.exp(z)),
    ),
    "softplus": (lambda z: np.log(1 + np.exp(z)), sigmoid),
    "gelu": (lambda z: z * norm.cdf(z), lambda z: norm.cdf(z) + z * norm.pdf(z)),
    "silu": (
        lambda z: z * sigmoid(z),
        lambda z: sigmoid(z) * (1 + z * (1 - sigmoid(z))),
    ),
    "selu": (
        lambda z: 1.0507009873554805 * np.where(z > 0, z, 1.6732632423543772
                                                * (np.exp(z) - 1)),
        lambda z: 1.0507009873554805 * np.where(z > 0, 1.0, 1.6732632423543772
                                                * np.exp(z)),
    ),
    "mish": (
        lambda z: z * np.tanh(np.log1p(np.exp(z))),
        lambda z: np.tanh(np.log1p(np.exp(z)))
        + z * sigmoid(z) * (1 - np.tanh(np.log1p(np.exp(z))) ** 2),
    ),
}


@pytest.fixture
def Z():
    # Away from 0, where relu-like functions have their kink.
    z = np.random.RandomState(0).uniform(0.05, 4, size=(7, 5))
    z[::2] *= -1
    return z


def derivative_input(name, Z):
    """What the core hands the derivative: Z itself, or the activation A."""
    if name in NEEDS_PREACTIVATION:
        return Z.copy()
    A = Z.copy()
    ACTIVATIONS[name](A)
    return A


def test_every_activation_has_a_reference_and_a_derivative():
    assert set(REFERENCES) == set(ACTIVATIONS) == set(DERIVATIVES)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_matches_reference_in_place(name, dtype, Z):
    Z = Z.astype(dtype)
    A = Z.copy()
    assert ACTIVATIONS[name](A) is None
    assert A.dtype == dtype
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(A, REFERENCES[name][0](Z.astype(np.float64)), rtol=rtol,
                               atol=rtol)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_derivative_matches_reference_in_place(name, dtype, Z):
    Z = Z.astype(dtype)
    given = derivative_input(name, Z)
    kept = given.copy()
    delta = np.linspace(-2, 3, Z.size).reshape(Z.shape).astype(dtype)
    expected = delta * REFERENCES[name][1](Z.astype(np.float64))
    assert DERIVATIVES[name](given, delta) is None
    assert delta.dtype == dtype
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(delta, expected, rtol=rtol, atol=rtol)
    np.testing.assert_array_equal(given, kept)  # A (or Z) is left as it was


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_matches_central_differences(name, Z):
    h = 1e-6
    f = REFERENCES[name][0]
    numeric = (f(Z + h) - f(Z - h)) / (2 * h)
    delta = np.ones_like(Z)
    DERIVATIVES[name](derivative_input(name, Z), delta)
    np.testing.assert_allclose(delta, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_and_derivative_are_finite_at_extremes(name):
    Z = np.array([[-800.0, -40.0, 0.0, 40.0, 800.0]])
    A = Z.copy()
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        ACTIVATIONS[name](A)
        delta = np.ones_like(Z)
        DERIVATIVES[name](derivative_input(name, Z), delta)
    assert np.isfinite(A).all() and np.isfinite(delta).all()


def test_softplus_is_stable_for_large_inputs():
    A = np.array([[-1000.0, 1000.0]])
    ACTIVATIONS["softplus"](A)
    np.testing.assert_allclose(A, [[0.0, 1000.0]], atol=1e-300)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_is_documented(name):
    activation_doc = SHARED_PARAMETERS.split("activation : ")[1].split("\n\n")[0]
    assert f"'{name}'" in activation_doc


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mish_gives_exact_zeros_not_subnormals_far_below_zero(dtype):
    """Subnormal activations or errors slow every matrix product they enter."""
    Z = np.concatenate([-np.logspace(-3, 3, 2000), np.logspace(-3, 3, 2000)])
    Z = Z.astype(dtype)[None, :]
    A = Z.copy()
    ACTIVATIONS["mish"](A)
    delta = np.ones_like(Z)
    DERIVATIVES["mish"](Z, delta)
    tiny = np.finfo(dtype).tiny
    for values in (A, delta):
        assert not np.any((values != 0) & (np.abs(values) < tiny))
        assert np.all(values[Z < -40] == 0)
    reference = REFERENCES["mish"]
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(A, reference[0](Z.astype(np.float64)),
                                   rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(delta, reference[1](Z.astype(np.float64)),
                                   rtol=1e-5, atol=1e-5)
