"""The classifier's own parameter: class weights, as scikit-learn's linear models
weigh classes."""

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

from skscratchnn import ScratchMLPClassifier

# Short fits stop at max_iter and warn, as in scikit-learn.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_balanced_class_weight_is_compute_sample_weight(
    solver, imbalanced_data, small, assert_same_weights
):
    X, y = imbalanced_data
    params = dict(solver=solver, max_iter=30, **small)
    weighted = ScratchMLPClassifier(class_weight="balanced", **params).fit(X, y)
    explicit = ScratchMLPClassifier(**params).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y),
    )
    assert_same_weights(weighted, explicit)


def test_class_weight_multiplies_sample_weight_as_linear_models_do(
    imbalanced_data, small, assert_same_weights
):
    """'balanced' counts classes by sample weight, as LogisticRegression does."""
    X, y = imbalanced_data
    sw = np.random.RandomState(1).uniform(0.2, 3.0, len(y))
    classes = np.unique(y)
    params = dict(solver="lbfgs", max_iter=30, **small)
    for class_weight in ["balanced", {"rare": 4.0, "common": 0.5}]:
        per_class = compute_class_weight(
            class_weight, classes=classes, y=y, sample_weight=sw
        )
        expected = sw * per_class[np.searchsorted(classes, y)]
        weighted = ScratchMLPClassifier(class_weight=class_weight, **params).fit(
            X, y, sample_weight=sw,
        )
        explicit = ScratchMLPClassifier(**params).fit(X, y, sample_weight=expected)
        assert_same_weights(weighted, explicit)


def test_class_weight_leaves_sample_weight_unchanged(imbalanced_data, small):
    X, y = imbalanced_data
    sw = np.ones(len(y))
    clf = ScratchMLPClassifier(class_weight="balanced", max_iter=2, **small)
    clf.fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(sw, np.ones(len(y)))


def test_balanced_class_weight_raises_minority_recall(imbalanced_data, small):
    X, y = imbalanced_data
    params = dict(solver="lbfgs", max_iter=200, **small)
    plain = ScratchMLPClassifier(alpha=1.0, **params).fit(X, y)
    balanced = ScratchMLPClassifier(alpha=1.0, class_weight="balanced", **params)
    balanced.fit(X, y)
    rare = y == "rare"
    assert (balanced.predict(X)[rare] == "rare").mean() > (
        plain.predict(X)[rare] == "rare"
    ).mean()


def test_partial_fit_balances_each_batch(imbalanced_data, small, assert_same_weights):
    X, y = imbalanced_data
    classes = np.unique(y)
    weighted = ScratchMLPClassifier(class_weight="balanced", **small)
    explicit = ScratchMLPClassifier(**small)
    for batch in [slice(0, 60), slice(60, 120)]:
        weighted.partial_fit(X[batch], y[batch], classes=classes)
        explicit.partial_fit(
            X[batch], y[batch], classes=classes,
            sample_weight=compute_sample_weight("balanced", y[batch]),
        )
    assert_same_weights(weighted, explicit)


def test_class_weight_with_multilabel_targets_raises(multilabel_data, small):
    X, Y = multilabel_data
    clf = ScratchMLPClassifier(class_weight="balanced", max_iter=2, **small)
    with pytest.raises(ValueError, match="not supported for multilabel targets"):
        clf.fit(X, Y)
    assert not hasattr(clf, "classes_")
    assert not clf.__sklearn_tags__().classifier_tags.multi_label


def test_class_weight_dict_missing_a_class_raises(imbalanced_data, small):
    X, y = imbalanced_data
    clf = ScratchMLPClassifier(class_weight={"rare": 2.0, "other": 1.0}, **small)
    with pytest.raises(ValueError, match="not in class_weight"):
        clf.fit(X, y)


def test_class_weight_is_validated():
    with pytest.raises(ValueError, match="class_weight"):
        ScratchMLPClassifier(class_weight="even").fit([[0.0], [1.0]], [0, 1])
