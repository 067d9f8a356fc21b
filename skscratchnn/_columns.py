"""Columns of a DataFrame or an ndarray, read without importing a dataframe library.

The helpers of :class:`TabularPreprocessor`: which columns are categorical,
their categories and codes, missing values, dates, and robust scales. A pandas
column is read as a Series, a polars or pyarrow one as a NumPy array.
"""

import sys

import numpy as np


def is_frame(X):
    """Return whether X is a pandas or polars DataFrame or a pyarrow Table."""
    if hasattr(X, "iloc"):
        return X.ndim == 2
    return any(
        library in sys.modules and isinstance(X, getattr(sys.modules[library], name))
        for library, name in (("polars", "DataFrame"), ("pyarrow", "Table"))
    )


def column(X, j):
    if hasattr(X, "iloc"):
        return X.iloc[:, j]
    if hasattr(X, "to_series"):  # polars
        return X.to_series(j).to_numpy()
    if hasattr(X, "column"):  # pyarrow
        values = X.column(int(j))
        if hasattr(values.type, "index_type"):  # dictionary: to_numpy drops nulls
            values = values.cast(values.type.value_type)
        return values.to_numpy()
    return X[:, j]


def seconds(values):
    """Return datetimes as seconds since 1970 (UTC), time spans in seconds, NaT as NaN.

    The seconds, as float64, do not depend on the unit of the datetime64 or
    timedelta64 dtype.
    """
    if hasattr(values, "dt"):  # pandas
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(None)
        values = values.to_numpy()
    if values.dtype.kind == "M":
        values = values - np.datetime64(0, "s")
    return values / np.timedelta64(1, "s")


def isna(values):
    """Return the mask of the missing values (None, NaN, pd.NA) of a 1-D array."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind != "O":
        return np.zeros(values.shape, dtype=bool)
    pandas = sys.modules.get("pandas")
    if pandas is not None:  # pd.NA can only occur once pandas is imported.
        return np.asarray(pandas.isna(values), dtype=bool)
    return np.fromiter((v is None or v != v for v in values), bool, len(values))


def factorize(column, sort):
    """Return (uniques, codes, ordered), codes indexing uniques or -1 if missing."""
    if hasattr(column, "cat"):  # pandas categorical: keep its categories' order
        categories = np.asarray(column.cat.categories)
        return categories, np.asarray(column.cat.codes), bool(column.cat.ordered)
    if hasattr(column, "factorize"):
        codes, uniques = column.factorize(sort=sort)
        return np.asarray(uniques), np.asarray(codes), False
    present = ~isna(column)
    codes = np.full(len(column), -1)
    if column.dtype.kind != "O":
        uniques, codes[present] = np.unique(column[present], return_inverse=True)
        return uniques, codes, False
    uniques = list(dict.fromkeys(column[present].tolist()))
    uniques = np.array(sorted(uniques) if sort else uniques, dtype=object)
    codes[present] = positions(column[present], uniques)[:-1]
    return uniques, codes, False


def positions(values, categories):
    """Return the index of each value in categories, or -1, and a final -1.

    The final -1 maps the missing code -1 to -1 in ``positions(u, c)[codes]``.
    Dict look-ups find 1 as 1.0 and "a" as np.str_("a"), other types not.
    """
    index = {category: i for i, category in enumerate(categories.tolist())}
    return np.array([index.get(value, -1) for value in values.tolist()] + [-1])


def categorical_mask(X, categorical_features, feature_names):
    """Return the boolean mask of the categorical columns of X."""
    n_features = X.shape[1]
    mask = np.zeros(n_features, dtype=bool)
    if isinstance(categorical_features, str):  # "from_dtype"
        if is_frame(X):
            mask[:] = [column(X, j).dtype.kind in "bOSU" for j in range(n_features)]
        return mask
    features = np.asarray([] if categorical_features is None else categorical_features)
    kind = features.dtype.kind if features.ndim == 1 else "not 1-D"
    if features.size == 0:
        return mask
    if kind == "b" and len(features) != n_features:
        raise ValueError(
            f"categorical_features as a boolean mask needs one entry per column "
            f"of X, {n_features}, but has {len(features)}."
        )
    if kind in "iu" and (features.min() < 0 or features.max() >= n_features):
        raise ValueError(
            f"categorical_features as integer indices must be in "
            f"[0, {n_features - 1}], got {features.tolist()}."
        )
    if kind in "biu":
        mask[features] = True
        return mask
    if kind not in "UO" or not all(isinstance(f, str) for f in features.tolist()):
        raise ValueError(
            "categorical_features must be 'from_dtype', None, or a 1-D array-like "
            f"of bool, int or str, got {categorical_features!r}."
        )
    if feature_names is None:
        raise ValueError(
            "categorical_features names columns, but X has no feature names (a "
            "DataFrame with string column names); pass indices or a mask instead."
        )
    unknown = sorted(set(features.tolist()) - set(feature_names))
    if unknown:
        raise ValueError(
            f"categorical_features names columns that X does not have: {unknown}. "
            f"The columns of X are {list(feature_names)}."
        )
    return np.isin(feature_names, features)


def robust_scaling(values):
    """Return the median and RealMLP's factor of each column, ignoring NaN."""
    return scaling_of_points(*quartile_points(np.sort(values, axis=0)))


def quartile_points(ordered):
    """Return the values of the sorted columns that their robust scaling reads.

    ``ordered`` holds each column sorted, NaN last. ``points``, of shape (8,
    n_columns), are the two order statistics around the 25%, 50% and 75%
    quantiles (numpy's "linear" method on the non-missing values), then the
    smallest and largest non-missing value; ``fractions``, of shape (3,
    n_columns), place each quantile between its two points. As a
    non-decreasing function maps sorted values to sorted values,
    ``scaling_of_points(f(points), fractions)`` is the robust scaling of the
    columns of ``f(values)``.
    """
    last = np.maximum((~np.isnan(ordered)).sum(axis=0) - 1, 0)
    position = np.array([[0.25], [0.5], [0.75]]) * last
    low = np.floor(position).astype(int)
    rows = np.vstack([low, np.minimum(low + 1, last), np.zeros_like(last), last])
    return np.take_along_axis(ordered, rows, axis=0), position - low


def scaling_of_points(points, fractions):
    """Return the median and RealMLP's factor from :func:`quartile_points`."""
    a, b, (first, last) = points[:3], points[3:6], points[6:]
    q25, q50, q75 = a + (b - a) * fractions
    iqr, spread = q75 - q25, last - first
    # A spread too small to invert (zero, or subnormal: the inverse overflows)
    # counts as none, lest the scaled column become infinite or NaN.
    with np.errstate(divide="ignore", over="ignore"):
        by_iqr, by_spread = 1.0 / iqr, 2.0 / spread
    scale = np.where(np.isfinite(by_spread), by_spread, 0.0)
    scale = np.where(np.isfinite(by_iqr), by_iqr, scale)
    return np.nan_to_num(q50), scale
