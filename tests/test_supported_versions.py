"""Behaviour that relies on the newest of the minimum versions in pyproject.toml.

The CI runs the whole suite with those minimum versions pinned; the tests here
exercise the features that set the floors.
"""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from skscratchnn import ScratchMLPRegressor

RNG = np.random.RandomState(0)
X = RNG.randn(40, 3)
Y = np.abs(X @ [1.0, -1.0, 0.5])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lbfgs_verbose_reports_every_iteration(capsys):
    # scipy >= 1.11: minimize passes the callback an OptimizeResult.
    reg = ScratchMLPRegressor(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, verbose=True
    ).fit(X, Y)
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if line.startswith("L-BFGS iteration")]) == (
        reg.n_iter_
    )


def test_sklearn_mlp_has_the_parameters_we_mirror():
    # scikit-learn >= 1.7: MLPRegressor(loss="poisson") and sample_weight in fit.
    reg = MLPRegressor(loss="poisson", hidden_layer_sizes=(2,), max_iter=1)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, Y, sample_weight=np.ones(len(X)))
    assert reg.out_activation_ == "exp"
