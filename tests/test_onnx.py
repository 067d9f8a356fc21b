"""ONNX export through to_sklearn() and skl2onnx, checked with onnxruntime."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor

pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(hidden_layer_sizes=(16, 8), max_iter=50, random_state=0)

# skl2onnx has no exponential output layer, so loss='poisson' does not export.
CASES = {
    "binary": (ScratchMLPClassifier(dropout=0.2, **FAST), "binary_data"),
    "multiclass": (ScratchMLPClassifier(activation="tanh", **FAST), "multiclass_data"),
    "multilabel": (
        ScratchMLPClassifier(activation="logistic", solver="lbfgs", **FAST),
        "multilabel_data",
    ),
    "regression": (ScratchMLPRegressor(solver="lbfgs", **FAST), "regression_data"),
    "multioutput": (
        ScratchMLPRegressor(dropout=0.1, **FAST),
        "multioutput_regression_data",
    ),
}
TENSOR_TYPES = {np.float32: FloatTensorType, np.float64: DoubleTensorType}
# A float32 graph runs a float64 fit in single precision.
TOLERANCES = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-12)}


def run_onnx(model, X, dtype):
    """Export ``model`` for inputs of ``dtype`` and run it on ``X``."""
    tensor_type = TENSOR_TYPES[dtype]([None, X.shape[1]])
    # Plain probability arrays rather than a list of {class: probability} maps.
    options = {id(model): {"zipmap": False}} if hasattr(model, "classes_") else None
    onnx_model = skl2onnx.convert_sklearn(
        model, initial_types=[("X", tensor_type)], options=options
    )
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": X})


# onnxruntime implements the Binarizer that multilabel outputs use for float32 only.
CASES_AND_DTYPES = [
    (case, dtype)
    for case in CASES
    for dtype in TENSOR_TYPES
    if (case, dtype) != ("multilabel", np.float64)
]


@pytest.mark.parametrize("case, dtype", CASES_AND_DTYPES)
def test_onnx_export_predicts_as_ours(case, dtype, request):
    estimator, data = CASES[case]
    X, y = request.getfixturevalue(data)
    ours = estimator.__class__(**estimator.get_params()).fit(X, y)
    outputs = run_onnx(ours.to_sklearn(), X.astype(dtype), dtype)
    if isinstance(ours, ScratchMLPClassifier):
        labels, proba = outputs
        assert_array_equal(labels, ours.predict(X))
        assert_allclose(proba, ours.predict_proba(X), **TOLERANCES[dtype])
    else:
        (prediction,) = outputs
        assert_allclose(
            prediction.reshape(ours.predict(X).shape),
            ours.predict(X),
            **TOLERANCES[dtype],
        )
