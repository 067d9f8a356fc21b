"""A hyperparameter search on a real Dask cluster equals the same search run locally."""

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratchnn import ScratchMLPClassifier

distributed = pytest.importorskip("distributed")
threadpoolctl = pytest.importorskip("threadpoolctl")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# One BLAS/OpenMP thread per worker, so the two one-task workers share two cores.
# These must be set before a worker imports NumPy: the nanny copies them from its
# own environment (else from ``distributed.nanny.pre-spawn-environ``) into each
# worker process it spawns. ``LocalCluster(env=...)`` would set them too late.
ONE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def make_search():
    pipeline = make_pipeline(
        StandardScaler(),
        ScratchMLPClassifier(
            hidden_layer_sizes=(16,),
            learning_rate_init=0.03,
            max_iter=30,
            random_state=0,
        ),
    )
    grid = {
        "scratchmlpclassifier__alpha": [1e-4, 1.0],
        "scratchmlpclassifier__dropout": [0.0, 0.3],
    }
    # A continuous score, so equal scores mean equal fitted weights, not just labels.
    return GridSearchCV(pipeline, grid, cv=3, scoring="neg_log_loss")


def blas_threads():
    return {pool["num_threads"] for pool in threadpoolctl.threadpool_info()}


def test_grid_search_on_dask_cluster_equals_local_search(monkeypatch):
    X, y = make_classification(
        n_samples=300, n_features=10, n_informative=6, n_classes=3, random_state=0
    )
    local = make_search().fit(X, y)

    for name, value in ONE_THREAD_ENV.items():
        monkeypatch.setenv(name, value)  # restored after the test
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert list(client.run(blas_threads).values()) == [{1}, {1}]
        with distributed.get_task_stream(client) as tasks:
            with joblib.parallel_config(backend="dask"):
                remote = make_search().fit(X, y)
        cluster_workers = set(client.scheduler_info()["workers"])
    # The cross-validation fits ran on the cluster's workers.
    used_workers = {task["worker"] for task in tasks.data}
    assert used_workers and used_workers <= cluster_workers

    for key in ["mean_test_score", "std_test_score", "rank_test_score"] + [
        f"split{i}_test_score" for i in range(3)
    ]:
        assert_array_equal(remote.cv_results_[key], local.cv_results_[key], err_msg=key)
    assert remote.best_params_ == local.best_params_
    # The grid is not degenerate: its points score differently.
    assert len(np.unique(local.cv_results_["mean_test_score"])) > 1
