"""Load MNIST from a directory of IDX files, or from OpenML when there is none.

The directory comes from the caller or from ``$SKSCRATCHNN_MNIST_DIR``; it must
hold the four ``*-ubyte.gz`` files of the standard distribution.
"""

import gzip
import os
from pathlib import Path

import numpy as np

FILES = {
    "train": ("train-images.idx3-ubyte.gz", "train-labels.idx1-ubyte.gz"),
    "test": ("t10k-images.idx3-ubyte.gz", "t10k-labels.idx1-ubyte.gz"),
}


def add_mnist_dir_argument(parser, otherwise):
    """Add ``--mnist-dir``, defaulting to ``$SKSCRATCHNN_MNIST_DIR``.

    ``otherwise`` says in the help what the script uses when neither is set.
    """
    parser.add_argument("--mnist-dir", default=os.environ.get("SKSCRATCHNN_MNIST_DIR"),
                        help="directory of the MNIST IDX files "
                             f"(default: $SKSCRATCHNN_MNIST_DIR, else {otherwise})")


def read_idx(path):
    """Return the array stored in a gzip-compressed IDX file."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    n_dims = data[3]
    shape = np.frombuffer(data, ">u4", count=n_dims, offset=4)
    return np.frombuffer(data, np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def load_mnist(data_dir=None, dtype=np.float32):
    """Return ``(X_train, y_train, X_test, y_test)`` with pixels scaled to [0, 1].

    Parameters
    ----------
    data_dir : str or Path, default=None
        Directory of the IDX files; defaults to ``$SKSCRATCHNN_MNIST_DIR``. When
        neither is given or the files are missing, MNIST is fetched from OpenML
        (the usual 60,000 / 10,000 split).
    dtype : numpy dtype, default=np.float32

    Returns
    -------
    X_train : ndarray of shape (60000, 784)
    y_train : ndarray of shape (60000,)
    X_test : ndarray of shape (10000, 784)
    y_test : ndarray of shape (10000,)
    """
    data_dir = data_dir or os.environ.get("SKSCRATCHNN_MNIST_DIR")
    if data_dir and all((Path(data_dir) / f).exists() for p in FILES.values() for f in p):
        arrays = []
        for images, labels in FILES.values():
            X = read_idx(Path(data_dir) / images).reshape(-1, 28 * 28)
            arrays += [X, read_idx(Path(data_dir) / labels).astype(np.int64)]
        X_train, y_train, X_test, y_test = arrays
    else:
        from sklearn.datasets import fetch_openml

        X, y = fetch_openml("mnist_784", version=1, return_X_y=True, as_frame=False)
        y = y.astype(np.int64)
        X_train, y_train, X_test, y_test = X[:60000], y[:60000], X[60000:], y[60000:]
    scale = np.asarray(1 / 255, dtype=dtype)
    return X_train.astype(dtype) * scale, y_train, X_test.astype(dtype) * scale, y_test
