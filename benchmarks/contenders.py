"""Contenders that are not estimators: lower bounds on the work, and a PyTorch MLP."""

import numpy as np

from skscratchnn._params import ParamLayout


def gemm_epoch(X, hidden, n_outputs, batch_size, update=False):
    """Run just the matrix products of one epoch of minibatch training.

    Per batch: the forward product of every layer, the weight gradient of every
    layer and the input gradient of every layer but the first, into
    preallocated arrays of ``X``'s dtype. This is the work no MLP can avoid.

    With ``update``, each batch also runs :func:`adam_update` on a flat vector of
    all the weights and biases: the products plus the least elementwise work an
    L2-regularized Adam step takes.
    """
    rng = np.random.RandomState(0)
    units = [X.shape[1], *hidden, n_outputs]
    layout = ParamLayout(units)
    theta = rng.uniform(-0.1, 0.1, layout.n_params).astype(X.dtype)
    grad, m, v, scratch = (np.zeros_like(theta) for _ in range(4))
    W, G = layout.unpack(theta)[0], layout.unpack(grad)[0]
    A = [np.empty((batch_size, n), X.dtype) for n in units[1:]]
    # Finite values: garbage from np.empty could hold NaNs or subnormals.
    D = [rng.uniform(-1, 1, (batch_size, n)).astype(X.dtype) for n in units[1:]]
    for start in range(0, X.shape[0] - batch_size + 1, batch_size):
        inputs = [X[start : start + batch_size], *A[:-1]]
        for a, w, out in zip(inputs, W, A):
            np.matmul(a, w, out=out)
        for i in reversed(range(len(W))):
            np.matmul(inputs[i].T, D[i], out=G[i])
            if i:
                np.matmul(D[i], W[i].T, out=D[i - 1])
        if update:
            adam_update(theta, grad, m, v, scratch, layout.n_coefs)


def adam_update(theta, grad, m, v, scratch, n_weights, alpha=1e-7, rate=1e-8):
    """The least NumPy work of an L2-regularized Adam step: 12 passes over ``theta``.

    Two add the L2 gradient of the weights. Adam takes 10: the first moment
    decays and takes in the gradient (2 passes), the second does so with its
    square (3), and the step takes the root, adds epsilon, divides, scales and
    adds (5). Bias correction and the ``1 - beta`` factors fold into scalars.
    Each pass is one NumPy ufunc, one arithmetic operation; the step's scale
    cannot fold into the moments, since ``m / sqrt(v)`` ignores a common
    rescaling of both. The small ``alpha`` and ``rate`` keep the values finite
    over any number of steps.
    """
    np.multiply(theta[:n_weights], alpha, out=scratch[:n_weights])
    grad[:n_weights] += scratch[:n_weights]
    m *= 0.9
    m += grad
    v *= 0.999
    np.multiply(grad, grad, out=scratch)
    v += scratch
    np.sqrt(v, out=scratch)
    scratch += 1e-8
    np.divide(m, scratch, out=scratch)
    scratch *= -rate
    theta += scratch


def gemm_predict(X, hidden, n_outputs, chunk_rows=4096):
    """Run just the forward matrix products of a prediction on all rows of ``X``."""
    rng = np.random.RandomState(0)
    units = [X.shape[1], *hidden, n_outputs]
    W = [rng.uniform(-0.1, 0.1, (a, b)).astype(X.dtype) for a, b in zip(units, units[1:])]
    A = [np.empty((min(chunk_rows, len(X)), n), X.dtype) for n in units[1:]]
    for start in range(0, X.shape[0], chunk_rows):
        previous = X[start : start + chunk_rows]
        for w, out in zip(W, A):
            out = out[: len(previous)]
            np.matmul(previous, w, out=out)
            previous = out


class TorchModel:
    """A trained PyTorch MLP with a scikit-learn style ``predict``."""

    def __init__(self, module, dtype):
        self.module, self.dtype = module, dtype

    def predict(self, X):
        import torch

        with torch.no_grad():
            return self.module(torch.from_numpy(X.astype(self.dtype))).argmax(1).numpy()


def torch_fit(X, y, hidden, epochs, params):
    """Train the same MLP as workload R with PyTorch on the CPU (eager mode).

    Same layers, Glorot-uniform initialization, Adam with the same settings,
    the same L2 penalty (``alpha / batch`` weight decay on the weights only,
    which is the gradient of scikit-learn's penalty) and shuffled batches.
    """
    import torch

    torch.manual_seed(0)
    dtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
    units = [X.shape[1], *hidden, int(y.max()) + 1]
    layers = []
    for a, b in zip(units, units[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    module = torch.nn.Sequential(*layers[:-1]).to(dtype[X.dtype])
    batch = params["batch_size"]
    weights = [p for n, p in module.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in module.named_parameters() if n.endswith("bias")]
    optimizer = torch.optim.Adam(
        [{"params": weights, "weight_decay": params["alpha"] / batch},
         {"params": biases, "weight_decay": 0.0}],
        lr=params["learning_rate_init"], betas=(0.9, 0.999), eps=1e-8,
    )
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.RandomState(params["random_state"])
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(X)))
        for start in range(0, len(X), batch):
            idx = order[start : start + batch]
            optimizer.zero_grad()
            loss_fn(module(X_t[idx]), y_t[idx]).backward()
            optimizer.step()
    return TorchModel(module, X.dtype)
