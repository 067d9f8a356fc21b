"""
=============================================
Regression with noise: what a spread shows
=============================================

A regressor predicts the mean of the target given the inputs. When the target
is noisy, two different uncertainties are worth telling apart:

- how unsure the *model* is about that mean (it changes with the random seed
  and the training sample, and shrinks with more data), and
- how much the *data* scatter around the mean (the noise, which no amount of
  data removes).

This example shows both on a one-dimensional problem whose noise grows from
left to right, and checks on held-out data how well each band covers the
observations.
"""

# %%
# Data with growing noise
# -----------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_predict

from skscratchnn import ScratchMLPRegressor

rng = np.random.RandomState(0)


def sample(n):
    x = rng.uniform(-3, 3, size=(n, 1))
    noise_std = 0.1 + 0.25 * (x[:, 0] + 3)
    return x, np.sin(2 * x[:, 0]) + noise_std * rng.normal(size=n), noise_std


X_train, y_train, _ = sample(300)
X_test, y_test, _ = sample(2000)
grid = np.linspace(-3, 3, 300)[:, None]
true_std = 0.1 + 0.25 * (grid[:, 0] + 3)


def regressor(seed, **params):
    return ScratchMLPRegressor(
        hidden_layer_sizes=(64, 64), activation="tanh", solver="lbfgs",
        alpha=1.0, max_iter=400, random_state=seed, **params,
    )


def fit(model, X, y):
    """Fit ``model``; L-BFGS stopping at ``max_iter`` is expected here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)

# %%
# Model uncertainty: an ensemble over seeds
# -----------------------------------------
# Ten networks that differ only in their random initialization. Their spread
# says how much the fitted mean depends on the seed.
models = [fit(regressor(seed), X_train, y_train) for seed in range(10)]
ensemble = np.array([model.predict(grid) for model in models])
mean, spread = ensemble.mean(axis=0), ensemble.std(axis=0)

# %%
# Data uncertainty: a model of the squared residuals
# --------------------------------------------------
# The noise variance is the expected squared residual given ``x``. A second
# network learns it from out-of-fold residuals (residuals on the training data
# itself would be too small, since the mean model partly fits the noise). The
# Poisson loss, whose exponential output is always positive, fits this
# non-negative target.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    out_of_fold = cross_val_predict(regressor(0), X_train, y_train, cv=5)
residuals = y_train - out_of_fold
variance_model = fit(regressor(0, loss="poisson"), X_train, residuals**2)
noise_std = np.sqrt(variance_model.predict(grid))

# %%
# Both bands, with the true noise level dashed
# --------------------------------------------
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.scatter(X_train[:, 0], y_train, s=8, color="grey", alpha=0.6, label="training data")
ax.fill_between(grid[:, 0], mean - 1.96 * noise_std, mean + 1.96 * noise_std,
                color="C1", alpha=0.25, label="mean ± 1.96 × estimated noise")
ax.fill_between(grid[:, 0], mean - 1.96 * spread, mean + 1.96 * spread,
                color="C0", alpha=0.6, label="mean ± 1.96 × spread over seeds")
ax.plot(grid[:, 0], mean, color="C0", label="ensemble mean")
for sign in (-1, 1):
    ax.plot(grid[:, 0], np.sin(2 * grid[:, 0]) + sign * 1.96 * true_std,
            "k--", linewidth=1, label="true 95 % range" if sign > 0 else None)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8)
fig.tight_layout()
plt.show()

# %%
# How often do the bands contain new observations?
# ------------------------------------------------
# A 95 % band for the *data* should contain about 95 % of new points.
test_ensemble = np.array([model.predict(X_test) for model in models])
test_mean, test_spread = test_ensemble.mean(axis=0), test_ensemble.std(axis=0)
test_noise = np.sqrt(variance_model.predict(X_test))
regions = {"x < -1": X_test[:, 0] < -1, "-1 <= x < 1": np.abs(X_test[:, 0]) < 1,
           "x >= 1": X_test[:, 0] >= 1}
for name, width in [("spread over seeds", test_spread),
                    ("estimated noise", test_noise)]:
    inside = np.abs(y_test - test_mean) <= 1.96 * width
    by_region = ", ".join(f"{region}: {inside[rows].mean():.0%}"
                          for region, rows in regions.items())
    print(f"mean ± 1.96 × {name}: contains {inside.mean():.1%} of test points "
          f"({by_region})")

# %%
# The spread over seeds is narrow and contains only a small fraction of new
# points: it measures how unsure the fitted mean is, not how far observations
# fall from it, and must not be read as a prediction interval. The noise model
# follows the growing scatter and its band contains close to the nominal 95 %
# of new points overall, but not equally everywhere: on the left, where the
# true noise is smallest, the band is too wide (the smooth, regularized noise
# model cannot shrink as fast as the noise does). It is itself an estimate from
# 300 points, and the factor 1.96 assumes Gaussian noise. For intervals with a
# coverage guarantee, use conformal prediction around any of these regressors.
