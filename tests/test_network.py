"""The pure core: gradients against finite differences and scikit-learn's MLP."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skscratchnn import _embeddings as embeddings
from skscratchnn._activations import ACTIVATIONS
from skscratchnn._dropout import Dropout, DropoutKeys
from skscratchnn._network import Network, Workspace, loss_and_grad, predict_raw
from skscratchnn._params import ParamLayout

N_SAMPLES, N_FEATURES, HIDDEN = 9, 5, (4, 3)
N_EMBEDDING_OUTPUTS = embeddings.N_OUTPUTS
OUTPUTS = {"softmax": 3, "logistic": 2, "identity": 2, "exp": 2}


def make_problem(out_activation, seed=0, n_outputs=None):
    rng = np.random.RandomState(seed)
    n_outputs = n_outputs or OUTPUTS[out_activation]
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    if out_activation == "softmax":
        Y = np.eye(n_outputs)[rng.randint(n_outputs, size=N_SAMPLES)]
    elif out_activation == "logistic":
        Y = rng.randint(2, size=(N_SAMPLES, n_outputs)).astype(float)
    elif out_activation == "exp":
        Y = rng.poisson(2.0, size=(N_SAMPLES, n_outputs)).astype(float)
    else:
        Y = rng.normal(size=(N_SAMPLES, n_outputs))
    return X, Y


def make_network(activation, out_activation, alpha=0.0, dropout=(), n_outputs=None):
    n_outputs = n_outputs or OUTPUTS[out_activation]
    layout = ParamLayout([N_FEATURES, *HIDDEN, n_outputs])
    return Network(layout, activation, out_activation, alpha, tuple(dropout))


def embedded_layout(n_embedded, scaling, n_outputs=3):
    """Layers on N_FEATURES columns, the first ``n_embedded`` of them embedded."""
    n_inputs = N_FEATURES + N_EMBEDDING_OUTPUTS * n_embedded
    return ParamLayout([n_inputs, *HIDDEN, n_outputs], input_scaling=scaling,
                       n_embedded=n_embedded)


def network_with_dropout(activation, dropout, alpha=0.0):
    """A softmax network with ``dropout``, its initial theta and dropout keys."""
    network = make_network(activation, "softmax", alpha, dropout)
    rng = np.random.RandomState(0)
    theta = network.layout.init(rng, activation, np.float64)
    return network, theta, DropoutKeys.draw(rng, network.layout.layer_units, np.float64)


def training_workspace(network, X, keys, step):
    """A workspace for a batch of all of ``X``, with ``keys``' dropout at ``step``.

    ``keys`` None trains without dropout.
    """
    dropout = None
    if keys is not None:
        dropout = Dropout(keys, network.dropout, X, X.shape[0])
        dropout.for_batch(step, slice(None))
    return Workspace(network, X.shape[0], np.float64, dropout=dropout)


def central_differences(f, theta, h=1e-6):
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        grad[i] = (f(theta + step) - f(theta - step)) / (2 * h)
    return grad


def relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)


@pytest.mark.parametrize(
    "activation, out_activation, alpha, weighted, dropout",
    itertools.product(
        sorted(ACTIVATIONS), sorted(OUTPUTS), [0.0, 0.3], [False, True], [(), (0.3, 0.5)]
    ),
)
def test_loss_and_grad_matches_finite_differences(
    activation, out_activation, alpha, weighted, dropout
):
    X, Y = make_problem(out_activation)
    network = make_network(activation, out_activation, alpha, dropout)
    rng = np.random.RandomState(1)
    theta = network.layout.init(rng, activation, np.float64)
    sw = rng.uniform(0.5, 2.0, N_SAMPLES) if weighted else None
    keys = None
    if dropout:
        keys = DropoutKeys.draw(rng, network.layout.layer_units, np.float64)
    # The same step every call: a fixed dropout mask.
    work = training_workspace(network, X, keys, 7)

    def loss(th):
        return loss_and_grad(th, X, Y, sw, network, work)[0]

    grad = loss_and_grad(theta, X, Y, sw, network, work)[1].copy()
    assert relative_error(grad, central_differences(loss, theta)) < 1e-7


# Sparse data take no embedding: only the tabular estimators embed, on dense data.
@pytest.mark.parametrize("sparse, scaling, n_embedded", [
    (False, True, 0), (True, True, 0), (False, False, 3), (False, True, 3),
])
@pytest.mark.parametrize("activation", ["selu", "mish", "relu"])
@pytest.mark.parametrize("out_activation", ["softmax", "identity"])
def test_first_layer_extras_gradient_matches_finite_differences(
    activation, out_activation, sparse, scaling, n_embedded
):
    """The input scales and the embedding (and everything else) with the NTK
    starting point."""
    X, Y = make_problem(out_activation)
    X[X < -0.5] = 0
    layout = embedded_layout(n_embedded, scaling, Y.shape[1])
    network = Network(layout, activation, out_activation, alpha=0.2,
                      dropout=(0.3, 0.0))
    rng = np.random.RandomState(2)
    theta = layout.init_ntk(rng, np.float64)
    theta += rng.normal(scale=0.3, size=theta.size)  # away from the zero output
    # Dropout keys rows on the data's columns, as training does.
    keys = DropoutKeys.draw(rng, (N_FEATURES, *layout.layer_units[1:]), np.float64)
    sw = rng.uniform(0.5, 2.0, N_SAMPLES)
    X_in = sp.csr_matrix(X) if sparse else X
    work = training_workspace(network, X_in, keys, 5)

    def loss(th):
        return loss_and_grad(th, X_in, Y, sw, network, work)[0]

    grad = loss_and_grad(theta, X_in, Y, sw, network, work)[1].copy()
    expected = central_differences(loss, theta)
    assert relative_error(grad, expected) < 1e-7
    if scaling:
        assert np.abs(layout.scales(grad)).sum() > 0
    if n_embedded:
        embedding = layout.embedding_slice
        assert relative_error(grad[embedding], expected[embedding]) < 1e-7
        assert np.all(grad[embedding] != 0)


@pytest.mark.parametrize("n_embedded", [0, 2])
def test_folding_the_scaling_layer_keeps_predictions(n_embedded):
    X, _ = make_problem("softmax")
    layout = embedded_layout(n_embedded, scaling=True)
    rng = np.random.RandomState(0)
    theta = layout.init_ntk(rng, np.float64)
    theta += rng.normal(scale=0.3, size=theta.size)
    layout.scales(theta)[...] = rng.uniform(0.2, 3.0, layout.layer_units[0])
    plain, folded = layout.fold_input_scaling(theta)
    assert plain.n_embedded == n_embedded and not plain.input_scaling
    scaled = predict_raw(theta, X, Network(layout, "tanh", "softmax"))
    np.testing.assert_allclose(
        predict_raw(folded, X, Network(plain, "tanh", "softmax")), scaled, rtol=1e-12
    )
    again, extended = plain.with_input_scaling(folded)
    assert again == layout
    np.testing.assert_allclose(
        predict_raw(extended, X, Network(again, "tanh", "softmax")), scaled,
        rtol=1e-12,
    )


def test_the_embedding_appends_its_outputs_to_the_columns():
    """The first layer takes X as it is, then each column's cosines mapped linearly."""
    X, _ = make_problem("softmax")
    layout = embedded_layout(2, scaling=False)
    theta = layout.init(np.random.RandomState(0), "tanh", np.float64)
    frequencies, phases, weights, biases = embeddings.unpack(
        layout.embedding(theta), 2
    )
    cosines = np.cos(2 * np.pi * X[:, :2, None] * frequencies + phases)
    outputs = np.einsum("njk,jkm->njm", cosines, weights) + biases
    first_input = np.hstack([X, outputs.reshape(N_SAMPLES, -1)])
    plain = ParamLayout(layout.layer_units)
    expected = predict_raw(theta[: plain.n_params], first_input,
                           Network(plain, "tanh", "softmax"))
    np.testing.assert_allclose(
        predict_raw(theta, X, Network(layout, "tanh", "softmax")), expected,
        rtol=1e-12,
    )


def test_an_embedded_row_does_not_depend_on_the_rest_of_the_batch():
    """In float64, as the tabular estimators predict: BLAS may round a product
    of one row otherwise than of many, by far less than this tolerance."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, N_FEATURES))
    layout = embedded_layout(4, scaling=False)
    theta = layout.init_ntk(rng, np.float64)
    theta += rng.normal(scale=0.3, size=theta.size)
    network = Network(layout, "selu", "softmax")
    everything = predict_raw(theta, X, network)
    for rows in (slice(0, 1), slice(1, 6), slice(6, 300)):
        np.testing.assert_allclose(
            predict_raw(theta, X[rows], network), everything[rows], rtol=1e-12, atol=0
        )


def squares_and_products(X, out):
    """A fixed encoding for the tests: each column, its square, its products."""
    n_features = X.shape[1]
    out[:, :n_features] = X
    out[:, n_features : 2 * n_features] = X**2
    out[:, 2 * n_features :] = X[:, :1] * X[:, 1:]
    return out


@pytest.mark.parametrize("scaling", [False, True])
def test_an_encoding_is_the_network_on_the_encoded_data(scaling):
    """Loss, gradient (input scales included) and outputs as if X were encoded."""
    X, Y = make_problem("softmax")
    n_encoded = 3 * N_FEATURES - 1
    encoded = squares_and_products(X, np.empty((N_SAMPLES, n_encoded)))
    layout = ParamLayout([n_encoded, *HIDDEN, 3], input_scaling=scaling)
    plain = Network(layout, "tanh", "softmax", alpha=0.1)
    mapped = Network(layout, "tanh", "softmax", alpha=0.1, encode=squares_and_products)
    rng = np.random.RandomState(0)
    theta = layout.init_ntk(rng, np.float64)
    theta += rng.normal(scale=0.3, size=theta.size)
    expected = loss_and_grad(theta, encoded, Y, None, plain, Workspace(plain, N_SAMPLES,
                                                                       np.float64))
    loss, grad = loss_and_grad(theta, X, Y, None, mapped,
                               Workspace(mapped, N_SAMPLES, np.float64))
    assert loss == expected[0]
    np.testing.assert_array_equal(grad, expected[1])
    # The same chunks: products of other row counts may round otherwise.
    np.testing.assert_array_equal(predict_raw(theta, X, mapped, chunk_rows=7),
                                  predict_raw(theta, encoded, plain, chunk_rows=7))


def test_loss_and_grad_sparse_equals_dense():
    X, Y = make_problem("softmax")
    X[X < 0.3] = 0
    network, theta, keys = network_with_dropout("relu", (0.2, 0.2), alpha=0.1)
    dense = loss_and_grad(theta, X, Y, None, network,
                          training_workspace(network, X, keys, 3))
    X_sparse = sp.csr_matrix(X)
    sparse = loss_and_grad(theta, X_sparse, Y, None, network,
                           training_workspace(network, X_sparse, keys, 3))
    assert sparse[0] == pytest.approx(dense[0], rel=1e-12)
    np.testing.assert_allclose(sparse[1], dense[1], rtol=1e-10, atol=1e-14)


def test_dropout_masks_follow_sample_content():
    """A row of weight 2 gets the same gradient as the row written twice."""
    X, Y = make_problem("softmax")
    network, theta, keys = network_with_dropout("tanh", (0.5, 0.5))
    sw = np.ones(N_SAMPLES)
    sw[0] = 2
    work = training_workspace(network, X, keys, 0)
    weighted = loss_and_grad(theta, X, Y, sw, network, work)
    weighted = weighted[0], weighted[1].copy()
    X2, Y2 = np.vstack([X, X[:1]]), np.vstack([Y, Y[:1]])
    repeated = loss_and_grad(theta, X2, Y2, None, network,
                             training_workspace(network, X2, keys, 0))
    assert repeated[0] == pytest.approx(weighted[0], rel=1e-12)
    np.testing.assert_allclose(repeated[1], weighted[1], rtol=1e-10, atol=1e-14)
    # ...and another step draws another mask.
    work.dropout.for_batch(1, slice(None))
    other_step = loss_and_grad(theta, X, Y, sw, network, work)[0]
    assert other_step != pytest.approx(weighted[0], rel=1e-6)


def sklearn_loss_and_grad(estimator, theta, layout, X, y_encoded, sw):
    """Loss and packed gradient from scikit-learn's private ``_backprop``."""
    coefs, intercepts = layout.unpack(theta)
    estimator.coefs_ = [c.copy() for c in coefs]
    estimator.intercepts_ = [b.copy() for b in intercepts]
    n = estimator.n_layers_
    coef_grads = [np.empty_like(c) for c in coefs]
    intercept_grads = [np.empty_like(b) for b in intercepts]
    loss, coef_grads, intercept_grads = estimator._backprop(
        X, y_encoded, sw, [X] + [None] * (n - 1), [None] * (n - 1),
        coef_grads, intercept_grads,
    )
    return loss, np.concatenate([g.ravel() for g in coef_grads + intercept_grads])


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize(
    "out_activation, n_outputs",
    [("softmax", 3), ("logistic", 1), ("logistic", 3), ("identity", 1),
     ("identity", 3), ("exp", 2)],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_and_grad_match_sklearn(activation, out_activation, n_outputs, weighted):
    if not hasattr(MLPClassifier, "_backprop"):
        pytest.skip("scikit-learn's private _backprop is gone")
    X, Y = make_problem(out_activation, n_outputs=n_outputs)
    if out_activation in ("softmax", "logistic"):
        y = Y.argmax(axis=1) if out_activation == "softmax" else Y
        if n_outputs == 1:
            y = Y[:, 0].astype(int)
        estimator = MLPClassifier(HIDDEN, activation, alpha=0.2, max_iter=1)
    else:
        y = Y[:, 0] if n_outputs == 1 else Y
        loss = "poisson" if out_activation == "exp" else "squared_error"
        estimator = MLPRegressor(loss, HIDDEN, activation, alpha=0.2, max_iter=1)
    estimator.set_params(solver="lbfgs").fit(X, y)
    network = make_network(activation, out_activation, 0.2, n_outputs=n_outputs)
    rng = np.random.RandomState(3)
    theta = network.layout.init(rng, activation, np.float64)
    sw = rng.uniform(0.5, 2.0, N_SAMPLES) if weighted else None
    work = Workspace(network, N_SAMPLES, np.float64)

    loss, grad = loss_and_grad(theta, X, Y, sw, network, work)
    sk_loss, sk_grad = sklearn_loss_and_grad(estimator, theta, network.layout, X, Y, sw)
    assert loss == pytest.approx(sk_loss, rel=1e-10)
    if out_activation == "identity" and n_outputs > 1:
        # scikit-learn's gradient is n_outputs times that of the loss it reports
        # (scikit-learn issue 8349); ours is the true gradient.
        penalty = np.zeros_like(theta)
        n_coefs = network.layout.n_coefs
        sw_sum = N_SAMPLES if sw is None else sw.sum()
        penalty[:n_coefs] = 0.2 * theta[:n_coefs] / sw_sum
        sk_grad = (sk_grad - penalty) / n_outputs + penalty
    np.testing.assert_allclose(grad, sk_grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("out_activation", sorted(OUTPUTS))
def test_predict_raw_is_chunk_independent(out_activation):
    X, _ = make_problem(out_activation)
    network = make_network("tanh", out_activation)
    theta = network.layout.init(np.random.RandomState(0), "tanh", np.float64)
    whole = predict_raw(theta, X, network)
    chunked = predict_raw(theta, X, network, chunk_rows=2)
    np.testing.assert_allclose(chunked, whole, rtol=1e-12)
    if out_activation == "softmax":
        np.testing.assert_allclose(whole.sum(axis=1), 1)


def test_outputs_stay_finite_for_huge_logits():
    X = np.full((4, N_FEATURES), 1e30)
    X[::2] *= -1
    for out_activation in OUTPUTS:
        network = make_network("identity", out_activation)
        theta = network.layout.init(np.random.RandomState(0), "identity", np.float64)
        Y = make_problem(out_activation)[1][:4]
        work = Workspace(network, 4, np.float64)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            assert np.isfinite(predict_raw(theta, X, network)).all()
            assert np.isfinite(loss_and_grad(theta, X, Y, None, network, work)[0])


def test_dropout_row_hashes_computed_once_give_the_same_step():
    """A fit hashes every row once; a batch's slice of those hashes gives the
    gradient that hashing the batch itself gives."""
    X, Y = make_problem("softmax")
    network, theta, keys = network_with_dropout("relu", (0.5, 0.5))
    rows = np.array([5, 0, 3, 3, 8])
    own = loss_and_grad(theta, X[rows], Y[rows], None, network,
                        training_workspace(network, X[rows], keys, 4))
    own = own[0], own[1].copy()
    dropout = Dropout(keys, network.dropout, X, len(rows))
    dropout.for_batch(4, rows)
    work = Workspace(network, len(rows), np.float64, dropout=dropout)
    given = loss_and_grad(theta, X[rows], Y[rows], None, network, work)
    assert given[0] == own[0]
    np.testing.assert_array_equal(given[1], own[1])
