"""scikit-learn's estimator checks, with default parameters and with dropout."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor

ESTIMATORS = [
    ScratchMLPClassifier(),
    ScratchMLPRegressor(),
    ScratchMLPClassifier(dropout=0.2),
    ScratchMLPRegressor(dropout=0.2),
    ScratchMLPClassifier(hidden_layer_sizes=(32, 16), dropout=[0.2, 0.1]),
    ScratchMLPClassifier(solver="sgd", dropout=0.1),
    ScratchMLPRegressor(loss="poisson", solver="lbfgs", max_iter=50),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
