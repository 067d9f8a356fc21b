"""Tabular benchmark: MLPs against HistGradientBoosting on real datasets.

Every contender is fitted on the same 3 random 75/25 splits of each dataset of
the suite (``--data-dir``, default ``$SKSCRATCHNN_TABULAR_DIR``; see its
``README.md`` and ``suite.json``) and scored on the held-out quarter:
classification error (1 - accuracy), or the RMSE of the target (of its log where
the suite says ``log_target``: the model is trained on the log). Each score is
divided by HistGradientBoosting's on the same split. Writes
``<out-dir>/tabular.json`` (one record per fit) and ``tabular.md``. Run
``python benchmarks/tabular.py --help``.
"""

import argparse
import datetime
import itertools
import json
import os
import shlex
import sys
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from _common import MIB, RESULTS_DIR, PeakMemory, machine_description
from pandas.api.types import is_numeric_dtype
from sklearn.compose import (
    ColumnTransformer,
    TransformedTargetRegressor,
    make_column_selector,
)
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

BASELINE = "HistGradientBoosting"
TEST_SIZE = 0.25


@dataclass(frozen=True)
class Dataset:
    """One entry of the suite's ``suite.json``."""

    name: str
    file: str
    target: str
    is_classification: bool
    log_target: bool
    categorical: tuple

    @classmethod
    def from_suite(cls, entry):
        return cls(name=entry["file"].split(".")[0], file=entry["file"],
                   target=entry["target"],
                   is_classification=entry["task"] == "classification",
                   log_target=entry["log_target"],
                   categorical=tuple(entry["categorical"]))

    @property
    def metric(self):
        if self.is_classification:
            return "error"
        return "RMSE of log" if self.log_target else "RMSE"

    def load(self, data_dir):
        """X as a DataFrame with the non-numeric columns as ``category``; y (logged)."""
        X = pd.read_csv(Path(data_dir) / self.file)
        y = X.pop(self.target).to_numpy()
        categorical = [c for c in X.columns
                       if c in self.categorical or not is_numeric_dtype(X[c])]
        X[categorical] = X[categorical].astype("category")
        return X, np.log(y) if self.log_target else y


def score(dataset, y_true, y_pred):
    y_pred = np.asarray(y_pred).reshape(y_true.shape)
    if dataset.is_classification:
        return float(np.mean(y_pred != y_true))
    return float(np.sqrt(np.mean((y_pred - y_true) ** 2)))


# Contender builders: (dataset, seed, threads) -> an unfitted estimator taking the
# DataFrame. A builder raises ImportError when its package is missing.

def numeric_imputer():
    """Median-impute the numeric columns, keeping the DataFrame and its categories."""
    return ColumnTransformer(
        [("numeric", SimpleImputer(strategy="median"),
          make_column_selector(dtype_exclude="category"))],
        remainder="passthrough", verbose_feature_names_out=False,
    ).set_output(transform="pandas")


def build_sklearn_mlp(dataset, seed, threads, **params):
    preprocess = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         make_column_selector(dtype_exclude="category")),
        ("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                      OneHotEncoder(handle_unknown="ignore")),
         make_column_selector(dtype_include="category")),
    ])
    if dataset.is_classification:
        return make_pipeline(preprocess, MLPClassifier(random_state=seed, **params))
    return TransformedTargetRegressor(
        make_pipeline(preprocess, MLPRegressor(random_state=seed, **params)),
        transformer=StandardScaler(),
    )


def build_hist_gradient_boosting(dataset, seed, threads):
    Estimator = (HistGradientBoostingClassifier if dataset.is_classification
                 else HistGradientBoostingRegressor)
    return Estimator(categorical_features="from_dtype", random_state=seed)


def build_tabular_mlp(dataset, seed, threads, **params):
    from skscratchnn import TabularMLPClassifier, TabularMLPRegressor

    Estimator = (TabularMLPClassifier if dataset.is_classification
                 else TabularMLPRegressor)
    return Estimator(random_state=seed, **params)


def build_realmlp_td(dataset, seed, threads):
    from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

    Estimator = (RealMLP_TD_Classifier if dataset.is_classification
                 else RealMLP_TD_Regressor)
    # RealMLP refuses missing numeric values: give it the sklearn MLPs' imputation.
    return make_pipeline(numeric_imputer(),
                         Estimator(random_state=seed, device="cpu", n_threads=threads))


CONTENDERS = {
    "sklearn MLP": build_sklearn_mlp,
    "sklearn MLP early_stopping": partial(build_sklearn_mlp, early_stopping=True),
    BASELINE: build_hist_gradient_boosting,
    "TabularMLP": build_tabular_mlp,
    "TabularMLP n_members=1": partial(build_tabular_mlp, n_members=1),
    "RealMLP-TD": build_realmlp_td,
}


def fit_and_score(model, dataset, data, threads):
    """Fit and score ``model``: the score, and the fit's and predict's costs."""
    X_train, X_test, y_train, y_test = data
    with threadpool_limits(threads), warnings.catch_warnings():
        # sklearn's ConvergenceWarning, Lightning's deprecation notes
        warnings.simplefilter("ignore")
        with PeakMemory(trace=False) as peak:
            start, cpu_start = time.perf_counter(), time.process_time()
            model.fit(X_train, y_train)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        start = time.perf_counter()
        prediction = model.predict(X_test)
        costs = {"fit_seconds": seconds, "cpu_seconds": cpu,
                 "predict_seconds": time.perf_counter() - start,
                 "fit_peak_mib": peak.rss_rise_bytes / MIB}
        return score(dataset, y_test, prediction), costs


def with_ratios(records):
    """Recompute every record's ratio to the baseline's score on the same split."""
    baseline = {(r["dataset"], r["split"]): r["score"]
                for r in records if r["contender"] == BASELINE}
    for r in records:
        base = baseline.get((r["dataset"], r["split"]))
        r["ratio"] = r["score"] / base if base else None


def geomean(values):
    return float(np.exp(np.mean(np.log(values)))) if len(values) else None


def summary(records):
    """Per contender: mean ratio and mean score per dataset, fit-time totals."""
    table = {}
    for r in records:
        row = table.setdefault(r["contender"], {
            "ratios": {}, "scores": {}, "seconds": [], "cpu": 0.0,
            "predict": [], "peak": [],
        })
        row["scores"].setdefault(r["dataset"], []).append(r["score"])
        row["seconds"].append((r["fit_seconds"], r["dataset"]))
        row["cpu"] += r["cpu_seconds"]
        # Runs before these were measured lack them.
        if "predict_seconds" in r:
            row["predict"].append(r["predict_seconds"])
            row["peak"].append((r["fit_peak_mib"], r["dataset"]))
        if r["ratio"] is not None:
            row["ratios"].setdefault(r["dataset"], []).append(r["ratio"])
    for row in table.values():
        row["ratios"] = {d: float(np.mean(v)) for d, v in row["ratios"].items()}
        row["scores"] = {d: float(np.mean(v)) for d, v in row["scores"].items()}
        row["geomean"] = geomean(list(row["ratios"].values()))
    return table


def markdown(report, datasets):
    table = summary(report["records"])
    names = list(table)
    shown = [d for d in datasets
             if any(d.name in row["scores"] for row in table.values())]
    latest = report["runs"][max(report["runs"])]

    def cell(value, fmt):
        return "–" if value is None else format(value, fmt)

    def per_dataset(key, fmt):
        return [f"| {' | '.join(['dataset', 'metric', *names])} |",
                f"|{' --- |' * (2 + len(names))}"] + [
            f"| {d.name} | {d.metric} | "
            + " | ".join(cell(table[n][key].get(d.name), fmt) for n in names) + " |"
            for d in shown]

    lines = [
        "# Tabular benchmark: MLPs against HistGradientBoosting", "",
        f"{latest['machine']}; {latest['threads']} threads for every contender "
        "(threadpoolctl limits on BLAS and OpenMP, `n_threads` for RealMLP's "
        "torch).", "",
        f"Each dataset: splits {', '.join(map(str, report['splits']))} (random "
        f"{1 - TEST_SIZE:.0%}/{TEST_SIZE:.0%}, stratified for classification). Score: "
        "classification error or regression RMSE (of log(target) where the suite says "
        "`log_target`), on the held-out part; ratio: score over HistGradientBoosting's "
        "on the same split (lower is better, < 1 beats it).", "",
        "## Score over HistGradientBoosting's (mean over splits)", "",
        *per_dataset("ratios", ".3f"),
    ]
    lines.append("| **geometric mean** | | " + " | ".join(
        f"**{cell(table[n]['geomean'], '.3f')}**"
        + (f" ({len(table[n]['ratios'])}/{len(shown)})"
           if len(table[n]["ratios"]) < len(shown) else "") for n in names) + " |")
    common = [d.name for d in shown if all(d.name in table[n]["ratios"] for n in names)]
    if len(common) < len(shown):
        lines.append(f"| geometric mean over the {len(common)} datasets all have | | "
                     + " | ".join(cell(geomean([table[n]["ratios"][d] for d in common]),
                                       ".3f") for n in names) + " |")
    lines += ["", "## Scores (mean over splits)", "", *per_dataset("scores", ".4f")]
    lines += ["", "## Fit seconds, predict seconds and memory", "",
              "Wall-clock seconds of `fit`; CPU seconds of the process beside them "
              "(the json also holds the machine's load average before each fit); "
              "wall-clock seconds of `predict` on the held-out part; the largest "
              "peak rise of the resident memory during a fit (MiB), in the "
              "benchmark's process (work done in other processes is not counted). "
              "Runs before predict and memory were measured show –.", "",
              "| contender | fits | total | max single fit | total CPU "
              "| total predict | max fit memory |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for n in names:
        row = table[n]
        most, where = max(row["seconds"])
        predict = f"{sum(row['predict']):.1f}" if row["predict"] else "–"
        peak = "–"
        if row["peak"]:
            peak_mib, peak_where = max(row["peak"])
            peak = f"{peak_mib:.0f} ({peak_where})"
        lines.append(f"| {n} | {len(row['seconds'])} | "
                     f"{sum(s for s, _ in row['seconds']):.1f} | {most:.1f} ({where}) "
                     f"| {row['cpu']:.1f} | {predict} | {peak} |")
    lines += ["", "## Runs", "", "Which records came from which run:", ""]
    for date, run in sorted(report["runs"].items()):
        counts = {}
        for r in report["records"]:
            if r["run"] == date:
                counts[r["contender"]] = counts.get(r["contender"], 0) + 1
        records = ", ".join(f"{n} ({k} fits)" for n, k in counts.items())
        lines.append(f"- **{date}**: {records}; {run['threads']} threads; "
                     f"`{run['command']}`; {run['machine']}")
    return "\n".join(lines) + "\n"


def write_report(out, report, datasets):
    with_ratios(report["records"])
    used = {r["run"] for r in report["records"]}
    report["runs"] = {d: run for d, run in report["runs"].items() if d in used}
    (out / "tabular.json").write_text(json.dumps(report, indent=1))
    if report["records"]:
        (out / "tabular.md").write_text(markdown(report, datasets))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("SKSCRATCHNN_TABULAR_DIR"),
                        help="directory of suite.json and the csv.gz files "
                             "(default: $SKSCRATCHNN_TABULAR_DIR)")
    parser.add_argument("--out-dir", default=str(RESULTS_DIR))
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help=f"comma-separated, from: {', '.join(CONTENDERS)}")
    parser.add_argument("--datasets", default=None,
                        help="comma-separated dataset names (default: the whole suite)")
    parser.add_argument("--splits", default="0,1,2", help="comma-separated split seeds")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--merge", action="store_true",
                        help="keep the records of the existing tabular.json that this "
                             "run does not redo (same contender, dataset and split)")
    parser.add_argument("--tabular-params", type=json.loads, default={},
                        metavar="JSON", help="extra keyword parameters of "
                        "TabularMLPClassifier/Regressor")
    parser.add_argument("--label", default=None,
                        help="name of the TabularMLP contender in the results")
    args = parser.parse_args(argv)
    if not args.data_dir or not (Path(args.data_dir) / "suite.json").is_file():
        parser.error("no tabular suite: pass --data-dir (or set "
                     "SKSCRATCHNN_TABULAR_DIR) to the directory holding suite.json "
                     f"and the csv.gz files, got {args.data_dir!r}")
    args.contenders = args.contenders.split(",")
    unknown = set(args.contenders) - set(CONTENDERS)
    if unknown:
        parser.error(f"unknown contenders {sorted(unknown)}; known: {list(CONTENDERS)}")
    args.splits = [int(s) for s in args.splits.split(",")]
    return args


def available(contenders, dataset, threads):
    """The contenders whose packages import; a note for each of the others."""
    kept = {}
    for name, build in contenders.items():
        try:
            build(dataset, 0, threads)
            kept[name] = build
        except ImportError as exc:
            print(f"skipping {name}: {exc}", flush=True)
    return kept


def _public(argv):
    """Return ``argv`` with the directories of this machine left out."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            kept.append("DATA_DIR" if skip == "--data-dir" else None)
            skip = False
        elif arg in ("--data-dir", "--out-dir"):
            skip = arg
            kept.append(arg if arg == "--data-dir" else None)
        else:
            kept.append(arg)
    return [arg for arg in kept if arg is not None]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    suite = [Dataset.from_suite(e)
             for e in json.loads((Path(args.data_dir) / "suite.json").read_text())]
    selected = suite
    if args.datasets:
        wanted = args.datasets.split(",")
        missing = set(wanted) - {d.name for d in suite}
        if missing:
            sys.exit(f"datasets not in the suite: {sorted(missing)}")
        selected = [d for d in suite if d.name in wanted]

    contenders = {name: CONTENDERS[name] for name in args.contenders}
    if "TabularMLP" in contenders:
        label = args.label or "TabularMLP" + (
            f" {json.dumps(args.tabular_params)}" if args.tabular_params else "")
        contenders[label] = partial(contenders.pop("TabularMLP"), **args.tabular_params)
    contenders = available(contenders, selected[0], args.threads)

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = {"splits": args.splits, "records": [], "runs": {}}
    if args.merge and (out / "tabular.json").is_file():
        report = json.loads((out / "tabular.json").read_text())
        report["splits"] = sorted(set(report["splits"]) | set(args.splits))
    date = stamp = datetime.datetime.now().isoformat(sep=" ", timespec="seconds")
    for n in itertools.count(2):  # until no other run started in the same second
        if date not in report["runs"]:
            break
        date = f"{stamp} #{n}"
    with threadpool_limits(args.threads):  # so the BLAS threads shown are those used
        machine = machine_description("scikit-learn", "pandas", "torch", "pytabkit")
    report["runs"][date] = {
        "machine": machine, "threads": args.threads,
        "command": shlex.join(["python", "benchmarks/tabular.py", *_public(argv)]),
    }

    data = {d.name: d.load(args.data_dir) for d in selected}
    # One contender at a time: torch's OpenMP threads keep spinning for a while
    # after each call and would slow whichever contender ran next.
    for name, build in contenders.items():
        for dataset in selected:
            X, y = data[dataset.name]
            for seed in args.splits:
                split = train_test_split(
                    X, y, test_size=TEST_SIZE, random_state=seed,
                    stratify=y if dataset.is_classification else None)
                load = os.getloadavg()[0]
                model = build(dataset, seed, args.threads)
                value, costs = fit_and_score(model, dataset, split, args.threads)
                key = (name, dataset.name, seed)
                report["records"] = [
                    r for r in report["records"]
                    if (r["contender"], r["dataset"], r["split"]) != key
                ] + [{"dataset": dataset.name, "split": seed, "contender": name,
                      "score": value, "ratio": None, **costs,
                      "load_before": load, "run": date}]
                # Written after every fit, so a stopped run keeps what it measured.
                write_report(out, report, suite)
                print(f"{name} | {dataset.name} | split {seed} | {dataset.metric} "
                      f"{value:.4f} | fit {costs['fit_seconds']:.1f} s "
                      f"({costs['cpu_seconds']:.1f} s CPU)", flush=True)
    write_report(out, report, suite)
    if report["records"]:
        print((out / "tabular.md").read_text())


if __name__ == "__main__":
    main()
