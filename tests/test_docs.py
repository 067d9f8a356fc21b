"""The documentation's parameter table against the estimators' real signatures."""

import re
from pathlib import Path

import pytest
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor

MIGRATING = Path(__file__).parents[1] / "docs" / "migrating.rst"
ROW = re.compile(r"^   \* - ``(\w+)``\n     - ``(.+?)``\n     - (\w+)$", re.MULTILINE)
PAIRS = [(ScratchMLPClassifier, MLPClassifier), (ScratchMLPRegressor, MLPRegressor)]


@pytest.fixture(scope="module")
def table():
    if not MIGRATING.exists():
        pytest.skip("docs/ is not part of this installation")
    rows = ROW.findall(MIGRATING.read_text())
    return {name: (default, meaning) for name, default, meaning in rows}


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_migration_table_lists_every_parameter_with_its_default(table, ours, theirs):
    params = ours().get_params()
    missing = sorted(set(params) - set(table))
    assert not missing, f"add rows for {missing} to docs/migrating.rst"
    for name, value in params.items():
        assert table[name][0] == repr(value), name


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_migration_table_says_new_exactly_for_parameters_sklearn_lacks(
    table, ours, theirs
):
    sklearn_params = theirs().get_params()
    for name in ours().get_params():
        is_new = table[name][1] == "new"
        assert is_new == (name not in sklearn_params), name
        if not is_new:
            assert table[name][0] == repr(sklearn_params[name]), name
