"""Dask: a search and an ensemble's members on a real cluster equal local ones;
dask-ml streams blocks."""

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratchnn import ScratchMLPClassifier, TabularMLPClassifier

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


@pytest.fixture
def client(monkeypatch):
    """A client of a local cluster of two one-thread worker processes."""
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
        yield client


def fit_on_cluster(client, estimator, X, y):
    """Fit ``estimator`` through joblib's Dask backend, on the cluster's workers."""
    with distributed.get_task_stream(client) as tasks:
        with joblib.parallel_config(backend="dask"):
            estimator.fit(X, y)
    used_workers = {task["worker"] for task in tasks.data}
    assert used_workers and used_workers <= set(client.scheduler_info()["workers"])
    return estimator


def test_grid_search_on_dask_cluster_equals_local_search(client):
    X, y = make_classification(
        n_samples=300, n_features=10, n_informative=6, n_classes=3, random_state=0
    )
    local = make_search().fit(X, y)
    # The cross-validation fits run on the cluster's workers.
    remote = fit_on_cluster(client, make_search(), X, y)

    for key in ["mean_test_score", "std_test_score", "rank_test_score"] + [
        f"split{i}_test_score" for i in range(3)
    ]:
        assert_array_equal(remote.cv_results_[key], local.cv_results_[key], err_msg=key)
    assert remote.best_params_ == local.best_params_
    # The grid is not degenerate: its points score differently.
    assert len(np.unique(local.cv_results_["mean_test_score"])) > 1


def test_ensemble_members_on_dask_cluster_equal_local_members(client):
    X, y = make_classification(
        n_samples=300, n_features=10, n_informative=6, n_classes=3, random_state=0
    )
    ensemble = TabularMLPClassifier(
        n_members=3, hidden_layer_sizes=(16,), max_iter=10, random_state=0
    )
    # The members train in float32, whose products some OpenBLAS versions
    # (NumPy 1.22's) round differently with the number of threads: locally
    # too, one thread, as on the workers.
    with threadpoolctl.threadpool_limits(1):
        local = clone(ensemble).fit(X, y)
    # The members are fitted on the cluster's workers, to the same weights.
    remote = fit_on_cluster(client, clone(ensemble), X, y)
    for ours, theirs in zip(remote.members_, local.members_):
        for a, b in zip(ours.coefs_ + ours.intercepts_,
                        theirs.coefs_ + theirs.intercepts_):
            assert_array_equal(a, b)
    # Predicted here in float64, where those versions may round the last bit
    # with the thread count and the arrays' alignment.
    assert_allclose(remote.predict_proba(X), local.predict_proba(X), rtol=1e-12)
    assert_allclose(remote.oof_decision_function_, local.oof_decision_function_,
                    rtol=1e-12)


def dask_ml_incremental():
    """dask-ml's ``Incremental``, or a skip when it cannot run with this dask."""
    try:
        from dask_ml.wrappers import Incremental
    except ImportError as exc:  # not installed, or built against another dask
        pytest.skip(f"dask_ml.wrappers cannot be imported: {exc}")
    import dask.array as da
    from sklearn.linear_model import SGDClassifier

    # A dask or scikit-learn API that dask-ml relies on may have moved: try it
    # on scikit-learn's own estimator first, so such a failure skips here and
    # only a failure of ours fails the test.
    X = da.from_array(np.eye(4), chunks=2)
    try:
        Incremental(SGDClassifier()).fit(X, da.arange(4, chunks=2) % 2, classes=[0, 1])
    except (ImportError, AttributeError, TypeError) as exc:
        pytest.skip(f"dask_ml's Incremental does not work with this dask: {exc!r}")
    return Incremental


@pytest.mark.parametrize("shuffle_blocks", [False, True])
def test_dask_ml_incremental_equals_partial_fit_on_the_same_blocks(shuffle_blocks):
    Incremental = dask_ml_incremental()
    import dask.array as da

    X, y = make_classification(
        n_samples=500, n_features=10, n_informative=6, n_classes=3, random_state=0
    )
    classes = [0, 1, 2]
    estimator = ScratchMLPClassifier(
        hidden_layer_sizes=(16,), dropout=0.2, batch_size=32, random_state=0
    )
    incremental = Incremental(estimator, shuffle_blocks=shuffle_blocks, random_state=3)
    incremental.fit(da.from_array(X, chunks=(100, 10)), da.from_array(y, chunks=100),
                    classes=classes)

    # Incremental's block order: shuffled by its own random_state, as dask-ml
    # does it (a list shuffled by check_random_state(random_state)).
    order = list(range(5))
    if shuffle_blocks:
        np.random.RandomState(3).shuffle(order)
        assert order != sorted(order)
    by_hand = clone(estimator)
    for block in order:
        rows = slice(100 * block, 100 * (block + 1))
        by_hand.partial_fit(X[rows], y[rows], classes=classes)

    fitted = incremental.estimator_
    assert len(fitted.loss_curve_) == 5  # one partial_fit per block
    assert_array_equal(fitted.loss_curve_, by_hand.loss_curve_)
    for ours, theirs in zip(fitted.coefs_ + fitted.intercepts_,
                            by_hand.coefs_ + by_hand.intercepts_):
        assert_array_equal(ours, theirs)
    assert_array_equal(fitted.predict_proba(X), by_hand.predict_proba(X))
