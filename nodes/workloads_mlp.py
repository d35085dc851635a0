"""A neural network for LEARN: a multi-layer perceptron (ReLU hidden layers, softmax cross-entropy,
l2 regularisation) whose parameters are flattened into the vector that agreement runs on. numpy only,
exact gradients by backpropagation, vectorised over the batch (the only Python loop is over layers).

Model (layer sizes p = s_0, s_1, ..., s_K = classes; no hidden layer is softmax regression):
  a_0 = x,  a_k = relu(a_{k-1} W_k + b_k) (k < K),  z = a_{K-1} W_K + b_K,
  L_j(theta) = 1/m_j sum_{i in shard j} CE(softmax(z_i), y_i) + lam/2 ||theta||^2,
theta = (W_1, b_1, ..., W_K, b_K), each W_k (s_{k-1} x s_k) row-major then b_k, concatenated. The l2
term covers every parameter (biases included), so that L_j is lam-strongly convex near nothing but
coercive. Data: a Dirichlet(alpha) label split over the n nodes (NNM paper, section 14.4; shards h..n-1
belong to the Byzantine nodes, whose label-flipping attack trains on labels 9 - l) and a held-out
test set shared by all.

Mini-batches (``batch``, :meth:`nodes.workloads.Workload.batch_size`): "full" (exact gradients);
"growing" (min(m_j, ceil(batch0 t)) samples without replacement, so that sigma_t -> 0 as Algorithm 1
of the agreement paper needs); "fixed" (min(m_j, batch0) samples, the NNM paper's D-SHB with b = 25).
With a fixed batch the noise does not vanish; it is stated: :meth:`MLP.gradient_noise` computes
Assumption 2's sigma^2 = 1/m_j sum_i ||grad l(theta, z_i) - grad L_j(theta)||^2 exactly (per-sample
gradient norms without per-sample gradients: ||grad_i||^2 = sum_k (||a_{k-1,i}||^2 + 1) ||delta_{k,i}||^2)
and the variance of a batch mean without replacement, sigma^2 / b (m_j - b) / (m_j - 1).

Determinism: OpenBLAS splits a large matrix product (and a long dot product) differently with 1 and
with 2+ threads, which changes the last bits of the gradients, hence the messages and a run's trace
digest. Every BLAS call here therefore runs on ONE thread (threadpoolctl, which the ``learn`` extra
brings), so that a run is the same whatever the machine's or the environment's thread count (it is
also about 4x faster when other processes share the cores).

Smoothness: a ReLU network has no global L. :attr:`MLP.L` is a local estimate, |lambda_max| of the
Hessian of the honest average loss at a reference initialisation (seed 0), by 8 power iterations on
central finite-difference Hessian-vector products; it sets the default eta = delta / (12 L) only.
"""
from __future__ import annotations

import contextlib
import functools
import math
from typing import Any, Sequence

import numpy as np

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # an optional dependency (the learn extra); the MLP says so when it is built
    ThreadpoolController = None

from agreement.diameters import d2
from nodes.datasets import CLASSES, DATASETS, MissingDependency, train_test
from nodes.workloads import Workload, dirichlet_split


@functools.lru_cache(maxsize=1)
def _controller():
    if ThreadpoolController is None:
        raise MissingDependency("the mlp workload needs threadpoolctl (deterministic BLAS): pip install 'jungle[learn]'")
    return ThreadpoolController()


def one_blas_thread():
    """Context manager: BLAS on one thread inside (see the module docstring: bit-identical results)."""
    ctl = _controller()
    return ctl.limit(limits=1, user_api="blas") if ctl.select(user_api="blas").lib_controllers else contextlib.nullcontext()


def _single_threaded(fn):
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with one_blas_thread():
            return fn(*args, **kwargs)
    return wrapped


class MLP(Workload):
    """See the module docstring. ``X_*`` are (m x p) feature arrays, ``y_*`` integer labels."""

    name = "mlp"

    def __init__(self, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, *,
                 parts: int, h: int, alpha: float, rng: np.random.Generator, hidden: Sequence[int] = (32,),
                 lam: float = 1e-4, batch: str = "fixed", batch0: float = 32.0, classes: int = 10,
                 name: str = "mlp", dataset: str = "custom"):
        super().__init__(batch, batch0)
        _controller()  # fail early, in one line, without threadpoolctl
        self.name, self.dataset, self.classes = name, dataset, int(classes)
        self.X_train, self.y_train = np.asarray(X_train, dtype=np.float64), np.asarray(y_train, dtype=np.int64)
        self.X_test, self.y_test = np.asarray(X_test, dtype=np.float64), np.asarray(y_test, dtype=np.int64)
        self.shards, self.proportions = dirichlet_split(self.y_train, parts, alpha, rng, self.classes)
        self.Xs = [self.X_train[s] for s in self.shards]
        self.ys = [self.y_train[s] for s in self.shards]
        self.h, self.alpha, self.lam = int(h), float(alpha), float(lam)
        self.hidden = tuple(int(k) for k in hidden)
        self.sizes = (self.X_train.shape[1], *self.hidden, self.classes)
        self._slices: list[tuple[slice, tuple[int, int], slice]] = []
        off = 0
        for a, b in zip(self.sizes[:-1], self.sizes[1:]):
            self._slices.append((slice(off, off + a * b), (a, b), slice(off + a * b, off + a * b + b)))
            off += a * b + b
        self.d = off
        self._L: float | None = None
        self._gcache: tuple[bytes, np.ndarray, np.ndarray] | None = None

    # -- parameters ------------------------------------------------------------------------------
    def unpack(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(W_1, b_1), ..., (W_K, b_K)] as views of theta."""
        theta = np.asarray(theta, dtype=np.float64)
        return [(theta[w].reshape(shape), theta[b]) for w, shape, b in self._slices]

    def init_std(self) -> np.ndarray:
        """Per-coordinate std of theta_1 (the runner multiplies a N(0, I) draw by it): He,
        sqrt(2 / fan_in), for the ReLU layers; sqrt(1 / fan_in) for the output layer; 0 for biases."""
        std = np.zeros(self.d)
        for k, (w, (fan_in, _), _) in enumerate(self._slices):
            std[w] = math.sqrt((1.0 if k == len(self._slices) - 1 else 2.0) / fan_in)
        return std

    # -- loss and gradient on a batch --------------------------------------------------------------
    @_single_threaded
    def loss_grad(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray, need_grad: bool = True,
                  per_sample: bool = False) -> tuple[float, np.ndarray | None, np.ndarray | None]:
        """(mean CE + lam/2 ||theta||^2, its gradient, per-sample squared gradient norms of the CE
        part) on the batch (X, y); backpropagation, one matrix product per layer and direction."""
        theta = np.asarray(theta, dtype=np.float64)
        reg = 0.5 * self.lam * float(theta @ theta)
        m = len(y)
        if m == 0:
            return reg, (self.lam * theta if need_grad else None), (np.zeros(0) if per_sample else None)
        params = self.unpack(theta)
        acts = [X]
        for W, b in params[:-1]:
            acts.append(np.maximum(acts[-1] @ W + b, 0.0))
        W, b = params[-1]
        Z = acts[-1] @ W + b
        Z -= Z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(Z).sum(axis=1))
        rows = np.arange(m)
        ce = float(np.mean(lse - Z[rows, y]))
        if not need_grad:
            return ce + reg, None, None
        delta = np.exp(Z - lse[:, None])
        delta[rows, y] -= 1.0                      # dCE_i/dz_i = softmax(z_i) - e_{y_i}, per sample
        G = self.lam * theta
        sq = np.zeros(m) if per_sample else None
        for k in range(len(params) - 1, -1, -1):
            w, shape, bs = self._slices[k]
            a = acts[k]
            G[w] += (a.T @ delta).ravel() / m
            G[bs] += delta.sum(axis=0) / m
            if per_sample:
                sq += (np.einsum("ij,ij->i", a, a) + 1.0) * np.einsum("ij,ij->i", delta, delta)
            if k > 0:
                delta = (delta @ params[k][0].T) * (a > 0)
        return ce + reg, G, sq

    # -- the Workload interface --------------------------------------------------------------------
    def loss(self, j, theta):
        return self.loss_grad(self.Xs[j], self.ys[j], theta, need_grad=False)[0]

    def grad(self, j, theta):
        return self.loss_grad(self.Xs[j], self.ys[j], theta)[1]

    def _batch(self, j: int, t: int, rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
        X, y = self.Xs[j], self.ys[j]
        bs = self.batch_size(len(y), t)
        if bs < len(y):
            idx = rng.choice(len(y), size=bs, replace=False)
            X, y = X[idx], y[idx]
        return X, y

    def stoch_grad(self, j, theta, t, rng):
        X, y = self._batch(j, t, rng)
        return self.loss_grad(X, y, theta)[1]

    def flipped_grad(self, j, theta, t, rng):
        """The label-flipping attack's gradient: on a batch of shard j with labels 9 - l (NNM 14.3)."""
        X, y = self._batch(j, t, rng)
        return self.loss_grad(X, self.classes - 1 - y, theta)[1]

    def _honest(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(losses, gradients) of the h honest shards at theta, one backpropagation each, cached for the
        last theta (the runner asks for avg_grad, avg_loss and K_at at the same point)."""
        theta = np.asarray(theta, dtype=np.float64)
        key = theta.tobytes()
        if self._gcache is None or self._gcache[0] != key:
            out = [self.loss_grad(self.Xs[j], self.ys[j], theta)[:2] for j in range(self.h)]
            self._gcache = (key, np.array([o[0] for o in out]), np.stack([o[1] for o in out]))
        return self._gcache[1], self._gcache[2]

    def avg_loss(self, theta):
        return float(np.mean(self._honest(theta)[0]))

    def avg_grad(self, theta):
        return self._honest(theta)[1].mean(axis=0)

    def K_at(self, theta):
        return d2(self._honest(theta)[1])

    @_single_threaded
    def predict(self, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        a = X
        params = self.unpack(theta)
        for W, b in params[:-1]:
            a = np.maximum(a @ W + b, 0.0)
        W, b = params[-1]
        return np.argmax(a @ W + b, axis=1)

    def accuracy(self, theta):
        return float(np.mean(self.predict(theta, self.X_test) == self.y_test))

    # -- noise and smoothness ----------------------------------------------------------------------
    def sigma2(self, j: int, theta: np.ndarray) -> float:
        """Assumption 2 of the NNM paper on shard j at theta: mean_i ||grad l_i - grad L_j||^2 (exact)."""
        X, y = self.Xs[j], self.ys[j]
        if len(y) == 0:
            return 0.0
        _, G, sq = self.loss_grad(X, y, theta, per_sample=True)
        g = G - self.lam * np.asarray(theta, dtype=np.float64)
        return max(0.0, float(sq.mean() - g @ g))

    def gradient_noise(self, theta: np.ndarray) -> dict[str, Any]:
        """The stated noise of this workload's gradient oracle at theta, over the honest shards."""
        s2 = [self.sigma2(j, theta) for j in range(self.h)]
        var = []
        for j in range(self.h):
            m = len(self.ys[j])
            b = self.batch_size(m, 1) if self.batch != "growing" else None
            var.append(0.0 if not m or b is None or b >= m else s2[j] / b * (m - b) / (m - 1))
        out: dict[str, Any] = {"sigma2_max": max(s2), "sigma2_mean": float(np.mean(s2)), "batch": self.batch,
                               "detail": "sigma^2 = max_j 1/m_j sum_i ||grad l(theta, z_i) - grad L_j(theta)||^2 "
                                         "(NNM paper, Assumption 2) at theta_1"}
        if self.batch == "fixed":
            out["batch_size"] = int(self.batch0)
            out["batch_variance_max"] = max(var)
        return out

    @property
    def L(self) -> float:  # type: ignore[override]
        if self._L is None:
            self._L = self.smoothness_estimate()
        return self._L

    @_single_threaded
    def smoothness_estimate(self, iterations: int = 8) -> float:
        """|lambda_max| of the Hessian of Lbar at a seed-0 initialisation (module docstring)."""
        rng = np.random.default_rng(0)
        theta = self.init_std() * rng.standard_normal(self.d)
        v = rng.standard_normal(self.d)
        v /= np.linalg.norm(v)
        eps = 1e-4 * max(1.0, float(np.linalg.norm(theta)))
        lam_max = 0.0
        for _ in range(iterations):
            hv = (self.avg_grad(theta + eps * v) - self.avg_grad(theta - eps * v)) / (2 * eps)
            lam_max = float(np.linalg.norm(hv))
            if lam_max == 0.0:
                break
            v = hv / lam_max
        return max(lam_max, self.lam)

    def describe(self):
        out = super().describe()
        out.update(dataset=self.dataset, hidden=list(self.hidden), alpha=self.alpha, lam=self.lam,
                   batch0=self.batch0, train=int(self.y_train.size), test=int(self.y_test.size),
                   shard_sizes=[int(len(s)) for s in self.shards])
        return out


def mlp_dim(features: int, hidden: Sequence[int], classes: int = CLASSES) -> int:
    """d of an MLP features -> hidden[0] -> ... -> classes: sum over layers of (fan_in + 1) fan_out
    (what :class:`MLP` computes from its data; known here before any data is loaded)."""
    sizes = (int(features), *(int(k) for k in hidden), int(classes))
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def mlp_on(dataset: str, *, parts: int, h: int, alpha: float, rng: np.random.Generator, hidden: Sequence[int] = (32,),
           lam: float = 1e-4, batch: str = "fixed", batch0: float = 32.0, test_fraction: float = 0.2,
           name: str = "mlp") -> MLP:
    """An MLP on a bundled dataset (:data:`nodes.datasets.DATASETS`): a random train/test split
    (``test_fraction``; 1,000 of mnist's 5,000 images by default), then the Dirichlet split."""
    X, y = DATASETS[dataset]()
    Xtr, ytr, Xte, yte = train_test(X, y, test_fraction, rng)
    return MLP(Xtr, ytr, Xte, yte, parts=parts, h=h, alpha=alpha, rng=rng, hidden=hidden, lam=lam, batch=batch,
               batch0=batch0, name=name, dataset=dataset)
