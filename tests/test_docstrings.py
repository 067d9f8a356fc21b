"""Docstrings: numpydoc-valid, and the shared sections identical in both estimators."""

import ast

import pytest

from skscratchnn import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    TabularMLPRegressor,
    TabularPreprocessor,
)
from skscratchnn._docstrings import (
    SHARED_ATTRIBUTES,
    SHARED_PARAMETERS,
    own_defaults,
    own_descriptions,
    shared_parameters,
)
from skscratchnn._state import FITTED_ATTRIBUTES

numpydoc_validate = pytest.importorskip("numpydoc.validate")

ESTIMATORS = [ScratchMLPClassifier, ScratchMLPRegressor]
TABULAR = [TabularMLPClassifier, TabularMLPRegressor]
# Checks that do not fit a docstring inherited by sklearn's conventions:
# GL08 (private helpers), ES01 (extended summary), SA01/EX01 on methods.
IGNORED = {"GL08", "ES01", "SA01", "EX01", "RT02"}


def public_members(Estimator):
    yield Estimator.__module__ + "." + Estimator.__name__
    for name in ["fit", "partial_fit", "predict", "predict_proba", "predict_log_proba"]:
        if name in vars(Estimator) or name == "fit":
            owner = next(k for k in Estimator.__mro__ if name in vars(k))
            yield f"{owner.__module__}.{owner.__name__}.{name}"


@pytest.mark.parametrize(
    "qualname",
    sorted({m for E in [*ESTIMATORS, *TABULAR, TabularPreprocessor]
            for m in public_members(E)}),
)
def test_docstring_is_valid_numpydoc(qualname):
    result = numpydoc_validate.validate(qualname)
    errors = [(code, msg) for code, msg in result["errors"] if code not in IGNORED]
    assert not errors, errors


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_shared_sections_are_rendered_in_full(Estimator):
    assert SHARED_PARAMETERS in Estimator.__doc__
    assert SHARED_ATTRIBUTES in Estimator.__doc__
    assert "{shared" not in Estimator.__doc__


@pytest.mark.parametrize("Estimator", [*ESTIMATORS, *TABULAR])
def test_docs_give_the_defaults_of_the_signature(Estimator):
    assert (shared_parameters(own_defaults(Estimator), own_descriptions(Estimator))
            in Estimator.__doc__)
    for name, value in Estimator().get_params().items():
        doc = Estimator.__doc__
        entry = doc[doc.index(f"\n    {name} : ") + 1:].split("\n")[0]
        documented = entry.split("default=")[1]
        assert documented == repr(value) or ast.literal_eval(documented) == value, entry


@pytest.mark.parametrize("Estimator", TABULAR)
def test_tabular_docs_describe_their_own_batches(Estimator):
    doc = Estimator.__doc__
    entry = doc[doc.index("\n    batch_size : "):].split("\n\n")[0]
    assert "'auto' means\n        ``min(256, n_samples)``" in entry
    assert "of equal sizes" in entry
    assert "min(200" not in doc


def test_every_fitted_attribute_is_documented():
    for name in FITTED_ATTRIBUTES:
        assert f"    {name} : " in SHARED_ATTRIBUTES, name


@pytest.mark.parametrize("Estimator", [*ESTIMATORS, *TABULAR])
def test_every_parameter_is_documented(Estimator):
    documented = {
        line.split(" : ")[0].strip()
        for line in Estimator.__doc__.splitlines()
        if " : " in line and line.startswith("    ") and not line.startswith("     ")
    }
    assert set(Estimator().get_params()) <= documented
