"""Docstrings: numpydoc-valid, and the shared sections identical in both estimators."""

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


@pytest.mark.parametrize("Estimator", TABULAR)
def test_tabular_docs_give_the_tabular_defaults(Estimator):
    defaults = Estimator().get_params()
    rendered = shared_parameters(Estimator._defaults)
    assert rendered in Estimator.__doc__
    for name, value in Estimator._defaults.items():
        section = rendered if f"{name} : " in SHARED_PARAMETERS else Estimator.__doc__
        entry = section[section.index(f"    {name} : "):].split("\n")[0]
        assert entry.endswith(f"default={defaults[name]!r}"), entry


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
