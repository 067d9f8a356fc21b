"""TrainingCurveDisplay, matplotlib as an optional dependency, the HTML repr."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratchnn import (
    ScratchMLPClassifier,
    ScratchMLPRegressor,
    TabularMLPClassifier,
    TrainingCurveDisplay,
)


@pytest.fixture(scope="module")
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture(scope="module")
def classification():
    return make_classification(n_samples=120, n_features=5, random_state=0)


@pytest.fixture(scope="module")
def early_stopped(classification):
    return ScratchMLPClassifier(
        (8,), early_stopping=True, max_iter=30, random_state=0
    ).fit(*classification)


def test_importing_the_package_does_not_import_matplotlib():
    code = "import sys, skscratchnn; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_missing_matplotlib_raises_import_error_naming_the_extra(
    monkeypatch, classification
):
    clf = ScratchMLPClassifier((4,), max_iter=5, random_state=0)
    with pytest.warns(Warning, match="Maximum iterations"):
        clf.fit(*classification)
    # None in sys.modules makes ``import matplotlib`` raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "skscratchnn\[plot\]"'):
        TrainingCurveDisplay.from_estimator(clf)
    with pytest.raises(ImportError, match="needs matplotlib"):
        TrainingCurveDisplay(loss_curve=[1.0, 0.5]).plot()


def test_from_estimator_draws_loss_and_validation_curves(pyplot, early_stopped):
    display = TrainingCurveDisplay.from_estimator(early_stopped, name="MLP")
    epochs = np.arange(1, early_stopped.n_iter_ + 1)
    np.testing.assert_array_equal(display.loss_line_.get_xdata(), epochs)
    np.testing.assert_allclose(
        display.loss_line_.get_ydata(), early_stopped.loss_curve_
    )
    np.testing.assert_allclose(
        display.validation_line_.get_ydata(), early_stopped.validation_scores_
    )
    assert display.validation_line_.axes is display.ax_validation_
    assert display.ax_validation_.get_shared_x_axes().joined(
        display.ax_, display.ax_validation_
    )
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_ylabel() == "training loss"
    assert display.ax_validation_.get_ylabel() == "validation accuracy"
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["MLP: training loss", "MLP: validation accuracy"]


def test_without_early_stopping_only_the_loss_is_drawn(pyplot):
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    regr = ScratchMLPRegressor(hidden_layer_sizes=(6,), max_iter=10, random_state=0)
    with pytest.warns(Warning, match="Maximum iterations"):
        regr.fit(X, y / y.std())
    display = TrainingCurveDisplay.from_estimator(regr)
    assert display.validation_line_ is None and display.ax_validation_ is None
    assert len(display.ax_.get_lines()) == 1
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == [
        "training loss"
    ]


def test_regressor_validation_axis_names_r2(pyplot):
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    regr = ScratchMLPRegressor(
        hidden_layer_sizes=(6,), early_stopping=True, max_iter=10, random_state=0
    )
    with pytest.warns(Warning, match="Maximum iterations"):
        regr.fit(X, y / y.std())
    display = TrainingCurveDisplay.from_estimator(regr)
    assert display.ax_validation_.get_ylabel() == "validation $R^2$"


def test_plot_on_given_axes_with_line_keywords(pyplot, early_stopped):
    fig, ax = pyplot.subplots()
    display = TrainingCurveDisplay.from_estimator(
        early_stopped, ax=ax, loss_kw={"color": "black", "linestyle": "--"},
        validation_kw={"marker": "o"},
    )
    assert display.ax_ is ax and display.figure_ is fig
    assert display.loss_line_.get_color() == "black"
    assert display.loss_line_.get_linestyle() == "--"
    assert display.validation_line_.get_marker() == "o"


def test_pipeline_uses_its_last_step(pyplot, classification, early_stopped):
    pipe = make_pipeline(StandardScaler(), ScratchMLPClassifier(
        (8,), early_stopping=True, max_iter=30, random_state=0
    )).fit(*classification)
    display = TrainingCurveDisplay.from_estimator(pipe)
    np.testing.assert_allclose(display.loss_line_.get_ydata(), pipe[-1].loss_curve_)


def test_display_from_curves_directly(pyplot):
    display = TrainingCurveDisplay(
        loss_curve=[3.0, 2.0, 1.5], validation_scores=[0.5, 0.7, 0.8],
        score_name="val acc",
    ).plot(name="run 1")
    assert list(display.loss_line_.get_ydata()) == [3.0, 2.0, 1.5]
    assert display.ax_validation_.get_ylabel() == "val acc"
    assert display.validation_line_.get_label() == "run 1: val acc"


def test_unfitted_estimator_raises(pyplot):
    with pytest.raises(NotFittedError):
        TrainingCurveDisplay.from_estimator(ScratchMLPClassifier())


def test_lbfgs_fit_has_no_curve_to_draw(pyplot, classification):
    clf = ScratchMLPClassifier((4,), solver="lbfgs", max_iter=20, random_state=0)
    with pytest.warns(Warning):
        clf.fit(*classification)
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        TrainingCurveDisplay.from_estimator(clf)


def test_an_ensemble_points_to_its_members_curves(pyplot, classification):
    ensemble = TabularMLPClassifier((4,), n_members=2, max_iter=3, random_state=0)
    ensemble.fit(*classification)
    with pytest.raises(ValueError, match="ensemble of 2 networks"):
        TrainingCurveDisplay.from_estimator(ensemble)
    display = TrainingCurveDisplay.from_estimator(ensemble.members_[1])
    assert len(display.loss_curve) == 3


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_html_repr_names_the_estimator(Estimator, classification):
    html = Estimator(dropout=0.2)._repr_html_()
    assert html.lstrip().startswith("<style>")
    assert Estimator.__name__ in html
    assert "dropout" in html

    fitted = make_pipeline(StandardScaler(), Estimator(max_iter=5, random_state=0))
    with pytest.warns(Warning, match="Maximum iterations"):
        fitted.fit(*classification)
    html = fitted._repr_html_()
    assert "Pipeline" in html and Estimator.__name__ in html
    assert "fitted" in html.lower()
