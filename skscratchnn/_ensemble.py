"""Bagged ensembles of networks: k-fold members, their out-of-fold output and
their average.

Each member trains on all folds but one and validates on the fold it leaves
out, as in RealMLP's bagging (Holzmüller et al., 2024): that fold picks the
member's best epoch, and the members' outputs on the folds they left out are
out-of-fold predictions of every training row. Members are fitted through
joblib (scikit-learn's wrappers, which carry its configuration to the
workers), so a Dask backend spreads them over a cluster.
"""

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils import check_random_state
from sklearn.utils.parallel import Parallel, delayed

from ._callbacks import NO_HOOKS
from ._solvers import TrainingData, take_rows

_MAX_SEED = np.iinfo(np.int32).max
# How many networks' training (max_iter='auto''s epochs and steps) the
# members share: an ensemble costs about as much whatever its size.
ENSEMBLE_TRAINING = 2


def fit_members(estimator, data, out_activation, rng, shared_attributes):
    """Fit ``estimator.n_members`` networks on k-fold bags of ``data``.

    Each member is a clone of ``estimator`` with one member and its own seed,
    given the ``shared_attributes`` (the fitted preprocessing and target
    encoding) and trained on its bag.

    Returns
    -------
    members : list of fitted estimators
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
    members = Parallel(n_jobs=estimator.n_jobs)(
        delayed(_fit_member)(member, data, out_activation, rows, held_out, auto_share)
        for member, (rows, held_out) in zip(members, folds)
    )
    # Members fitted in other processes come back with copies: share again.
    for member in members:
        vars(member).update(shared_attributes)
    out_of_fold = np.empty((len(data.Y), data.Y.shape[1]))
    for member, (_, held_out) in zip(members, folds):
        out_of_fold[held_out] = member._network_output(data.X[held_out])
    return members, out_of_fold


def average(outputs):
    """Return the mean of the members' ``outputs``, summed in their order."""
    total = outputs[0].copy()
    for output in outputs[1:]:
        total += output
    return total / len(outputs)


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
    """Train ``member`` on ``rows``; it validates on ``held_out``, or on the
    user's validation data if there is some. ``max_iter='auto'`` trains
    ``auto_share`` of one network's epochs and steps."""
    validation = data.validation
    if validation is None:
        validation = take_rows(held_out, data.X, data.Y, data.sw)
    bag = TrainingData(*take_rows(rows, data.X, data.Y, data.sw), validation)
    rng = check_random_state(member.random_state)
    # Overflow surfaces as a non-finite loss or weights, which raise.
    with np.errstate(over="ignore", invalid="ignore"):
        member._fit_network(
            bag, out_activation, rng, resume=False, incremental=False,
            hooks=NO_HOOKS, auto_share=auto_share,
        )
    return member
