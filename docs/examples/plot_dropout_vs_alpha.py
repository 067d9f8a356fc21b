"""
===========================================
Dropout and L2 regularization on noisy data
===========================================

A network much larger than the problem needs, trained on data with noisy
labels, fits the noise: training accuracy goes to 100 % while test accuracy
suffers. Two knobs pull it back: the L2 penalty ``alpha`` and ``dropout``.
This example trains the same network over a range of both and compares
training and test accuracy.
"""

# %%
# A problem with 20 % wrong labels
# --------------------------------
# ``flip_y=0.2`` assigns a random class to a fifth of the samples, so no model
# can score much above 80 % on held-out data.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skscratchnn import ScratchMLPClassifier

X, y = make_classification(
    n_samples=800, n_features=20, n_informative=6, flip_y=0.2, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)


def accuracies(**params):
    """Fit an oversized network; return its training and test accuracy."""
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(256, 256), max_iter=150, random_state=0, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    return clf.score(X_train, y_train), clf.score(X_test, y_test)


alphas = [1e-4, 1e-1, 1.0, 3.0, 10.0, 30.0]
rates = [0.0, 0.25, 0.5, 0.75, 0.9]
by_alpha = np.array([accuracies(alpha=alpha) for alpha in alphas])
by_rate = np.array([accuracies(dropout=rate) for rate in rates])

# %%
# Training and test accuracy
# --------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True)
for ax, values, results, label in [
    (left, alphas, by_alpha, "alpha (L2 penalty), no dropout"),
    (right, rates, by_rate, "dropout rate, alpha=1e-4"),
]:
    ax.plot(values, results[:, 0], "o--", label="training")
    ax.plot(values, results[:, 1], "o-", label="test")
    ax.set_xlabel(label)
    ax.grid(alpha=0.3)
left.set_xscale("log")
left.set_ylabel("accuracy")
left.legend()
fig.suptitle("A (256, 256) network on 400 samples with 20 % label noise")
fig.tight_layout()
plt.show()

for name, values, results in [("alpha", alphas, by_alpha),
                              ("dropout", rates, by_rate)]:
    for value, (train, test) in zip(values, results):
        print(f"{name}={value:<7g} training {train:.3f}  test {test:.3f}")

# %%
# Without regularization the network fits the training labels perfectly,
# noise included. Both knobs trade training accuracy for test accuracy, in
# different ways: the L2 penalty shrinks every weight towards zero, dropout
# trains the network to work with any subset of its hidden units. Too much of
# either underfits, and test accuracy falls again (``alpha=30``, dropout 0.9).
# With 400 test points, differences of a point or two are within noise. The two
# combine: tune them together with a grid search, as in
# :ref:`sphx_glr_auto_examples_plot_grid_search_heatmap.py`.
#
# Note that ``alpha`` is divided by the total sample weight of each minibatch
# (at most 200 samples by default), as in scikit-learn, so values that look
# large here are not: see :doc:`/user_guide/regularization`.
