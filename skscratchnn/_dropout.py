"""Inverted-dropout masks drawn from a hash of each sample's content.

A mask entry depends only on (the bits of the sample's feature row, the update
step, the layer and unit, the fit's seed), not on the row's position in the
batch. So a row repeated twice gets the same masks as one row of weight 2, and
sample weights keep meaning repetition even with dropout on; and masks are
reproducible given ``random_state`` whatever the batch composition.

The hash is exact integer arithmetic (wrapping uint32 products and sums, then
the ``lowbias32`` finalizer of C. Wellons), so it does not depend on summation
order or BLAS. Masks drawn this way have the keep rate asked for and show no
correlation between rows or units beyond that of independent draws.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_M1 = np.uint32(0x7FEB352D)
_M2 = np.uint32(0x846CA68B)


def inplace_mix32(z, tmp):
    """Scramble the uint32 array ``z`` in place with the lowbias32 finalizer."""
    for shift, multiplier in ((16, _M1), (15, _M2), (16, None)):
        np.right_shift(z, shift, out=tmp)
        z ^= tmp
        if multiplier is not None:
            z *= multiplier


def row_keys(X, feature_keys, salt):
    """Return one well-mixed uint32 key per row of ``X``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Batch of float32 or float64 rows.
    feature_keys : ndarray of uint32 of shape (n_features * words,)
        Random odd multipliers, ``words`` 32-bit words per feature value.
    salt : int
        Value mixed into every key (the seed and the update step).

    Returns
    -------
    keys : ndarray of uint32 of shape (n_samples,)
    """
    words = X.dtype.itemsize // 4
    if sp.issparse(X):
        X = X.tocsr()
        bits = np.ascontiguousarray(X.data).view(np.uint32).reshape(-1, words)
        columns = X.indices[:, None] * words + np.arange(words)
        products = (bits * feature_keys[columns]).sum(axis=1, dtype=np.uint32)
        keys = np.zeros(X.shape[0], dtype=np.uint32)
        np.add.at(keys, np.repeat(np.arange(X.shape[0]), np.diff(X.indptr)), products)
    else:
        bits = np.ascontiguousarray(X).view(np.uint32)
        keys = np.einsum("ij,j->i", bits, feature_keys)
    keys ^= np.uint32(salt & 0xFFFFFFFF)
    inplace_mix32(keys, np.empty_like(keys))
    return keys


def fill_mask(mask, keys, unit_keys, rate, hash_buf, tmp_buf):
    """Write an inverted-dropout mask into ``mask``: 0 or 1 / (1 - rate).

    Parameters
    ----------
    mask : ndarray of shape (n_samples, n_units)
        Output, float32 or float64.
    keys : ndarray of uint32 of shape (n_samples,)
        Row keys from :func:`row_keys`.
    unit_keys : ndarray of uint32 of shape (n_units,)
        Random keys of this layer's units.
    rate : float
        Probability of dropping a unit.
    hash_buf, tmp_buf : ndarray of uint32 of shape (n_samples, n_units)
        Scratch buffers.
    """
    # Row keys are fully mixed already; a multiply-xorshift-multiply of
    # (row key ^ unit key) decorrelates rows and units. Only the high bits
    # reach the threshold, so lowbias32's last xorshift is not needed.
    np.bitwise_xor(keys[:, None], unit_keys, out=hash_buf)
    hash_buf *= _M1
    np.right_shift(hash_buf, 15, out=tmp_buf)
    hash_buf ^= tmp_buf
    hash_buf *= _M2
    threshold = np.uint32(min(int(rate * 2**32), 2**32 - 1))
    np.greater_equal(hash_buf, threshold, out=mask, casting="unsafe")
    mask *= 1.0 / (1.0 - rate)


@dataclass(frozen=True)
class DropoutKeys:
    """Random keys that, with a step number, fix every dropout mask of a fit.

    Parameters
    ----------
    seed : int
    feature_keys : ndarray of uint32
        One odd multiplier per 32-bit word of an input row.
    unit_keys : list of ndarray of uint32
        One key per unit of each hidden layer.
    """

    seed: int
    feature_keys: np.ndarray
    unit_keys: list

    @classmethod
    def draw(cls, rng, layer_units, dtype):
        """Draw the keys of a network of ``layer_units`` from the RandomState ``rng``."""
        words = np.dtype(dtype).itemsize // 4

        def draw_uint32(size):
            return rng.randint(0, 2**32, size=size, dtype=np.uint64).astype(np.uint32)

        return cls(
            seed=int(draw_uint32(1)[0]),
            feature_keys=draw_uint32(layer_units[0] * words) | np.uint32(1),
            unit_keys=[draw_uint32(n) for n in layer_units[1:-1]],
        )
