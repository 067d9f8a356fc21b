"""Output losses and activations: values vs references, gradients, extreme logits."""

import numpy as np
import pytest
from scipy.special import expit, log_softmax, softmax, xlogy
from sklearn.metrics import log_loss, mean_poisson_deviance, mean_squared_error

from skscratchnn._losses import LOSSES, OUTPUT_ACTIVATIONS, prediction_loss

N, K = 8, 3


def logits(seed=0, n=N, k=K, scale=2.0):
    return np.random.RandomState(seed).normal(scale=scale, size=(n, k))


def targets(name, seed=1, n=N, k=K):
    rng = np.random.RandomState(seed)
    if name == "softmax":
        return np.eye(k)[rng.randint(k, size=n)]
    if name == "logistic":
        return rng.randint(2, size=(n, k)).astype(float)
    if name == "exp":
        Y = rng.poisson(1.5, size=(n, k)).astype(float)
        Y[0, 0] = 0.0  # a zero count: the y log y term is 0
        return Y
    return rng.normal(size=(n, k))


def loss_of(name, Z, Y):
    """The per-sample loss without touching the caller's Z."""
    return LOSSES[name](Z.copy(), Y)


def test_losses_and_output_activations_cover_the_same_outputs():
    assert set(LOSSES) == set(OUTPUT_ACTIVATIONS) == {"softmax", "logistic", "identity",
                                                      "exp"}


def test_softmax_log_loss_matches_sklearn_log_loss_per_sample():
    Z, Y = logits(), targets("softmax")
    y = Y.argmax(axis=1)
    P = softmax(Z, axis=1)
    loss = loss_of("softmax", Z, Y)
    assert loss.shape == (N,)
    expected = [log_loss(y[i : i + 1], P[i : i + 1], labels=range(K)) for i in range(N)]
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    sw = np.random.RandomState(2).uniform(0.5, 2.0, N)
    assert loss @ sw / sw.sum() == pytest.approx(
        log_loss(y, P, sample_weight=sw, labels=range(K)), rel=1e-12
    )


@pytest.mark.parametrize("smoothing", [None, 0.1, "unnormalized"])
def test_softmax_log_loss_with_soft_targets_is_the_cross_entropy(smoothing):
    Z = logits(3)
    if smoothing is None:
        Y = np.random.RandomState(4).dirichlet(np.ones(K), size=N)
    elif smoothing == "unnormalized":  # the value's formula holds for any Y
        Y = np.random.RandomState(4).uniform(0, 2, size=(N, K))
    else:
        Y = targets("softmax") * (1 - smoothing) + smoothing / K
    expected = -(Y * log_softmax(Z, axis=1)).sum(axis=1)
    np.testing.assert_allclose(loss_of("softmax", Z, Y), expected, rtol=1e-12)


@pytest.mark.parametrize("k", [1, 3])
def test_logistic_log_loss_is_the_binary_cross_entropy(k):
    Z, Y = logits(5, k=k), targets("logistic", k=k)
    # -y log sigmoid(z) - (1 - y) log(1 - sigmoid(z)), summed over outputs.
    expected = (Y * np.logaddexp(0, -Z) + (1 - Y) * np.logaddexp(0, Z)).sum(axis=1)
    loss = loss_of("logistic", Z, Y)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    if k == 1:
        per_sample = [
            log_loss(Y[i], expit(Z[i]), labels=[0, 1]) for i in range(N)
        ]
        np.testing.assert_allclose(loss, per_sample, rtol=1e-10)


@pytest.mark.parametrize("k", [1, 3])
def test_squared_error_is_half_the_mean_over_outputs(k):
    Z, Y = logits(6, k=k), targets("identity", k=k)
    loss = loss_of("identity", Z, Y)
    np.testing.assert_allclose(loss, 0.5 * ((Z - Y) ** 2).mean(axis=1), rtol=1e-12)
    sw = np.random.RandomState(7).uniform(0.5, 2.0, N)
    assert loss @ sw / sw.sum() == pytest.approx(
        mean_squared_error(Y, Z, sample_weight=sw) / 2, rel=1e-12
    )


def test_poisson_deviance_is_half_sklearn_mean_poisson_deviance():
    Z, Y = logits(8, scale=1.0), targets("exp")
    loss = loss_of("exp", Z, Y)
    mu = np.exp(Z)
    np.testing.assert_allclose(
        loss, (xlogy(Y, Y / mu) - Y + mu).sum(axis=1), rtol=1e-12
    )
    sw = np.random.RandomState(9).uniform(0.5, 2.0, N)
    expected = sum(
        mean_poisson_deviance(Y[:, j], mu[:, j], sample_weight=sw) / 2 for j in range(K)
    )
    assert loss @ sw / sw.sum() == pytest.approx(expected, rel=1e-12)


def soft_targets(name):
    if name == "softmax":
        return np.random.RandomState(10).dirichlet(np.ones(K), size=N)
    if name == "logistic":
        return np.random.RandomState(10).uniform(size=(N, K))
    return targets(name)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradient_written_into_z_matches_central_differences(name):
    Z, Y = logits(11, scale=1.0), soft_targets(name)
    grad = Z.copy()
    LOSSES[name](grad, Y)
    h = 1e-6
    numeric = np.empty_like(Z)
    for index in np.ndindex(Z.shape):
        step = np.zeros_like(Z)
        step[index] = h
        numeric[index] = (
            loss_of(name, Z + step, Y).sum() - loss_of(name, Z - step, Y).sum()
        ) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_stays_finite_at_extreme_logits(name, dtype):
    Z = np.array([[1e4, -1e4], [-1e4, 1e4], [1e4, 1e4], [-1e4, -1e4]], dtype=dtype)
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=dtype)
    if name == "softmax":
        Y[2:] = [0.5, 0.5]  # rows summing to 1
    grad = Z.copy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = LOSSES[name](grad, Y)
    assert loss.dtype == dtype and grad.dtype == dtype
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    assert (loss >= 0).all()


def test_log_losses_at_extreme_logits_are_exact():
    """Probabilities of exactly 0 or 1 give the limit of the loss, not inf."""
    Z = np.array([[1e4, -1e4], [-1e4, 1e4]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        softmax_loss = loss_of("softmax", Z, Y)
        logistic_loss = loss_of("logistic", Z, Y)
    np.testing.assert_array_equal(softmax_loss, [0.0, 2e4])
    # Row 0: the right side of both sigmoids; row 1: 1e4 wrong on each output.
    np.testing.assert_array_equal(logistic_loss, [0.0, 2e4])


def test_output_activations_map_z_in_place():
    Z = logits(12)
    expected = {
        "softmax": softmax(Z, axis=1),
        "logistic": expit(Z),
        "identity": Z.copy(),
        "exp": np.exp(Z),
    }
    for name, activate in OUTPUT_ACTIVATIONS.items():
        out = Z.copy()
        activate(out)
        np.testing.assert_allclose(out, expected[name], rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_activations_stay_finite_at_extreme_logits(dtype):
    Z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    for name, activate in OUTPUT_ACTIVATIONS.items():
        out = Z.copy()
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            activate(out)
        assert np.isfinite(out).all(), name
        if name == "softmax":
            np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
            np.testing.assert_array_equal(out[0], [1.0, 0.0, 0.0])
        if name == "exp":
            # Clipped below overflow, and still increasing up to the clip.
            assert out[0, 0] > np.exp(dtype(30.0)) and out[0, 2] == 1.0


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_prediction_loss_is_the_loss_of_the_logits_behind_the_prediction(name):
    Z, Y = logits(), targets(name)
    sw = np.random.RandomState(2).uniform(0.5, 2, size=N)
    prediction = Z.copy()
    OUTPUT_ACTIVATIONS[name](prediction)
    expected = np.average(loss_of(name, Z, Y), weights=sw)
    assert prediction_loss(prediction, Y, sw, name) == pytest.approx(expected, rel=1e-10)
    assert prediction_loss(prediction, Y, None, name) == pytest.approx(
        loss_of(name, Z, Y).mean(), rel=1e-10
    )


@pytest.mark.parametrize("name", ["softmax", "logistic"])
def test_prediction_loss_of_certain_wrong_probabilities_is_large_and_finite(name):
    Y = targets(name)
    wrong = 1.0 - Y if name == "logistic" else np.roll(Y, 1, axis=1)
    assert 30 < prediction_loss(wrong, Y, None, name) < np.inf
