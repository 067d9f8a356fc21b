"""
=============================================
Decision boundaries of the hidden activations
=============================================

The hidden activation shapes the functions a network can draw. Besides
scikit-learn's ``'identity'``, ``'logistic'``, ``'tanh'`` and ``'relu'``, the
estimators offer ``'leaky_relu'``, ``'elu'``, ``'softplus'``, ``'gelu'`` (the
exact one) and ``'silu'``. Here a small network with each of them learns two
classic two-dimensional problems; the shading is the predicted probability of
the second class, the number in the corner the accuracy on held-out points.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_circles, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split

from skscratchnn import ScratchMLPClassifier

datasets = {
    "moons": make_moons(n_samples=300, noise=0.25, random_state=0),
    "circles": make_circles(n_samples=300, noise=0.15, factor=0.5, random_state=0),
}
activations = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu",
               "softplus", "gelu", "silu"]

fig, axes = plt.subplots(
    len(datasets), len(activations), figsize=(2 * len(activations), 4.4),
    sharex="row", sharey="row",
)
for row, (data_name, (X, y)) in zip(axes, datasets.items()):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, stratify=y, random_state=0
    )
    for ax, activation in zip(row, activations):
        clf = ScratchMLPClassifier(
            hidden_layer_sizes=(16, 16), activation=activation, solver="lbfgs",
            alpha=1e-2, max_iter=500, random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        DecisionBoundaryDisplay.from_estimator(
            clf, X, response_method="predict_proba", cmap="RdBu", alpha=0.6,
            ax=ax, grid_resolution=80, vmin=0, vmax=1,
        )
        ax.scatter(*X_train.T, c=y_train, cmap="RdBu", edgecolors="k", s=12,
                   linewidths=0.5)
        ax.text(0.97, 0.04, f"{clf.score(X_test, y_test):.2f}",
                transform=ax.transAxes, ha="right", fontsize=11,
                bbox=dict(facecolor="white", alpha=0.8, edgecolor="none"))
        ax.set(xticks=[], yticks=[], xlabel="", ylabel="")
        if data_name == "moons":
            ax.set_title(activation)
    row[0].set_ylabel(data_name)
fig.tight_layout()
plt.show()

# %%
# ``'identity'`` makes the whole network linear, so its boundary is a straight
# line whatever the number of layers, and it cannot separate the circles at
# all. Every non-linear activation solves both problems, with held-out
# accuracies within a few points of one another; the boundaries differ more in
# shape than in quality. ReLU and leaky ReLU draw piecewise-linear boundaries,
# straight segments meeting at corners; the other activations draw curves.
# Away from the data, where no training point constrains it, the boundary is
# arbitrary: the stray wiggles and islands there are the network fitting the
# noise of 180 training points. On problems this small the activation matters
# little for accuracy; it matters more for how deep networks train.
