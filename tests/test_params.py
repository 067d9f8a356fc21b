"""ParamLayout on its own: views into theta, sizes, inits, rate factors, scales."""

import pickle

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from skscratchnn import _embeddings as embeddings
from skscratchnn._network import Network, predict_raw
from skscratchnn._params import ParamLayout

# The one-epoch fit that reads off scikit-learn's initial network warns.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

UNITS = (4, 3, 5, 2)


def sizes(units):
    weights = sum(a * b for a, b in zip(units[:-1], units[1:]))
    return weights, weights + sum(units[1:])


def test_param_layout_sizes_count_weights_then_biases():
    layout = ParamLayout(UNITS)
    n_coefs, n_params = sizes(UNITS)
    assert (layout.n_coefs, layout.n_params) == (n_coefs, n_params)
    assert layout.coef_shapes == list(zip(UNITS[:-1], UNITS[1:]))
    assert layout.scale_slice.stop - layout.scale_slice.start == 0


def test_param_layout_unpack_returns_views_sharing_memory_with_theta():
    layout = ParamLayout(UNITS)
    theta = np.arange(layout.n_params, dtype=np.float64)
    coefs, intercepts = layout.unpack(theta)
    assert [c.shape for c in coefs] == list(zip(UNITS[:-1], UNITS[1:]))
    assert [b.shape for b in intercepts] == [(n,) for n in UNITS[1:]]
    for array in coefs + intercepts:
        assert np.shares_memory(array, theta)
    coefs[1][2, 3] = -1.0
    intercepts[2][1] = -2.0
    again_coefs, again_intercepts = layout.unpack(theta)
    assert again_coefs[1][2, 3] == -1.0 and again_intercepts[2][1] == -2.0
    assert np.count_nonzero(theta < 0) == 2


def test_param_layout_unpack_follows_sklearn_pack_order():
    layout = ParamLayout(UNITS)
    theta = np.random.RandomState(0).normal(size=layout.n_params)
    coefs, intercepts = layout.unpack(theta)
    # All weights first (one contiguous block of n_coefs), then all biases.
    expected = np.concatenate([a.ravel() for a in coefs + intercepts])
    np.testing.assert_array_equal(expected, theta)
    np.testing.assert_array_equal(
        np.concatenate([c.ravel() for c in coefs]), theta[: layout.n_coefs]
    )
    try:
        from sklearn.neural_network._multilayer_perceptron import _pack
    except ImportError:
        return
    np.testing.assert_array_equal(_pack(coefs, intercepts), theta)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_param_layout_pack_round_trips_unpack(dtype):
    layout = ParamLayout(UNITS)
    theta = np.random.RandomState(1).normal(size=layout.n_params).astype(dtype)
    packed = layout.pack(*layout.unpack(theta), dtype)
    assert packed.dtype == dtype
    assert not np.shares_memory(packed, theta)
    np.testing.assert_array_equal(packed, theta)


def test_param_layout_pack_copies_and_sets_scales_to_one():
    layout = ParamLayout(UNITS, input_scaling=True)
    rng = np.random.RandomState(2)
    coefs = [rng.normal(size=shape) for shape in layout.coef_shapes]
    intercepts = [rng.normal(size=n) for n in UNITS[1:]]
    theta = layout.pack(coefs, intercepts, np.float64)
    unpacked = layout.unpack(theta)
    for given, view in zip(coefs + intercepts, unpacked[0] + unpacked[1]):
        np.testing.assert_array_equal(view, given)
        assert not np.shares_memory(view, given)
    np.testing.assert_array_equal(layout.scales(theta), np.ones(UNITS[0]))


def _sklearn_initial_coefs(activation, hidden, X, y):
    """The initial network of scikit-learn's MLP, read off a fit that cannot move it.

    A learning rate of 1e-300 changes no weight of order 0.1 in float64.
    """
    estimator = MLPClassifier(
        hidden, activation, solver="sgd", learning_rate_init=1e-300, momentum=0.0,
        alpha=0.0, max_iter=1, random_state=0,
    )
    estimator.fit(X, y)
    return estimator.coefs_, estimator.intercepts_


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_param_layout_init_draws_sklearn_initial_network(activation):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 4))
    y = np.arange(20) % 3
    hidden = (6, 5)
    sk_coefs, sk_intercepts = _sklearn_initial_coefs(activation, hidden, X, y)
    layout = ParamLayout([4, *hidden, 3])
    theta = layout.init(np.random.RandomState(0), activation, np.float64)
    coefs, intercepts = layout.unpack(theta)
    for ours, theirs in zip(coefs + intercepts, sk_coefs + sk_intercepts):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("activation, factor", [("tanh", 6.0), ("logistic", 2.0)])
def test_param_layout_init_is_glorot_uniform_within_bounds(activation, factor):
    layout = ParamLayout([60, 40, 3])
    theta = layout.init(np.random.RandomState(3), activation, np.float64)
    coefs, intercepts = layout.unpack(theta)
    for W, b in zip(coefs, intercepts):
        bound = np.sqrt(factor / sum(W.shape))
        assert np.abs(W).max() <= bound and np.abs(b).max() <= bound
    # Uniform on [-bound, bound]: 2400 draws come close to the bound, with
    # standard deviation bound / sqrt(3).
    bound = np.sqrt(factor / (60 + 40))
    assert np.abs(coefs[0]).max() > 0.99 * bound
    assert coefs[0].std() == pytest.approx(bound / np.sqrt(3), rel=0.05)


def test_param_layout_init_in_float32_equals_float64_draws():
    layout = ParamLayout(UNITS)
    theta64 = layout.init(np.random.RandomState(5), "relu", np.float64)
    theta32 = layout.init(np.random.RandomState(5), "relu", np.float32)
    assert theta32.dtype == np.float32
    np.testing.assert_array_equal(theta32, theta64.astype(np.float32))


def test_param_layout_init_ntk_hidden_weights_have_std_one_over_sqrt_fan_in():
    layout = ParamLayout([400, 300, 200, 3], input_scaling=True)
    theta = layout.init_ntk(np.random.RandomState(0), np.float64)
    coefs, intercepts = layout.unpack(theta)
    for W in coefs[:-1]:
        # 60000+ draws: the sample std is well within 2 % of the true one.
        assert W.std() == pytest.approx(1 / np.sqrt(W.shape[0]), rel=0.02)
        assert abs(W.mean()) < 4 * W.std() / np.sqrt(W.size)
    for b in intercepts[:-1]:
        assert b.std() == pytest.approx(1.0, rel=0.15)
    assert not coefs[-1].any() and not intercepts[-1].any()
    np.testing.assert_array_equal(layout.scales(theta), 1.0)


def test_param_layout_init_ntk_output_is_neutral():
    layout = ParamLayout([5, 8, 3])
    theta = layout.init_ntk(np.random.RandomState(1), np.float64)
    X = np.random.RandomState(2).normal(size=(6, 5))
    proba = predict_raw(theta, X, Network(layout, "relu", "softmax"))
    np.testing.assert_allclose(proba, 1 / 3)


def test_param_layout_rate_factors_none_when_all_factors_are_one():
    layout = ParamLayout(UNITS, input_scaling=True)
    assert layout.rate_factors(np.float64) is None
    ones = dict(ntk=False, bias_factor=1, scale_factor=1)
    assert layout.rate_factors(np.float64, **ones) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_param_layout_rate_factors_per_group(dtype):
    layout = ParamLayout(UNITS, input_scaling=True)
    factors = layout.rate_factors(dtype, ntk=True, bias_factor=0.1, scale_factor=6.0)
    assert factors.dtype == dtype and factors.shape == (layout.n_params,)
    coef_factors, bias_factors = layout.unpack(factors)
    for W, (n_in, _) in zip(coef_factors, layout.coef_shapes):
        np.testing.assert_allclose(W, 1 / np.sqrt(n_in), rtol=1e-7)
    for b in bias_factors:
        np.testing.assert_allclose(b, 0.1, rtol=1e-7)
    np.testing.assert_allclose(layout.scales(factors), 6.0)


def test_param_layout_rate_factors_without_ntk_leave_weights_at_one():
    layout = ParamLayout(UNITS)
    factors = layout.rate_factors(np.float64, bias_factor=0.5)
    np.testing.assert_array_equal(factors[: layout.n_coefs], 1.0)
    np.testing.assert_array_equal(factors[layout.n_coefs:], 0.5)


def test_param_layout_input_scaling_adds_one_scale_per_feature():
    plain, scaled = ParamLayout(UNITS), ParamLayout(UNITS, input_scaling=True)
    assert scaled.n_params == plain.n_params + UNITS[0]
    assert scaled.n_coefs == plain.n_coefs
    assert plain.scales(np.zeros(plain.n_params)) is None
    theta = np.zeros(scaled.n_params)
    scales = scaled.scales(theta)
    assert scales.shape == (UNITS[0],) and np.shares_memory(scales, theta)
    scales[...] = 7.0
    np.testing.assert_array_equal(theta[-UNITS[0]:], 7.0)
    np.testing.assert_array_equal(theta[: plain.n_params], 0.0)


def test_param_layout_fold_input_scaling_puts_scales_into_first_weight_rows():
    layout = ParamLayout(UNITS, input_scaling=True)
    rng = np.random.RandomState(4)
    theta = rng.normal(size=layout.n_params)
    s = layout.scales(theta).copy()
    plain, folded = layout.fold_input_scaling(theta)
    assert plain == ParamLayout(UNITS) and folded.shape == (plain.n_params,)
    (W0, *rest), intercepts = plain.unpack(folded)
    (W0_scaled, *rest_scaled), intercepts_scaled = layout.unpack(theta)
    np.testing.assert_array_equal(W0, s[:, None] * W0_scaled)
    for a, b in zip(rest + intercepts, rest_scaled + intercepts_scaled):
        np.testing.assert_array_equal(a, b)
    assert not np.shares_memory(folded, theta)


def test_param_layout_fold_without_scales_returns_the_same_theta():
    layout = ParamLayout(UNITS)
    theta = np.zeros(layout.n_params)
    same_layout, same_theta = layout.fold_input_scaling(theta)
    assert same_layout is layout and same_theta is theta


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_param_layout_fold_then_with_input_scaling_keep_predictions(dtype):
    layout = ParamLayout(UNITS, input_scaling=True)
    rng = np.random.RandomState(6)
    theta = layout.init(rng, "relu", dtype)
    layout.scales(theta)[...] = rng.uniform(0.1, 4.0, UNITS[0])
    X = rng.normal(size=(11, UNITS[0])).astype(dtype)
    expected = predict_raw(theta, X, Network(layout, "relu", "identity"))
    plain, folded = layout.fold_input_scaling(theta)
    again, extended = plain.with_input_scaling(folded)
    assert folded.dtype == extended.dtype == dtype
    np.testing.assert_array_equal(again.scales(extended), 1.0)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for lay, th in [(plain, folded), (again, extended)]:
        got = predict_raw(th, X, Network(lay, "relu", "identity"))
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)


def test_param_layout_equality_and_hash_include_input_scaling():
    a, b = ParamLayout([3, 2, 1]), ParamLayout((np.int64(3), 2, 1))
    c = ParamLayout([3, 2, 1], input_scaling=True)
    assert a == b and hash(a) == hash(b)
    assert a != c and c == ParamLayout([3, 2, 1], input_scaling=True)
    assert hash(c) == hash(ParamLayout([3, 2, 1], input_scaling=True))
    assert hash(a) != hash(c)
    assert a != ParamLayout([3, 2, 2]) and a != (3, 2, 1)
    assert len({a, b, c}) == 2


@pytest.mark.parametrize("input_scaling", [False, True])
def test_param_layout_pickle_round_trip(input_scaling):
    layout = ParamLayout(UNITS, input_scaling=input_scaling)
    loaded = pickle.loads(pickle.dumps(layout))
    assert loaded == layout and hash(loaded) == hash(layout)
    assert loaded.n_params == layout.n_params and loaded.n_coefs == layout.n_coefs
    assert loaded.coef_slices == layout.coef_slices
    assert loaded.intercept_slices == layout.intercept_slices
    assert loaded.scale_slice == layout.scale_slice
    theta = np.arange(layout.n_params, dtype=float)
    for a, b in zip(sum(loaded.unpack(theta), []), sum(layout.unpack(theta), [])):
        np.testing.assert_array_equal(a, b)


def test_param_layout_slices_hold_python_ints():
    layout = ParamLayout(UNITS, input_scaling=True)
    for s in [*layout.coef_slices, *layout.intercept_slices, layout.scale_slice]:
        assert type(s.start) is int and type(s.stop) is int
    assert type(layout.n_params) is int and type(layout.n_coefs) is int


def test_param_layout_embedding_sits_between_biases_and_scales():
    """The first layer takes the 4 columns, then 3 outputs of each of the 2 embedded."""
    layout = ParamLayout([4 + 2 * embeddings.N_OUTPUTS, 5, 2], input_scaling=True,
                         n_embedded=2)
    n_coefs, n_layers = sizes(layout.layer_units)
    assert layout.n_features == 4 and layout.n_coefs == n_coefs
    assert layout.embedding_slice == slice(n_layers, n_layers + embeddings.n_params(2))
    assert layout.scale_slice == slice(layout.embedding_slice.stop, layout.n_params)
    assert layout.scale_slice.stop - layout.scale_slice.start == 10
    theta = np.arange(layout.n_params, dtype=float)
    views = embeddings.unpack(layout.embedding(theta), 2)
    assert [v.shape for v in views] == [(2, 16), (2, 16), (2, 16, 3), (2, 3)]
    assert all(np.shares_memory(v, theta) for v in views)
    assert ParamLayout([4, 5, 2]).embedding(theta) is None


def test_param_layout_embedding_draws_and_rate():
    layout = ParamLayout([4 + 2 * embeddings.N_OUTPUTS, 5, 2], n_embedded=2)
    theta = layout.init_ntk(np.random.RandomState(0), np.float64)
    frequencies, phases, weights, biases = embeddings.unpack(layout.embedding(theta), 2)
    assert 0 < np.abs(frequencies).max() < 5 * embeddings.FREQUENCY_SCALE
    assert np.abs(phases).max() <= np.pi and np.abs(weights).max() <= 0.25
    # The layers draw first, as without an embedding.
    plain = ParamLayout(layout.layer_units)
    np.testing.assert_array_equal(
        theta[: plain.n_params],
        plain.init_ntk(np.random.RandomState(0), np.float64),
    )
    factors = layout.rate_factors(np.float64)
    embedding_factors = factors[layout.embedding_slice]
    np.testing.assert_array_equal(embedding_factors, embeddings.RATE_FACTOR)
    np.testing.assert_array_equal(factors[: layout.embedding_slice.start], 1.0)


def test_param_layout_equality_includes_the_embedding():
    units = [4 + embeddings.N_OUTPUTS, 5, 2]
    a, b = ParamLayout(units, n_embedded=1), ParamLayout(units)
    assert a != b and hash(a) != hash(b)
    assert a == pickle.loads(pickle.dumps(a))


def test_param_layout_refuses_an_embedding_wider_than_the_inputs():
    with pytest.raises(ValueError, match="cannot hold the embedding of 2 columns"):
        ParamLayout([7, 5, 2], n_embedded=2)
