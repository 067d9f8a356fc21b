"""scikit-learn's callback API (sklearn.callback, 1.9+) driving our training loops."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor

callback = pytest.importorskip("sklearn.callback")

# Short fits stop at max_iter and warn, as in scikit-learn; tests about warnings
# set their own filters.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(hidden_layer_sizes=(8,), random_state=0, tol=0)


class Recorder:
    """A FitCallback recording its hooks; asks to stop after ``stop_after`` epochs."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []
        self.models = []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context):
        self.events.append("begin " + (context.task_name or "?"))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append("end " + (context.task_name or "?"))
        if context.parent is None:
            return False
        self.models.append(fitted_estimator)
        return len(self.models) == self.stop_after


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_hooks_wrap_the_fit_and_each_epoch(solver, multiclass_data):
    X, y = multiclass_data
    recorder = Recorder()
    clf = ScratchMLPClassifier(solver=solver, max_iter=3, **SMALL)
    clf.set_callbacks(recorder).fit(X, y)
    assert recorder.events == [
        "setup", "begin fit", *["begin epoch", "end epoch"] * clf.n_iter_, "end fit",
        "teardown",
    ]
    assert clf.n_iter_ == 3
    assert not hasattr(clf, "_callback_fit_ctx")  # torn down


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_each_epoch_offers_a_model_that_predicts_as_of_that_epoch(
    solver, multiclass_data
):
    X, y = multiclass_data
    recorder = Recorder()
    ScratchMLPClassifier(solver=solver, max_iter=4, **SMALL).set_callbacks(
        recorder).fit(X, y)
    for epochs, model in enumerate(recorder.models, start=1):
        truncated = ScratchMLPClassifier(solver=solver, max_iter=epochs, **SMALL)
        truncated.fit(X, y)
        np.testing.assert_allclose(
            model.predict_proba(X), truncated.predict_proba(X), rtol=1e-10
        )
        assert model.n_iter_ == epochs


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_a_callback_can_stop_training(solver, Estimator, multiclass_data):
    X, y = multiclass_data
    estimator = Estimator(solver=solver, max_iter=50, **SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # stopping is not failing
        estimator.set_callbacks(Recorder(stop_after=2)).fit(X, y)
    assert estimator.n_iter_ == 2
    full = Estimator(solver=solver, max_iter=2, **SMALL).fit(X, y)
    np.testing.assert_allclose(estimator.predict(X), full.predict(X), rtol=1e-10)


def test_a_failed_fit_still_tears_down(multiclass_data):
    X, y = multiclass_data
    recorder = Recorder()
    clf = ScratchMLPClassifier(max_iter=2, **SMALL).set_callbacks(recorder)
    with pytest.raises(ValueError, match="X_val is given but y_val is not"):
        clf.fit(X, y, X_val=X)
    assert recorder.events[-1] == "teardown"
    assert not hasattr(clf, "n_iter_")


def test_scoring_monitor_logs_a_score_per_epoch(multiclass_data):
    X, y = multiclass_data
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = ScratchMLPClassifier(max_iter=5, **SMALL).set_callbacks(monitor).fit(X, y)
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(rows) == 5
    assert rows[-1]["accuracy"] == clf.score(X, y)


def test_callbacks_survive_clone_and_leave_results_unchanged(multiclass_data):
    X, y = multiclass_data
    recorder = Recorder()
    with_callback = ScratchMLPClassifier(max_iter=3, **SMALL).set_callbacks(recorder)
    with_callback = clone(with_callback)
    with_callback.fit(X, y)
    plain = ScratchMLPClassifier(max_iter=3, **SMALL).fit(X, y)
    np.testing.assert_array_equal(with_callback.coefs_[0], plain.coefs_[0])
    assert recorder.events.count("end epoch") == 3


def test_progress_bar_runs(multiclass_data):
    pytest.importorskip("rich")
    X, y = multiclass_data
    clf = ScratchMLPClassifier(max_iter=3, **SMALL)
    clf.set_callbacks(callback.ProgressBar())
    assert clf.fit(X, y).n_iter_ == 3
