"""Speed and memory benchmarks of skscratchnn against scikit-learn and PyTorch.

Run ``python benchmarks/run.py --help``. Every side-by-side figure interleaves the
contenders within each repeat and reports the median over repeats; results go to
``<out-dir>/results.md`` and ``results.json`` (and ``results.png`` when matplotlib
is installed).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info

sys.path.insert(0, str(Path(__file__).parent))
from contenders import gemm_epoch, torch_fit  # noqa: E402
from mnist import load_mnist  # noqa: E402

from skscratchnn import ScratchMLPClassifier  # noqa: E402

HIDDEN = (256, 128)
R_PARAMS = dict(
    hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", batch_size=200,
    learning_rate_init=1e-3, alpha=1e-4, shuffle=True, random_state=0, tol=0.0,
)


def r_params(epochs, **extra):
    """Parameters of workload R: exactly ``epochs`` epochs, never stopping early."""
    return {**R_PARAMS, "max_iter": epochs, "n_iter_no_change": epochs + 1, **extra}


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def fit_estimator(Estimator, params, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return timed(lambda: Estimator(**params).fit(X, y))


def bench_reference(data, dtype, epochs, repeats, with_torch):
    """Workload R for one dtype: seconds per epoch and test accuracy per contender."""
    X, y, X_test, y_test = (a.astype(dtype) if a.dtype.kind == "f" else a for a in data)
    contenders = {
        "skscratchnn": lambda: fit_estimator(ScratchMLPClassifier, r_params(epochs), X, y),
        "sklearn": lambda: fit_estimator(MLPClassifier, r_params(epochs), X, y),
        "skscratchnn dropout=0.2": lambda: fit_estimator(
            ScratchMLPClassifier, r_params(epochs, dropout=0.2), X, y
        ),
        "GEMM-only bound": lambda: timed(lambda: gemm_epoch(X, HIDDEN, 10, 200)),
    }
    if with_torch:
        contenders["PyTorch CPU"] = lambda: timed(
            lambda: torch_fit(X, y, HIDDEN, epochs, R_PARAMS)
        )
    seconds = {name: [] for name in contenders}
    models = {}
    for _ in range(repeats):
        for name, run in contenders.items():
            elapsed, model = run()
            per_epoch = elapsed if name == "GEMM-only bound" else elapsed / epochs
            seconds[name].append(per_epoch)
            models[name] = model
    results = {}
    for name, times in seconds.items():
        model = models[name]
        accuracy = None if model is None else float(np.mean(model.predict(X_test) == y_test))
        results[name] = {"seconds_per_epoch": float(np.median(times)), "all": times,
                         "test_accuracy": accuracy}
    return results, models


def bench_predict(models, X_all, repeats):
    """predict_proba on all rows, ours vs sklearn, interleaved."""
    times = {"skscratchnn": [], "sklearn": []}
    for _ in range(repeats):
        for name in times:
            times[name].append(timed(lambda: models[name].predict_proba(X_all))[0])
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
    """Measure one fit of R (1 epoch) in this process; print JSON."""
    import resource
    import tracemalloc

    X, y, _, _ = load_data(args, dtype=np.dtype(args.memory_child))

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    # BLAS allocates its work buffers on the first product: a cost of the
    # process, not of the fit, so pay it before taking the baseline.
    np.ones((64, 64), X.dtype) @ np.ones((64, 64), X.dtype)
    baseline_rss = rss()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    fit_estimator(ScratchMLPClassifier, r_params(1), X, y)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({
        "X_nbytes": X.nbytes,
        "traced_peak_bytes": traced_peak,
        "rss_peak_above_baseline_bytes": max(peak_rss, peak_before) - baseline_rss,
        "rss_peak_was_reached_during_fit": peak_rss > peak_before,
    }))


def bench_memory(argv, dtype):
    out = subprocess.run(
        [sys.executable, __file__, *argv, "--memory-child", np.dtype(dtype).name],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


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


def machine_description():
    blas = [f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
            for i in threadpool_info() if i["user_api"] == "blas"]
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, NumPy {np.__version__}, "
            f"BLAS: {', '.join(blas)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-dir", default=os.environ.get("SKSCRATCHNN_MNIST_DIR"),
                        help="directory of the MNIST IDX files "
                             "(default: $SKSCRATCHNN_MNIST_DIR, else OpenML)")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
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
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    if args.memory_child:
        return memory_child(args)

    X, y, X_test, y_test = load_data(args)
    try:
        import torch  # noqa: F401

        with_torch = not args.no_torch
    except ImportError:
        with_torch = False

    report = {"machine": machine_description(), "reference": {}}
    models32 = None
    for dtype in args.dtypes.split(","):
        print(f"workload R, {dtype} ...", flush=True)
        results, models = bench_reference(
            (X, y, X_test, y_test), np.dtype(dtype), args.epochs, args.repeats, with_torch
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
