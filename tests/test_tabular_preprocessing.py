"""TabularPreprocessor: scikit-learn checks, exact values, inputs, errors, use."""

import pickle
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import _get_feature_names

from skscratchnn._tabular_preprocessing import TabularPreprocessor

pd = pytest.importorskip("pandas")

NAMES_OUT = [
    "age", "spike", "const", "missingindicator_age", "sex",
    "color_blue", "color_green", "color_red",
    "city_b", "city_c", "city_infrequent",
    "size_S", "size_M", "size_L", "ordinal_size",
]  # fmt: skip


def clip(z, c=3.0):
    return z / np.sqrt(1 + (z / c) ** 2)


def small_frame():
    return pd.DataFrame(
        {
            "age": [1.0, 2.0, 3.0, 4.0, np.nan, 10.0],
            "spike": [0, 0, 0, 0, 0, 5],
            "const": [7.0] * 6,
            "sex": ["F", "M", "M", "F", None, "M"],
            "color": ["red", "blue", "green", "red", "blue", None],
            "city": ["a", "b", "b", "c", "c", "d"],
            "size": pd.Categorical(
                ["S", "M", "L", "M", None, "L"],
                categories=["S", "M", "L"],
                ordered=True,
            ),
        }
    )


def expected_small_frame(c=3.0):
    """The transform of small_frame(), worked out by hand (see the comments)."""
    squash = (
        (lambda z: np.asarray(z)) if c is None else (lambda z: clip(np.asarray(z), c))
    )
    # age: median 3, quartiles 2 and 4 -> (x - 3) / 2; the missing value -> 0.
    age = squash([-1.0, -0.5, 0.0, 0.5, 0.0, 3.5])
    # spike: quartiles equal (0), so 2 / (max - min) = 0.4 around the median 0.
    spike = squash([0, 0, 0, 0, 0, 2.0])
    const = np.zeros(6)
    indicator = [0, 0, 0, 0, 1, 0]
    sex = [-1, 1, 1, -1, 0, 1]  # F < M: F -> -1, M -> +1, missing -> 0
    color = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0]]
    # city with max_categories=3: b and c (2 samples each) keep their columns.
    city = [[0, 0, 1], [1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1]]
    size = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0], [0, 0, 1]]
    # size codes 0 1 2 1 - 2: median 1, quartiles 1 and 2 -> code - 1.
    ordinal = squash([-1.0, 0.0, 1.0, 0.0, 0.0, 1.0])
    return np.column_stack(
        [age, spike, const, indicator, sex, color, city, size, ordinal]
    )


@parametrize_with_checks(
    [
        TabularPreprocessor(),
        TabularPreprocessor(clip_scale=None, dtype=np.float32),
        TabularPreprocessor(categorical_features=[0], max_categories=3),
        TabularPreprocessor(n_bins=4),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("clip_scale", [3.0, 1.5, None])
def test_small_frame_exact_values(clip_scale):
    pre = TabularPreprocessor(max_categories=3, clip_scale=clip_scale)
    Xt = pre.fit_transform(small_frame())
    assert_allclose(Xt, expected_small_frame(clip_scale), rtol=1e-12, atol=1e-15)
    assert_array_equal(pre.get_feature_names_out(), NAMES_OUT)


def test_small_frame_fitted_attributes():
    pre = TabularPreprocessor(max_categories=3).fit(small_frame())
    nan = np.nan
    assert_array_equal(pre.is_categorical_, [0, 0, 0, 1, 1, 1, 1])
    assert_allclose(pre.center_, [3, 0, 7, nan, nan, nan, 1])
    assert_allclose(pre.scale_, [0.5, 0.4, 0, nan, nan, nan, 1])
    assert_array_equal(pre.indicator_features_, [0])
    assert pre.categories_[:3] == [None] * 3
    assert_array_equal(pre.categories_[5], ["a", "b", "c", "d"])
    assert_array_equal(pre.categories_[6], ["S", "M", "L"])
    assert_array_equal(pre.infrequent_categories_[5], ["a", "d"])
    assert pre.infrequent_categories_[4] is None
    assert_array_equal(pre.ordered_categories_[6], ["S", "M", "L"])
    assert pre.ordered_categories_[4] is None
    assert_array_equal(pre.feature_names_in_, small_frame().columns)


def test_missing_and_unknown_encode_as_zeros():
    pre = TabularPreprocessor(max_categories=3).fit(small_frame())
    new = pd.DataFrame(
        {
            "age": [np.nan, 3.0],
            "spike": [0, 0],
            "const": [8.0, 7.0],
            "sex": ["X", None],
            "color": ["purple", pd.NA],
            "city": ["zzz", "a"],  # "a" is known but infrequent
            "size": pd.Categorical(["XL", None], categories=["S", "M", "L", "XL"]),
        }
    )
    Xt = pre.transform(new)
    expected = np.zeros((2, len(NAMES_OUT)))
    expected[0, NAMES_OUT.index("missingindicator_age")] = 1
    expected[1, NAMES_OUT.index("city_infrequent")] = 1
    assert_array_equal(Xt, expected)


def test_quantiles_match_numpy():
    rng = np.random.default_rng(0)
    X = rng.lognormal(size=(101, 4))
    X[rng.random(X.shape) < 0.2] = np.nan
    pre = TabularPreprocessor(clip_scale=None).fit(X)
    q25, q50, q75 = np.nanquantile(X, [0.25, 0.5, 0.75], axis=0)
    assert_allclose(pre.center_, q50, rtol=1e-12)
    assert_allclose(pre.scale_, 1 / (q75 - q25), rtol=1e-12)
    expected = np.nan_to_num((X - q50) / (q75 - q25))
    assert_allclose(pre.transform(X)[:, :4], expected, rtol=1e-12)
    assert_array_equal(pre.transform(X)[:, 4:], np.isnan(X))


def test_clipping_is_smooth_and_bounded():
    X = np.array([[0.0], [1.0], [2.0], [1e6], [-1e300]])
    Xt = TabularPreprocessor(clip_scale=2.0).fit_transform(X)[:, 0]
    # median 1, quartiles 0 and 2 -> z = (x - 1) / 2; no overflow for huge |z|
    assert_allclose(Xt[:3], clip(np.array([-0.5, 0.0, 0.5]), 2.0))
    assert_allclose(Xt[3:], [2.0, -2.0])


def test_all_missing_columns():
    X = pd.DataFrame(
        {"num": [np.nan, np.nan], "cat": pd.Series([None, None], dtype=object)}
    )
    pre = TabularPreprocessor().fit(X)
    assert_array_equal(pre.get_feature_names_out(), ["num", "missingindicator_num"])
    assert_array_equal(pre.transform(X), [[0, 1], [0, 1]])


def test_single_category_is_a_presence_column():
    X = pd.DataFrame({"c": ["a", None, "a"]})
    pre = TabularPreprocessor().fit(X)
    assert_array_equal(pre.get_feature_names_out(), ["c_a"])
    assert_array_equal(
        pre.transform(pd.DataFrame({"c": ["a", None, "b"]})), [[1], [0], [0]]
    )


def test_infrequent_ties_go_to_the_earlier_category():
    X = np.array([["b"], ["a"], ["d"], ["c"], ["c"]], dtype=object)
    pre = TabularPreprocessor(categorical_features=[0], max_categories=2).fit(X)
    assert_array_equal(pre.get_feature_names_out(), ["x0_c", "x0_infrequent"])
    pre.set_params(max_categories=3).fit(X)
    assert_array_equal(pre.get_feature_names_out(), ["x0_a", "x0_c", "x0_infrequent"])
    assert_array_equal(pre.infrequent_categories_[0], ["b", "d"])
    assert_array_equal(
        pre.transform(X), [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 0]]
    )


@pytest.mark.parametrize(
    "categorical_features", [[1, 3], [False, True, False, True], ["color", "sex"]]
)
def test_ndarray_and_frame_give_the_same_result(categorical_features):
    frame = small_frame()[["age", "color", "spike", "sex"]]
    reference = TabularPreprocessor().fit_transform(frame)
    array = frame.to_numpy(dtype=object)
    if isinstance(categorical_features[0], str):
        with pytest.raises(ValueError, match="X has no feature names"):
            TabularPreprocessor(categorical_features=categorical_features).fit(array)
        result = TabularPreprocessor(categorical_features=categorical_features)
        result = result.fit_transform(frame)
    else:
        pre = TabularPreprocessor(categorical_features=categorical_features)
        result = pre.fit_transform(array)
        assert_array_equal(
            pre.get_feature_names_out()[:3], ["x0", "x2", "missingindicator_x0"]
        )
    assert_allclose(result, reference)


def test_numeric_ndarray_with_categorical_indices():
    X = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, np.nan], [5.0, 2.0]])
    pre = TabularPreprocessor(categorical_features=[1]).fit(X)
    assert_array_equal(pre.get_feature_names_out(), ["x0", "x1"])  # 1.0 vs 2.0: binary
    assert_array_equal(pre.transform(X)[:, 1], [-1, 1, 0, 1])


def test_pandas_dtypes():
    X = pd.DataFrame(
        {
            "int": pd.array([1, None, 3], dtype="Int64"),
            "float": pd.array([0.5, 1.5, None], dtype="Float64"),
            "string": pd.array(["x", None, "y"], dtype="string"),
            "default_str": ["x", "y", None],
            "object": pd.Series(["u", np.nan, "v"], dtype=object),
            "bool": [True, False, True],
            "boolean": pd.array([True, None, False], dtype="boolean"),
            "category": pd.Categorical(["p", "q", None]),
        }
    )
    pre = TabularPreprocessor().fit(X)
    assert_array_equal(pre.is_categorical_, [0, 0, 1, 1, 1, 1, 1, 1])
    assert pre.ordered_categories_[7] is None
    Xt = pre.transform(X)
    assert_array_equal(pre.indicator_features_, [0, 1])
    assert_allclose(
        Xt[:, 4:], [[-1, -1, -1, 1, 1, -1], [0, 1, 0, -1, 0, 1], [1, 0, 1, 1, -1, 0]]
    )
    assert_array_equal(Xt[:, 2:4], [[0, 0], [1, 0], [0, 1]])


def test_input_is_not_mutated():
    frame = small_frame()
    copy = frame.copy(deep=True)
    pre = TabularPreprocessor(max_categories=3).fit(frame)
    pre.transform(frame)
    pd.testing.assert_frame_equal(frame, copy)
    array = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]])
    array_copy = array.copy()
    TabularPreprocessor().fit(array).transform(array)
    assert_array_equal(array, array_copy)


@pytest.mark.parametrize(
    "categorical_features, match",
    [
        (None, "'color' of X is treated as numeric, but could not convert"),
        (["colour"], r"names columns that X does not have: \['colour'\]"),
        ([7], r"integer indices must be in \[0, 3\], got \[7\]"),
        ([-1], r"integer indices must be in \[0, 3\]"),
        ([True], "boolean mask needs one entry per column of X, 4, but has 1"),
        ([0.5], r"array-like of bool, int or str, got \[0.5\]"),
        ([[0]], "1-D array-like"),
    ],
)
def test_categorical_features_errors(categorical_features, match):
    frame = small_frame()[["age", "color", "spike", "sex"]]
    with pytest.raises(ValueError, match=match):
        TabularPreprocessor(categorical_features=categorical_features).fit(frame)


@pytest.mark.parametrize(
    "params",
    [
        {"categorical_features": "auto"},
        {"max_categories": 1},
        {"clip_scale": 0},
        {"dtype": int},
    ],
)
def test_invalid_parameters(params):
    with pytest.raises(InvalidParameterError, match=f"'{next(iter(params))}'"):
        TabularPreprocessor(**params).fit(small_frame())


def test_data_errors():
    frame = small_frame()[["age", "color"]].assign(age=[1.0, np.inf, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="infinity in the numeric column.*'age'"):
        TabularPreprocessor().fit(frame)
    strings = np.array([["a"], ["b"]], dtype=object)
    with pytest.raises(ValueError, match="at index 0 of X is treated as numeric"):
        TabularPreprocessor().fit(strings)
    mixed = np.array([["a"], [1]], dtype=object)
    with pytest.raises(TypeError, match="uniformly strings or numbers"):
        TabularPreprocessor(categorical_features=[0]).fit(mixed)


def test_transform_checks_the_columns():
    frame = small_frame()[["age", "color"]]
    pre = TabularPreprocessor().fit(frame)
    with pytest.raises(ValueError, match="feature names should match"):
        pre.transform(frame[["color", "age"]])
    with (
        pytest.warns(UserWarning, match="does not have valid feature names"),
        pytest.raises(ValueError, match="has 1 features, but TabularPreprocessor is"),
    ):
        pre.transform(frame[["age"]].to_numpy())
    with pytest.raises(ValueError, match="infinity"):
        pre.transform(frame.assign(age=np.inf))
    pre.transform(frame.assign(color="new"))  # unknown categories are no error


def test_feature_names_out():
    pre = TabularPreprocessor(max_categories=3).fit(small_frame())
    names = ["a", "b", "c", "d", "e", "f", "g"]
    with pytest.raises(ValueError, match="input_features is not equal to"):
        pre.get_feature_names_out(names)
    pre = TabularPreprocessor(categorical_features=[1]).fit(
        np.array([[0, 1], [1, 2], [2, 3]])
    )
    assert_array_equal(pre.get_feature_names_out(), ["x0", "x1_1", "x1_2", "x1_3"])
    assert_array_equal(
        pre.get_feature_names_out(["n", "k"]), ["n", "k_1", "k_2", "k_3"]
    )


def test_set_output_pandas():
    frame = small_frame()
    pre = TabularPreprocessor(max_categories=3).set_output(transform="pandas")
    out = pre.fit_transform(frame)
    assert list(out.columns) == NAMES_OUT
    assert_allclose(out.to_numpy(), expected_small_frame())


def test_pipeline_with_missing_values():
    rng = np.random.default_rng(0)
    n = 300
    signal = rng.normal(size=n)
    X = pd.DataFrame(
        {
            "signal": np.where(rng.random(n) < 0.2, np.nan, signal * 1e3 + 5e4),
            "noise": rng.normal(size=n),
            "group": pd.Series(rng.choice(["u", "v", "w"], n)).where(
                rng.random(n) > 0.1
            ),
        }
    )
    y = (signal > 0) ^ (X["group"] == "w").to_numpy()
    model = make_pipeline(TabularPreprocessor(), LogisticRegression()).fit(
        X[:200], y[:200]
    )
    assert model.score(X[200:], y[200:]) > 0.6
    assert model.predict(X.iloc[[0]]).shape == (1,)


def test_single_row_transform_and_output_layout():
    frame = small_frame()
    pre = TabularPreprocessor(max_categories=3, dtype=np.float32).fit(frame)
    full = pre.transform(frame)
    assert full.dtype == np.float32 and full.flags.c_contiguous
    for i in range(len(frame)):
        assert_array_equal(pre.transform(frame.iloc[[i]]), full[[i]])


def test_pickle_round_trip():
    frame = small_frame()
    pre = TabularPreprocessor(max_categories=3).fit(frame)
    restored = pickle.loads(pickle.dumps(pre))
    assert_array_equal(restored.transform(frame), pre.transform(frame))
    assert_array_equal(restored.get_feature_names_out(), NAMES_OUT)


def test_pandas_is_never_required():
    code = """
import sys
import numpy as np

class NoPandas:  # makes importing pandas fail
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "pandas":
            raise ImportError("pandas is blocked")

sys.meta_path.insert(0, NoPandas())
from skscratchnn._tabular_preprocessing import TabularPreprocessor
X = np.array([[1.0, "a"], [None, None], [3.0, "b"], [np.nan, "a"]], dtype=object)
Xt = TabularPreprocessor(categorical_features=[1]).fit_transform(X)
z = 1 / np.sqrt(1 + 1 / 9)  # (x - 2) / (2.5 - 1.5) = +-1, clipped
np.testing.assert_allclose(Xt, [[-z, 0, -1], [0, 1, 0], [z, 0, 1], [0, 1, -1]])
assert "pandas" not in sys.modules
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_piecewise_linear_encoding_exact_values():
    """Quantile edges 0, 1, 2, 4 (of 0..4 with n_bins=3 -> quartiles 0, 4/3...)."""
    x = np.array([0.0, 1.0, 2.0, 3.0, 6.0, np.nan])
    pre = TabularPreprocessor(n_bins=3, clip_scale=None).fit(x[:, None])
    edges = pre.bin_edges_[0]
    np.testing.assert_allclose(edges, np.nanquantile(x, [0, 1 / 3, 2 / 3, 1]))
    low, width = edges[:-1], np.diff(edges)
    raw = np.clip((x[:, None] - low) / width, 0, 1)
    center = np.nanmedian(raw, axis=0)
    q25, q75 = np.nanquantile(raw, [0.25, 0.75], axis=0)
    expected = (raw - center) / np.where(q75 > q25, q75 - q25, 1.0)
    expected[np.isnan(expected)] = 0.0
    out = pre.transform(x[:, None])
    assert out.shape == (6, 1 + 3 + 1)  # value, 3 bins, missing indicator
    np.testing.assert_allclose(out[:, 1:4], expected, atol=1e-12)
    names = pre.get_feature_names_out()
    assert list(names) == ["x0", "x0_bin0", "x0_bin1", "x0_bin2",
                           "missingindicator_x0"]


def test_piecewise_linear_encoding_skips_columns_of_few_values():
    X = np.column_stack([np.r_[np.zeros(9), 1.0], np.arange(10.0)])
    pre = TabularPreprocessor(n_bins=4).fit(X)
    assert pre.bin_edges_[0] is None and len(pre.bin_edges_[1]) == 5
    assert pre.transform(X).shape == (10, 2 + 4)


@pytest.mark.filterwarnings("error")
def test_subnormal_spreads_count_as_none():
    """A spread whose inverse overflows scales like a constant column's."""
    rng = np.random.RandomState(0)
    tiny = rng.rand(50) * 1e-309
    X = np.c_[tiny, np.r_[tiny[:45], np.ones(5)], rng.rand(50)]
    pre = TabularPreprocessor(n_bins=16).fit(X)
    assert np.isfinite(pre.transform(X)).all()
    # Subnormal IQRs: the first column has no spread left, the second its range.
    assert_array_equal(pre.scale_[:2], [0.0, 2.0 / (1.0 - tiny[:45].min())])


def date_frame(unit="us"):
    dates = pd.Series(
        pd.to_datetime(["2020-01-01", None, "2020-01-03", "2020-01-11"])
    ).astype(f"datetime64[{unit}]")
    return pd.DataFrame({
        "date": dates,
        "zoned": dates.dt.tz_localize("UTC").dt.tz_convert("America/New_York"),
        "span": dates - dates.iloc[0],
    })


def test_dates_and_time_spans_are_seconds_with_missing_indicators():
    day = 86400.0
    pre = TabularPreprocessor().fit(date_frame())
    assert not pre.is_categorical_.any()
    assert_array_equal(pre.indicator_features_, [0, 1, 2])
    # Medians of the present values (days 0, 2, 10): 2020-01-03 and 2 days.
    assert_array_equal(pre.center_, [1578009600.0, 1578009600.0, 2 * day])
    assert_array_equal(pre.scale_, 1 / (5 * day))
    Xt = pre.transform(date_frame())
    assert_array_equal(Xt[:, 0], Xt[:, 1])  # a timezone changes no instant
    assert_array_equal(Xt[1], [0, 0, 0, 1, 1, 1])


@pytest.mark.parametrize("unit", ["s", "ms", "ns"])
def test_dates_encode_whatever_their_unit(unit):
    pre = TabularPreprocessor().fit(date_frame("us"))
    assert_array_equal(pre.transform(date_frame(unit)), pre.transform(date_frame()))


def mixed_columns():
    """Numbers with a missing one, strings, a category, booleans with a missing one."""
    return {
        "number": [1.0, None, 3.0, 4.0],
        "text": ["a", None, "b", "a"],
        "category": ["x", None, "y", "z"],
        "flag": [True, None, False, True],
    }


def test_polars_frames_are_read_like_pandas_ones():
    pl = pytest.importorskip("polars")
    columns = mixed_columns()
    frame = pl.DataFrame(columns).with_columns(pl.col("category").cast(pl.Categorical))
    pandas_frame = pd.DataFrame(columns).astype({"category": "category"})
    pre = TabularPreprocessor().fit(frame)
    assert_array_equal(pre.is_categorical_, [False, True, True, True])
    # Column names as scikit-learn reads them (polars' since after 1.7).
    if _get_feature_names(frame) is None:
        assert not hasattr(pre, "feature_names_in_")
    else:
        assert_array_equal(pre.feature_names_in_, list(columns))
    assert_array_equal(pre.transform(frame),
                       TabularPreprocessor().fit_transform(pandas_frame))


def test_pyarrow_tables_are_read_like_pandas_ones():
    pa = pytest.importorskip("pyarrow")
    columns = mixed_columns()
    table = pa.table(columns)
    table = table.set_column(2, "category", table["category"].dictionary_encode())
    frame = pd.DataFrame(columns).astype({"category": "category"})
    pre = TabularPreprocessor().fit(table)
    assert_array_equal(pre.is_categorical_, [False, True, True, True])
    # The missing category stays missing (pyarrow's to_numpy would drop it).
    assert_array_equal(pre.transform(table), TabularPreprocessor().fit_transform(frame))


def binned_frame(n=300, seed=0):
    """Numeric columns worth binning, with missing values, beside categorical ones."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "lognormal": rng.lognormal(0, 2, n),
        "integers": rng.integers(0, 4, n).astype(float),
        "const": np.full(n, 2.0),
        "color": rng.choice(["red", "green", "blue"], n),
        "sex": rng.choice(["F", "M"], n),
        "size": pd.Categorical(rng.choice(["S", "M", "L"], n),
                               categories=["S", "M", "L"], ordered=True),
    })
    frame.loc[rng.random(n) < 0.1, "lognormal"] = np.nan
    frame.loc[rng.random(n) < 0.1, "color"] = None
    return frame


def test_compact_holds_z_then_the_categorical_columns():
    frame = binned_frame()
    pre = TabularPreprocessor(n_bins=8).fit(frame)
    compact = pre._compact(frame)
    assert compact.dtype == np.float32 and compact.flags.c_contiguous
    center, scale = pre.center_[:3], pre.scale_[:3]
    z = (frame.iloc[:, :3].to_numpy() - center) * np.where(scale > 0, scale, 1.0)
    assert_allclose(compact[:, :3], z, rtol=1e-6)  # NaN where missing
    categorical = pre.transform(frame)[:, -(compact.shape[1] - 3):]
    assert_allclose(compact[:, 3:], categorical, rtol=1e-6)


def polars_frame():
    pl = pytest.importorskip("polars")
    return pl.from_pandas(binned_frame())


def cauchy_with_missing_values():
    rng = np.random.default_rng(0)
    X = rng.standard_cauchy((300, 4))
    X[rng.random(X.shape) < 0.1] = np.nan
    return X


@pytest.mark.parametrize(
    "make", [cauchy_with_missing_values, binned_frame, polars_frame]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("clip_scale", [3.0, None])
def test_expand_of_compact_is_transform(make, dtype, clip_scale):
    X = make()
    pre = TabularPreprocessor(n_bins=16, clip_scale=clip_scale, dtype=dtype).fit(X)
    expected = pre.transform(X)
    out = np.empty_like(expected)
    # transform expands a float64 compact form into the output's dtype.
    assert pre._expand(pre._compact(X, np.float64), out) is out
    assert_array_equal(out, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_missing_at_transform_only_encode_as_zeros(dtype):
    X = np.random.default_rng(0).standard_normal((200, 3))
    pre = TabularPreprocessor(n_bins=4, dtype=dtype).fit(X)
    assert_array_equal(pre.transform(np.full((1, 3), np.nan)), np.zeros((1, 15)))


def test_float32_expansion_agrees_with_float64():
    frame = binned_frame(2000)
    pre = TabularPreprocessor(n_bins=5).fit(frame)
    expected = pre.transform(frame)
    got = pre._transform(frame, np.float32)
    assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_chunked_transform_is_the_single_chunk_transform(monkeypatch):
    from skscratchnn import _tabular_preprocessing

    frame = binned_frame()
    pre = TabularPreprocessor(n_bins=16, dtype=np.float32).fit(frame)
    whole = pre.transform(frame)
    monkeypatch.setattr(_tabular_preprocessing, "_CHUNK_ROWS", 7)
    assert_array_equal(pre.transform(frame), whole)


def traced_peak(run):
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_memory_grows_with_the_input_not_with_its_encoding(dtype):
    """fit holds a few columns at a time, transform the output and a chunk."""
    X = np.random.default_rng(0).standard_normal((20_000, 20))
    pre = TabularPreprocessor(n_bins=16, dtype=dtype)
    _, fit_peak = traced_peak(lambda: pre.fit(X))
    assert fit_peak < X.nbytes / 2
    out, transform_peak = traced_peak(lambda: pre.transform(X))
    assert out.shape == (20_000, 20 * 17)
    assert transform_peak < out.nbytes * 1.5 + 2**20
