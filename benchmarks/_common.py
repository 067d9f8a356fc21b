"""What the benchmark scripts share: the machine they ran on, timing, child
processes, peak memory and where results go.

A script run as ``python benchmarks/<script>.py`` finds this module beside it.
"""

import gc
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

RESULTS_DIR = Path(__file__).parent / "results"
MIB = 2**20


def machine_description(*packages):
    """The CPU, Python, NumPy and BLAS, then the version of each installed package."""
    blas = [f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
            for i in threadpool_info() if i["user_api"] == "blas"]
    versions = []
    for package in packages:
        try:
            versions.append(f", {package} {version(package)}")
        except PackageNotFoundError:
            pass
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, NumPy {np.__version__}, "
            f"BLAS: {', '.join(blas)}{''.join(versions)}")


def timed(fn):
    """Return the wall-clock seconds of ``fn()`` and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_child(script, args):
    """Run ``script`` with ``args`` in a fresh Python; return its last line of JSON."""
    out = subprocess.run([sys.executable, str(script), *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


class PeakMemory:
    """Measure the peak memory of the code in its ``with`` block (Linux).

    ``rss_rise_bytes``: the peak resident memory during the block (``VmHWM`` of
    ``/proc/self/status``, reset to the current size on entry through
    ``/proc/self/clear_refs``) minus the resident memory on entry.
    ``hwm_reset``: whether the kernel allowed the reset; without it the rise
    also covers any higher peak before the block, an upper bound.
    ``traced_peak_bytes``: the peak of the allocations tracemalloc traces
    during the block, NumPy's included (None with ``trace=False``, which
    spares the block tracemalloc's slowing down, for timing it too).

    Use it in a fresh process (see :func:`run_child`) that holds just what the
    block needs. (``ru_maxrss`` would not do: it starts from the resident size
    of the parent the process was forked from, and cannot be reset.)
    """

    UNRESET_NOTE = (
        "The kernel refused to reset `VmHWM`: the peak rises are upper bounds "
        "(they include any higher peak of the process before the measurement)."
    )

    def __init__(self, trace=True):
        self.trace = trace

    def __enter__(self):
        # BLAS allocates its work buffers on the first product: a cost of the
        # process, not of the block, so pay it before the baseline.
        for dtype in (np.float32, np.float64):
            np.ones((64, 64), dtype) @ np.ones((64, 64), dtype)
        gc.collect()
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        self._baseline = _status_bytes("VmRSS")
        if self.trace:
            tracemalloc.start()
        return self

    def __exit__(self, *exc_info):
        self.traced_peak_bytes = None
        if self.trace:
            self.traced_peak_bytes = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        self.rss_rise_bytes = _status_bytes("VmHWM") - self._baseline


def _status_bytes(field):
    """A memory field of ``/proc/self/status``, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def memory_report_footer(results, *packages):
    """Return the closing lines of a memory report: the reset caveat, the machine.

    ``results`` are records with a ``peak_reset`` flag (see :class:`PeakMemory`);
    ``packages`` are named in the machine description.
    """
    lines = []
    if not all(r["peak_reset"] for r in results):
        lines += ["", PeakMemory.UNRESET_NOTE]
    return lines + ["", f"Machine: {machine_description(*packages)}.", ""]
