"""Scikit-learn compatible multi-layer perceptrons on a vectorized NumPy core."""

from ._classifier import ScratchMLPClassifier
from ._display import TrainingCurveDisplay
from ._regressor import ScratchMLPRegressor
from ._tabular import TabularMLPClassifier, TabularMLPRegressor
from ._tabular_preprocessing import TabularPreprocessor
from ._version import __version__

__all__ = [
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "TabularPreprocessor",
    "TrainingCurveDisplay",
    "__version__",
]
