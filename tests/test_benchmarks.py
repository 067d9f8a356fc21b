"""The benchmark script runs end to end on tiny synthetic data (so it cannot rot)."""

import json
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).parents[1] / "benchmarks" / "run.py"


def test_benchmark_script_writes_its_tables(tmp_path):
    subprocess.run(
        [sys.executable, str(RUN), "--synthetic", "400", "--epochs", "1",
         "--repeats", "1", "--no-torch", "--out-dir", str(tmp_path)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    report = json.loads((tmp_path / "results.json").read_text())
    for dtype in ("float32", "float64"):
        contenders = report["reference"][dtype]
        assert {"skscratchnn", "sklearn", "GEMM-only bound",
                "skscratchnn dropout=0.2"} <= set(contenders)
        assert all(r["seconds_per_epoch"] > 0 for r in contenders.values())
    assert report["predict_proba"]["n_rows"] == 1400
    assert report["memory"]["X_nbytes"] == 400 * 784 * 4
    assert len(report["scaling"]) >= 4
    table = (tmp_path / "results.md").read_text()
    assert "sklearn / ours, float32" in table and "GEMM-only bound" in table
