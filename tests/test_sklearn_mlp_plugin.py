"""The plugin that runs scikit-learn's MLP tests on ours, on a few of them.

The whole of scikit-learn's module runs in ``.ci/run``.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def run_pytest(*args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.sklearn_mlp_plugin",
         "-p", "no:cacheprovider", *args],
        cwd=ROOT, capture_output=True, text=True,
    )


def test_sklearn_tests_run_on_our_estimators_but_the_private_ones():
    result = run_pytest(
        "--pyargs", "sklearn.neural_network.tests.test_mlp", "-v", "-rs",
        "-k", "test_gradient or test_mlp_partial_fit_after_fit",
    )
    assert result.returncode == pytest.ExitCode.OK, result.stdout
    # Parametrized at import with our classes, which pass.
    for name in ("ScratchMLPClassifier", "ScratchMLPRegressor"):
        assert f"test_mlp_partial_fit_after_fit[{name}] PASSED" in result.stdout
    assert "test_gradient SKIPPED" in result.stdout
    assert "_loss_grad_lbfgs to compare the gradient" in result.stdout  # the reason


def test_a_run_without_sklearns_module_is_a_usage_error():
    result = run_pytest("tests/test_params.py", "--collect-only", "-q")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "test_mlp was not collected: nothing to run" in result.stderr
