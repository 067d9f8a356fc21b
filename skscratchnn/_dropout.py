"""Inverted-dropout masks drawn from a hash of each sample's content.

A mask entry depends only on (the bits of the sample's feature row, the update
step, the layer and unit, the fit's seed), not on the row's position in the
batch. So a row repeated twice gets the same masks as one row of weight 2, and
sample weights keep meaning repetition even with dropout on; and masks are
reproducible given ``random_state`` whatever the batch composition.

The hash is exact integer arithmetic (xors, wrapping uint32 products and sums,
and the ``lowbias32`` finalizer of C. Wellons, on each word of the row and again
on the row's sum), so it does not depend on summation order or BLAS. Two
distinct rows share a key, and so every mask, with probability about
``2**-32`` (binary and small-integer rows included); apart from that, masks
have the keep rate asked for and show no correlation between rows or units
beyond that of independent draws.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_M1 = np.uint32(0x7FEB352D)
_M2 = np.uint32(0x846CA68B)
# Words scrambled at a time by row_keys: 256 KiB buffers, as fast as one pass
# over a 200 x 784 batch and bounded whatever the batch size.
_CHUNK_WORDS = 2**16


def inplace_mix32(z, tmp):
    """Scramble the uint32 array ``z`` in place with the lowbias32 finalizer."""
    for shift, multiplier in ((16, _M1), (15, _M2), (16, None)):
        np.right_shift(z, shift, out=tmp)
        z ^= tmp
        if multiplier is not None:
            z *= multiplier


def _mixed_word_sums(bits, word_keys):
    """Return the wrapping row sums of ``mix(bits ^ word_keys)``.

    ``bits`` is a uint32 array of shape (n_rows, n_words); ``word_keys`` has
    one key per word, shape (n_words,) or that of ``bits``. The rows are
    scrambled a chunk at a time, in two reused buffers.
    """
    n_rows, n_words = bits.shape
    rows_per_chunk = max(1, _CHUNK_WORDS // max(n_words, 1))
    shape = (min(rows_per_chunk, n_rows), n_words)
    mixed, tmp = np.empty(shape, np.uint32), np.empty(shape, np.uint32)
    sums = np.empty(n_rows, np.uint32)
    for start in range(0, n_rows, rows_per_chunk):
        stop = min(start + rows_per_chunk, n_rows)
        keys = word_keys[start:stop] if word_keys.ndim == 2 else word_keys
        x = mixed[: stop - start]
        np.bitwise_xor(bits[start:stop], keys, out=x)
        inplace_mix32(x, tmp[: stop - start])
        x.sum(axis=1, dtype=np.uint32, out=sums[start:stop])
    return sums


def row_keys(X, feature_keys, salt):
    """Return one well-mixed uint32 key per row of ``X``.

    Each 32-bit word of the row is xored with its feature key and scrambled on
    its own, the scrambled words are summed (wrapping) and the sum, xored with
    ``salt``, is scrambled again. Scrambling each word before the sum is what
    keeps distinct rows apart: a weighted sum of the raw words cannot, since
    the float bits of small integers end in long runs of zeros (``1.0`` is
    ``0x3F800000``), so binary float32 rows would fall into at most 512 sums.

    The scrambled zero word, ``mix(feature_key)``, is taken off again, so a
    zero (an implicit one of a sparse row included) adds nothing and a row gets
    the same key dense or sparse. Dense rows are scrambled in chunks of about
    ``2**16`` words, so the scratch memory does not grow with the batch.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Batch of float32 or float64 rows.
    feature_keys : ndarray of uint32 of shape (n_features * words,)
        Random keys, ``words`` 32-bit words per feature value.
    salt : int
        Value mixed into every key (the seed and the update step).

    Returns
    -------
    keys : ndarray of uint32 of shape (n_samples,)
    """
    words = X.dtype.itemsize // 4
    # A word adds mix(bits ^ key) - mix(key): nothing when it is zero.
    zero_words = feature_keys.copy()
    inplace_mix32(zero_words, np.empty_like(zero_words))
    if sp.issparse(X):
        X = X.tocsr()
        if not X.has_canonical_format:
            # The dense row holds the sum of duplicate entries, not each one.
            X = X.copy()
            X.sum_duplicates()
        bits = np.ascontiguousarray(X.data).view(np.uint32).reshape(-1, words)
        columns = X.indices[:, None] * words + np.arange(words)
        per_entry = _mixed_word_sums(bits, feature_keys[columns])
        per_entry -= zero_words[columns].sum(axis=1, dtype=np.uint32)
        # Row sums as differences of a wrapping cumulative sum: exact mod 2**32.
        cumulative = np.zeros(X.nnz + 1, dtype=np.uint32)
        np.cumsum(per_entry, dtype=np.uint32, out=cumulative[1:])
        keys = cumulative[X.indptr[1:]] - cumulative[X.indptr[:-1]]
    else:
        bits = np.ascontiguousarray(X).view(np.uint32)
        keys = _mixed_word_sums(bits, feature_keys)
        keys -= zero_words.sum(dtype=np.uint32)
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
        """Draw the keys of a network of ``layer_units`` from RandomState ``rng``."""
        words = np.dtype(dtype).itemsize // 4

        def draw_uint32(size):
            return rng.randint(0, 2**32, size=size, dtype=np.uint64).astype(np.uint32)

        return cls(
            seed=int(draw_uint32(1)[0]),
            feature_keys=draw_uint32(layer_units[0] * words) | np.uint32(1),
            unit_keys=[draw_uint32(n) for n in layer_units[1:-1]],
        )
