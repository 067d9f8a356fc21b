"""The benchmark script runs end to end on tiny synthetic data (so it cannot rot)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

RUN = Path(__file__).parents[1] / "benchmarks" / "run.py"
INCREMENTAL = RUN.parent / "bench_incremental.py"
TABULAR_SCALE = RUN.parent / "bench_tabular_scale.py"


def load_contenders():
    spec = importlib.util.spec_from_file_location("contenders", RUN.parent / "contenders.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_script_writes_its_tables(tmp_path):
    subprocess.run(
        [sys.executable, str(RUN), "--synthetic", "400", "--epochs", "1",
         "--repeats", "1", "--no-torch", "--out-dir", str(tmp_path)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    report = json.loads((tmp_path / "results.json").read_text())
    for dtype in ("float32", "float64"):
        contenders = report["reference"][dtype]
        assert {"skscratchnn", "sklearn", "GEMM-only bound", "GEMM + Adam-update bound",
                "skscratchnn dropout=0.2"} <= set(contenders)
        assert all(r["seconds_per_epoch"] > 0 for r in contenders.values())
    assert report["predict_proba"]["n_rows"] == 1400
    assert report["predict_proba"]["GEMM-only bound"] > 0
    assert report["memory"]["X_nbytes"] == 400 * 784 * 4
    assert len(report["scaling"]) >= 4
    table = (tmp_path / "results.md").read_text()
    assert "sklearn / ours, float32" in table and "GEMM-only bound" in table
    assert "## What the bounds allow" in table


def test_adam_update_bound_does_an_l2_adam_step():
    """The update bound does the arithmetic of a real step, not just any 12 passes."""
    rng = np.random.RandomState(0)
    theta, grad, m, v = (rng.uniform(0.1, 1, 50) for _ in range(4))
    expected_grad = grad.copy()
    expected_grad[:30] += 1e-3 * theta[:30]
    expected_m = 0.9 * m + expected_grad
    expected_v = 0.999 * v + expected_grad**2
    expected_theta = theta - 0.01 * expected_m / (np.sqrt(expected_v) + 1e-8)
    load_contenders().adam_update(theta, grad, m, v, np.empty(50), 30, alpha=1e-3,
                                  rate=0.01)
    assert_allclose(theta, expected_theta, rtol=1e-12)
    assert_allclose(m, expected_m, rtol=1e-12)
    assert_allclose(v, expected_v, rtol=1e-12)


def test_incremental_benchmark_writes_its_table(tmp_path):
    try:
        import dask_ml.wrappers  # noqa: F401
    except ImportError as exc:  # not installed, or made for other versions
        pytest.skip(f"dask_ml.wrappers cannot be imported: {exc}")
    env = {k: v for k, v in os.environ.items() if k != "SKSCRATCHNN_MNIST_DIR"}
    output = tmp_path / "incremental.md"
    subprocess.run(
        [sys.executable, str(INCREMENTAL), "--blocks", "1", "2", "--block-rows", "50",
         "--n-features", "12", "--hidden", "4", "--schedulers", "sync",
         "--output", str(output)],
        check=True, capture_output=True, text=True, timeout=300, env=env,
    )
    table = output.read_text()
    assert table.startswith("# ")  # the benchmarks page takes it as the title
    rows = [line for line in table.splitlines() if line.startswith("| 1 |")
            or line.startswith("| 2 |")]
    assert len(rows) == 2 and all("| sync |" in row for row in rows)


def test_tabular_scale_benchmark_writes_its_table(tmp_path):
    subprocess.run(
        [sys.executable, str(TABULAR_SCALE), "--rows", "300", "--categorical",
         "--out-dir", str(tmp_path)],
        check=True, capture_output=True, text=True, timeout=600,
    )
    records = json.loads((tmp_path / "tabular_scale_categorical.json").read_text())
    assert {(r["contender"], r["operation"]) for r in records} == {
        (name, operation) for name in ("TabularMLP", "HistGradientBoosting",
                                       "sklearn MLP")
        for operation in ("fit", "predict")
    }
    assert all(r["seconds"] > 0 and r["rows"] == 300 for r in records)
    table = (tmp_path / "tabular_scale_categorical.md").read_text()
    assert table.startswith("# ") and "| 300 |" in table
    assert (tmp_path / "tabular_scale_categorical.png").exists()
