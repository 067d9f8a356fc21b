"""Docstring sections shared by the estimators, written once.

``fill_shared_docs`` replaces ``{shared_parameters}`` and ``{shared_attributes}``
(and the tabular estimators' ``{tabular_parameters}`` and ``{tabular_notes}``)
in a class docstring; tests check every estimator renders them in full.
"""

import ast
import inspect

SHARED_PARAMETERS = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', \
'softplus', 'gelu', 'silu', 'selu', 'mish'}, default='relu'
        Activation function of the hidden layers: f(x) = x, 1 / (1 + exp(-x)),
        tanh(x), max(0, x), max(0.01 x, x), x if x > 0 else exp(x) - 1,
        log(1 + exp(x)), x Phi(x) (exact GELU, Phi the standard normal CDF),
        x / (1 + exp(-x)), 1.0507 (x if x > 0 else 1.6733 (exp(x) - 1)) (SELU),
        x tanh(log(1 + exp(x))) (Mish). The first four are scikit-learn's.

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The solver for weight optimization: 'lbfgs', a quasi-Newton method on
        the full batch; 'sgd', stochastic gradient descent; 'adam', the
        stochastic optimizer of Kingma and Ba. 'adam' works well on thousands of
        samples or more; on small datasets 'lbfgs' can converge faster and
        better.

    alpha : float, default=0.0001
        Strength of the L2 regularization term, divided by the sum of the
        sample weights (the sample size) when added to the loss.

    batch_size : int or 'auto', default='auto'
        Size of minibatches for the stochastic solvers; 'auto' means
        ``min(200, n_samples)``. Not used by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine', \
'coslog4'}, default='constant'
        Learning rate schedule: 'constant' keeps ``learning_rate_init``;
        'invscaling' uses ``learning_rate_init / pow(t, power_t)`` with ``t``
        the number of samples seen; 'adaptive' divides the rate by 5 each time
        ``n_iter_no_change`` epochs fail to improve by ``tol`` (and stops below
        1e-6); 'cosine' anneals it from ``learning_rate_init`` to 0 over
        the ``E`` epochs the fit runs at most (``max_iter``, or fewer under
        'auto'), ``learning_rate_init * (1 + cos(pi * e / E)) / 2`` after
        ``e`` epochs. These change the rate between epochs;
        'coslog4' (RealMLP's) changes it at every step, to
        ``learning_rate_init * (1 - cos(2 pi log2(1 + 15 f))) / 2`` where ``f``
        is the fraction of the ``E`` epochs' steps done: four cycles
        of doubling length, ending at 0. 'cosine' and 'coslog4' plan the fit
        to last ``E`` epochs: reaching them gives no ``ConvergenceWarning``.
        As in scikit-learn, 'invscaling' and 'adaptive' apply to 'sgd' only
        unless ``schedule_adam=True``; 'cosine' and 'coslog4' apply to 'sgd'
        and 'adam'. A warm-started fit
        starts the schedules again from ``learning_rate_init`` ('invscaling'
        follows ``t_``, which goes on); ``partial_fit`` calls go on with the
        schedule, one epoch each.

    learning_rate_init : float, default=0.001
        The initial learning rate ('sgd' and 'adam').

    power_t : float, default=0.5
        The exponent of 'invscaling'.

    max_iter : int or 'auto', default=200
        Maximum number of epochs for the stochastic solvers, of iterations for
        'lbfgs'. 'auto' (RealMLP's budget) is 256, or fewer for the stochastic
        solvers on large data: as many epochs as take about 8,192 steps, so
        that the time of a fit stops growing with the number of rows.

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch ('sgd' and 'adam').

    random_state : int, RandomState instance or None, default=None
        Determines the weight initialization, the early-stopping split, the
        shuffling and the dropout masks. Pass an int for reproducible results.

    tol : float, default=1e-4
        Tolerance for the optimization: training stops (or 'adaptive' lowers
        the rate) when the loss or validation score does not improve by at
        least ``tol`` for ``n_iter_no_change`` consecutive epochs.

    verbose : bool or int, default=False
        Whether to print progress messages to stdout. 1 (or True) prints a line
        per epoch with the loss, the validation score and the elapsed seconds;
        2 or more adds the epoch count and the estimated time left, as one live
        line when stdout is a terminal.

    warm_start : bool, default=False
        When True, reuse the solution of the previous call to fit as
        initialization. Unlike scikit-learn (whose issue 6091 this settles), the
        stochastic optimizer's moment estimates carry over too (Adam's first
        and second moments and step count, SGD's velocity), so two warm-started
        fits of ``n`` epochs train as one fit of ``2 n`` would; the learning
        rate and its schedule start again from the current parameters, as a
        change of solver starts a new optimizer.

    momentum : float, default=0.9
        Momentum of 'sgd', between 0 and 1.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum ('sgd' with momentum > 0).

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data
        (stratified for binary targets, as in scikit-learn), or use the
        ``X_val`` and ``y_val`` passed to fit, and stop when the validation
        metric (``early_stopping_metric``) does not improve by ``tol`` for
        ``n_iter_no_change`` epochs; the best parameters are restored at the
        end. Stochastic solvers only.

    validation_fraction : float, default=0.1
        The proportion of training data set aside for early stopping; not used
        when fit is given ``X_val``.

    beta_1 : float, default=0.9
        Exponential decay rate of the first moment estimates of 'adam'.

    beta_2 : float, default=0.999
        Exponential decay rate of the second moment estimates of 'adam'.

    epsilon : float, default=1e-8
        Value for numerical stability in 'adam'.

    n_iter_no_change : int, default=10
        Number of epochs without improvement by ``tol`` before stopping
        ('sgd' and 'adam').

    max_fun : int, default=15000
        Maximum number of loss function calls of 'lbfgs'.

    dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Inverted-dropout rate of the hidden layers, one rate for all or one per
        hidden layer, each in [0, 1). During training each hidden unit is zeroed
        with this probability and the others scaled by 1 / (1 - rate);
        prediction uses the whole network unchanged. Masks depend on each
        sample's values, so a sample weight of 2 still equals a repeated row.
        Not available with ``solver='lbfgs'``, whose objective must be
        deterministic.

    early_stopping_metric : {'score', 'loss'}, default='score'
        The validation metric that early stopping and ``restore_best_params``
        follow: 'score' is scikit-learn's choice, the accuracy or R^2 of
        ``score``; 'loss' is the loss on the validation data
        (``validation_loss_curve_``), which must fall by ``tol`` to count as an
        improvement.

    restore_best_params : bool, default=False
        Whether to end training with the parameters of the best epoch even
        without early stopping: the best by ``early_stopping_metric`` on the
        ``X_val`` given to fit, or else the epoch with the lowest training
        loss (the mean loss over the epoch's minibatches, ``loss_curve_``).
        Early stopping always restores them, as in scikit-learn. Used by the
        stochastic solvers' fit, not by ``partial_fit``, which would otherwise
        throw away each epoch that does worse than an earlier one.

    schedule_adam : bool, default=False
        Whether 'invscaling' and 'adaptive' ``learning_rate`` schedules also
        apply to 'adam', scaling its base rate ``learning_rate_init`` before
        bias correction. False keeps scikit-learn's behaviour, where they apply
        to 'sgd' only.

    weight_decay : float, default=0.0
        Decoupled weight decay (as in AdamW): before each step the weights
        (not the biases) are multiplied by ``1 - rate * weight_decay``, with
        ``rate`` the scheduled learning rate, apart from the gradient and from
        Adam's moment estimates. Unlike ``alpha``, it does not scale with the
        number of samples. 0 keeps scikit-learn's behaviour.

    scaling_layer : bool, default=False
        Whether the first layer multiplies each input column by a learned
        factor (initialised at 1, trained at ``scale_rate_factor`` times the
        learning rate), which lets training weigh the columns quickly (part of
        RealMLP's recipe). After training the factors are folded into
        ``coefs_[0]``, so the fitted network is a plain MLP.

    parametrization : {'standard', 'ntk'}, default='standard'
        'ntk' trains each layer as ``x W / sqrt(fan_in) + b`` with standard
        normal ``W`` and ``b`` at the start and a zero output layer: in the
        weights stored (``coefs_``) this is a learning rate divided by
        ``sqrt(fan_in)`` for each layer's weights and multiplied by
        ``bias_rate_factor`` for the biases. 'standard' is scikit-learn's
        Glorot start with one learning rate for all.

    scale_rate_factor : float, default=1.0
        Learning-rate factor of the scaling layer (``scaling_layer=True``).

    bias_rate_factor : float, default=1.0
        Learning-rate factor of the biases."""

SHARED_ATTRIBUTES = """\
    loss_ : float
        The current loss computed with the loss function.

    best_loss_ : float or None
        The minimum loss reached by the stochastic solver throughout fitting;
        None when ``early_stopping=True``.

    loss_curve_ : list of shape (`n_iter_`,)
        The training loss at the end of each epoch (stochastic solvers).

    validation_scores_ : list of shape (`n_iter_`,) or None
        The score on the validation data at each epoch; None without
        validation data (``early_stopping=True`` or ``X_val`` passed to fit).

    validation_loss_curve_ : list of shape (`n_iter_`,) or None
        The loss on the validation data at each epoch, beside
        ``validation_scores_``; None without validation data. It is the
        weighted mean loss of the validation samples without the L2 penalty,
        which ``loss_curve_`` includes: the penalty is a property of the
        weights, not of the data, and scaled by the training set's size.

    best_validation_score_ : float or None
        The best of ``validation_scores_``; None without validation data.

    best_validation_loss_ : float or None
        The lowest of ``validation_loss_curve_``; None without validation data.

    t_ : int
        The number of training samples seen by the solver during fitting.

    coefs_ : list of shape (n_layers - 1,)
        The ith element is the weight matrix between layer i and layer i + 1.
        Assigning a list of arrays (or writing into them) sets the weights that
        prediction and further training use.

    intercepts_ : list of shape (n_layers - 1,)
        The ith element is the bias vector of layer i + 1; assignable like
        ``coefs_``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit; defined only when ``X`` has feature
        names that are all strings.

    n_iter_ : int
        The number of iterations the solver has run.

    n_layers_ : int
        Number of layers.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation function."""


# What batch_size means where an epoch splits into batches of equal size.
EVEN_BATCH_SIZE = """\
        The most rows of a minibatch for the stochastic solvers; 'auto' means
        ``min({auto}, n_samples)``. Each epoch splits into as many batches as
        that size needs, of equal sizes (scikit-learn's MLPs leave the rest
        to a last, smaller batch). Not used by 'lbfgs'."""

TABULAR_PARAMETERS = """\
    categorical_features : array-like of {bool, int, str} or 'from_dtype' or \
None, default='from_dtype'
        Which columns of ``X`` are categorical, as in
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`: 'from_dtype'
        takes DataFrame columns of category, object, bool or string dtype;
        or a boolean mask, indices or column names; None treats all as
        numeric. See :class:`TabularPreprocessor`.

    max_categories : int, default=32
        Categorical columns with more categories one-hot encode their
        ``max_categories - 1`` most frequent ones and group the rest.

    clip_scale : float or None, default=3.0
        Numeric columns, robust-scaled, are clipped smoothly to about
        ``+-clip_scale``: ``z / sqrt(1 + (z / clip_scale)^2)``; None turns it off.

    n_bins : int or None, default=16
        Each numeric column also enters as its piecewise-linear encoding over
        ``n_bins`` quantile bins (Gorishniy et al., 2022), which lets the
        network bend its response at the bin edges as a tree splits; None
        gives the network the scaled values alone, as RealMLP-TD-S does.

    numeric_embedding : {'periodic'} or None, default=None
        'periodic' embeds each numeric column as RealMLP-TD does ("PBLD"):
        16 cosines of the scaled value with trainable frequencies and phases,
        mapped linearly to 3 more inputs of the first layer; they train at a
        tenth of the learning rate, without weight decay. None leaves the
        network the columns of :class:`TabularPreprocessor` alone: beside the
        piecewise-linear encoding the embedding gained too little on the
        development suite for its time (see the user guide).

    n_members : int, default=5
        The number of networks trained and averaged. With more than one, the
        training samples are split into ``n_members`` folds and each member
        trains on all folds but one, which validates it (k-fold bagging):
        the fold it leaves out picks the epochs the member contributes (see
        Notes), as ``validation_fraction`` picks one network's best epoch,
        and gives out-of-fold predictions of every sample (``oof_score_``).
        With ``max_iter='auto'`` the members share two networks' training
        (see Notes); 1 trains one network, about twice as fast.

    n_jobs : int, default=None
        The number of members trained at once, in processes of joblib's
        current backend (a Dask cluster under
        ``joblib.parallel_config(backend="dask")``). None means 1 unless in
        a :func:`joblib.parallel_config` context; -1 means all processors."""

TABULAR_NOTES = """\
    Notes
    -----
    The recipe is that of RealMLP-TD-S [1]_, the small variant of RealMLP, with
    a piecewise-linear encoding of the numeric columns in place of RealMLP's
    learned numeric embeddings (``numeric_embedding`` adds RealMLP-TD's): the
    preprocessing of :class:`TabularPreprocessor`, a scaling layer, three
    hidden layers of 256 units in the NTK parametrization, Adam with
    ``beta_2=0.95`` and the per-step 'coslog4' learning-rate schedule, batches
    of at most 256 rows, of equal sizes (see ``batch_size``), 256 epochs
    (``max_iter='auto'``: 256, or fewer on large tables, as many as take about
    8,192 steps; a fit's time then stops growing with the number of rows),
    and the parameters of the epoch with the lowest loss on a random 20 % of
    the training data (``early_stopping=True`` with ``n_iter_no_change=inf``:
    training never stops early; ``early_stopping_metric='loss'``, which picks
    the epoch with less noise than the accuracy on a small validation set;
    RealMLP picks by error). Fitted attributes
    describe the network on the preprocessed columns; with
    ``numeric_embedding``, the rows of ``coefs_[0]`` are those columns, then
    the embedding's 3 outputs of each numeric column in turn (the
    embedding's own parameters are internal).

    The estimator averages ``n_members=5`` such networks, bagged as in
    RealMLP's and TabArena's evaluations: each trains on 4/5 of the samples
    and validates on the fifth it leaves out (which replaces
    ``validation_fraction``). That fold picks the epochs the member
    contributes by ensemble selection [2]_: 20 times, it adds the epoch whose
    parameters bring the average of those picked so far (with repetition)
    the lowest loss on the fold; the first pick is the best epoch. Epochs
    that overfit differently average better than the best alone. With
    ``max_iter='auto'`` the members share two networks' training: each of
    ``n_members`` trains ``2 / n_members`` of one network's epochs and steps
    (with 5: 102 epochs, or about 3,300 steps), so an ensemble costs about
    twice one network (``n_members=1``) whatever its size. The picked
    epochs are in ``members_``, each an estimator of one network with its
    ``coefs_`` and its member's training record (``loss_curve_``,
    ``validation_loss_curve_``, ...; its ``n_iter_`` is its epoch), weighed
    in ``member_weights_``; the ensemble's ``n_iter_`` is the most epochs a
    member ran. Each sample is also predicted by the member that left it
    out: out-of-fold predictions, scored in ``oof_score_``. The regressor's
    ``predict(X, return_std=True)`` also gives the (weighted) standard
    deviation of the networks' predictions: how much they disagree, which
    grows where the training data are sparse. It leaves out the noise in
    ``y`` and the errors all networks share, so it is no calibrated
    interval.

    References
    ----------
    .. [1] D. Holzmüller, L. Grinsztajn and I. Steinwart, "Better by default:
       Strong pre-tuned MLPs and boosted trees on tabular data", NeurIPS 2024.
    .. [2] R. Caruana, A. Niculescu-Mizil, G. Crew and A. Ksikes, "Ensemble
       selection from libraries of models", ICML 2004."""


def shared_parameters(defaults=None, descriptions=None):
    """Return the shared parameter docs, with the defaults in ``defaults`` and
    the descriptions in ``descriptions`` instead.

    Each parameter's entry starts with its header line(s), ``name : type,
    default=value``, ending where the indented description starts.
    """
    defaults, descriptions = defaults or {}, descriptions or {}
    entries = []
    for entry in SHARED_PARAMETERS.split("\n\n"):
        name = entry.split(" : ")[0].strip()
        header, description = entry.split("\n        ", 1)
        if name in defaults:
            header = header[: header.index("default=")] + f"default={defaults[name]!r}"
        if name in descriptions:
            description = descriptions[name].lstrip()
        entries.append(f"{header}\n        {description}")
    return "\n\n".join(entries)


def _documented_default(entry):
    """Return the default an entry's header gives, or None if it is no literal."""
    header = entry.split("\n        ", 1)[0]
    try:
        return ast.literal_eval(header.split("default=", 1)[1])
    except (IndexError, ValueError, SyntaxError):
        return None


_SHARED_DEFAULTS = {
    entry.split(" : ")[0].strip(): _documented_default(entry)
    for entry in SHARED_PARAMETERS.split("\n\n")
}


def own_defaults(cls):
    """Return the defaults of ``cls.__init__`` that differ from the shared docs'."""
    signature = inspect.signature(cls.__init__)
    return {
        name: parameter.default
        for name, parameter in signature.parameters.items()
        if name in _SHARED_DEFAULTS and parameter.default != _SHARED_DEFAULTS[name]
    }


def own_descriptions(cls):
    """Return the descriptions of shared parameters that ``cls`` changes:
    ``batch_size``'s, where an epoch splits into batches of equal size."""
    if not cls._even_batches:
        return {}
    return {"batch_size": EVEN_BATCH_SIZE.format(auto=cls._auto_batch_size)}


def fill_shared_docs(cls):
    """Insert the shared parameter and attribute docs into ``cls.__doc__``.

    The defaults shown are those of ``cls.__init__``, the one place they are
    written.
    """
    shared = shared_parameters(own_defaults(cls), own_descriptions(cls))
    doc = cls.__doc__.replace("{tabular_parameters}", TABULAR_PARAMETERS)
    doc = doc.replace("{tabular_notes}", TABULAR_NOTES)
    cls.__doc__ = doc.replace("{shared_parameters}", shared).replace(
        "{shared_attributes}", SHARED_ATTRIBUTES
    )
    return cls
