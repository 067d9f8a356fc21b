"""What dropout buys on MNIST: a reproducible recipe against scikit-learn's MLP.

``python benchmarks/mnist_accuracy.py --mnist-dir DIR`` trains, on the 60,000
training images only (float32, pixels in [0, 1]), and in this order:

1. the recipe: ``ScratchMLPClassifier(**RECIPE)``;
2. the same recipe with ``dropout=0`` (nothing else changed);
3. scikit-learn's ``MLPClassifier`` with the best settings found for it
   (``SKLEARN_SETTINGS``), its epoch count set so that its fit takes about the
   recipe's time budget (``--budget``, 150 s), measured from one timed epoch.

It reports test accuracy on the 10,000 test images, fit seconds and epochs of
each, and writes them to ``results/mnist_accuracy.md``.
"""

import argparse
import warnings
from pathlib import Path

import numpy as np
from _common import RESULTS_DIR, timed
from mnist import add_mnist_dir_argument, load_mnist
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skscratchnn import ScratchMLPClassifier

RECIPE = dict(
    hidden_layer_sizes=(512, 256),
    dropout=0.2,
    batch_size=128,
    learning_rate_init=1e-3,
    learning_rate="cosine",
    schedule_adam=True,
    alpha=1e-4,
    max_iter=30,
    random_state=0,
)
SKLEARN_SETTINGS = dict(
    hidden_layer_sizes=(512, 256),
    batch_size=128,
    learning_rate_init=1e-3,
    alpha=1e-3,
    early_stopping=True,
    n_iter_no_change=5,
    random_state=0,
)


def fit_and_score(estimator, X, y, X_test, y_test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        seconds, _ = timed(lambda: estimator.fit(X, y))
    accuracy = float(np.mean(estimator.predict(X_test) == y_test))
    return {"accuracy": accuracy, "seconds": seconds, "epochs": estimator.n_iter_}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_mnist_dir_argument(parser, otherwise="OpenML")
    parser.add_argument("--budget", type=float, default=150.0,
                        help="seconds of fit time allowed to each contender")
    parser.add_argument("--out-dir", default=str(RESULTS_DIR))
    args = parser.parse_args(argv)

    X, y, X_test, y_test = load_mnist(args.mnist_dir, dtype=np.float32)
    rows = {}
    rows["skscratchnn recipe"] = fit_and_score(
        ScratchMLPClassifier(**RECIPE), X, y, X_test, y_test)
    print(rows, flush=True)
    rows["skscratchnn recipe, dropout=0"] = fit_and_score(
        ScratchMLPClassifier(**{**RECIPE, "dropout": 0.0}), X, y, X_test, y_test)
    print(rows, flush=True)
    one_epoch = fit_and_score(MLPClassifier(**{**SKLEARN_SETTINGS, "max_iter": 1}),
                              X, y, X_test, y_test)["seconds"]
    # The early-stopping split leaves 90% of the rows per epoch, plus validation.
    epochs = max(1, int(args.budget / one_epoch))
    rows["sklearn MLPClassifier"] = fit_and_score(
        MLPClassifier(**{**SKLEARN_SETTINGS, "max_iter": epochs}), X, y, X_test, y_test)
    rows["sklearn MLPClassifier"]["epoch budget"] = epochs

    lines = ["# MNIST accuracy: the dropout recipe against scikit-learn's MLP", "",
             "| contender | test accuracy | fit seconds | epochs |",
             "| --- | --- | --- | --- |"]
    for name, r in rows.items():
        lines.append(f"| {name} | {100 * r['accuracy']:.2f} % | {r['seconds']:.1f} | "
                     f"{r['epochs']} |")
    text = "\n".join(lines) + "\n"
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "mnist_accuracy.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
