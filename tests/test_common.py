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
    # Features beyond scikit-learn's MLPs, each switched on, with the extra
    # hidden activations spread over them. Early stopping on the loss is
    # checked in test_features.py: early stopping itself fails some checks.
    ScratchMLPClassifier(class_weight="balanced", activation="elu"),
    ScratchMLPClassifier(
        restore_best_params=True, learning_rate="cosine", activation="silu"
    ),
    ScratchMLPRegressor(restore_best_params=True, activation="gelu"),
    ScratchMLPRegressor(solver="sgd", learning_rate="cosine", activation="softplus"),
    ScratchMLPClassifier(
        learning_rate="adaptive", schedule_adam=True, activation="leaky_relu"
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
