"""Docstring sections shared by both estimators, written once.

``fill_shared_docs`` replaces ``{shared_parameters}`` and ``{shared_attributes}``
in a class docstring; a test checks both estimators render them identically.
"""

SHARED_PARAMETERS = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', \
'softplus', 'gelu', 'silu'}, default='relu'
        Activation function of the hidden layers: f(x) = x, 1 / (1 + exp(-x)),
        tanh(x), max(0, x), max(0.01 x, x), x if x > 0 else exp(x) - 1,
        log(1 + exp(x)), x Phi(x) (exact GELU, Phi the standard normal CDF),
        x / (1 + exp(-x)). The first four are scikit-learn's.

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

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning rate schedule of 'sgd': 'constant' keeps
        ``learning_rate_init``; 'invscaling' uses
        ``learning_rate_init / pow(t, power_t)``; 'adaptive' divides the rate by
        5 each time ``n_iter_no_change`` epochs fail to improve by ``tol``.

    learning_rate_init : float, default=0.001
        The initial learning rate ('sgd' and 'adam').

    power_t : float, default=0.5
        The exponent of 'invscaling'.

    max_iter : int, default=200
        Maximum number of epochs for the stochastic solvers, of iterations for
        'lbfgs'.

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
        When True, reuse the solution (and the stochastic optimizer's state) of
        the previous call to fit as initialization.

    momentum : float, default=0.9
        Momentum of 'sgd', between 0 and 1.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum ('sgd' with momentum > 0).

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data
        (stratified for single-label classification) and stop when its score
        does not improve by ``tol`` for ``n_iter_no_change`` epochs; the best
        parameters are restored at the end. Stochastic solvers only.

    validation_fraction : float, default=0.1
        The proportion of training data set aside for early stopping.

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
        deterministic."""

SHARED_ATTRIBUTES = """\
    loss_ : float
        The current loss computed with the loss function.

    best_loss_ : float or None
        The minimum loss reached by the stochastic solver throughout fitting;
        None when ``early_stopping=True``.

    loss_curve_ : list of shape (`n_iter_`,)
        The training loss at the end of each epoch (stochastic solvers).

    validation_scores_ : list of shape (`n_iter_`,) or None
        The score on the held-out validation set at each epoch; None unless
        ``early_stopping=True``.

    best_validation_score_ : float or None
        The best validation score, whose parameters were kept; None unless
        ``early_stopping=True``.

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


def fill_shared_docs(cls):
    """Insert the shared parameter and attribute docs into ``cls.__doc__``."""
    cls.__doc__ = cls.__doc__.replace(
        "{shared_parameters}", SHARED_PARAMETERS
    ).replace("{shared_attributes}", SHARED_ATTRIBUTES)
    return cls
