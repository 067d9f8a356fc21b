"""RealMLP's input preprocessing of mixed tabular data, as a transformer.

pandas and polars DataFrames and pyarrow Tables are accepted but their
libraries are never imported: columns are read through their own methods.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from ._columns import (
    categorical_mask,
    column,
    factorize,
    is_frame,
    isna,
    positions,
    quartile_points,
    robust_scaling,
    scaling_of_points,
    seconds,
)

# The rows that transform expands at a time: the temporaries stay a few MiB,
# in cache, and the NumPy calls still few.
_CHUNK_ROWS = 1024
# A scaled value saturates here before the smooth clip: beyond it the clip is
# +-clip_scale to float64 precision (for clip scales up to 1e9), and its
# square is still finite in float32.
_SATURATION = 1e18


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    r"""Preprocessing of mixed numeric and categorical data for an MLP.

    The input preprocessing of RealMLP [1]_: numeric columns are centred on
    their median, robust-scaled and smoothly clipped, and get a 0/1 missing
    indicator column if they had missing values; categorical columns are
    one-hot encoded, or +-1 encoded when they have two categories. Date and
    time-span columns (datetime64, timezone-aware or not, and timedelta64)
    are numeric: one feature each, the seconds since 1970-01-01 UTC or the
    seconds of the span, whatever the unit of the dtype; a missing one (NaT)
    is missing. It takes pandas or polars DataFrames or pyarrow Tables with
    missing values (NaN, None, null, ``pd.NA``) or arrays, and returns a
    dense array: the numeric columns in input order, then their
    piecewise-linear encodings (with ``n_bins``), then the indicators, then
    the encoded categorical columns in input order.

    Parameters
    ----------
    categorical_features : array-like, 'from_dtype' or None, default='from_dtype'
        The categorical columns (an array-like of bool, int or str), as in
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`: a boolean
        mask, integer indices, or column names; None makes all columns numeric.
        'from_dtype' takes the DataFrame columns of category, object, bool and
        string dtype (polars Categorical, Enum, String and Boolean; pyarrow
        dictionary, string and bool), and no column of an ndarray.

    max_categories : int, default=32
        The most one-hot columns of a categorical column: with more categories
        the ``max_categories - 1`` most frequent keep theirs (ties go to the
        earlier category) and the rest share an "infrequent" column. RealMLP
        one-hot encodes up to 9 categories and embeds the rest; without
        embeddings, 32 encodes most categorical columns of tabular benchmarks
        (months, weekdays, regions) in full yet bounds the first layer's width,
        while the rarer categories of wider columns have too few samples each
        to learn a weight of their own.

    clip_scale : float or None, default=3.0
        The scale :math:`c` of the smooth clipping of scaled numeric values
        into :math:`(-c, c)`; None switches clipping off.

    n_bins : int or None, default=None
        With an int, each numeric column is also given a piecewise-linear
        encoding [2]_ over ``n_bins`` quantile bins of its training values
        (fewer where quantiles coincide; none for a column of fewer than 3
        distinct quantiles): one component per bin, 0 below it, 1 above it and
        linear across it, each then scaled and clipped like a numeric column.
        The network can then bend its response to each column at the bin
        edges, as a tree splits; None keeps the scaled value alone.

    dtype : {np.float64, np.float32}, default=np.float64
        The dtype of the output.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    is_categorical_ : ndarray of shape (`n_features_in_`,), dtype=bool
        Which input columns are categorical.

    center_, scale_ : ndarray of shape (`n_features_in_`,)
        The median and the factor (see Notes) of each numeric column, and of
        the code of each ordered categorical column; NaN for other columns.

    indicator_features_ : ndarray of shape (n_indicators,)
        Indices of the numeric columns with missing values during fit.

    bin_edges_ : list of length `n_features_in_`
        The edges of the piecewise-linear encoding of each numeric column, or
        None (categorical columns, ``n_bins=None``, too few distinct values).

    categories_ : list of length `n_features_in_`
        The categories seen during fit of each categorical column, sorted or
        in the order of its pandas categorical dtype (None for numeric
        columns). Of two categories, the second encodes as +1.

    infrequent_categories_ : list of length `n_features_in_`
        The categories grouped as infrequent in each column, or None.

    ordered_categories_ : list of length `n_features_in_`
        The categories of each pandas ordered categorical column, in order, or
        None.

    See Also
    --------
    sklearn.preprocessing.RobustScaler : Scaling by the interquartile range.
    sklearn.preprocessing.OneHotEncoder : One-hot encoding with infrequent groups.

    Notes
    -----
    A numeric value :math:`x` of a column with quartiles :math:`q_{25},
    q_{50}, q_{75}` (linearly interpolated, over non-missing training values)
    becomes

    .. math::

        z = (x - q_{50})\,s, \quad
        s = \begin{cases} 1 / (q_{75} - q_{25}) & \text{if } q_{75} > q_{25}, \\
        2 / (\max - \min) & \text{else if } \max > \min, \\
        0 & \text{otherwise,} \end{cases}
        \quad \tilde z = \frac{z}{\sqrt{1 + (z / c)^2}},

    and a missing value 0. A spread so small that its inverse overflows (a
    subnormal one) counts as zero. An ordered pandas categorical column also gets its
    code (the position in ``ordered_categories_``) scaled alike, after its
    one-hot columns, as the order carries information. Missing and unknown
    categories encode as zeros, so a column with one category gets one 0/1
    column (present or missing), as in ``OneHotEncoder``, and a column that
    was all missing during fit gets none.

    References
    ----------
    .. [1] D. Holzmüller, L. Grinsztajn and I. Steinwart, "Better by default:
       Strong pre-tuned MLPs and boosted trees on tabular data", NeurIPS 2024.
    .. [2] Y. Gorishniy, I. Rubachev and A. Babenko, "On embeddings for
       numerical features in tabular deep learning", NeurIPS 2022.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skscratchnn._tabular_preprocessing import TabularPreprocessor
    >>> X = pd.DataFrame({"age": [20.0, 30.0, np.nan, 60.0],
    ...                   "color": ["red", "blue", "green", None],
    ...                   "sex": ["F", "M", "M", "F"]})
    >>> pre = TabularPreprocessor().fit(X)
    >>> pre.get_feature_names_out()
    array(['age', 'missingindicator_age', 'color_blue', 'color_green',
           'color_red', 'sex'], dtype=object)
    >>> pre.transform(X).round(2)
    array([[-0.49,  0.  ,  0.  ,  0.  ,  1.  , -1.  ],
           [ 0.  ,  0.  ,  1.  ,  0.  ,  0.  ,  1.  ],
           [ 0.  ,  1.  ,  0.  ,  1.  ,  0.  ,  1.  ],
           [ 1.34,  0.  ,  0.  ,  0.  ,  0.  , -1.  ]])
    """

    _parameter_constraints: dict = {
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "max_categories": [Interval(Integral, 2, None, closed="left")],
        "clip_scale": [Interval(Real, 0, None, closed="neither"), None],
        "n_bins": [Interval(Integral, 2, None, closed="left"), None],
        "dtype": [Options(type, {np.float64, np.float32})],
    }

    def __init__(
        self, *, categorical_features="from_dtype", max_categories=32,
        clip_scale=3.0, n_bins=None, dtype=np.float64,
    ):
        self.categorical_features = categorical_features
        self.max_categories = max_categories
        self.clip_scale = clip_scale
        self.n_bins = n_bins
        self.dtype = dtype

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the medians, scales and categories of the columns of X.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The training data; missing values allowed, infinite ones not.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        X = self._validate(X, reset=True)
        n = self.n_features_in_
        self.is_categorical_ = categorical_mask(
            X, self.categorical_features, getattr(self, "feature_names_in_", None)
        )
        numeric = np.flatnonzero(~self.is_categorical_)
        self.center_, self.scale_ = np.full(n, np.nan), np.full(n, np.nan)
        self.bin_edges_, missing = [None] * n, np.zeros(len(numeric), dtype=bool)
        bin_centers, bin_scales = [np.empty(0)], [np.empty(0)]
        # Column by column: the memory of fit is a column's, not the encoding's.
        for k, (j, values) in enumerate(self._numeric_columns(X, numeric)):
            missing[k] = np.isnan(values).any()
            points, fractions = quartile_points(np.sort(values)[:, None])
            (self.center_[j],), (self.scale_[j],) = scaling_of_points(points, fractions)
            if self.n_bins is not None:
                quantiles = np.linspace(0, 1, self.n_bins + 1)
                edges = np.unique(np.nanquantile(values, quantiles))
                # Two bins at least: one bin is the raw value again.
                if len(edges) >= 3:
                    self.bin_edges_[j] = edges
                    # The encoding is non-decreasing in x: that of the points.
                    center, scale = scaling_of_points(_ramps(points, edges), fractions)
                    bin_centers.append(center)
                    bin_scales.append(scale)
        self.indicator_features_ = numeric[missing]
        self._bin_center, self._bin_scale = (
            np.concatenate(bin_centers), np.concatenate(bin_scales)
        )
        self.categories_, self.infrequent_categories_ = [None] * n, [None] * n
        self.ordered_categories_, self._onehot_columns = [None] * n, [None] * n
        for j in np.flatnonzero(self.is_categorical_):
            self._fit_categorical(j, *self._factorized(X, j, sort=True))
        self._fit_expansion(numeric, missing)
        return self

    def _fit_expansion(self, numeric, missing):
        """Lay out the compact columns and the expansion's constants in z-space.

        A numeric value is stored as ``z = (x - center_) * s``, with ``s`` its
        scale, or 1 where that is 0 lest all values and bin edges become 0.
        """
        scale = self.scale_[numeric]
        self._z_scale = np.where(scale > 0, scale, 1.0)
        self._numeric_scale = (scale > 0).astype(float)
        self._indicator_columns = np.flatnonzero(missing)
        self._bin_counts = np.zeros(len(numeric), dtype=int)
        lows, widths = [np.empty(0)], [np.empty(0)]
        for k, j in enumerate(numeric):
            edges = self.bin_edges_[j]
            if edges is not None:
                self._bin_counts[k] = len(edges) - 1
                lows.append((edges[:-1] - self.center_[j]) * self._z_scale[k])
                widths.append(np.diff(edges) * self._z_scale[k])
        self._bin_low, self._bin_width = np.concatenate(lows), np.concatenate(widths)
        self._n_compact = len(numeric) + sum(
            self._encoded_width(j) for j in np.flatnonzero(self.is_categorical_)
        )

    def _fit_categorical(self, j, uniques, codes, ordered):
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        categories, counts = uniques[counts > 0], counts[counts > 0]
        columns = np.arange(len(categories))
        if len(categories) > self.max_categories:
            n_frequent = self.max_categories - 1
            frequent = np.zeros(len(categories), dtype=bool)
            frequent[np.argsort(-counts, kind="stable")[:n_frequent]] = True
            columns = np.full(len(categories), n_frequent)
            columns[frequent] = np.arange(n_frequent)
            self.infrequent_categories_[j] = categories[~frequent]
        self.categories_[j], self._onehot_columns[j] = categories, columns
        if ordered:
            self.ordered_categories_[j] = uniques
            code = np.where(codes >= 0, codes, np.nan)[:, None]
            (self.center_[j],), (self.scale_[j],) = robust_scaling(code)

    def transform(self, X):
        """Scale, clip and encode X.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The data, with the columns seen during fit.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            The transformed data, C-contiguous, of dtype ``dtype``.
        """
        return self._transform(X, self.dtype)

    def _transform(self, X, dtype):
        """Transform ``X`` into an array of ``dtype`` (for callers needing another).

        The output is filled a chunk of rows at a time, so that the memory of
        transform is the output's and the compact array's, plus a chunk's.
        """
        # Compact in float64 whatever the output: its rounding would be
        # multiplied by the bin scales.
        compact = self._compact(X, np.float64)
        out = np.empty((len(compact), self._n_encoded), dtype)
        for start in range(0, len(out), _CHUNK_ROWS):
            rows = slice(start, start + _CHUNK_ROWS)
            self._expand(compact[rows], out[rows])
        return out

    @property
    def _n_numeric(self):
        """The number of numeric columns, which come first in the encoding."""
        return len(self._z_scale)

    @property
    def _n_encoded(self):
        """The width of the output: the encoding of a row of the compact form."""
        return self._n_compact + len(self._bin_low) + len(self.indicator_features_)

    def _compact(self, X, dtype=np.float32):
        """Return X in the compact form that :meth:`_expand` encodes.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The data, checked as by :meth:`transform`.

        dtype : {np.float32, np.float64}, default=np.float32
            The dtype of the result.

        Returns
        -------
        compact : ndarray of shape (n_samples, n_compact)
            C-contiguous: for each numeric column ``z = (x - center_) * s``
            (``s`` is ``scale_``, or 1 where that is 0), NaN if missing and
            saturated at half the largest float of ``dtype`` (so that
            differences stay finite); then the encoded categorical columns, as
            :meth:`transform` outputs them.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        compact = np.empty((X.shape[0], self._n_compact), dtype)
        bound = np.finfo(dtype).max / 2
        numeric = np.flatnonzero(~self.is_categorical_)
        for k, (j, values) in enumerate(self._numeric_columns(X, numeric)):
            z = (values - self.center_[j]) * self._z_scale[k]
            np.clip(z, -bound, bound, out=compact[:, k])
        start = len(numeric)
        for j in np.flatnonzero(self.is_categorical_):
            for block in self._encoded(j, *self._factorized(X, j, sort=False)[:2]):
                compact[:, start : start + block.shape[1]] = block
                start += block.shape[1]
        return compact

    def _expand(self, compact, out):
        """Write the encoding of compact rows into ``out``, as :meth:`transform` would.

        The scaled numeric columns, their piecewise-linear encodings, the
        missing indicators and the categorical columns are computed from the
        compact rows with temporaries of the size of ``out`` at most, for any
        number of rows: a minibatch, or a chunk of :meth:`transform`.

        Parameters
        ----------
        compact : ndarray of shape (n_samples, n_compact)
            Rows of :meth:`_compact`, of ``out``'s dtype or float32.

        out : ndarray of shape (n_samples, n_features_out)
            The output, float32 or float64; the encoding is computed in the
            dtype of ``compact``.

        Returns
        -------
        out : ndarray of shape (n_samples, n_features_out)
        """
        n_numeric = self._n_numeric
        z, bins = compact[:, :n_numeric], n_numeric + len(self._bin_low)
        indicators = slice(bins, bins + len(self._indicator_columns))
        finfo = np.finfo(compact.dtype)
        # z and the lower edges stay within half the largest float, and widths
        # above 0, so that only missing values give NaN.
        low = np.clip(self._bin_low, -finfo.max / 2, finfo.max / 2)
        width = np.clip(self._bin_width, finfo.smallest_subnormal, finfo.max)
        missing = np.isnan(z)
        any_missing = missing.any()
        with np.errstate(over="ignore"):
            # The work is done in place in contiguous temporaries: NumPy is
            # several times slower on the strided column blocks of out.
            limit = np.inf if self.clip_scale is None else _SATURATION
            scaled = np.clip(z, -limit, limit)
            ramps = np.repeat(z, self._bin_counts, axis=1)
            ramps -= low.astype(finfo.dtype)
            ramps /= width.astype(finfo.dtype)
            np.clip(ramps, 0.0, 1.0, out=ramps)
            ramps -= self._bin_center.astype(finfo.dtype)
            for v, scale, columns in (
                (scaled, self._numeric_scale, out[:, :n_numeric]),
                (ramps, self._bin_scale, out[:, n_numeric:bins]),
            ):
                if any_missing:
                    np.copyto(v, 0.0, where=np.isnan(v))
                self._clip_scaled(v, scale, columns)
        out[:, indicators] = missing[:, self._indicator_columns]
        out[:, indicators.stop :] = compact[:, n_numeric:]
        return out

    def _clip_scaled(self, v, scale, out):
        """Write the smooth clip of ``v * scale`` into ``out``, overwriting ``v``."""
        if self.clip_scale is None:
            return np.multiply(v, scale.astype(v.dtype), out=out)
        c = self.clip_scale
        # (v s) / sqrt(1 + (v s / c)**2) is c v / sqrt(k + v**2), k = (c / s)**2,
        # in an operation fewer; it is 0 where s = 0 (k infinite), and k >= tiny
        # keeps it 0 at v = 0 where s is huge.
        with np.errstate(divide="ignore", over="ignore"):
            k = np.maximum(np.square(c / scale), np.finfo(np.float32).tiny)
            denominator = np.square(v)
            denominator += k.astype(v.dtype)
        np.sqrt(denominator, out=denominator)
        v /= denominator
        return np.multiply(v, c, out=out)

    def _encoded(self, j, uniques, codes):
        index = positions(uniques, self.categories_[j])[codes]
        columns = self._onehot_columns[j]
        if len(columns) == 2:
            blocks = [np.where(index < 0, 0.0, 2.0 * index - 1.0)[:, None]]
        else:
            column = np.append(columns, -1)[index]
            blocks = [column[:, None] == np.arange(columns.max(initial=-1) + 1)]
        if self.ordered_categories_[j] is not None:
            code = positions(uniques, self.ordered_categories_[j])[codes]
            blocks.append(self._scaled(np.where(code >= 0, code, np.nan)[:, None], [j]))
        return blocks

    def _encoded_width(self, j):
        columns = self._onehot_columns[j]
        width = 1 if len(columns) == 2 else columns.max(initial=-1) + 1
        return width + (self.ordered_categories_[j] is not None)

    def _scaled(self, values, columns):
        return self._clipped((values - self.center_[columns]) * self.scale_[columns])

    def _clipped(self, z):
        """Set missing values to 0 and clip ``z`` smoothly to about +-clip_scale."""
        z[np.isnan(z)] = 0.0
        if self.clip_scale is not None:
            # hypot(1, t) is sqrt(1 + t**2) without overflow for huge |t|.
            z /= np.hypot(1.0, z / self.clip_scale)
        return z

    def get_feature_names_out(self, input_features=None):
        """Get the names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input feature names; by default ``feature_names_in_``, or
            ``x0, x1, ...`` when fit on data without feature names.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``<name>`` for numeric and two-category columns, then
            ``missingindicator_<name>``, ``<name>_<category>``,
            ``<name>_infrequent`` and ``ordinal_<name>``.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        out = list(names[~self.is_categorical_])
        for j in np.flatnonzero(~self.is_categorical_):
            if self.bin_edges_[j] is not None:
                n_bins = len(self.bin_edges_[j]) - 1
                out += [f"{names[j]}_bin{t}" for t in range(n_bins)]
        out += [f"missingindicator_{names[j]}" for j in self.indicator_features_]
        for j in np.flatnonzero(self.is_categorical_):
            categories, columns = self.categories_[j], self._onehot_columns[j]
            grouped = self.infrequent_categories_[j] is not None
            if len(categories) == 2:
                out.append(names[j])
            else:
                kept = categories[columns < columns.max()] if grouped else categories
                out += [f"{names[j]}_{category}" for category in kept]
                out += [f"{names[j]}_infrequent"] if grouped else []
            if self.ordered_categories_[j] is not None:
                out.append(f"ordinal_{names[j]}")
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        # Not input_tags.string: by default all columns of an ndarray are numeric.
        tags.transformer_tags.preserves_dtype = [np.dtype(self.dtype).name]
        return tags

    def _validate(self, X, reset):
        if is_frame(X):
            # A DataFrame keeps its columns' dtypes: check only its columns.
            validate_data(self, X, reset=reset, skip_check_array=True)
            if 0 in X.shape:
                raise ValueError(
                    f"Found array with shape {X.shape} while a minimum of 1 sample "
                    "and 1 feature is required."
                )
            return X
        return validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)

    def _numeric_columns(self, X, columns):
        """Yield the index and the float64 values of each numeric column of X."""
        for j in columns:
            values = self._numeric_column(X, j)
            if np.isinf(values).any():
                names = ", ".join(
                    self._column_name(i) for i in columns
                    if np.isinf(self._numeric_column(X, i)).any()
                )
                raise ValueError(
                    f"Input X contains infinity in the numeric column(s) {names}. "
                    "Numeric values must be finite or missing (NaN)."
                )
            yield j, values

    def _numeric_column(self, X, j):
        values = column(X, j)
        try:
            kind = getattr(values.dtype, "kind", "")
            if kind == "c":
                raise ValueError("Complex data not supported")
            if kind in ("m", "M"):
                return seconds(values)
            if hasattr(values, "to_numpy"):
                return values.to_numpy(dtype=np.float64, na_value=np.nan)
            if values.dtype.kind == "O":
                values = np.where(isna(values), np.nan, values)
            return values.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise type(error)(
                f"Column {self._column_name(j)} of X is treated as numeric, but "
                f"{error}. Declare it in categorical_features, or make it numeric."
            ) from error

    def _factorized(self, X, j, sort):
        try:
            return factorize(column(X, j), sort)
        except TypeError as error:
            raise TypeError(
                f"Column {self._column_name(j)} of X is categorical, so each argument "
                "must be hashable and, to be sorted during fit, uniformly strings or "
                f"numbers: {error}"
            ) from error

    def _column_name(self, j):
        names = getattr(self, "feature_names_in_", None)
        return repr(names[j]) if names is not None else f"at index {j}"


def _ramps(values, edges):
    """Return the piecewise-linear encoding of a column of values over ``edges``.

    Component ``t`` of a value ``x`` is ``(x - e_t) / (e_{t+1} - e_t)`` clipped
    to [0, 1]: the components of the bins below ``x`` are 1, those above 0.
    Missing values stay missing.
    """
    low, width = edges[:-1], np.diff(edges)
    # A subnormal width overflows the ratio, which the clip bounds.
    with np.errstate(over="ignore"):
        return np.clip((values - low) / width, 0.0, 1.0)
