"""
=======================================
Learning from a stream with partial_fit
=======================================

``partial_fit`` runs one epoch over the data it is given and keeps everything
else (weights, the optimizer's state, the loss curve) for the next call, so a
model can learn from data that arrive in chunks and never fit in memory at
once. It is available with the stochastic solvers, ``'sgd'`` and ``'adam'``.

Here a stream of 40 chunks changes its concept half-way: the features are
shuffled, so what was learned stops applying. Each chunk is first used to test
the current model, then to train it ("test-then-train", or prequential,
evaluation). A model updated on every chunk is compared with one that stopped
learning after the first five chunks.
"""

import copy

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification

from skscratchnn import ScratchMLPClassifier

n_chunks, chunk_size = 40, 150
X, y = make_classification(
    n_samples=n_chunks * chunk_size, n_features=12, n_informative=8,
    n_classes=3, class_sep=1.5, random_state=0,
)
# From the middle of the stream on, the same features arrive in another order.
drift = n_chunks // 2
middle = drift * chunk_size
X[middle:] = X[middle:, np.random.RandomState(1).permutation(X.shape[1])]
classes = np.unique(y)

online = ScratchMLPClassifier(
    hidden_layer_sizes=(32,), batch_size=25, learning_rate_init=3e-3,
    random_state=0,
)
frozen = None
online_scores, frozen_scores = [], []
for i in range(n_chunks):
    X_chunk = X[i * chunk_size : (i + 1) * chunk_size]
    y_chunk = y[i * chunk_size : (i + 1) * chunk_size]
    if i > 0:
        online_scores.append(online.score(X_chunk, y_chunk))
        if frozen is not None:
            frozen_scores.append(frozen.score(X_chunk, y_chunk))
    # ``classes`` is required on the first call: a chunk may lack a class.
    online.partial_fit(X_chunk, y_chunk, classes=classes)
    if i == 4:
        frozen = copy.deepcopy(online)

print(f"{online.n_iter_} epoch per call; {online.t_} samples seen in all")

# %%
fig, ax = plt.subplots(figsize=(8, 4))
chunks = np.arange(1, n_chunks)
ax.plot(chunks, online_scores, "o-", ms=3, label="partial_fit on every chunk")
ax.plot(chunks[4:], frozen_scores, "s-", ms=3, label="frozen after 5 chunks")
ax.axvline(drift - 0.5, color="grey", linestyle=":")
ax.text(drift, 0.95, " concept changes", color="grey", va="top")
ax.set_xlabel("chunk (150 samples each)")
ax.set_ylabel("accuracy on the chunk, before training on it")
ax.set_ylim(0.2, 1.0)
ax.legend(loc="lower left")
ax.set_title("Test-then-train accuracy on a drifting stream")
plt.show()

before = np.mean(online_scores[drift - 6 : drift - 1])
after = np.mean(online_scores[-5:])
print(f"updated model: {before:.3f} in the 5 chunks before the change, "
      f"{after:.3f} in the last 5")
print(f"frozen model: {np.mean(frozen_scores[-5:]):.3f} in the last 5")

# %%
# Both models fall to chance (a third, with three classes) when the concept
# changes. The model that keeps learning recovers over the next ten or so
# chunks; the frozen one never does. Note
# that the updated model also keeps improving before the change: five chunks
# were not enough to learn the first concept.
#
# ``partial_fit`` applies the same minibatch updates as ``fit`` (here
# ``batch_size=25``, so six Adam steps per chunk); it does not check
# convergence or stop early, and the loss of each call is appended to
# ``loss_curve_``.
