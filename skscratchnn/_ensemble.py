"""Bagged ensembles of networks: k-fold members, their out-of-fold output and
their average.

Each member trains on all folds but one and validates on the fold it leaves
out, as in RealMLP's bagging (Holzmüller et al., 2024). That fold picks the
epochs the member contributes: ensemble selection (Caruana et al., 2004)
greedily adds, with replacement, the epoch whose parameters bring the average
of those picked so far the lowest loss on the fold; the first pick is the best
epoch. The members' outputs on the folds they left out are out-of-fold
predictions of every training row. Members are fitted through joblib
(scikit-learn's wrappers, which carry its configuration to the workers), so a
Dask backend spreads them over a cluster.
"""

import copy
import heapq

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils import check_random_state
from sklearn.utils.parallel import Parallel, delayed

from ._callbacks import NoHooks
from ._losses import prediction_loss
from ._network import predict_raw
from ._solvers import TrainingData, take_rows

_MAX_SEED = np.iinfo(np.int32).max
# How many networks' training (max_iter='auto''s epochs and steps) the
# members share: an ensemble costs about as much whatever its size.
ENSEMBLE_TRAINING = 2
# Ensemble selection: the picks per member among its candidates, the epochs
# of lowest validation loss, whose parameters and validation output it keeps
# while it trains: as many as 128 (every epoch, at the defaults) that fit in
# 256 MiB, and at least the best.
SELECTION_ROUNDS, SELECTION_CANDIDATES, SELECTION_MEMORY = 20, 128, 256 * 2**20


def fit_members(estimator, data, out_activation, rng, shared_attributes):
    """Fit ``estimator.n_members`` networks on k-fold bags of ``data``.

    Each member is a clone of ``estimator`` with one member and its own seed,
    given the ``shared_attributes`` (the fitted preprocessing and target
    encoding) and trained on its bag.

    Returns
    -------
    networks : list of fitted estimators
        The epochs each member picked, as estimators of one network, member
        after member.
    weights : ndarray of shape (n_networks,)
        Their weights in the average, which sum to 1: each member's share,
        ``1 / n_members``, split among its epochs as often as it picked them.
    n_iter : int
        The most epochs a member trained.
    out_of_fold : ndarray of shape (n_samples, n_outputs)
        Each row's output from the member that did not train on it.
    """
    folds = _folds(estimator.n_members, data, estimator._fold_labels(data.Y), rng)
    seeds = rng.randint(_MAX_SEED, size=len(folds))
    members = [
        clone(estimator).set_params(
            n_members=1, n_jobs=None, random_state=seed, warm_start=False
        )
        for seed in seeds
    ]
    for member in members:
        vars(member).update(shared_attributes)
    auto_share = min(1, ENSEMBLE_TRAINING / len(members))
    picks = Parallel(n_jobs=estimator.n_jobs)(
        delayed(_fit_member)(member, data, out_activation, rows, held_out, auto_share)
        for member, (rows, held_out) in zip(members, folds)
    )
    networks, weights = [], []
    out_of_fold = np.empty((len(data.Y), data.Y.shape[1]))
    for (epochs, counts, _), (_, held_out) in zip(picks, folds):
        # Networks fitted in other processes come back with copies: share again.
        for network in epochs:
            vars(network).update(shared_attributes)
        out_of_fold[held_out] = average(
            [network._network_output(data.X[held_out]) for network in epochs], counts
        )
        networks += epochs
        weights += list(counts / counts.sum() / len(folds))
    n_iter = max(n_iter for *_, n_iter in picks)
    return networks, np.array(weights), n_iter, out_of_fold


def average(outputs, weights):
    """Return the ``weights``-weighted mean of ``outputs``, summed in their order."""
    total = outputs[0] * weights[0]
    for output, weight in zip(outputs[1:], weights[1:]):
        total += output * weight
    return total / np.sum(weights)


def _folds(n_folds, data, labels, rng):
    """Return each member's training rows and held-out rows.

    Stratified on ``labels`` where every class fills the folds.
    """
    n_samples = len(data.Y)
    if n_samples < 2 * n_folds:
        raise ValueError(
            f"n_members={n_folds} bags the samples into {n_folds} folds of at "
            f"least 2 samples each, which needs {2 * n_folds}; got "
            f"n_samples={n_samples}. Use fewer members, or n_members=1."
        )
    if labels is not None and np.unique(labels, return_counts=True)[1].min() >= n_folds:
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=rng)
    else:
        splitter, labels = KFold(n_folds, shuffle=True, random_state=rng), None
    return list(splitter.split(np.zeros((n_samples, 1)), labels))


def _fit_member(member, data, out_activation, rows, held_out, auto_share):
    """Train ``member`` on ``rows``; return the epochs it picks as networks,
    how often it picked each, and the number of epochs it trained.

    It validates on ``held_out``, or on the user's validation data if there
    is some. ``max_iter='auto'`` trains ``auto_share`` of one network's epochs
    and steps.
    """
    validation = data.validation
    if validation is None:
        validation = take_rows(held_out, data.X, data.Y, data.sw)
    bag = TrainingData(*take_rows(rows, data.X, data.Y, data.sw), validation)
    rng = check_random_state(member.random_state)
    candidates = _BestEpochs(member, validation, out_activation)
    # Overflow surfaces as a non-finite loss or weights, which raise.
    with np.errstate(over="ignore", invalid="ignore"):
        member._fit_network(
            bag, out_activation, rng, resume=False, incremental=False,
            hooks=candidates, auto_share=auto_share,
        )
    return *candidates.select(), member.n_iter_


class _BestEpochs(NoHooks):
    """Fit hooks that keep the epochs of lowest validation loss, to select from."""

    def __init__(self, member, validation, out_activation):
        self._member = member
        self._X, self._Y, self._sw = validation
        self._out_activation = out_activation
        # (-loss, -epoch, the epoch's fitted attributes, validation output),
        # the worst on top.
        self._kept = []

    def set_fitted_attributes(self, fitted_attributes):
        self._fitted_attributes = fitted_attributes

    def epoch_ends(self, theta, n_iter, loss):
        attributes = self._fitted_attributes(theta.copy(), n_iter, loss)
        # In the precision of training, as early stopping validates: the
        # picks are part of training; predictions are made in float64.
        output = predict_raw(attributes["_theta"], self._X, attributes["_network"])
        validation_loss = prediction_loss(output, self._Y, self._sw, self._out_activation)
        heapq.heappush(self._kept, (-_finite_or_inf(validation_loss), -n_iter,
                                    attributes, output))
        capacity = SELECTION_MEMORY // (theta.nbytes + output.nbytes)
        if len(self._kept) > max(1, min(SELECTION_CANDIDATES, capacity)):
            heapq.heappop(self._kept)
        return False

    def _network(self, attributes):
        """The member as it stands, predicting with the weights of ``attributes``."""
        network = copy.copy(self._member)
        vars(network).update(attributes)
        return network

    def select(self):
        """Return the networks of the picked epochs, in epoch order, and how
        often each was picked; each keeps the member's training record."""
        kept = sorted(self._kept, key=lambda entry: -entry[1])
        outputs = [output for *_, output in kept]
        counts = np.zeros(len(kept))
        total = np.zeros_like(outputs[0])
        for n_picked in range(1, SELECTION_ROUNDS + 1):
            losses = [
                _finite_or_inf(prediction_loss((total + output) / n_picked, self._Y,
                                               self._sw, self._out_activation))
                for output in outputs
            ]
            best = int(np.argmin(losses))
            counts[best] += 1
            total += outputs[best]
        picked = np.flatnonzero(counts)
        return [self._network(kept[i][2]) for i in picked], counts[picked]


def _finite_or_inf(loss):
    """``loss``, or infinity if it is NaN: the worst, in comparisons too."""
    return np.inf if np.isnan(loss) else loss
