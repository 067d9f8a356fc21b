"""Scikit-learn compatible multi-layer perceptrons on a vectorized NumPy core."""

from ._classifier import ScratchMLPClassifier
from ._regressor import ScratchMLPRegressor
from ._version import __version__

__all__ = ["ScratchMLPClassifier", "ScratchMLPRegressor", "__version__"]
