"""Tune a pipeline on the digits data and compare with scikit-learn's MLP.

Run with ``python -m skscratchnn``.
"""

import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratchnn import ScratchMLPClassifier

GRID = {"mlp__alpha": [1e-4, 1e-2], "mlp__hidden_layer_sizes": [(64,), (128,)]}


def tune(classifier, extra_grid, X_train, y_train):
    """Grid-search ``classifier`` in a scaling pipeline; return the search and seconds."""
    pipeline = make_pipeline(StandardScaler(), classifier)
    pipeline.steps[-1] = ("mlp", classifier)
    search = GridSearchCV(pipeline, {**GRID, **extra_grid}, cv=3)
    start = time.perf_counter()
    search.fit(X_train, y_train)
    return search, time.perf_counter() - start


def main():
    """Tune both classifiers on digits and print what each search found."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    settings = dict(max_iter=200, random_state=0)
    contenders = [
        ("skscratchnn ScratchMLPClassifier", ScratchMLPClassifier(**settings),
         {"mlp__dropout": [0.0, 0.2]}),
        ("sklearn MLPClassifier", MLPClassifier(**settings), {}),
    ]
    print(f"digits: {len(X_train)} training and {len(X_test)} held-out images\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, classifier, extra_grid in contenders:
            search, seconds = tune(classifier, extra_grid, X_train, y_train)
            best = {k.removeprefix("mlp__"): v for k, v in search.best_params_.items()}
            print(f"{name}")
            n_settings = len(search.cv_results_["params"])
            mean_fit = search.cv_results_["mean_fit_time"].mean()
            print(f"  grid of {n_settings} settings x 3 folds: {seconds:.1f} s in all, "
                  f"{mean_fit:.2f} s per fit")
            print(f"  best parameters: {best}")
            print(f"  held-out accuracy: {search.score(X_test, y_test):.4f}\n")


if __name__ == "__main__":
    main()
