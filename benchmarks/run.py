"""Speed and memory benchmarks of skscratchnn against scikit-learn and PyTorch.

Run ``python benchmarks/run.py --help``. Every side-by-side figure interleaves the
contenders within each repeat and reports the median over repeats; results go to
``<out-dir>/results.md`` and ``results.json`` (and ``results.png`` when matplotlib
is installed).
"""

import argparse
import importlib.util
import json
import sys
import warnings
from pathlib import Path

import numpy as np
from _common import RESULTS_DIR, PeakMemory, machine_description, run_child, timed
from contenders import gemm_epoch, gemm_predict, torch_fit
from mnist import add_mnist_dir_argument, load_mnist
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skscratchnn import ScratchMLPClassifier

HIDDEN = (256, 128)
R_PARAMS = dict(
    hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", batch_size=200,
    learning_rate_init=1e-3, alpha=1e-4, shuffle=True, random_state=0, tol=0.0,
)


def r_params(epochs, **extra):
    """Parameters of workload R: exactly ``epochs`` epochs, never stopping early."""
    return {**R_PARAMS, "max_iter": epochs, "n_iter_no_change": epochs + 1, **extra}


def fit_estimator(Estimator, params, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return timed(lambda: Estimator(**params).fit(X, y))


def bench_reference(data, dtype, epochs, repeats, torch_argv):
    """Workload R for one dtype: seconds per epoch and test accuracy per contender.

    PyTorch, when ``torch_argv`` is given, trains in a child process: its
    OpenMP threads keep spinning after each call and would slow whichever
    contender ran next in this process.
    """
    X, y, X_test, y_test = (a.astype(dtype) if a.dtype.kind == "f" else a for a in data)

    def estimator(Estimator, **extra):
        def run():
            elapsed, model = fit_estimator(Estimator, r_params(epochs, **extra), X, y)
            return elapsed / epochs, float(np.mean(model.predict(X_test) == y_test)), model
        return run

    contenders = {
        "skscratchnn": estimator(ScratchMLPClassifier),
        "sklearn": estimator(MLPClassifier),
        "skscratchnn dropout=0.2": estimator(ScratchMLPClassifier, dropout=0.2),
        "GEMM-only bound": lambda: (timed(lambda: gemm_epoch(X, HIDDEN, 10, 200))[0],
                                    None, None),
        "GEMM + Adam-update bound": lambda: (
            timed(lambda: gemm_epoch(X, HIDDEN, 10, 200, update=True))[0], None, None),
    }
    if torch_argv is not None:
        contenders["PyTorch CPU"] = lambda: torch_in_child(torch_argv, dtype, epochs)
    seconds = {name: [] for name in contenders}
    accuracy, models = {}, {}
    for _ in range(repeats):
        for name, run in contenders.items():
            per_epoch, accuracy[name], models[name] = run()
            seconds[name].append(per_epoch)
    results = {
        name: {"seconds_per_epoch": float(np.median(times)), "all": times,
               "test_accuracy": accuracy[name]}
        for name, times in seconds.items()
    }
    return results, models


def torch_in_child(argv, dtype, epochs):
    result = run_child(__file__, [*argv, "--torch-child", np.dtype(dtype).name])
    return result["seconds"] / epochs, result["accuracy"], None


def torch_child(args):
    """Train workload R with PyTorch in this process; print seconds and accuracy."""
    X, y, X_test, y_test = load_data(args, dtype=np.dtype(args.torch_child))
    elapsed, model = timed(lambda: torch_fit(X, y, HIDDEN, args.epochs, R_PARAMS))
    accuracy = float(np.mean(model.predict(X_test) == y_test))
    print(json.dumps({"seconds": elapsed, "accuracy": accuracy}))


def bench_predict(models, X_all, repeats):
    """predict_proba on all rows, ours vs sklearn, interleaved, after one warm-up each.

    The warm-up keeps first-call costs (fresh pages for the large outputs) out of
    the steady state that repeated predictions see.
    """
    runs = {name: models[name].predict_proba for name in ("skscratchnn", "sklearn")}
    runs["GEMM-only bound"] = lambda X: gemm_predict(X, HIDDEN, 10)
    times = {name: [] for name in runs}
    for run in runs.values():
        run(X_all)
    for _ in range(max(repeats, 5)):
        for name, run in runs.items():
            times[name].append(timed(lambda: run(X_all))[0])
    return {name: float(np.median(t)) for name, t in times.items()}


def bench_scaling(X, y, sizes, widths, repeats):
    """One epoch of R-like fits while the work grows, with achieved GFLOP/s."""
    rows = []
    for n, width in [(n, 256) for n in sizes] + [(max(sizes), w) for w in widths]:
        hidden = (width, width // 2)
        params = r_params(1, hidden_layer_sizes=hidden)
        times = [fit_estimator(ScratchMLPClassifier, params, X[:n], y[:n])[0]
                 for _ in range(repeats)]
        units = [X.shape[1], *hidden, 10]
        macs = sum(a * b for a, b in zip(units[:-1], units[1:]))
        # 3 products per layer (forward, weight gradient, input gradient), minus
        # the input gradient of the first layer; 2 flops per multiply-add.
        flops = 2 * n * (3 * macs - units[0] * units[1])
        seconds = float(np.median(times))
        rows.append({"n_samples": n, "hidden": list(hidden), "seconds": seconds,
                     "gflops": flops / seconds / 1e9})
    return rows


def load_data(args, dtype=np.float64):
    """MNIST (or, with ``--synthetic N``, random data of its shape), cut to ``--n-train``."""
    if args.synthetic:
        from sklearn.datasets import make_classification

        X, y = make_classification(args.synthetic + 1000, n_features=784,
                                   n_informative=50, n_classes=10, random_state=0)
        X = ((X - X.min()) / np.ptp(X)).astype(dtype)
        X, y, X_test, y_test = X[:-1000], y[:-1000], X[-1000:], y[-1000:]
    else:
        X, y, X_test, y_test = load_mnist(args.mnist_dir, dtype=dtype)
    if args.n_train:
        X, y = np.ascontiguousarray(X[: args.n_train]), y[: args.n_train]
    return X, y, X_test, y_test


def memory_child(args):
    """Measure one fit of R (1 epoch) in this process; print JSON.

    Loading the data comes before the measurement, so it does not count.
    """
    X, y, _, _ = load_data(args, dtype=np.dtype(args.memory_child))
    with PeakMemory() as peak:
        fit_estimator(ScratchMLPClassifier, r_params(1), X, y)
    print(json.dumps({
        "X_nbytes": X.nbytes,
        "traced_peak_bytes": peak.traced_peak_bytes,
        "rss_peak_above_baseline_bytes": peak.rss_rise_bytes,
        "peak_reset": peak.hwm_reset,
    }))


def bench_memory(argv, dtype):
    return run_child(__file__, [*argv, "--memory-child", np.dtype(dtype).name])


def markdown(report):
    lines = [f"# Benchmark results\n\n{report['machine']}\n"]
    lines.append("## Workload R: seconds per epoch (median) and test accuracy\n")
    lines.append("| dtype | contender | s/epoch | test accuracy |")
    lines.append("| --- | --- | --- | --- |")
    for dtype, results in report["reference"].items():
        for name, r in results.items():
            acc = "" if r["test_accuracy"] is None else f"{r['test_accuracy']:.4f}"
            lines.append(f"| {dtype} | {name} | {r['seconds_per_epoch']:.3f} | {acc} |")
    lines.append("\n## Targets\n")
    lines.append("| figure | measured | target | met |")
    lines.append("| --- | --- | --- | --- |")
    for figure, value, target, met in report["targets"]:
        lines.append(f"| {figure} | {value} | {target} | {'yes' if met else 'NO'} |")
    lines.append("\n## What the bounds allow\n")
    lines.append("The best ratio any NumPy MLP could reach, from the bounds measured in "
                 "the same run (see README), and how far ours is from its bound.\n")
    lines.append("| figure | measured |")
    lines.append("| --- | --- |")
    for figure, value in bound_rows(report):
        lines.append(f"| {figure} | {value} |")
    if report.get("scaling"):
        lines.append("\n## Scaling (skscratchnn, float32, one epoch)\n")
        lines.append("| n_samples | hidden | seconds | GFLOP/s |")
        lines.append("| --- | --- | --- | --- |")
        for row in report["scaling"]:
            lines.append(f"| {row['n_samples']} | {tuple(row['hidden'])} | "
                         f"{row['seconds']:.3f} | {row['gflops']:.1f} |")
    return "\n".join(lines) + "\n"


def target_rows(report):
    rows = []
    for dtype, floor in [("float32", 2.0), ("float64", 1.8)]:
        r = report["reference"].get(dtype)
        if r:
            ratio = r["sklearn"]["seconds_per_epoch"] / r["skscratchnn"]["seconds_per_epoch"]
            rows.append((f"sklearn / ours, {dtype}", f"{ratio:.2f}", f">= {floor}",
                         ratio >= floor))
    r = report["reference"].get("float32")
    if r:
        ours = r["skscratchnn"]["seconds_per_epoch"]
        ratio = ours / r["GEMM-only bound"]["seconds_per_epoch"]
        rows.append(("ours / GEMM-only bound, float32", f"{ratio:.2f}", "<= 1.5",
                     ratio <= 1.5))
        if "PyTorch CPU" in r:
            ratio = r["PyTorch CPU"]["seconds_per_epoch"] / ours
            rows.append(("PyTorch / ours, float32", f"{ratio:.2f}", ">= 1.3", ratio >= 1.3))
        ratio = r["skscratchnn dropout=0.2"]["seconds_per_epoch"] / ours
        rows.append(("ours dropout=0.2 / ours, float32", f"{ratio:.2f}", "<= 1.15",
                     ratio <= 1.15))
        gap = r["sklearn"]["test_accuracy"] - r["skscratchnn"]["test_accuracy"]
        rows.append(("test accuracy, sklearn - ours (points)", f"{100 * gap:.2f}",
                     "<= 0.3", 100 * gap <= 0.3))
    if "predict_proba" in report:
        p = report["predict_proba"]
        ratio = p["sklearn"] / p["skscratchnn"]
        rows.append((f"sklearn / ours predict_proba ({p['n_rows']} rows, float32)",
                     f"{ratio:.2f}", ">= 1.5", ratio >= 1.5))
    if "memory" in report:
        m = report["memory"]
        limit = 1.25 * m["X_nbytes"] + 100 * 2**20
        peak = m["rss_peak_above_baseline_bytes"]
        rows.append(("peak memory of a fit above baseline (MiB)",
                     f"{peak / 2**20:.0f} (X: {m['X_nbytes'] / 2**20:.0f}, traced "
                     f"{m['traced_peak_bytes'] / 2**20:.0f})",
                     f"<= {limit / 2**20:.0f}", peak <= limit))
    return rows


def bound_rows(report):
    rows = []
    for dtype, r in report["reference"].items():
        floor = r["GEMM + Adam-update bound"]["seconds_per_epoch"]
        rows.append((f"best sklearn / ours: sklearn / GEMM + Adam-update bound, {dtype}",
                     f"{r['sklearn']['seconds_per_epoch'] / floor:.2f}"))
        rows.append((f"best ours / GEMM-only: GEMM + Adam-update / GEMM-only bound, {dtype}",
                     f"{floor / r['GEMM-only bound']['seconds_per_epoch']:.2f}"))
        rows.append((f"ours / GEMM + Adam-update bound, {dtype}",
                     f"{r['skscratchnn']['seconds_per_epoch'] / floor:.2f}"))
    if "predict_proba" in report:
        p = report["predict_proba"]
        rows.append(("best sklearn / ours predict_proba: sklearn / GEMM-only bound",
                     f"{p['sklearn'] / p['GEMM-only bound']:.2f}"))
        rows.append(("ours / GEMM-only bound, predict_proba",
                     f"{p['skscratchnn'] / p['GEMM-only bound']:.2f}"))
    return rows


def plot(report, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    dtypes = list(report["reference"])
    fig, axes = plt.subplots(1, len(dtypes), figsize=(5 * len(dtypes), 3.5), squeeze=False)
    for ax, dtype in zip(axes[0], dtypes):
        results = report["reference"][dtype]
        names = list(results)
        ax.barh(names, [results[n]["seconds_per_epoch"] for n in names])
        ax.set_xlabel("seconds per epoch (lower is better)")
        ax.set_title(f"MNIST, {HIDDEN}, adam, {dtype}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_mnist_dir_argument(parser, otherwise="OpenML")
    parser.add_argument("--out-dir", default=str(RESULTS_DIR))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--n-train", type=int, default=None,
                        help="use only the first rows of the training set")
    parser.add_argument("--synthetic", type=int, default=None, metavar="N",
                        help="use N random MNIST-shaped rows instead of MNIST")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    parser.add_argument("--torch-child", help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    if args.memory_child:
        return memory_child(args)
    if args.torch_child:
        return torch_child(args)

    X, y, X_test, y_test = load_data(args)
    with_torch = not args.no_torch and importlib.util.find_spec("torch") is not None

    report = {"machine": machine_description(), "reference": {}}
    models32 = None
    for dtype in args.dtypes.split(","):
        print(f"workload R, {dtype} ...", flush=True)
        results, models = bench_reference(
            (X, y, X_test, y_test), np.dtype(dtype), args.epochs, args.repeats,
            argv if with_torch else None,
        )
        report["reference"][dtype] = results
        if dtype == "float32":
            models32 = models
    if models32:
        X_all = np.vstack([X, X_test]).astype(np.float32)
        print(f"predict_proba on {len(X_all)} rows ...", flush=True)
        report["predict_proba"] = {**bench_predict(models32, X_all, args.repeats),
                                   "n_rows": len(X_all)}
    if not args.no_scaling:
        print("scaling series ...", flush=True)
        n = len(X)
        sizes = sorted({max(n // 6, 1), n // 3, 2 * n // 3, n})
        report["scaling"] = bench_scaling(X.astype(np.float32), y, sizes,
                                          [64, 256, 1024], args.repeats)
    if not args.no_memory:
        print("memory ...", flush=True)
        report["memory"] = bench_memory(argv, "float32")
    report["targets"] = target_rows(report)

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(report)
    (out / "results.md").write_text(text)
    (out / "results.json").write_text(json.dumps(report, indent=2, default=str))
    plot(report, out / "results.png")
    print(text)


if __name__ == "__main__":
    main()
