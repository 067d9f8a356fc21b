"""Inverted-dropout masks drawn from a hash of each sample's content.

A mask entry depends only on (the bits of the sample's feature row, the update
step, the layer and unit, the fit's seed), not on the row's position in the
batch. So a row repeated twice gets the same masks as one row of weight 2, and
sample weights keep meaning repetition even with dropout on; and masks are
reproducible given ``random_state`` whatever the batch composition.

The hash is exact integer arithmetic (a sum of products of the row's 32-bit
words with random keys, in 64 bits, computed once per fit; at each step it is
salted, scrambled with MurmurHash3's finalizer and cut to 32 bits; the masks
then use C. Wellons' ``lowbias32`` multipliers), so it does not depend on
summation order or BLAS. Whatever the features (binary and
small-integer ones included), two distinct rows share every mask of a fit with
probability at most ``2**-31``, and those of one step with about ``2**-32``
more; apart from that, masks have the keep rate asked for and show no
correlation between rows or units beyond that of independent draws.

A fit draws its :class:`DropoutKeys` and keeps them, with its rows' hashes,
buffers and last masks, in one :class:`Dropout` that the forward and backward
passes call layer by layer.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

# The multipliers of C. Wellons' lowbias32 finalizer, for the masks.
_M1 = np.uint32(0x7FEB352D)
_M2 = np.uint32(0x846CA68B)
# MurmurHash3's 64-bit finalizer (fmix64), for the row sums: (shift, multiplier).
_FMIX64 = (
    (33, np.uint64(0xFF51AFD7ED558CCD)),
    (33, np.uint64(0xC4CEB9FE1A85EC53)),
    (33, None),
)


def row_hashes(X, feature_keys):
    """Return the content hash ``S`` of each row of ``X``, in uint64.

    The row's 32-bit words ``b_j`` and their keys ``c_j`` give
    ``S = sum_j c_j * b_j mod 2**64``. It does not depend on the update step,
    so a fit computes it once per row and :func:`row_keys` mixes in the step.

    Each product of two 32-bit numbers is exact in 64 bits, so the long runs
    of trailing zeros in the float bits of small integers (``1.0`` is
    ``0x3F800000``) lose nothing; a sum of such products mod ``2**32`` would
    leave binary float32 rows at most 512 distinct keys. For two distinct rows,
    pick a word ``j`` where they differ, by ``d = 2**t * odd`` with ``t < 32``:
    given the other keys, the sums agree only if ``c_j * d`` takes one value
    mod ``2**64``, which at most one ``c_j < 2**32`` does. So two distinct rows
    get the same hash with probability at most ``2**-31`` over the random odd
    keys. A zero word adds nothing, so a row gets the same hash dense or sparse.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Float32 or float64 rows.
    feature_keys : ndarray of uint32 of shape (n_features * words,)
        Random odd keys, ``words`` 32-bit words per feature value.

    Returns
    -------
    hashes : ndarray of uint64 of shape (n_samples,)
    """
    words = X.dtype.itemsize // 4
    keys64 = feature_keys.astype(np.uint64)
    if sp.issparse(X):
        X = X.tocsr()
        if not X.has_canonical_format:
            # The dense row holds the sum of duplicate entries, not each one.
            X = X.copy()
            X.sum_duplicates()
        bits = np.ascontiguousarray(X.data).view(np.uint32).reshape(-1, words)
        columns = X.indices[:, None] * words + np.arange(words)
        products = np.einsum("ij,ij->i", bits, keys64[columns], dtype=np.uint64)
        # Row sums as differences of a wrapping cumulative sum: exact mod 2**64.
        cumulative = np.zeros(X.nnz + 1, dtype=np.uint64)
        np.cumsum(products, dtype=np.uint64, out=cumulative[1:])
        return cumulative[X.indptr[1:]] - cumulative[X.indptr[:-1]]
    bits = np.ascontiguousarray(X).view(np.uint32)
    # einsum casts the words to uint64 in buffered blocks: no full copy.
    return np.einsum("ij,j->i", bits, keys64, dtype=np.uint64)


def row_keys(hashes, salt):
    """Return one well-mixed uint32 key per row from its :func:`row_hashes`.

    ``hashes ^ salt`` is scrambled with MurmurHash3's 64-bit finalizer, a
    bijection, and the top 32 bits are the key: distinct hashes share a key
    with probability about ``2**-32``, and identical ones always do.

    Parameters
    ----------
    hashes : ndarray of uint64 of shape (n_samples,)
    salt : int
        Value mixed into every key (the seed and the update step).

    Returns
    -------
    keys : ndarray of uint32 of shape (n_samples,)
    """
    mixed = hashes ^ np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
    tmp = np.empty_like(mixed)
    for shift, multiplier in _FMIX64:
        np.right_shift(mixed, shift, out=tmp)
        mixed ^= tmp
        if multiplier is not None:
            mixed *= multiplier
    return (mixed >> np.uint64(32)).astype(np.uint32)


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
    # (row key + unit key) decorrelates rows and units. Only the high bits
    # reach the threshold, so lowbias32's last xorshift is not needed. The
    # first product distributes over the sum: one pass over the batch saved.
    np.add((keys * _M1)[:, None], unit_keys * _M1, out=hash_buf)
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

    def row_hashes(self, X):
        """Return the step-independent :func:`row_hashes` of the rows of ``X``."""
        return row_hashes(X, self.feature_keys)

    def row_keys(self, hashes, step):
        """Return the rows' keys at update ``step`` from their ``hashes``."""
        return row_keys(hashes, self.seed ^ step)


class Dropout:
    """The dropout of one fit: its keys, its rows' hashes, buffers and masks.

    The objective names each minibatch with :meth:`for_batch`; the forward
    pass then calls :meth:`apply` after each hidden activation and the
    backward pass :meth:`backward`. Layers are numbered as the network's
    activations, the first hidden one being 1; each method leaves a layer of
    rate 0 alone.

    Parameters
    ----------
    keys : DropoutKeys
    rates : sequence of float
        Drop rate of each hidden layer.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        All the rows the fit's minibatches are taken from.
    max_rows : int
        The largest minibatch.
    """

    def __init__(self, keys, rates, X, max_rows):
        self.keys = keys
        self.rates = tuple(rates)
        # A row's hash is the same at every step: computed once per fit.
        self.hashes = keys.row_hashes(X)
        self.masks = {
            layer: np.empty((max_rows, len(unit_keys)), X.dtype)
            for layer, (unit_keys, rate) in enumerate(zip(keys.unit_keys, rates), 1)
            if rate > 0
        }
        width = max((mask.shape[1] for mask in self.masks.values()), default=0)
        self._hash = np.empty((max_rows, width), np.uint32)
        self._hash_tmp = np.empty_like(self._hash)
        self._row_keys = None

    def for_batch(self, step, rows):
        """Key the next masks to update ``step`` and the data's ``rows``.

        Parameters
        ----------
        step : int
        rows : ndarray of int or slice
            The rows of ``X`` that the minibatch holds, in its order.
        """
        self._row_keys = self.keys.row_keys(self.hashes[rows], step)

    def apply(self, A, layer):
        """Draw the mask of hidden ``layer``, keep it, multiply ``A`` by it in place."""
        if layer not in self.masks:
            return
        n, width = A.shape
        mask = self.masks[layer][:n]
        fill_mask(mask, self._row_keys, self.keys.unit_keys[layer - 1],
                  self.rates[layer - 1], self._hash[:n, :width],
                  self._hash_tmp[:n, :width])
        A *= mask

    def backward(self, delta, layer):
        """Multiply ``delta`` in place by the last mask of hidden ``layer``."""
        if layer in self.masks:
            delta *= self.masks[layer][: delta.shape[0]]

    def unscaled(self, A, layer):
        """Return the masked ``A`` of ``layer`` without the ``1 / (1 - rate)`` scale.

        Kept units get their activation back; dropped ones stay 0.
        """
        if layer not in self.masks:
            return A
        return A * (1.0 - self.rates[layer - 1])
