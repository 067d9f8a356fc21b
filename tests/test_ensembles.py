"""The tabular estimators' k-fold bagged members: folds, the epochs each
member picks, averages, out-of-fold predictions, the members' spread and their
dispatch through joblib."""

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import accuracy_score, log_loss, r2_score

from skscratchnn import TabularMLPClassifier, TabularMLPRegressor, _ensemble

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(hidden_layer_sizes=(16, 16), max_iter=10, random_state=0)


@pytest.fixture(scope="module")
def table():
    """Numbers with missing values and a category; 3 imbalanced classes."""
    rng = np.random.RandomState(0)
    n = 303
    X = pd.DataFrame({
        "size": rng.lognormal(2, 1, n),
        "age": rng.uniform(0, 50, n),
        "kind": pd.Categorical(rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])),
    })
    X.loc[rng.rand(n) < 0.1, "size"] = np.nan
    signal = np.log(X["size"].fillna(7)) - X["age"] / 25 + (X["kind"] == "c") * 2
    y_class = np.digitize(signal + rng.normal(scale=0.3, size=n), [0.0, 1.5])
    y_real = 100 * signal + rng.normal(size=n)
    return X, y_class, y_real.to_numpy()


@pytest.fixture(scope="module")
def classifier(table):
    X, y, _ = table
    return TabularMLPClassifier(n_members=4, **SMALL).fit(X, y)


@pytest.fixture(scope="module")
def regressor(table):
    X, _, y = table
    return TabularMLPRegressor(n_members=3, **SMALL).fit(X, y)


def trainings(ensemble):
    """The indices of the networks of each training: its epochs share its curve."""
    groups = {}
    for i, network in enumerate(ensemble.members_):
        groups.setdefault(tuple(network.loss_curve_), []).append(i)
    return list(groups.values())


def per_training(ensemble, outputs):
    """Each training's output: its epochs' outputs, weighted as the ensemble weighs them."""
    weights = ensemble.member_weights_
    return [np.average(outputs[group], axis=0, weights=weights[group])
            for group in trainings(ensemble)]


def held_out_rows(training_outputs, oof):
    """Each training's held-out rows: those whose out-of-fold output is its own."""
    return [
        np.flatnonzero(np.isclose(output, oof, rtol=1e-12, atol=0).all(axis=1))
        for output in training_outputs
    ]


def test_the_classifier_averages_its_members_probabilities(classifier, table):
    X, y, _ = table
    groups = trainings(classifier)
    weights = classifier.member_weights_
    # 4 trainings, each weighing 1/4, shared among the epochs it picked.
    assert len(groups) == 4 and len(classifier.members_) >= 4
    assert_allclose([weights[group].sum() for group in groups], 0.25, rtol=1e-12)
    probas = np.array([member.predict_proba(X) for member in classifier.members_])
    assert_allclose(classifier.predict_proba(X),
                    np.average(probas, axis=0, weights=weights), rtol=1e-12)
    # The trainings differ: their seeds and their bags differ.
    assert not np.allclose(probas[groups[0][0]], probas[groups[1][0]])
    for member in classifier.members_:
        assert member.n_members == 1
        assert member.preprocessor_ is classifier.preprocessor_
        assert 1 <= member.n_iter_ <= len(member.loss_curve_)
    assert classifier.n_iter_ == max(len(m.loss_curve_) for m in classifier.members_) == 10


def test_each_sample_is_predicted_out_of_fold_by_the_member_that_left_it_out(
    classifier, table
):
    X, y, _ = table
    oof = classifier.oof_decision_function_
    probas = np.array([member.predict_proba(X) for member in classifier.members_])
    folds = held_out_rows(per_training(classifier, probas), oof)
    # The held-out folds partition the samples, in stratified folds of 1/4.
    assert_array_equal(np.sort(np.concatenate(folds)), np.arange(len(X)))
    for rows in folds:
        assert len(rows) in (75, 76)
        assert_allclose(np.bincount(y[rows], minlength=3) / len(rows),
                        np.bincount(y) / len(y), atol=0.01)
    assert classifier.oof_score_ == accuracy_score(
        y, classifier.classes_[oof.argmax(axis=1)]
    )
    # Each member was validated on its fold at every epoch.
    for member in classifier.members_:
        assert len(member.validation_loss_curve_) == len(member.loss_curve_)


def test_each_member_picks_the_epochs_whose_average_fits_its_validation_data(table):
    X, y, _ = table
    X_val, y_val = X[250:], y[250:]
    clf = TabularMLPClassifier(n_members=2, **{**SMALL, "max_iter": 60}).fit(
        X[:250], y[:250], X_val=X_val, y_val=y_val
    )
    groups = trainings(clf)
    # Overfitting late, the trainings pick earlier epochs too.
    assert len(clf.members_) > len(groups) == 2
    for group in groups:
        networks = [clf.members_[i] for i in group]
        # The first pick is the epoch of lowest validation loss.
        curve = networks[0].validation_loss_curve_
        assert np.argmin(curve) + 1 in [network.n_iter_ for network in networks]
        # Averaged as the ensemble weighs them, the picks fit better than any one.
        probas = np.array([network.predict_proba(X_val) for network in networks])
        weights = clf.member_weights_[group]
        average_loss = log_loss(y_val, np.average(probas, axis=0, weights=weights))
        assert all(average_loss <= log_loss(y_val, p) + 1e-12 for p in probas)


def test_the_candidates_fit_in_the_selections_memory(table, monkeypatch):
    # With room for one epoch's parameters, each member keeps only its best.
    monkeypatch.setattr(_ensemble, "SELECTION_MEMORY", 1)
    X, y, _ = table
    clf = TabularMLPClassifier(n_members=3, **{**SMALL, "max_iter": 60}).fit(X, y)
    assert len(clf.members_) == 3
    assert_array_equal(clf.member_weights_, np.full(3, 1 / 3))


def test_an_epoch_of_undefined_loss_is_never_picked():
    # Epochs given to the selection by hand: the first predicts NaN.
    Y = np.eye(2)[[0, 1, 1, 0]]
    candidates = _ensemble._BestEpochs(
        TabularMLPClassifier(), (np.zeros((4, 1)), Y, None), "softmax"
    )
    outputs = [np.full((4, 2), np.nan), np.full((4, 2), 0.5), 0.8 * Y + 0.1]
    for epoch, output in enumerate(outputs, start=1):
        loss = _ensemble.prediction_loss(output, Y, None, "softmax")
        candidates._kept.append((-_ensemble._finite_or_inf(loss), -epoch,
                                 {"n_iter_": epoch}, output))
    networks, counts = candidates.select()
    assert [network.n_iter_ for network in networks] == [3]
    assert_array_equal(counts, [_ensemble.SELECTION_ROUNDS])


def test_the_regressor_averages_and_gives_its_members_spread(regressor, table):
    X, _, y = table
    predictions = np.array([member.predict(X) for member in regressor.members_])
    weights = regressor.member_weights_
    mean, std = regressor.predict(X, return_std=True)
    # The weighted mean of the members' outputs, clipped to the training
    # range as each member's is: rows that no member clipped get the
    # members' weighted mean.
    low, high = y.min(), y.max()
    inside = ((predictions > low) & (predictions < high)).all(axis=0)
    assert 0.5 < inside.mean() < 1
    expected = np.average(predictions, axis=0, weights=weights)
    assert_allclose(mean[inside], expected[inside], rtol=1e-12)
    assert ((mean >= low) & (mean <= high)).all()
    assert_array_equal(regressor.predict(X), mean)
    spread = np.sqrt(np.average((predictions - expected) ** 2, axis=0, weights=weights))
    assert_allclose(std, spread, rtol=1e-10)
    assert std.shape == (len(X),) and (std > 0).all()

    # Where no network clips, each out-of-fold prediction is one training's.
    trained = np.array(per_training(regressor, predictions))
    matches = np.isclose(trained, regressor.oof_prediction_, rtol=1e-12, atol=0)
    assert (matches.sum(axis=0)[inside] == 1).all()
    assert regressor.oof_score_ == pytest.approx(
        r2_score(y, regressor.oof_prediction_), rel=1e-6
    )


def test_the_spread_of_several_outputs(table):
    X, _, y = table
    Y = np.column_stack([y, -2 * y])
    mean, std = TabularMLPRegressor(n_members=2, **SMALL).fit(X, Y).predict(
        X, return_std=True
    )
    assert mean.shape == std.shape == Y.shape


def test_one_network_has_no_spread_and_no_members(table):
    X, _, y = table
    regressor = TabularMLPRegressor(n_members=1, **SMALL).fit(X, y)
    assert not hasattr(regressor, "members_")
    assert not hasattr(regressor, "oof_prediction_")
    with pytest.raises(ValueError, match="fitted with n_members=1"):
        regressor.predict(X, return_std=True)


def test_a_refit_with_one_member_forgets_the_members(classifier, table):
    X, y, _ = table
    single = pickle.loads(pickle.dumps(classifier)).set_params(n_members=1).fit(X, y)
    assert not hasattr(single, "members_")
    assert not hasattr(single, "oof_decision_function_")
    assert single.coefs_[0].shape[1] == 16


def test_members_trained_in_processes_equal_those_trained_here(classifier, table):
    X, y, _ = table
    parallel = TabularMLPClassifier(n_members=4, n_jobs=2, **SMALL).fit(X, y)
    assert_array_equal(parallel.predict_proba(X), classifier.predict_proba(X))
    assert_array_equal(parallel.oof_decision_function_,
                       classifier.oof_decision_function_)
    # They come back sharing the one preprocessing, which pickles once.
    assert all(m.preprocessor_ is parallel.preprocessor_ for m in parallel.members_)
    loaded = pickle.loads(pickle.dumps(parallel))
    assert all(m.preprocessor_ is loaded.preprocessor_ for m in loaded.members_)
    assert_array_equal(loaded.predict_proba(X), classifier.predict_proba(X))


def test_members_validate_on_the_users_validation_data(table):
    X, y, _ = table
    clf = TabularMLPClassifier(n_members=3, **SMALL).fit(
        X[:250], y[:250], X_val=X[250:], y_val=y[250:]
    )
    for member in clf.members_:
        assert member.validation_scores_[-1] == member.score(X[250:], y[250:])
    # The folds still leave out samples that give out-of-fold predictions.
    assert clf.oof_decision_function_.shape == (250, 3)


def test_too_few_samples_for_the_folds(table):
    X, y, _ = table
    with pytest.raises(ValueError, match=r"n_members=5 .* needs 10; got n_samples=9"):
        TabularMLPClassifier(**SMALL).fit(X[:9], y[:9])


def test_warm_start_needs_one_member(table):
    X, y, _ = table
    clf = TabularMLPClassifier(n_members=2, warm_start=True, **SMALL)
    with pytest.raises(ValueError, match="warm_start=True continues"):
        clf.fit(X, y)
    assert not hasattr(clf, "preprocessor_")


def test_a_rare_class_gives_unstratified_folds(table):
    X, y, _ = table
    y = y.copy()
    y[:2] = 3  # two samples of a fourth class, fewer than the folds
    clf = TabularMLPClassifier(n_members=3, **SMALL).fit(X, y)
    assert_array_equal(clf.classes_, [0, 1, 2, 3])
    assert clf.oof_decision_function_.shape == (len(X), 4)
