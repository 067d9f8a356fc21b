"""scikit-learn's callback API (``sklearn.callback``, 1.9+), where installed.

The estimators inherit ``set_callbacks`` from scikit-learn's
``CallbackSupportMixin``; :class:`FitHooks` calls the callbacks at the start
and end of ``fit`` and of each epoch (each L-BFGS iteration). With an older
scikit-learn the mixin is an empty stand-in and no hooks run.
"""

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stand-in for scikit-learn's mixin where it has no callback API."""

    def with_callbacks(method):
        """Return ``method`` unchanged: there are no callbacks to tear down."""
        return method


class FitHooks:
    """The callback contexts of one ``fit``, opened at its start.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator being fitted; it must have callbacks set.
    X, y : array-like
        The training data as passed to ``fit``, handed to the callbacks.
    metadata : dict
        Fit metadata handed to the callbacks, such as ``sample_weight``.
    max_epochs : int or None
        The most epochs (or L-BFGS iterations) the fit may run.
    """

    def __init__(self, estimator, X, y, metadata, max_epochs):
        self._estimator = estimator
        self._data = dict(X=X, y=y, metadata=metadata)
        self._context = estimator._init_callback_context(max_subtasks=max_epochs)
        self._context.call_on_fit_task_begin(estimator=estimator, **self._data)
        self._epoch = None
        self._fitted_attributes = None

    @classmethod
    def start(cls, estimator, X, y, sample_weight, max_epochs):
        """Open the hooks of a fit, or return :class:`NoHooks` if no callback is set."""
        if not getattr(estimator, "_skl_callbacks", None):
            return NO_HOOKS
        metadata = {} if sample_weight is None else {"sample_weight": sample_weight}
        return cls(estimator, X, y, metadata, max_epochs)

    def set_fitted_attributes(self, fitted_attributes):
        """Say how to describe the estimator mid-fit, once the network exists.

        ``fitted_attributes(theta, n_iter, loss)`` returns the fitted
        attributes of an estimator that predicts with ``theta``.
        """
        self._fitted_attributes = fitted_attributes

    def epoch_begins(self):
        """Open the task of the next epoch."""
        self._epoch = self._context.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(estimator=self._estimator, **self._data)

    def epoch_ends(self, theta, n_iter, loss):
        """Close the epoch's task; return whether a callback asks to stop.

        A callback that asks for a fitted estimator gets a copy of the
        estimator that predicts with a copy of ``theta``.
        """
        return self._epoch.call_on_fit_task_end(
            estimator=self._estimator,
            reconstruction_attributes=lambda: self._fitted_attributes(
                theta.copy(), n_iter, loss
            ),
            **self._data,
        )

    def fit_ends(self):
        """Close the fit's task; the estimator is fitted by now."""
        self._context.call_on_fit_task_end(
            estimator=self._estimator, reconstruction_attributes={}, **self._data
        )


class NoHooks:
    """The hooks of a fit without callbacks: each does nothing."""

    def set_fitted_attributes(self, fitted_attributes):
        pass

    def epoch_begins(self):
        pass

    def epoch_ends(self, theta, n_iter, loss):
        return False

    def fit_ends(self):
        pass


NO_HOOKS = NoHooks()
