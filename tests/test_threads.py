"""BLAS threads in parallel fits: joblib's process workers do not oversubscribe.

joblib's default 'loky' backend starts each worker with ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` and the like set to ``max(cpu_count() // n_jobs, 1)``,
so ``n_jobs`` fits share the cores instead of each starting one BLAS thread
per core. See ``docs/threads.rst``.
"""

import numpy as np
import pytest
from joblib import Parallel, cpu_count, delayed
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_info, threadpool_limits

from skscratchnn import ScratchMLPClassifier

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

RNG = np.random.RandomState(0)
X = RNG.randn(60, 4)
Y = (X[:, 0] > 0).astype(int)


def blas_threads():
    return sorted({pool["num_threads"] for pool in threadpool_info()
                   if pool["user_api"] == "blas"})


def blas_threads_scorer(estimator, X, y):
    """Score a fit by the BLAS thread count of the process that made it."""
    (threads,) = blas_threads()
    return threads


def test_loky_workers_limit_blas_threads():
    n_jobs = 2
    per_worker = Parallel(n_jobs=n_jobs)(delayed(blas_threads)() for _ in range(4))
    assert per_worker == [[max(cpu_count() // n_jobs, 1)]] * 4


def test_grid_search_workers_fit_with_limited_blas_threads():
    search = GridSearchCV(
        ScratchMLPClassifier(hidden_layer_sizes=(3,), max_iter=20, random_state=0),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
        n_jobs=2,
        scoring=blas_threads_scorer,
    ).fit(X, Y)
    expected = max(cpu_count() // 2, 1)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"], expected)


def test_threadpool_limits_caps_blas_in_this_process():
    # What docs/threads.rst advises for the 'threading' backend, which
    # shares this process's BLAS pool.
    clf = ScratchMLPClassifier(hidden_layer_sizes=(3,), max_iter=20, random_state=0)
    expected = clf.fit(X, Y).predict_proba(X)
    with threadpool_limits(limits=1, user_api="blas"):
        assert blas_threads() == [1]
        np.testing.assert_allclose(clf.fit(X, Y).predict_proba(X), expected)
