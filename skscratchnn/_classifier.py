"""The multi-layer perceptron classifier."""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

from ._base import BaseScratchMLP
from ._docstrings import fill_shared_docs
from ._input_checks import check_targets


@fill_shared_docs
class ScratchMLPClassifier(ClassifierMixin, BaseScratchMLP):
    """Multi-layer perceptron classifier with dropout.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    same parameters, defaults and fitted attributes, plus ``dropout``. It
    minimizes the log-loss (softmax for multiclass, logistic for binary and
    multilabel targets) with L-BFGS, SGD or Adam.

    Parameters
    ----------
{shared_parameters}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, ``{class_label: weight}``, multiplied into
        ``sample_weight``, as scikit-learn's linear models take them (see
        :func:`~sklearn.utils.class_weight.compute_class_weight`); None gives
        every class weight 1. 'balanced' weighs each class by
        ``n_samples / (n_classes * n_samples_in_class)``, counting samples by
        their ``sample_weight``. The validation data are weighted alike: the
        early-stopping split shares the training weights, and ``X_val`` is
        weighted by the dict or balanced on its own classes, so validation
        scores and losses measure what training minimizes. Not for multilabel
        targets, whose loss sums one term per label: a sample weight cannot
        weigh the labels apart, so a ValueError is raised. ``partial_fit``
        balances each call's batch on its own (scikit-learn's ``SGDClassifier``
        refuses 'balanced' there); pass a dict for weights fixed across calls.

    label_smoothing : float, default=0.0
        Label smoothing of the training targets, in [0, 1): each target row
        becomes ``(1 - label_smoothing) y + label_smoothing / k`` with ``k``
        the number of classes (2 per output for binary and multilabel
        targets), which keeps the network from pushing its logits to
        infinity. 0 is scikit-learn's plain log-loss.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of ndarray
        Class labels for each output.

{shared_attributes}

    See Also
    --------
    ScratchMLPRegressor : Multi-layer perceptron regressor.
    sklearn.neural_network.MLPClassifier : The estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import train_test_split
    >>> from skscratchnn import ScratchMLPClassifier
    >>> X, y = make_classification(n_samples=200, random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y,
    ...                                                     random_state=1)
    >>> clf = ScratchMLPClassifier(dropout=0.1, max_iter=300, random_state=1)
    >>> clf.fit(X_train, y_train)
    ScratchMLPClassifier(dropout=0.1, max_iter=300, random_state=1)
    >>> clf.predict_proba(X_test[:1]).round(2)
    array([[0..., 0...]])
    >>> clf.score(X_test, y_test)
    0.8...
    """

    _parameter_constraints: dict = {
        **BaseScratchMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        early_stopping_metric="score",
        restore_best_params=False,
        schedule_adam=False,
        weight_decay=0.0,
        scaling_layer=False,
        parametrization="standard",
        scale_rate_factor=1.0,
        bias_rate_factor=1.0,
        class_weight=None,
        label_smoothing=0.0,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            early_stopping_metric=early_stopping_metric,
            restore_best_params=restore_best_params,
            schedule_adam=schedule_adam,
            weight_decay=weight_decay,
            scaling_layer=scaling_layer,
            parametrization=parametrization,
            scale_rate_factor=scale_rate_factor,
            bias_rate_factor=bias_rate_factor,
        )
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    _validation_metric = staticmethod(accuracy_score)
    _subclass_fitted_attributes = ("classes_", "_label_binarizer")

    def _encode_targets(self, y, X, *, reset, incremental, classes=None):
        y = check_targets(self, y, X, numeric=False)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)

        if incremental and _check_partial_fit_first_call(self, classes):
            # Multilabel targets name their classes by column, not by value.
            multilabel = type_of_target(y).startswith("multilabel")
            self._label_binarizer = LabelBinarizer().fit(y if multilabel else classes)
            # y need not hold all of `classes`, but holds no other.
            self._check_known_classes(unique_labels(y), incremental)
        elif reset or not hasattr(self, "_label_binarizer"):
            self._label_binarizer = LabelBinarizer().fit(y)
        else:
            self._check_known_classes(unique_labels(y), incremental)
        self.classes_ = self._label_binarizer.classes_
        Y = self._label_binarizer.transform(y)
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        return Y, "softmax" if multiclass else "logistic"

    def _training_targets(self, Y):
        # Each row's target mass moves label_smoothing / n_classes onto every
        # class; a logistic output is a choice between 2 classes per column.
        if not self.label_smoothing:
            return Y
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        n_classes = Y.shape[1] if multiclass else 2
        return Y * (1 - self.label_smoothing) + self.label_smoothing / n_classes

    def _check_known_classes(self, classes, incremental):
        if self.warm_start and not incremental:
            if set(classes) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes "
                    f"as in the previous call to fit. Previously got "
                    f"{self.classes_}, `y` has {classes}"
                )
        elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{self.classes_}. 'y' has {classes}."
            )

    def _decode(self, output):
        if output.shape[1] == 1:
            output = output.ravel()
        return self._label_binarizer.inverse_transform(output)

    def _weigh_classes(self, Y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError(
                "class_weight is not supported for multilabel targets: their loss "
                "sums one term per label, which a weight per sample cannot weigh "
                "apart. Use sample_weight, or class_weight=None."
            )
        codes = Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0].astype(int)
        if self.class_weight == "balanced":
            # compute_class_weight's 'balanced' with sample weights (scikit-learn
            # >= 1.7), n / (n_classes * n_c) over the classes that carry weight:
            # a batch or a validation set may lack some, sample weights zero others.
            counts = np.bincount(codes, sample_weight, minlength=len(self.classes_))
            present = counts > 0
            class_weights = np.zeros(len(self.classes_))
            class_weights[present] = counts.sum() / (present.sum() * counts[present])
        else:
            class_weights = compute_class_weight(
                self.class_weight, classes=self.classes_, y=self.classes_[codes]
            )
        weights = class_weights[codes].astype(Y.dtype)
        return weights if sample_weight is None else sample_weight * weights

    @available_if(lambda est: est._check_partial_fit())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit, as given by
            ``np.unique(y_all)``. Required on the first call, ignored after;
            ``y`` need not contain all of them.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict_proba(self, X):
        """Return probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        return self._probabilities(self._forward(X))

    def _probabilities(self, proba):
        """Return the class probabilities from the network output ``proba``."""
        if len(self.classes_) == 1:
            # Trained on one class, as scikit-learn allows: it is certain.
            return np.ones_like(proba)
        if proba.shape[1] == 1:
            return np.hstack([1 - proba, proba])
        return proba

    def predict_log_proba(self, X):
        """Return the log of probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``; a probability that underflowed to 0
            gives ``-inf``.
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = self.class_weight is None
        return tags
