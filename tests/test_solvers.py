"""The training loop of _solvers on its own, with the objective as a plain function;
batches of zero weight through the estimators."""

import dataclasses
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches
from sklearn.utils import shuffle as sklearn_shuffle

from skscratchnn import ScratchMLPClassifier, ScratchMLPRegressor, TabularMLPRegressor
from skscratchnn._early_stopping import EarlyStoppingMonitor
from skscratchnn._network import Network, Workspace, loss_and_grad, predict_and_loss
from skscratchnn._optimizers import AdamOptimizer, LearningRate, SGDOptimizer
from skscratchnn._params import ParamLayout
from skscratchnn._progress import EpochProgress
from skscratchnn._solvers import (
    StochasticConfig,
    StochasticTrainer,
    TrainingData,
    TrainingState,
    batch_bounds,
    resolve_batch_size,
    run_lbfgs,
    train_lbfgs,
    train_stochastic,
)

# Most tests train a few epochs up to max_iter, which warns as in scikit-learn;
# the tests of that warning catch it themselves.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def quadratic_problem(n=200, d=4, seed=0, weighted=False):
    rng = np.random.RandomState(seed)
    A = rng.normal(size=(n, d))
    b = A @ rng.normal(size=d) + 0.3 * rng.normal(size=n)
    sw = None
    if weighted:
        sw = rng.uniform(0, 2, n)
        sw[:10] = 0
    return A, b[:, None], sw


def least_squares(A, Y, sw=None):
    w = np.ones(len(A)) if sw is None else sw
    return np.linalg.lstsq(A * np.sqrt(w)[:, None], Y[:, 0] * np.sqrt(w), rcond=None)[0]


def quadratic(theta, Xb, Yb, swb, step=None, rows=None):
    """``0.5 * mean(sw * (X theta - y)^2)`` (weighted mean) and its gradient."""
    w = np.ones(len(Xb)) if swb is None else swb
    r = Xb @ theta - Yb[:, 0]
    return 0.5 * (w * r**2).sum() / w.sum(), Xb.T @ (w * r) / w.sum()


def monitor(state=None, n_iter_no_change=np.inf, tol=0.0, keep_best=False):
    return EarlyStoppingMonitor(
        TrainingState() if state is None else state, None, early_stopping=False,
        metric="score", tol=tol, n_iter_no_change=n_iter_no_change, keep_best=keep_best,
    )


def trainer(objective, optimizer, batch_size, seed=0, even_batches=False,
            **monitor_kwargs):
    return StochasticTrainer(
        objective, optimizer, monitor(**monitor_kwargs), batch_size,
        np.random.RandomState(seed), EpochProgress(1, verbose=0),
        even_batches=even_batches,
    )


def adam(n_params, lr=0.01, schedule="constant", n_epochs=None):
    return AdamOptimizer(n_params, np.float64, LearningRate(lr, schedule,
                                                            n_epochs=n_epochs),
                         0.9, 0.999, 1e-8)


class Recorder:
    """An objective that records what it sees and returns the batch's mean of X."""

    def __init__(self):
        self.batches, self.steps, self.inputs, self.given_rows = [], [], [], []

    def __call__(self, theta, Xb, Yb, swb, step, rows):
        self.batches.append((Xb.copy(), Yb.copy(), None if swb is None else swb.copy()))
        self.steps.append(step)
        self.inputs.append(Xb)  # as handed over: a slice of X or a buffer
        # A view into the trainer's order, which the next shuffle overwrites.
        self.given_rows.append(rows if isinstance(rows, slice) else rows.copy())
        return float(Xb[:, 0].mean()), np.zeros_like(theta)

    def rows(self):
        """The rows of each batch, read from its content (X is the row index)."""
        return [Xb[:, 0].astype(int).tolist() for Xb, _, _ in self.batches]

    def rows_told(self, n):
        """The rows of each batch as the trainer told the objective."""
        return [np.arange(n)[rows].tolist() for rows in self.given_rows]


class CountingOptimizer:
    learning_rate = LearningRate(1.0)

    def __init__(self):
        self.calls = []

    def step(self, theta, grad):
        self.calls.append(grad.copy())

    def epoch_ends(self, n_samples_seen):
        pass


def indexed_data(n=10):
    X = np.arange(n, dtype=float)[:, None]
    return X, 10 * X, X[:, 0] + 1


# -- StochasticTrainer ------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_stochastic_trainer_reaches_the_least_squares_solution(weighted):
    A, Y, sw = quadratic_problem(weighted=weighted)
    theta = np.zeros(A.shape[1])
    optimizer = adam(theta.size, lr=0.05, schedule="cosine", n_epochs=150)
    trainer(quadratic, optimizer, batch_size=20).run(
        theta, A, Y, sw, None, max_iter=150, shuffle=True
    )
    solution = least_squares(A, Y, sw)
    np.testing.assert_allclose(theta, solution, atol=2e-3)


def test_stochastic_trainer_records_one_loss_per_epoch():
    A, Y, _ = quadratic_problem()
    t = trainer(quadratic, adam(4, lr=0.05), batch_size=32)
    t.run(np.zeros(4), A, Y, None, None, max_iter=6, shuffle=True)
    state = t.monitor.state
    assert state.n_iter == len(state.loss_curve) == 6
    assert state.n_samples_seen == 6 * len(A)
    assert state.n_steps == 6 * -(-len(A) // 32)
    assert state.loss_curve[-1] < state.loss_curve[0]


def test_run_epoch_returns_the_row_weighted_mean_of_batch_losses():
    X, Y, _ = indexed_data(10)
    recorder = Recorder()
    t = trainer(recorder, CountingOptimizer(), batch_size=4)
    loss = t.run_epoch(np.zeros(1), X, Y, None, np.arange(10), None)
    batch_losses = [Xb[:, 0].mean() for Xb, _, _ in recorder.batches]
    batch_rows = [len(Xb) for Xb, _, _ in recorder.batches]
    assert batch_rows == [4, 4, 2]
    assert loss == pytest.approx(np.dot(batch_losses, batch_rows) / 10, rel=1e-15)
    assert loss != pytest.approx(np.mean(batch_losses))  # not the mean of batches


def test_step_skips_a_minibatch_whose_weights_are_all_zero():
    X, Y, _ = indexed_data(4)
    recorder, optimizer = Recorder(), CountingOptimizer()
    t = trainer(recorder, optimizer, batch_size=4)
    theta = np.ones(1)
    assert t.step(theta, X, Y, np.zeros(4), slice(0, 4)) == 0.0
    assert recorder.batches == [] and optimizer.calls == []
    assert t.monitor.state.n_steps == 0
    sw = np.array([0.0, 0.0, 1.0, 0.0])  # one non-zero weight is enough
    assert t.step(theta, X, Y, sw, slice(0, 4)) == pytest.approx(X[:, 0].mean())
    assert len(optimizer.calls) == 1 and t.monitor.state.n_steps == 1
    t.step(theta, X, Y, None, slice(0, 4))
    assert recorder.steps == [0, 1] and t.monitor.state.n_steps == 2


def test_run_epoch_with_a_zero_weight_batch_adds_nothing_for_it():
    X, Y, sw = indexed_data(8)
    sw[4:] = 0
    recorder, optimizer = Recorder(), CountingOptimizer()
    t = trainer(recorder, optimizer, batch_size=4)
    loss = t.run_epoch(np.zeros(1), X, Y, sw, np.arange(8), None)
    assert len(recorder.batches) == len(optimizer.calls) == 1
    assert loss == pytest.approx(X[:4, 0].mean() * 4 / 8)


def test_run_without_shuffle_visits_rows_in_order_as_slices():
    X, Y, sw = indexed_data(10)
    recorder = Recorder()
    trainer(recorder, CountingOptimizer(), batch_size=4).run(
        np.zeros(1), X, Y, sw, None, max_iter=2, shuffle=False
    )
    assert recorder.rows() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 2
    assert recorder.rows_told(10) == recorder.rows()
    assert all(np.shares_memory(Xb, X) for Xb in recorder.inputs)
    for Xb, Yb, swb in recorder.batches:
        np.testing.assert_array_equal(Yb, 10 * Xb)
        np.testing.assert_array_equal(swb, Xb[:, 0] + 1)


def test_run_with_shuffle_visits_each_row_once_per_epoch_as_sklearn_shuffles():
    X, Y, sw = indexed_data(10)
    recorder = Recorder()
    trainer(recorder, CountingOptimizer(), batch_size=3, seed=5).run(
        np.zeros(1), X, Y, sw, None, max_iter=3, shuffle=True
    )
    rows = sum(recorder.rows(), [])
    assert recorder.rows_told(10) == recorder.rows()
    rng, order, expected = np.random.RandomState(5), np.arange(10), []
    for _ in range(3):  # scikit-learn's MLP: sample_idx = shuffle(sample_idx, rng)
        order = sklearn_shuffle(order, random_state=rng)
        expected.extend(order.tolist())
    assert rows == expected
    for epoch in range(3):
        assert sorted(rows[10 * epoch : 10 * epoch + 10]) == list(range(10))
    for Xb, Yb, swb in recorder.batches:
        np.testing.assert_array_equal(Yb, 10 * Xb)
        np.testing.assert_array_equal(swb, Xb[:, 0] + 1)


@pytest.mark.parametrize("shuffle", [False, True])
def test_run_restricted_to_rows_trains_on_those_rows_only(shuffle):
    X, Y, sw = indexed_data(10)
    rows = np.array([7, 1, 3, 5])
    recorder = Recorder()
    t = trainer(recorder, CountingOptimizer(), batch_size=3)
    t.run(np.zeros(1), X, Y, sw, rows, max_iter=2, shuffle=shuffle)
    seen = recorder.rows()
    assert recorder.rows_told(10) == seen
    if not shuffle:
        assert seen == [[7, 1, 3], [5]] * 2
    for epoch in (seen[:2], seen[2:]):
        assert sorted(sum(epoch, [])) == [1, 3, 5, 7]
    np.testing.assert_array_equal(rows, [7, 1, 3, 5])  # the caller's array untouched
    assert t.monitor.state.n_samples_seen == 8
    for Xb, Yb, swb in recorder.batches:
        np.testing.assert_array_equal(Yb, 10 * Xb)
        np.testing.assert_array_equal(swb, Xb[:, 0] + 1)


def test_run_restores_the_best_epoch_when_the_monitor_keeps_it():
    losses = iter([3.0, 1.0, 2.0, 4.0])

    def scripted(theta, Xb, Yb, swb, step, rows):
        return next(losses), -np.ones_like(theta)  # theta grows by 1 per step

    X, Y, _ = indexed_data(4)
    optimizer = SGDOptimizer(2, np.float64, LearningRate(1.0), 0.0, False)
    theta = np.zeros(2)
    t = trainer(scripted, optimizer, batch_size=4, keep_best=True)
    t.run(theta, X, Y, None, None, max_iter=4, shuffle=False)
    assert t.monitor.state.loss_curve == [3.0, 1.0, 2.0, 4.0]
    np.testing.assert_array_equal(theta, 2.0)  # the parameters after epoch 2


def test_run_warns_when_max_iter_is_reached_before_convergence():
    A, Y, _ = quadratic_problem()
    t = trainer(quadratic, adam(4), batch_size=50, n_iter_no_change=10)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        t.run(np.zeros(4), A, Y, None, None, max_iter=3, shuffle=True)
    assert t.monitor.state.n_iter == 3


def test_run_warns_at_max_iter_without_a_convergence_criterion_too():
    """As scikit-learn: n_iter_no_change=inf does not make max_iter the plan."""
    A, Y, _ = quadratic_problem()
    t = trainer(quadratic, adam(4), batch_size=50, n_iter_no_change=np.inf)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        t.run(np.zeros(4), A, Y, None, None, max_iter=3, shuffle=True)
    assert t.monitor.state.n_iter == 3


@pytest.mark.parametrize("schedule", ["cosine", "coslog4"])
def test_run_does_not_warn_at_the_end_of_its_schedule_or_incrementally(schedule):
    """A schedule that anneals to 0 over max_iter epochs plans max_iter epochs."""
    A, Y, _ = quadratic_problem()
    rate = LearningRate(0.01, schedule, n_epochs=3, n_steps=12)
    sized = AdamOptimizer(4, np.float64, rate, 0.9, 0.999, 1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = trainer(quadratic, sized, batch_size=50, n_iter_no_change=10)
        t.run(np.zeros(4), A, Y, None, None, max_iter=3, shuffle=True)
        partial = trainer(quadratic, adam(4), batch_size=50, n_iter_no_change=10)
        partial.run(np.zeros(4), A, Y, None, None, max_iter=3, shuffle=True,
                    incremental=True)
    assert t.monitor.state.n_iter == 3
    assert partial.monitor.state.n_iter == 1  # incremental: one epoch


@pytest.mark.parametrize("n_iter_no_change", [1, 3])
def test_run_stops_after_n_iter_no_change_epochs_without_improvement(n_iter_no_change):
    def flat(theta, Xb, Yb, swb, step, rows):
        return 1.0, np.zeros_like(theta)

    A, Y, _ = quadratic_problem(n=20)
    t = trainer(flat, adam(4), batch_size=10, n_iter_no_change=n_iter_no_change,
                tol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t.run(np.zeros(4), A, Y, None, None, max_iter=50, shuffle=False)
    # The first epoch improves on inf, then n_iter_no_change + 1 epochs fail to.
    assert t.monitor.state.n_iter == n_iter_no_change + 2


def test_run_adaptive_rate_is_divided_on_a_plateau_and_training_goes_on():
    def flat(theta, Xb, Yb, swb, step, rows):
        return 1.0, np.zeros_like(theta)

    A, Y, _ = quadratic_problem(n=20)
    optimizer = SGDOptimizer(4, np.float64, LearningRate(0.1, "adaptive"), 0.9, True)
    t = trainer(flat, optimizer, batch_size=10, n_iter_no_change=1, tol=1e-4)
    t.run(np.zeros(4), A, Y, None, None, max_iter=200, shuffle=False)
    # After the first epoch each plateau takes 2 flat epochs (the count restarts);
    # every plateau but the last, which stops, divides the rate by 5.
    n_iter = t.monitor.state.n_iter
    n_plateaus = (n_iter - 1) // 2
    assert n_iter == 1 + 2 * n_plateaus and n_plateaus > 1
    assert optimizer.learning_rate.rate == pytest.approx(0.1 / 5 ** (n_plateaus - 1))
    assert optimizer.learning_rate.rate <= 1e-6 < optimizer.learning_rate.rate * 5


def test_run_interrupted_keeps_the_last_good_theta():
    A, Y, _ = quadratic_problem()

    calls = []

    def objective(theta, Xb, Yb, swb, step, rows):
        if len(calls) == 6:
            raise KeyboardInterrupt
        calls.append(step)
        return quadratic(theta, Xb, Yb, swb)

    theta = np.zeros(4)
    t = trainer(objective, adam(4, lr=0.1), batch_size=50)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        t.run(theta, A, Y, None, None, max_iter=5, shuffle=False)
    # Six steps done (four in epoch 1, two in epoch 2), the seventh interrupted.
    replay, optimizer = np.zeros(4), adam(4, lr=0.1)
    for start in [0, 50, 100, 150, 0, 50]:
        optimizer.step(replay, quadratic(replay, A[start:start + 50],
                                         Y[start:start + 50], None)[1])
    np.testing.assert_array_equal(theta, replay)
    assert t.monitor.state.n_iter == 1 and len(t.monitor.state.loss_curve) == 1


# -- batch size -------------------------------------------------------------------


@pytest.mark.parametrize("n_samples, auto", [(50, 200), (500, 200), (500, 128)])
def test_resolve_batch_size_auto_is_min_of_auto_and_n(n_samples, auto):
    assert resolve_batch_size("auto", n_samples, auto) == min(auto, n_samples)


def test_resolve_batch_size_clips_with_sklearn_warning():
    with pytest.warns(UserWarning) as record:
        size = resolve_batch_size(300, 100, auto=200)
    assert size == 100 and type(size) is int
    assert str(record[0].message) == (
        "Got `batch_size` less than 1 or larger than sample size. "
        "It is going to be clipped"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_batch_size(50, 100, auto=200) == 50
        assert resolve_batch_size(100, 100, auto=200) == 100


@pytest.mark.parametrize("n_rows, batch_size", [
    (10, 4), (256, 256), (257, 256), (515, 256), (65537, 256), (7, 10),
])
def test_batch_bounds_as_scikit_learn_or_even(n_rows, batch_size):
    as_sklearn = [(b.start, b.stop) for b in gen_batches(n_rows, batch_size)]
    assert batch_bounds(n_rows, batch_size) == as_sklearn
    even = batch_bounds(n_rows, batch_size, even=True)
    sizes = [stop - start for start, stop in even]
    assert len(even) == len(as_sklearn)
    assert even[0][0] == 0 and even[-1][1] == n_rows
    assert all(a[1] == b[0] for a, b in zip(even, even[1:]))  # contiguous
    assert max(sizes) <= min(batch_size, n_rows) and max(sizes) - min(sizes) <= 1


def test_trainer_with_even_batches_takes_every_row_once_per_epoch():
    X, Y, _ = indexed_data(10)
    recorder = Recorder()
    t = trainer(recorder, CountingOptimizer(), batch_size=4, even_batches=True)
    t.run_epoch(np.zeros(1), X, Y, None, np.arange(10), None)
    assert recorder.rows() == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]


@pytest.mark.parametrize("Estimator, sizes", [
    (ScratchMLPRegressor, [200, 60]),  # scikit-learn's batches
    (TabularMLPRegressor, [130, 130]),  # at most 256 rows, of equal size
])
def test_auto_batches_of_the_estimators(Estimator, sizes, monkeypatch):
    step, seen = StochasticTrainer.step, []

    def recording_step(self, theta, Xb, *args):
        seen.append(len(Xb))
        return step(self, theta, Xb, *args)

    monkeypatch.setattr(StochasticTrainer, "step", recording_step)
    X = np.random.RandomState(0).normal(size=(260, 3))
    params = dict(hidden_layer_sizes=(4,), max_iter=1, early_stopping=False)
    if Estimator is TabularMLPRegressor:
        params["n_members"] = 1
    Estimator(**params).fit(X, X[:, 0])
    assert seen == sizes


# -- batches of zero weight --------------------------------------------------------


def test_minibatches_of_zero_weight_are_skipped(binary_data, smaller):
    """A batch with no weight changes nothing: training equals training without it."""
    X, y = binary_data
    params = dict(max_iter=4, batch_size=20, shuffle=False, tol=0, **smaller)
    weights = np.r_[np.zeros(20), np.ones(len(y) - 20)]
    weighted = ScratchMLPClassifier(**params).fit(X, y, sample_weight=weights)
    dropped = ScratchMLPClassifier(**params).fit(X[20:], y[20:])
    for a, b in zip(weighted.coefs_ + weighted.intercepts_,
                    dropped.coefs_ + dropped.intercepts_):
        assert_allclose(a, b, rtol=1e-12)


def test_a_zero_class_weight_fills_whole_batches(binary_data, smaller):
    X, y = binary_data
    order = np.argsort(y, kind="stable")
    clf = ScratchMLPClassifier(class_weight={0: 0.0, 1: 1.0}, batch_size=10,
                               shuffle=False, max_iter=3, **smaller)
    clf.fit(X[order], y[order])
    assert np.isfinite(clf.loss_curve_).all()


# -- L-BFGS -----------------------------------------------------------------------


def full_batch(A, Y):
    return lambda theta: quadratic(theta, A, Y, None)


def test_run_lbfgs_reaches_the_least_squares_solution_in_place():
    A, Y, _ = quadratic_problem()
    theta = np.zeros(A.shape[1])
    n_iter, loss = run_lbfgs(full_batch(A, Y), theta, max_iter=100, max_fun=1000,
                             tol=1e-10, progress=EpochProgress(100, verbose=0))
    solution = least_squares(A, Y)
    np.testing.assert_allclose(theta, solution, rtol=1e-6)
    assert loss == pytest.approx(quadratic(solution, A, Y, None)[0], rel=1e-10)
    assert 1 <= n_iter <= 100


def test_run_lbfgs_works_in_the_dtype_of_theta():
    A, Y, _ = quadratic_problem()
    theta = np.zeros(A.shape[1], dtype=np.float32)
    dtypes = []

    def objective(th):
        dtypes.append(th.dtype)
        loss, grad = quadratic(th, A.astype(np.float32), Y.astype(np.float32), None)
        return float(loss), grad

    run_lbfgs(objective, theta, max_iter=100, max_fun=1000, tol=1e-6,
              progress=EpochProgress(100, verbose=0))
    assert set(dtypes) == {np.dtype(np.float32)} and theta.dtype == np.float32
    np.testing.assert_allclose(theta, least_squares(A, Y), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("limits", [dict(max_iter=1, max_fun=1000),
                                    dict(max_iter=100, max_fun=2)])
def test_run_lbfgs_warns_when_the_limits_are_too_small(limits):
    A, Y, _ = quadratic_problem()
    theta = np.zeros(A.shape[1])
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        n_iter, _ = run_lbfgs(full_batch(A, Y), theta, tol=1e-10,
                              progress=EpochProgress(1, verbose=0), **limits)
    assert n_iter <= limits["max_iter"]
    assert not np.allclose(theta, least_squares(A, Y), rtol=1e-6)


def test_run_lbfgs_hooks_see_each_iteration_and_can_stop_it():
    class Hooks:
        def __init__(self):
            self.seen = []

        def epoch_begins(self):
            pass

        def epoch_ends(self, theta, n_iter, loss):
            self.seen.append((n_iter, loss))
            return n_iter == 2

    A, Y, _ = quadratic_problem()
    theta, hooks = np.zeros(A.shape[1]), Hooks()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_lbfgs(full_batch(A, Y), theta, max_iter=100, max_fun=1000, tol=1e-10,
                  progress=EpochProgress(100, verbose=0), hooks=hooks)
    assert [n for n, _ in hooks.seen] == [1, 2]
    assert hooks.seen[1][1] < hooks.seen[0][1]


# -- with a real network ----------------------------------------------------------


def tiny_problem():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = np.eye(3)[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    network = Network(ParamLayout([3, 5, 3]), "tanh", "softmax", alpha=1e-4)
    theta = network.layout.init(np.random.RandomState(1), "tanh", np.float64)
    return X, Y, network, theta


def test_train_lbfgs_fits_a_network_and_reports_its_loss():
    X, Y, network, theta = tiny_problem()
    work = Workspace(network, len(X), np.float64)
    initial = loss_and_grad(theta, X, Y, None, network, work)[0]
    n_iter, loss = train_lbfgs(theta, network, TrainingData(X, Y), max_iter=30,
                               max_fun=15000, tol=1e-4, verbose=False)
    assert 1 <= n_iter <= 30
    assert loss == pytest.approx(loss_and_grad(theta, X, Y, None, network, work)[0],
                                 rel=1e-10)
    assert loss < initial


def config_from(params, network):
    return StochasticConfig.from_params(
        params, auto_batch_size=200, n_decayed=network.layout.n_coefs
    )


def accuracy_scorer(network, X_val, Y_val, sw_val):
    def validation(theta):
        output, loss = predict_and_loss(theta, X_val, Y_val, sw_val, network)
        return float((output.argmax(1) == Y_val.argmax(1)).mean()), loss

    return validation


@pytest.mark.parametrize("early_stopping", [False, True])
def test_train_stochastic_records_one_entry_per_epoch(early_stopping):
    X, Y, network, theta = tiny_problem()
    params = ScratchMLPClassifier(
        max_iter=7, n_iter_no_change=np.inf, batch_size=16, learning_rate_init=0.01,
        early_stopping=early_stopping, validation_fraction=0.25,
    ).get_params()
    config = config_from(params, network)
    optimizer, state = train_stochastic(
        theta, network, TrainingData(X, Y), config, rng=np.random.RandomState(0),
        previous=None, scorer=accuracy_scorer,
    )
    n_rows = 30 if early_stopping else 40
    assert isinstance(state, TrainingState) and isinstance(optimizer, AdamOptimizer)
    assert state.n_iter == len(state.loss_curve) == 7
    assert state.loss == state.loss_curve[-1]
    assert state.n_samples_seen == 7 * n_rows
    assert state.n_steps == optimizer.n_steps == 7 * -(-n_rows // 16)
    if early_stopping:
        assert len(state.validation_scores) == len(state.validation_losses) == 7
    else:
        assert state.validation_scores is None


@pytest.mark.parametrize("max_steps, epochs", [(None, 7), (100, 7), (10, 4), (1, 1)])
def test_train_stochastic_runs_fewer_epochs_within_max_steps(max_steps, epochs):
    """40 rows in batches of 16 take 3 steps an epoch; max_iter is 7."""
    X, Y, network, theta = tiny_problem()
    params = ScratchMLPClassifier(
        max_iter=7, n_iter_no_change=np.inf, batch_size=16, learning_rate="coslog4",
    ).get_params()
    config = dataclasses.replace(config_from(params, network), max_steps=max_steps)
    optimizer, state = train_stochastic(
        theta, network, TrainingData(X, Y), config, rng=np.random.RandomState(0),
        previous=None, scorer=accuracy_scorer,
    )
    assert state.n_iter == epochs and state.n_steps == 3 * epochs
    # The schedule spans the epochs that run: coslog4 ends at its last step.
    assert optimizer.learning_rate.n_steps == 3 * epochs


def test_train_stochastic_incremental_goes_on_from_the_previous_record():
    X, Y, network, theta = tiny_problem()
    params = ScratchMLPClassifier(max_iter=3, batch_size=16).get_params()
    config = config_from(params, network)
    data = TrainingData(X, Y)
    previous = None
    for call in range(1, 4):
        optimizer, state = train_stochastic(
            theta, network, data, config, rng=np.random.RandomState(call),
            previous=previous, scorer=accuracy_scorer, incremental=True,
        )
        # One epoch per call, on the same record, the optimizer carried on.
        assert state.n_iter == len(state.loss_curve) == call
        assert optimizer.n_steps == state.n_steps == 3 * call
        if previous is not None:
            assert state is previous[1] and optimizer is not previous[0]
        previous = optimizer, state
