"""
=============================
Loss and validation curves
=============================

Every fit with a stochastic solver records the training loss of each epoch in
``loss_curve_`` and, with ``early_stopping=True``, the score on the held-out
validation data in ``validation_scores_``.
:class:`~skscratchnn.TrainingCurveDisplay` draws both.
"""

# %%
# Early stopping on the digits
# ----------------------------
# With ``early_stopping=True`` a tenth of the training data is held out; the
# fit stops once the validation accuracy has not improved by ``tol`` for
# ``n_iter_no_change`` epochs, and keeps the parameters of the best epoch.
# ``verbose=1`` prints one line per epoch with the elapsed time (here the first
# five).
import contextlib
import io
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skscratchnn import ScratchMLPClassifier, TrainingCurveDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

clf = ScratchMLPClassifier(
    hidden_layer_sizes=(64,), early_stopping=True, verbose=1, random_state=0
)
log = io.StringIO()
with contextlib.redirect_stdout(log):
    clf.fit(X_train, y_train)
print("".join(log.getvalue().splitlines(keepends=True)[:5]), end="")
print(f"... stopped after {clf.n_iter_} epochs")
print(f"best validation accuracy {clf.best_validation_score_:.3f}, "
      f"at epoch {np.argmax(clf.validation_scores_) + 1}")
print(f"test accuracy {clf.score(X_test, y_test):.3f}")

display = TrainingCurveDisplay.from_estimator(clf)
best = np.argmax(clf.validation_scores_) + 1
display.ax_.axvline(best, color="grey", linestyle=":")
display.ax_.set_title("Adam with early stopping on the digits")
plt.show()

# %%
# The loss keeps falling after the best epoch while the validation accuracy
# levels off: the dotted line marks the epoch whose parameters were kept.
#
# Comparing solvers
# -----------------
# Displays can share one set of axes. Here the same network is trained with
# Adam, plain SGD with Nesterov momentum, and SGD with an inverse-scaling
# learning rate, for 80 epochs each.
settings = {
    "adam": dict(solver="adam", learning_rate_init=1e-3),
    "sgd, momentum 0.9": dict(solver="sgd", learning_rate_init=1e-2),
    "sgd, invscaling": dict(
        solver="sgd", learning_rate="invscaling", learning_rate_init=0.5
    ),
}
fig, ax = plt.subplots()
for i, (name, params) in enumerate(settings.items()):
    model = ScratchMLPClassifier(
        hidden_layer_sizes=(64,), max_iter=80, random_state=0, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    TrainingCurveDisplay.from_estimator(
        model, ax=ax, name=name, loss_kw={"color": f"C{i}"}
    )
    print(f"{name}: final loss {model.loss_:.4f}, "
          f"test accuracy {model.score(X_test, y_test):.3f}")
ax.set_yscale("log")
ax.legend(loc="upper right")
ax.set_title("Training loss per epoch, three solvers")
plt.show()

# %%
# With these learning rates the three reach similar losses after 80 epochs by
# different paths; each solver has its own good range of
# ``learning_rate_init``, so compare them after tuning it, not at one value.
