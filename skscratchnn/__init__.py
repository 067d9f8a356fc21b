"""Scikit-learn compatible multi-layer perceptrons on a vectorized NumPy core."""

from ._classifier import ScratchMLPClassifier
from ._display import TrainingCurveDisplay
from ._regressor import ScratchMLPRegressor
from ._version import __version__

__all__ = [
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "TrainingCurveDisplay",
    "__version__",
]
