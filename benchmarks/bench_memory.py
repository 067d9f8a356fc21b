"""Peak memory of ``fit`` and ``predict_proba`` on a large float32 data set.

Each measurement runs in a fresh process that first builds the data (in chunks,
so no float64 temporary inflates the baseline), then records how far the
operation raises the process's peak resident memory above its resident memory
just before (``VmHWM``, reset just before the operation) and the peak of
NumPy's traced allocations (``tracemalloc``), both in MiB and relative to
``X.nbytes``.

Usage::

    python benchmarks/bench_memory.py                    # 1,000,000 x 100
    python benchmarks/bench_memory.py --n-samples 100000 --output memory.md
"""

import argparse
import json

import numpy as np
from _common import MIB, PeakMemory, memory_report_footer, run_child, timed


def make_data(n_samples, n_features, seed=0, chunk=100_000):
    """Return float32 ``X`` and binary ``y``, built without float64 copies of X."""
    rng = np.random.default_rng(seed)
    X = np.empty((n_samples, n_features), dtype=np.float32)
    for start in range(0, n_samples, chunk):
        rows = slice(start, min(start + chunk, n_samples))
        X[rows] = rng.standard_normal((rows.stop - rows.start, n_features), np.float32)
    y = (X[:, : max(n_features // 10, 1)].sum(axis=1) > 0).astype(np.int64)
    return X, y


def measure(operation, args):
    """Run ``operation`` ('fit' or 'predict_proba') here; return its memory figures."""
    from skscratchnn import ScratchMLPClassifier

    X, y = make_data(args.n_samples, args.n_features)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=tuple(args.hidden), solver=args.solver,
        max_iter=args.max_iter, random_state=0,
    )
    if operation == "predict_proba":
        subset = slice(0, min(20_000, args.n_samples))
        clf.fit(X[subset], y[subset])
        run = lambda: clf.predict_proba(X)  # noqa: E731
    else:
        run = lambda: clf.fit(X, y)  # noqa: E731

    with PeakMemory() as peak:
        seconds, result = timed(run)
    output_mib = result.nbytes / MIB if operation == "predict_proba" else 0.0
    return {
        "operation": operation,
        "seconds": seconds,
        "X_mib": X.nbytes / MIB,
        "rss_delta_mib": peak.rss_rise_bytes / MIB,
        "peak_reset": peak.hwm_reset,
        "traced_peak_mib": peak.traced_peak_bytes / MIB,
        "output_mib": output_mib,
    }


def child_args(operation, args):
    return [
        "--child", operation,
        "--n-samples", str(args.n_samples), "--n-features", str(args.n_features),
        "--hidden", *map(str, args.hidden), "--solver", args.solver,
        "--max-iter", str(args.max_iter),
    ]


def report(results, args):
    lines = [
        "# Peak memory on large data",
        "",
        f"`python benchmarks/bench_memory.py --n-samples {args.n_samples} "
        f"--n-features {args.n_features} --hidden {' '.join(map(str, args.hidden))} "
        f"--solver {args.solver} --max-iter {args.max_iter}`",
        "",
        f"ScratchMLPClassifier(hidden_layer_sizes={tuple(args.hidden)}, "
        f"solver={args.solver!r}, max_iter={args.max_iter}) on "
        f"{args.n_samples:,} x {args.n_features} float32 rows, binary target. "
        "Each operation runs in a fresh process after the data is built (and, for "
        "`predict_proba`, after a fit on 20,000 rows); the extra memory is the "
        "process's peak resident memory during the operation (`VmHWM`, reset just "
        "before it) minus its resident memory just before, beside the peak of the "
        "allocations `tracemalloc` traces (NumPy's included).",
        "",
        "| operation | time (s) | X (MiB) | extra peak RSS (MiB) | extra / X "
        "| traced peak (MiB) | of which output (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['operation']} | {r['seconds']:.1f} | {r['X_mib']:.0f} "
            f"| {r['rss_delta_mib']:.1f} | {r['rss_delta_mib'] / r['X_mib']:.3f} "
            f"| {r['traced_peak_mib']:.1f} | {r['output_mib']:.1f} |"
        )
    lines += memory_report_footer(results, "scikit-learn", "skscratchnn")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64])
    parser.add_argument("--solver", default="adam", choices=["adam", "sgd"])
    parser.add_argument("--max-iter", type=int, default=1)
    parser.add_argument("--output", help="write the markdown report to this file")
    parser.add_argument(
        "--child", choices=["fit", "predict_proba"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()

    if args.child:
        print(json.dumps(measure(args.child, args)))
        return
    results = [run_child(__file__, child_args(operation, args))
               for operation in ("fit", "predict_proba")]
    text = report(results, args)
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
