"""Dropout masks keyed by row content: keys, masks and their statistics."""

import numpy as np
import pytest
import scipy.sparse as sp

from skscratchnn._dropout import DropoutKeys, fill_mask

N_ROWS, N_FEATURES, N_UNITS = 20_000, 64, 256
# Values whose float bits end in long runs of zeros: the hard case for a hash
# of the bits (1.0 is 0x3F800000).
VALUE_KINDS = ["binary", "one_hot", "small_integers"]


def draw_keys(n_features, dtype, seed=0):
    """The keys a fit draws for ``n_features`` inputs and one hidden layer."""
    rng = np.random.RandomState(seed)
    return DropoutKeys.draw(rng, [n_features, N_UNITS, 1], dtype)


def keys_of(X, keys, step):
    """Row keys as a fit makes them: hash the content once, then mix in the step."""
    return keys.row_keys(keys.row_hashes(X), step)


def distinct_rows(kind, dtype, seed=0):
    """About ``N_ROWS`` distinct rows of ``N_FEATURES`` columns of one kind."""
    rng = np.random.default_rng(seed)
    if kind == "one_hot":
        # 16 categorical features of 4 levels each, one-hot encoded.
        levels = rng.integers(0, 4, size=(N_ROWS, N_FEATURES // 4))
        X = np.eye(4)[levels].reshape(N_ROWS, N_FEATURES)
    else:
        X = rng.integers(0, {"binary": 2, "small_integers": 5}[kind],
                         size=(N_ROWS, N_FEATURES))
    return np.unique(X, axis=0).astype(dtype)


def masks(X, rate, seed=0):
    keys = draw_keys(X.shape[1], X.dtype, seed)
    mask = np.empty((X.shape[0], N_UNITS), np.float32)
    hash_buf, tmp_buf = (np.empty(mask.shape, np.uint32) for _ in range(2))
    fill_mask(mask, keys_of(X, keys, 7), keys.unit_keys[0], rate, hash_buf, tmp_buf)
    return mask


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", VALUE_KINDS)
def test_row_keys_of_distinct_rows_are_distinct(kind, dtype):
    X = distinct_rows(kind, dtype)
    assert len(X) > 0.99 * N_ROWS
    keys = keys_of(X, draw_keys(N_FEATURES, dtype, seed=1), 7)
    # Random 32-bit keys of n rows give about n**2 / 2**33 colliding pairs
    # (0.05 here; row_keys guarantees under 3 times that). A sum of the raw
    # bits times odd keys mod 2**32 gave at most 512 keys.
    assert len(X) - len(np.unique(keys)) <= 5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", VALUE_KINDS)
def test_masks_of_distinct_rows_are_uncorrelated(kind, dtype):
    """Two distinct rows agree on a unit as often as independent draws do."""
    X = distinct_rows(kind, dtype)
    n = len(X)
    # At rate 0.5 the statistic does not move, to first order, with the chance
    # keep rate of each unit, only with rows sharing masks: its standard
    # deviation is about 2e-6 here, and 512 groups of rows sharing a key
    # would add 1e-3.
    kept = (masks(X, 0.5) > 0).sum(axis=0).astype(np.float64)
    agreeing_pairs = kept * (kept - 1) / 2 + (n - kept) * (n - kept - 1) / 2
    agreement = agreeing_pairs.sum() / (N_UNITS * n * (n - 1) / 2)
    assert agreement == pytest.approx(0.5, abs=2e-5)


def test_masks_of_rows_differing_in_one_feature_are_uncorrelated():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 2, size=(4000, N_FEATURES)).astype(np.float32)
    neighbours = X.copy()
    flipped = rng.integers(0, N_FEATURES, len(X))
    neighbours[np.arange(len(X)), flipped] = 1 - X[np.arange(len(X)), flipped]
    agreement = (masks(X, 0.5) == masks(neighbours, 0.5)).mean(axis=1)
    # Independent draws: mean 0.5, standard error 0.5 / sqrt(256 * 4000) = 5e-4.
    assert agreement.mean() == pytest.approx(0.5, abs=3e-3)
    assert agreement.max() < 0.8


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_masks_keep_the_rate_asked_for(rate):
    mask = masks(distinct_rows("binary", np.float32), rate)
    keep = mask > 0
    np.testing.assert_allclose(mask[keep], 1 / (1 - rate), rtol=1e-6)
    assert keep.mean() == pytest.approx(1 - rate, abs=0.002)


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_masks_look_like_independent_draws(rate):
    rng = np.random.default_rng(0)
    X = rng.random((1000, 20))
    keys = draw_keys(20, X.dtype)
    mask = np.empty((1000, N_UNITS))
    hash_buf, tmp_buf = (np.empty((1000, N_UNITS), np.uint32) for _ in range(2))
    fill_mask(mask, keys_of(X, keys, 7), keys.unit_keys[0], rate, hash_buf, tmp_buf)
    keep = mask > 0
    np.testing.assert_allclose(mask[keep], 1 / (1 - rate))
    assert keep.mean() == pytest.approx(1 - rate, abs=0.005)
    # Correlations between rows and between units stay within what independent
    # Bernoulli draws give (standard deviation 1/sqrt(length)).
    for corr, length in [(np.corrcoef(keep), 256), (np.corrcoef(keep.T), 1000)]:
        off_diagonal = corr[np.triu_indices(len(corr), 1)]
        assert abs(off_diagonal.mean()) < 0.01
        assert off_diagonal.std() < 1.1 / np.sqrt(length)
        assert np.abs(off_diagonal).max() < 7 / np.sqrt(length)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_keys_of_identical_rows_are_identical(dtype):
    X = distinct_rows("small_integers", dtype)[:50]
    repeated = np.vstack([X, X[::-1], X[:1]])
    drawn = draw_keys(N_FEATURES, dtype, seed=1)
    keys = keys_of(repeated, drawn, 3)
    np.testing.assert_array_equal(keys[:50], keys[50:100][::-1])
    assert keys[-1] == keys[0]
    # Only the row's content counts, not the batch it comes in.
    np.testing.assert_array_equal(keys_of(X[7:9], drawn, 3), keys[7:9])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_keys_dense_equals_sparse(dtype):
    rng = np.random.default_rng(2)
    X = (rng.random((300, 40)) * (rng.random((300, 40)) < 0.3)).astype(dtype)
    X[5] = 0  # an empty sparse row
    X[6] = rng.integers(0, 3, 40)
    keys = draw_keys(40, dtype, seed=2)
    dense = keys_of(X, keys, 11)
    np.testing.assert_array_equal(keys_of(sp.csr_matrix(X), keys, 11), dense)
    np.testing.assert_array_equal(keys_of(sp.csc_matrix(X), keys, 11), dense)
    # Duplicate entries count as their sum, as in the dense row.
    csr = sp.csr_matrix(X)
    duplicated = sp.csr_matrix(
        (np.repeat(csr.data / 2, 2), np.repeat(csr.indices, 2), 2 * csr.indptr),
        shape=X.shape,
    )
    assert not duplicated.has_canonical_format
    np.testing.assert_array_equal(keys_of(duplicated, keys, 11), dense)
    # Explicit zeros add nothing, as implicit ones.
    csr.data[:5] = 0
    X_zeroed = csr.toarray()
    np.testing.assert_array_equal(
        keys_of(csr, keys, 11), keys_of(X_zeroed, keys, 11)
    )


def test_row_keys_change_with_salt():
    X = distinct_rows("binary", np.float32)[:1000]
    keys = draw_keys(N_FEATURES, np.float32, seed=1)
    same = keys_of(X, keys, 1) == keys_of(X, keys, 2)
    assert same.sum() <= 1
