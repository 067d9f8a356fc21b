"""Peak memory of a dask-ml ``Incremental`` fit as the data grows block by block.

``dask_ml.wrappers.Incremental(ScratchMLPClassifier(...)).fit(X, y, classes=...)``
passes the blocks of dask arrays to ``partial_fit`` one after another. Here the
blocks are built lazily, each by its own task (rows of MNIST read from the IDX
files, or random rows), so nothing needs the data set in memory as a whole; the
fit runs with 1, 4, 16, ... blocks of the same size, in a fresh process each
time, and its peak resident memory is measured above the process's memory
before the fit (``VmHWM`` of ``/proc/self/status``, reset through
``/proc/self/clear_refs`` when the kernel allows it) beside tracemalloc's peak.

Usage::

    python benchmarks/bench_incremental.py                  # random blocks
    python benchmarks/bench_incremental.py --mnist-dir DIR  # or $SKSCRATCHNN_MNIST_DIR
    python benchmarks/bench_incremental.py --output benchmarks/results/incremental.md

Needs ``dask[array]`` and ``dask-ml`` (``pip install "skscratchnn[distributed]"``).
"""

import argparse
import contextlib
import gzip
import json
import os
from pathlib import Path

import numpy as np
from _common import MIB, PeakMemory, memory_report_footer, run_child, timed
from mnist import FILES, add_mnist_dir_argument

N_CLASSES = 10
# Dask's default local scheduler, a run of the tasks one at a time in the
# calling thread, and an in-process distributed cluster of one worker.
SCHEDULERS = ("threads", "sync", "distributed")


def read_idx_rows(path, start, stop):
    """Return rows ``start:stop`` of a gzip-compressed IDX file, reading no others."""
    with gzip.open(path, "rb") as f:
        header = f.read(4)
        shape = np.frombuffer(f.read(4 * header[3]), ">u4")
        row_size = int(np.prod(shape[1:]))
        f.seek(4 + 4 * len(shape) + start * row_size)  # decompresses, keeps nothing
        data = f.read((stop - start) * row_size)
    return np.frombuffer(data, np.uint8).reshape(stop - start, row_size)


def mnist_block(data_dir, index, rows):
    """Rows ``index * rows`` to ``(index + 1) * rows`` of MNIST's training set."""
    images, labels = (Path(data_dir) / name for name in FILES["train"])
    start, stop = index * rows, (index + 1) * rows
    X = read_idx_rows(images, start, stop).astype(np.float32)
    X *= np.float32(1 / 255)
    return X, read_idx_rows(labels, start, stop)[:, 0].astype(np.int64)


def random_block(n_features, index, rows):
    """Random rows whose class is the arg-max of their first ten features."""
    rng = np.random.default_rng(index)
    X = rng.random((rows, n_features), dtype=np.float32)
    return X, X[:, :N_CLASSES].argmax(axis=1)


def lazy_data(args, n_blocks):
    """Dask arrays ``X``, ``y`` of ``n_blocks`` blocks, each computed on demand."""
    import dask
    import dask.array as da

    if args.mnist_dir:
        load, first = mnist_block, args.mnist_dir
    else:
        load, first = random_block, args.n_features
    n_features = 28 * 28 if args.mnist_dir else args.n_features
    X_blocks, y_blocks = [], []
    for index in range(n_blocks):
        # One task builds X and y of a block together; two arrays slice it.
        block = dask.delayed(load, pure=True, nout=2)(first, index, args.block_rows)
        X_blocks.append(da.from_delayed(block[0], (args.block_rows, n_features),
                                        np.float32))
        y_blocks.append(da.from_delayed(block[1], (args.block_rows,), np.int64))
    return da.concatenate(X_blocks), da.concatenate(y_blocks)


def make_estimator(args):
    from skscratchnn import ScratchMLPClassifier

    return ScratchMLPClassifier(
        hidden_layer_sizes=tuple(args.hidden), batch_size=200, random_state=0
    )


def measure(n_blocks, scheduler, args):
    """Fit ``Incremental`` on ``n_blocks`` lazy blocks here; return its figures."""
    import dask
    from dask_ml.wrappers import Incremental

    X, y = lazy_data(args, n_blocks)
    tiny = argparse.Namespace(**{**vars(args), "block_rows": 20})
    tiny_X, tiny_y = lazy_data(tiny, 2)
    classes = np.arange(N_CLASSES)
    with contextlib.ExitStack() as stack:
        if scheduler == "distributed":
            from distributed import Client, LocalCluster

            cluster = stack.enter_context(LocalCluster(
                n_workers=1, threads_per_worker=os.cpu_count(), processes=False,
                dashboard_address=None,
            ))
            stack.enter_context(Client(cluster))
        else:
            stack.enter_context(dask.config.set(
                scheduler={"sync": "synchronous"}.get(scheduler, scheduler)
            ))
        # Warm up: load BLAS, NumPy's and dask's code paths on a tiny problem.
        Incremental(make_estimator(args), shuffle_blocks=False).fit(
            tiny_X, tiny_y, classes=classes
        )
        incremental = Incremental(make_estimator(args), shuffle_blocks=False)
        with PeakMemory() as peak:
            seconds, model = timed(lambda: incremental.fit(X, y, classes=classes))
    block_mib = args.block_rows * X.shape[1] * 4 / MIB
    return {
        "n_blocks": n_blocks,
        "scheduler": scheduler,
        "rows": int(X.shape[0]),
        "block_mib": block_mib,
        "data_mib": n_blocks * block_mib,
        "seconds": seconds,
        "peak_rise_mib": peak.rss_rise_bytes / MIB,
        "peak_reset": peak.hwm_reset,
        "traced_peak_mib": peak.traced_peak_bytes / MIB,
        "n_iter": int(model.estimator_.n_iter_),
    }


def child_args(n_blocks, scheduler, args):
    child = [
        "--child", str(n_blocks), scheduler,
        "--block-rows", str(args.block_rows), "--n-features", str(args.n_features),
        "--hidden", *map(str, args.hidden),
    ]
    return child + (["--mnist-dir", str(args.mnist_dir)] if args.mnist_dir else [])


def report(results, args):
    source = (
        f"MNIST's training images (`--mnist-dir`), {args.block_rows:,} rows a block"
        if args.mnist_dir else
        f"random float32 rows, {args.n_features} features, {args.block_rows:,} rows "
        "a block"
    )
    command = "python benchmarks/bench_incremental.py" + (
        " --mnist-dir DIR" if args.mnist_dir else f" --n-features {args.n_features}"
    ) + (
        f" --block-rows {args.block_rows} --blocks {' '.join(map(str, args.blocks))}"
        f" --hidden {' '.join(map(str, args.hidden))}"
        f" --schedulers {' '.join(args.schedulers)}"
    )
    lines = [
        "# Peak memory of an Incremental fit as the data grows",
        "",
        f"`{command}`",
        "",
        "`dask_ml.wrappers.Incremental(ScratchMLPClassifier(hidden_layer_sizes="
        f"{tuple(args.hidden)}, random_state=0), shuffle_blocks=False)"
        f".fit(X, y, classes=range({N_CLASSES}))` on dask arrays of {source}: one "
        "`partial_fit` (one epoch in batches of 200) per block. Each block is "
        "built by its own task, so nothing needs the whole data set in memory at "
        "once; whether it gets there is up to the scheduler. Each row is a fresh "
        "process; the peak rise is the "
        "process's peak resident memory during the fit (`VmHWM`, reset just "
        "before it) minus its resident memory just before; the traced peak is "
        "tracemalloc's (NumPy's allocations included). `threads` is dask's "
        "default local scheduler, `sync` runs the tasks one at a time in the "
        "calling thread (`dask.config.set(scheduler='synchronous')`), "
        "`distributed` on an in-process `LocalCluster` of one worker with one "
        "thread per CPU.",
        "",
        "| blocks | rows | data (MiB) | scheduler | peak rise (MiB) "
        "| traced peak (MiB) | peak rise / block |",
        "|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n_blocks']} | {r['rows']:,} | {r['data_mib']:.0f} "
            f"| {r['scheduler']} | {r['peak_rise_mib']:.1f} "
            f"| {r['traced_peak_mib']:.1f} "
            f"| {r['peak_rise_mib'] / r['block_mib']:.2f} |"
        )
    lines += memory_report_footer(results, "scikit-learn", "dask", "dask-ml",
                                  "skscratchnn")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_mnist_dir_argument(parser, otherwise="random blocks")
    parser.add_argument("--blocks", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument(
        "--block-rows", type=int,
        help="rows per block (default: MNIST's 60,000 over the most blocks, or "
        "10,000 random rows)",
    )
    parser.add_argument("--n-features", type=int, default=784,
                        help="features of the random rows")
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--schedulers", nargs="+", choices=SCHEDULERS,
                        default=list(SCHEDULERS))
    parser.add_argument("--output", help="write the markdown report to this file")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.block_rows is None:
        args.block_rows = 60_000 // max(args.blocks) if args.mnist_dir else 10_000

    if args.child:
        print(json.dumps(measure(int(args.child[0]), args.child[1], args)))
        return
    results = [run_child(__file__, child_args(n_blocks, scheduler, args))
               for scheduler in args.schedulers for n_blocks in args.blocks]
    text = report(results, args)
    print(text)
    if args.output:
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
