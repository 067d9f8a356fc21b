"""How the tabular estimators' memory and time grow with the rows of a table.

``TabularMLPRegressor`` at its defaults beside HistGradientBoostingRegressor and
scikit-learn's ``StandardScaler`` + ``MLPRegressor(early_stopping=True)``
pipeline, on synthetic tables of 50 numeric float64 columns (and, with
``--categorical``, 40 numeric and 10 categorical ones of 8 to 64 levels) whose
target is a smooth function of a few columns plus noise. Each contender fits
and then predicts in a fresh process, once the data are built; the extra
memory is the peak resident memory during the operation above the resident
memory just before (see ``_common.PeakMemory``): for ``fit`` above ``X``, for
``predict`` above ``X`` and the fitted model. Writes ``tabular_scale.json``,
``tabular_scale.md`` and ``tabular_scale.png`` to ``--out-dir``.

Usage::

    python benchmarks/bench_tabular_scale.py                      # 1e4, 1e5, 1e6 rows
    python benchmarks/bench_tabular_scale.py --rows 10000 100000 --categorical
"""

import argparse
import json
import warnings

import numpy as np
from _common import (
    MIB,
    RESULTS_DIR,
    PeakMemory,
    memory_report_footer,
    run_child,
    timed,
)

CONTENDERS = ("TabularMLP", "HistGradientBoosting", "sklearn MLP")
N_COLUMNS = 50


def make_table(n_rows, categorical, seed=0):
    """Return ``X`` (ndarray, or a DataFrame with categories) and ``y``."""
    rng = np.random.default_rng(seed)
    n_numeric = N_COLUMNS - 10 if categorical else N_COLUMNS
    X = rng.standard_normal((n_rows, n_numeric))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * np.abs(X[:, 3])
    y += 0.3 * rng.standard_normal(n_rows)
    if not categorical:
        return X, y
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(n_numeric)])
    for j, n_levels in enumerate(np.linspace(8, 64, 10).astype(int)):
        codes = rng.integers(0, n_levels, n_rows)
        effects = rng.standard_normal(n_levels) * (0.5 if j < 3 else 0.0)
        y += effects[codes]
        levels = [f"l{k}" for k in range(n_levels)]
        frame[f"c{j}"] = pd.Categorical.from_codes(codes, levels)
    return frame, y


def make_estimator(name, categorical):
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skscratchnn import TabularMLPRegressor

    if name == "TabularMLP":
        return TabularMLPRegressor(random_state=0)
    if name == "HistGradientBoosting":
        return HistGradientBoostingRegressor(
            categorical_features="from_dtype" if categorical else None, random_state=0
        )
    if categorical:
        from sklearn.compose import make_column_transformer
        from sklearn.preprocessing import OneHotEncoder

        encode = make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), lambda X: list(X.columns[-10:])),
            remainder=StandardScaler(),
        )
        return make_pipeline(encode, MLPRegressor(early_stopping=True, random_state=0))
    return make_pipeline(StandardScaler(), MLPRegressor(early_stopping=True,
                                                        random_state=0))


def nbytes(X):
    return X.memory_usage(deep=True).sum() if hasattr(X, "memory_usage") else X.nbytes


def measure(args):
    """In a child: build the table, fit, then predict; return the figures of each.

    Large arrays are returned to the system when freed, so the resident
    memory before ``predict`` is about ``X`` and the fitted model.
    """
    warnings.simplefilter("ignore")
    X, y = make_table(args.rows[0], args.categorical)
    estimator = make_estimator(args.contender, args.categorical)
    results = []
    for operation, run in [("fit", lambda: estimator.fit(X, y)),
                           ("predict", lambda: estimator.predict(X))]:
        with PeakMemory() as peak:
            seconds, _ = timed(run)
        fitted = estimator[-1] if hasattr(estimator, "steps") else estimator
        results.append({
            "contender": args.contender, "operation": operation,
            "rows": args.rows[0], "categorical": args.categorical,
            "X_mib": nbytes(X) / MIB, "seconds": seconds,
            "n_iter": int(getattr(fitted, "n_iter_", 0)),
            "rise_mib": peak.rss_rise_bytes / MIB, "peak_reset": peak.hwm_reset,
            "traced_mib": peak.traced_peak_bytes / MIB,
        })
    return results


def markdown(results, args):
    kind = ("40 numeric and 10 categorical" if args.categorical
            else f"{N_COLUMNS} numeric float64")
    lines = [
        "# Tabular estimators at scale",
        "",
        f"Synthetic regression tables of {kind} columns. Each contender fits "
        "and then predicts in a fresh process; extra memory is the peak "
        "resident memory above that just before the operation (the data, and "
        "for predict the fitted model, are already there). Epochs: `n_iter_` "
        "of the fit (boosting iterations for HistGradientBoosting); time per "
        "epoch is the fit's time over them.",
        "",
        "| rows | X (MiB) | contender | fit (s) | epochs | s / epoch "
        "| fit extra peak (MiB) | predict (s) | predict extra peak (MiB) |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in args.rows:
        for name in args.contenders:
            fit = next(r for r in results if r["rows"] == rows
                       and r["contender"] == name and r["operation"] == "fit")
            predict = next(r for r in results if r["rows"] == rows
                           and r["contender"] == name and r["operation"] == "predict")
            cells = [
                f"{rows:,}", f"{fit['X_mib']:.0f}", name, f"{fit['seconds']:.1f}",
                str(fit["n_iter"]), f"{fit['seconds'] / max(fit['n_iter'], 1):.2f}",
                f"{fit['rise_mib']:.0f}", f"{predict['seconds']:.1f}",
                f"{predict['rise_mib']:.0f}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines += memory_report_footer(results, "scikit-learn", "skscratchnn")
    return "\n".join(lines)


def plot(results, args, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    panels = [("fit", "rise_mib", "fit: extra peak memory (MiB)"),
              ("predict", "rise_mib", "predict: extra peak memory (MiB)"),
              ("fit", "seconds", "fit time (s)")]
    for ax, (operation, key, title) in zip(axes, panels):
        for name in args.contenders:
            points = sorted((r["rows"], r[key]) for r in results
                            if r["contender"] == name and r["operation"] == operation)
            ax.plot(*zip(*points), marker="o", label=name)
        ax.set(xscale="log", yscale="log", xlabel="rows", title=title)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+",
                        default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--categorical", action="store_true")
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS),
                        choices=CONTENDERS)
    parser.add_argument("--out-dir", default=str(RESULTS_DIR))
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        print(json.dumps(measure(args)))
        return
    results = []
    for rows in args.rows:
        for name in args.contenders:
            child = ["--rows", str(rows), "--contender", name]
            child += ["--categorical"] if args.categorical else []
            results += run_child(__file__, child)
            print(json.dumps(results[-2:]), flush=True)
    from pathlib import Path

    stem = "tabular_scale_categorical" if args.categorical else "tabular_scale"
    out = Path(args.out_dir)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=1))
    (out / f"{stem}.md").write_text(markdown(results, args))
    plot(results, args, out / f"{stem}.png")
    print(markdown(results, args))


if __name__ == "__main__":
    main()
