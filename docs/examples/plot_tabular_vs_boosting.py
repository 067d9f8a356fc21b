"""
=================================================================
A table of mixed data: TabularMLP against the MLP and boosting
=================================================================

Mortgage applications (``HMDA``, from the R package AER): 13 columns, numbers
and categories, and whether the loan was denied. Three models, each at its
defaults: scikit-learn's ``MLPClassifier`` in the usual pipeline (impute,
scale, one-hot), ``HistGradientBoostingClassifier`` with native categories,
and :class:`~skscratchnn.TabularMLPClassifier`, which takes the DataFrame as
it is and averages an ensemble of 5 networks; and the latter with one network
(``n_members=1``), for its cost.

The table comes from the development suite of the benchmarks, read from the
directory in ``SKSCRATCHNN_TABULAR_DIR``; where it is absent the example falls
back to scikit-learn's breast cancer data, which ships with scikit-learn.
"""

# %%
# The data
# --------
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skscratchnn import TabularMLPClassifier

table = Path(os.environ.get("SKSCRATCHNN_TABULAR_DIR", "")) / "HMDA.csv.gz"
if os.environ.get("SKSCRATCHNN_TABULAR_DIR") and table.is_file():
    X = pd.read_csv(table)
    y = X.pop("deny")
    X = X.astype({c: "category" for c in X.select_dtypes(exclude="number")})
    name = "HMDA mortgage denials"
else:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    name = "breast cancer (the suite is absent)"
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
print(f"{name}: {X.shape[0]} rows, {X.shape[1]} columns")
X.head()

# %%
# The models at their defaults
# ----------------------------
# The MLP needs its input prepared; boosting and the tabular MLP do their own.
prepare = make_column_transformer(
    (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
     make_column_selector(dtype_include="number")),
    (make_pipeline(SimpleImputer(strategy="most_frequent"),
                   OneHotEncoder(handle_unknown="ignore")),
     make_column_selector(dtype_exclude="number")),
)
models = {
    "scikit-learn MLP": make_pipeline(prepare, MLPClassifier(random_state=0)),
    "HistGradientBoosting": HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=0
    ),
    "TabularMLP, one network": TabularMLPClassifier(n_members=1, random_state=0),
    "TabularMLP": TabularMLPClassifier(random_state=0),
}
errors, seconds = {}, {}
for label, model in models.items():
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    seconds[label] = time.perf_counter() - start
    errors[label] = 1 - model.score(X_test, y_test)
    print(f"{label:>22}: test error {errors[label]:.4f}, fit {seconds[label]:.1f} s")

# %%
# Test error
# ----------
fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(list(errors), list(errors.values()),
        color=["0.6", "0.4", "tab:cyan", "tab:blue"])
ax.set_xlabel("test error (lower is better)")
ax.set_title(name)
fig.tight_layout()

# %%
# What the ensemble learned
# -------------------------
# Each member trains on 4/5 of the rows and validates on the fifth it leaves
# out, which picks the epochs it contributes to the average: first its best
# epoch, then those that, averaged with the picks so far, fit the fifth best
# (dots, larger for epochs picked more often). Those held-out fifths give a
# prediction of every training row by a member that never saw it:
# ``oof_score_``, a validation score that costs no second fit.
clf = models["TabularMLP"]
picks_by_curve = {}  # the networks of one member share its validation curve
for network, weight in zip(clf.members_, clf.member_weights_):
    picks = picks_by_curve.setdefault(tuple(network.validation_loss_curve_), [])
    picks.append((network.n_iter_, weight))
fig, ax = plt.subplots(figsize=(6, 2.5))
for curve, picks in picks_by_curve.items():
    (line,) = ax.plot(np.arange(1, len(curve) + 1), curve, lw=1)
    epochs, weights = np.array(picks).T
    ax.scatter(epochs, np.array(curve)[epochs.astype(int) - 1], s=300 * weights,
               color=line.get_color(), zorder=3)
ax.set_xlabel("epoch")
ax.set_ylabel("validation log-loss")
fig.tight_layout()
print(f"out-of-fold accuracy {clf.oof_score_:.4f}, "
      f"test accuracy {1 - errors['TabularMLP']:.4f}")
