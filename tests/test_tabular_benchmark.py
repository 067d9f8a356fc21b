"""The tabular benchmark script runs end to end on a tiny made-up suite."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "tabular.py"


def make_suite(directory):
    """Two small datasets in the suite's format: categoricals, gaps, a logged target."""
    rng = np.random.default_rng(0)
    n = 120
    x = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n).astype(object)
    colour[:5] = None
    x_gappy = np.where(np.arange(n) % 17 == 0, np.nan, x)
    pd.DataFrame({"x": x_gappy, "colour": colour,
                  "label": np.where(x > 0, "yes", "no")}).to_csv(
        directory / "toy_class.csv.gz", index=False)
    pd.DataFrame({"x": x, "colour": colour, "price": np.exp(1 + x)}).to_csv(
        directory / "toy_reg.csv.gz", index=False)
    entry = {"source": "made up", "rows": n, "features": 2}
    suite = [
        {**entry, "file": "toy_class.csv.gz", "target": "label",
         "task": "classification", "log_target": False, "categorical": ["colour"],
         "classes": ["no", "yes"]},
        {**entry, "file": "toy_reg.csv.gz", "target": "price", "task": "regression",
         "log_target": True, "categorical": ["colour"], "classes": None},
    ]
    (directory / "suite.json").write_text(json.dumps(suite))


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, timeout=300)


def test_tabular_benchmark_writes_and_merges_its_records(tmp_path):
    make_suite(tmp_path)
    common = ["--data-dir", str(tmp_path), "--out-dir", str(tmp_path / "out"),
              "--splits", "0,1", "--threads", "1"]
    first = run(*common, "--contenders",
                "HistGradientBoosting,TabularMLP")
    assert first.returncode == 0, first.stderr
    second = run(*common, "--contenders", "sklearn MLP", "--datasets", "toy_reg",
                 "--merge")
    assert second.returncode == 0, second.stderr

    report = json.loads((tmp_path / "out" / "tabular.json").read_text())
    records = report["records"]
    assert len(records) == 2 * 2 * 2 + 2
    assert {r["contender"] for r in records} == {
        "HistGradientBoosting", "TabularMLP", "sklearn MLP"}
    for r in records:
        assert r["fit_seconds"] > 0 and r["score"] >= 0
        assert r["predict_seconds"] > 0 and r["fit_peak_mib"] >= 0
        if r["contender"] == "HistGradientBoosting":
            assert r["ratio"] == pytest.approx(1.0)
    assert len(report["runs"]) == 2
    table = (tmp_path / "out" / "tabular.md").read_text()
    assert table.startswith("# ")
    assert "geometric mean" in table and "RMSE of log" in table
    assert "| sklearn MLP | 2 |" in table


def test_tabular_benchmark_needs_its_data_directory(tmp_path):
    result = run("--data-dir", str(tmp_path / "absent"))
    assert result.returncode != 0
    assert "--data-dir" in result.stderr and "SKSCRATCHNN_TABULAR_DIR" in result.stderr
