"""
=========================================
Tuning a pipeline with GridSearchCV
=========================================

The estimators take part in scikit-learn's model selection like any other.
Here a ``StandardScaler`` + :class:`~skscratchnn.ScratchMLPClassifier`
pipeline is tuned over the dropout rate and the L2 penalty on the digits, and
the cross-validated accuracy of every combination is shown as a heat map.
"""

import warnings

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratchnn import ScratchMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
pipe = make_pipeline(
    StandardScaler(),
    ScratchMLPClassifier(hidden_layer_sizes=(64,), max_iter=60, random_state=0),
)
pipe

# %%
# The grid: 4 dropout rates times 4 penalties, each scored by 3-fold
# cross-validation (48 fits).
grid = {
    "scratchmlpclassifier__dropout": [0.0, 0.2, 0.4, 0.6],
    "scratchmlpclassifier__alpha": [1e-4, 1e-2, 1.0, 10.0],
}
search = GridSearchCV(pipe, grid, cv=3)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"cross-validated accuracy {search.best_score_:.3f}, "
      f"held-out accuracy {search.score(X_test, y_test):.3f}")

# %%
# The heat map
# ------------
results = pd.DataFrame(search.cv_results_)
scores = results.pivot_table(
    index="param_scratchmlpclassifier__dropout",
    columns="param_scratchmlpclassifier__alpha",
    values="mean_test_score",
)
fig, ax = plt.subplots(figsize=(5.5, 4.5))
image = ax.imshow(scores.to_numpy(), cmap="viridis", origin="lower")
ax.set_xticks(range(scores.shape[1]), [f"{a:g}" for a in scores.columns])
ax.set_yticks(range(scores.shape[0]), [f"{d:g}" for d in scores.index])
ax.set_xlabel("alpha")
ax.set_ylabel("dropout")
for (i, j), value in pd.DataFrame(scores.to_numpy()).stack().items():
    best = value == scores.to_numpy().max()
    ax.text(j, i, f"{value:.3f}", ha="center", va="center",
            color="black" if value > scores.to_numpy().mean() else "white",
            fontweight="bold" if best else "normal")
fig.colorbar(image, ax=ax, label="mean cross-validated accuracy")
ax.set_title("Digits: accuracy over the grid")
fig.tight_layout()
plt.show()

# %%
# The best cell is in bold. The differences between the best cells are small
# compared with the spread of scores across folds (``std_test_score`` in
# ``cv_results_``), so more than one setting is a reasonable choice:
print(results.sort_values("rank_test_score")[
    ["params", "mean_test_score", "std_test_score"]
].head(4).to_string(index=False))
