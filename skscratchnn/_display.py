"""Plot of the training curves recorded by the stochastic solvers.

matplotlib is imported only when something is drawn, so that it stays an
optional dependency of the package.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

_INSTALL_HINT = 'pip install "skscratchnn[plot]"'


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "TrainingCurveDisplay needs matplotlib, an optional dependency of "
            f"skscratchnn. Install it with: {_INSTALL_HINT}"
        ) from exc
    return plt


class TrainingCurveDisplay:
    """Training loss and validation score per epoch.

    Build it with :meth:`from_estimator`, or from the curves themselves and
    then call :meth:`plot`. The loss is drawn on the left axis; the
    validation score, when there is one (``early_stopping=True``), on a second
    axis on the right. Needs matplotlib (``pip install "skscratchnn[plot]"``).

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss at the end of each epoch, as in ``loss_curve_``.

    validation_scores : array-like of shape (n_epochs,), default=None
        Validation score at the end of each epoch, as in
        ``validation_scores_``.

    estimator_name : str, default=None
        Name used in the legend; None leaves it out.

    score_name : str, default="validation score"
        Label of the validation score axis.

    Attributes
    ----------
    loss_line_ : matplotlib Line2D
        The training loss curve.

    validation_line_ : matplotlib Line2D or None
        The validation score curve, if any.

    ax_ : matplotlib Axes
        Axes of the loss curve.

    ax_validation_ : matplotlib Axes or None
        Second y-axis, sharing ``ax_``'s x-axis, of the validation scores.

    figure_ : matplotlib Figure
        Figure containing the curves.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the number of
        training samples.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skscratchnn import ScratchMLPClassifier, TrainingCurveDisplay
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = ScratchMLPClassifier(early_stopping=True, random_state=0).fit(X, y)
    >>> display = TrainingCurveDisplay.from_estimator(clf)
    >>> display.ax_.get_xlabel(), display.ax_validation_.get_ylabel()
    ('epoch', 'validation accuracy')
    >>> len(display.loss_line_.get_ydata()) == clf.n_iter_
    True
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_scores=None,
        estimator_name=None,
        score_name="validation score",
    ):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name
        self.score_name = score_name

    def plot(self, ax=None, *, name=None, loss_kw=None, validation_kw=None):
        """Plot the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw the loss on; None creates a new figure and axes.

        name : str, default=None
            Name used in the legend; None uses ``estimator_name``.

        loss_kw : dict, default=None
            Keyword arguments passed to ``ax.plot`` for the loss curve.

        validation_kw : dict, default=None
            Keyword arguments passed to ``plot`` for the validation curve.

        Returns
        -------
        display : TrainingCurveDisplay
            Object that stores the computed values and the drawn artists.
        """
        plt = _import_pyplot()
        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        prefix = "" if name is None else f"{name}: "
        loss = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, len(loss) + 1)

        (self.loss_line_,) = ax.plot(
            epochs, loss, **{"color": "C0", "label": f"{prefix}training loss",
                             **(loss_kw or {})}
        )
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        lines = [self.loss_line_]

        self.ax_validation_ = self.validation_line_ = None
        if self.validation_scores is not None:
            self.ax_validation_ = ax.twinx()
            scores = np.asarray(self.validation_scores, dtype=float)
            (self.validation_line_,) = self.ax_validation_.plot(
                epochs[: len(scores)], scores,
                **{"color": "C1", "label": f"{prefix}{self.score_name}",
                   **(validation_kw or {})},
            )
            # Colour each y-axis label like its curve, to tell the axes apart.
            ax.yaxis.label.set_color(self.loss_line_.get_color())
            self.ax_validation_.set_ylabel(
                self.score_name, color=self.validation_line_.get_color()
            )
            lines.append(self.validation_line_)

        ax.legend(lines, [line.get_label() for line in lines], loc="center right")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls, estimator, *, ax=None, name=None, loss_kw=None, validation_kw=None
    ):
        """Plot the training curves of a fitted estimator.

        Parameters
        ----------
        estimator : ScratchMLPClassifier, ScratchMLPRegressor or Pipeline
            Fitted with ``solver='sgd'`` or ``'adam'`` (L-BFGS records no
            curve). For a pipeline, its last step is used.

        ax : matplotlib Axes, default=None
            Axes to draw the loss on; None creates a new figure and axes.

        name : str, default=None
            Name used in the legend; None leaves it out.

        loss_kw : dict, default=None
            Keyword arguments passed to ``ax.plot`` for the loss curve.

        validation_kw : dict, default=None
            Keyword arguments passed to ``plot`` for the validation curve.

        Returns
        -------
        display : TrainingCurveDisplay
            Object that stores the computed values and the drawn artists.
        """
        _import_pyplot()
        if hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        check_is_fitted(estimator)
        if hasattr(estimator, "members_"):
            raise ValueError(
                f"{type(estimator).__name__} is an ensemble of "
                f"{len(estimator.members_)} networks, each with its own curves: "
                "pass one of its members_."
            )
        if not hasattr(estimator, "loss_curve_"):
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_: only the "
                "stochastic solvers ('sgd', 'adam') record one per epoch, "
                f"not solver={getattr(estimator, 'solver', None)!r}."
            )
        score = "accuracy" if is_classifier(estimator) else "$R^2$"
        display = cls(
            loss_curve=estimator.loss_curve_,
            validation_scores=getattr(estimator, "validation_scores_", None),
            estimator_name=name,
            score_name=f"validation {score}",
        )
        return display.plot(
            ax=ax, name=name, loss_kw=loss_kw, validation_kw=validation_kw
        )
