"""Workloads for LEARN (agreement paper, section 4): local losses L_j, their exact gradients, gradient
estimates whose noise shrinks (sigma_t -> 0), and evaluation. numpy only.

* ``quadratic``: L_j(theta) = 1/2 ||theta - x_j||^2 (proof of Theorem 2): grad L_j = theta - x_j,
  L = 1, K = D2(x). Optional gradient noise of std ``noise / t`` (batch = "growing"), exact otherwise.
* ``linreg``: least squares 1/(2 m_j) ||A_j theta - b_j||^2, node j's data drawn around its own true
  parameter w_j = w + hetero * N(0, I) (``hetero`` is the heterogeneity knob).
* ``digits``: softmax (multinomial logistic) regression with an l2 term on scikit-learn's bundled 8x8
  digits (loaded offline, lazily), split across nodes by a Dirichlet(alpha) label split
  (NNM paper, section 14.4), with a held-out test set shared by all.

Every workload has ``h`` honest shards (0..h-1) and may have extra shards for the Byzantine nodes
(the label-flipping attack computes honest-looking gradients on its own shard with labels 9 - l).
Gradient estimates with ``batch = "growing"`` use batch size min(m_j, ceil(batch0 * t)) drawn without
replacement: the noise vanishes once the batch is the whole shard. ``batch = "fixed"`` uses
min(m_j, batch0) samples every round (the NNM paper's D-SHB, b = 25): the noise does not vanish
(quadratic: constant std ``noise``). ``batch = "full"`` is exact.

More workloads: :mod:`nodes.workloads_mlp` (an MLP, and softmax regression on MNIST), on the datasets
of :mod:`nodes.datasets`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from agreement.diameters import d2


def dirichlet_split(labels: np.ndarray, parts: int, alpha: float, rng: np.random.Generator,
                    classes: int | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Split sample indices over ``parts`` shards by label: for every class c, proportions
    p_c ~ Dirichlet(alpha * 1) and class c's samples (in a random order) are cut at the cumulative
    proportions. Returns (shards, P) with P[c] the drawn proportions; every sample lands in exactly one
    shard, and shard k holds floor-rounded round(cumsum(p_c) * m_c) differences of class c."""
    labels = np.asarray(labels)
    classes = int(labels.max()) + 1 if classes is None else classes
    P = rng.dirichlet(np.full(parts, float(alpha)), size=classes)
    pieces: list[list[np.ndarray]] = [[] for _ in range(parts)]
    for c in range(classes):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(idx.size)]
        cuts = np.round(np.cumsum(P[c])[:-1] * idx.size).astype(int)
        for k, chunk in enumerate(np.split(idx, cuts)):
            pieces[k].append(chunk)
    shards = [np.sort(np.concatenate(p)) if p else np.zeros(0, dtype=int) for p in pieces]
    return shards, P


class Workload:
    """Base: ``h`` honest shards, parameter dimension ``d``, smoothness constant ``L``."""

    name = "base"
    d: int
    h: int
    L: float

    def __init__(self, batch: str = "full", batch0: float = 8.0):
        if batch not in ("full", "growing", "fixed"):
            raise ValueError(f"batch must be 'full', 'growing' or 'fixed', got {batch!r}")
        self.batch, self.batch0 = batch, float(batch0)

    def batch_size(self, m: int, t: int) -> int:
        """Samples of round t's batch out of m: m ("full"), min(m, ceil(batch0 t)) ("growing"),
        min(m, max(1, floor(batch0))) ("fixed")."""
        if self.batch == "growing":
            return min(m, math.ceil(self.batch0 * t))
        if self.batch == "fixed":
            return min(m, max(1, int(self.batch0)))
        return m

    def init_std(self) -> np.ndarray | None:
        """Per-coordinate std of theta_1 = init_scale * init_std() * N(0, I) (None: 1 everywhere); the
        scale is ``learn.init_scale``, whose default the workload's plugin declares."""
        return None

    # -- per shard -------------------------------------------------------------------------------
    def loss(self, j: int, theta: np.ndarray) -> float:
        raise NotImplementedError

    def grad(self, j: int, theta: np.ndarray) -> np.ndarray:
        """Exact full-batch gradient of L_j at theta."""
        raise NotImplementedError

    def stoch_grad(self, j: int, theta: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        """The gradient oracle of round t (Algorithm 1, line 5); exact when batch = "full"."""
        return self.grad(j, theta)

    # -- the honest average loss Lbar = 1/h sum_j L_j (eq. 23) ------------------------------------
    def avg_loss(self, theta: np.ndarray) -> float:
        return float(np.mean([self.loss(j, theta) for j in range(self.h)]))

    def avg_grad(self, theta: np.ndarray) -> np.ndarray:
        return np.mean([self.grad(j, theta) for j in range(self.h)], axis=0)

    def K_at(self, theta: np.ndarray) -> float:
        """max_{j,k} ||grad L_j(theta) - grad L_k(theta)|| at one theta (eq. 25 before the sup)."""
        return d2(np.stack([self.grad(j, theta) for j in range(self.h)]))

    def accuracy(self, theta: np.ndarray) -> float | None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"workload": self.name, "d": self.d, "h": self.h, "L": self.L, "batch": self.batch}


class Quadratic(Workload):
    """L_j(theta) = 1/2 ||theta - x_j||^2 (proof of Theorem 2, eq. 114-115): L = 1, K = D2(x)."""

    name = "quadratic"

    def __init__(self, x: np.ndarray, batch: str = "full", noise: float = 0.0, byz_x: np.ndarray | None = None):
        super().__init__(batch)
        self.x = np.asarray(x, dtype=np.float64)
        self.h, self.d = self.x.shape
        self.L = 1.0
        self.noise = float(noise)
        self.byz_x = byz_x

    def loss(self, j, theta):
        r = theta - self.x[j]
        return 0.5 * float(r @ r)

    def grad(self, j, theta):
        return np.asarray(theta, dtype=np.float64) - self.x[j]

    def stoch_grad(self, j, theta, t, rng):
        g = self.grad(j, theta)
        if self.batch != "full" and self.noise > 0:
            g = g + (self.noise / (t if self.batch == "growing" else 1)) * rng.standard_normal(self.d)
        return g

    def flipped_grad(self, j, theta, t, rng):
        """Label flipping's analogue for this workload: the gradient towards -x_j (j mod h)."""
        return np.asarray(theta, dtype=np.float64) + self.x[j % self.h]

    def avg_loss(self, theta):
        r = theta[None, :] - self.x
        return 0.5 * float(np.mean(np.einsum("ij,ij->i", r, r)))

    def avg_grad(self, theta):
        return np.asarray(theta, dtype=np.float64) - self.x.mean(axis=0)


class LinReg(Workload):
    """Least squares L_j(theta) = 1/(2 m_j) ||A_j theta - b_j||^2, b_j = A_j w_j + noise,
    w_j = w + hetero * N(0, I). L = max_j lambda_max(A_j^T A_j / m_j)."""

    name = "linreg"

    def __init__(self, h: int, d: int, m: int, hetero: float, noise: float, rng: np.random.Generator,
                 batch: str = "full", batch0: float = 8.0, extra: int = 0):
        super().__init__(batch, batch0)
        self.h, self.d, self.m = h, d, m
        w = rng.standard_normal(d)
        self.true = w + hetero * rng.standard_normal((h + extra, d))
        self.A = rng.standard_normal((h + extra, m, d))
        self.b = np.einsum("kmd,kd->km", self.A, self.true) + noise * rng.standard_normal((h + extra, m))
        self.L = float(max(np.linalg.eigvalsh(a.T @ a / m)[-1] for a in self.A[:h]))

    def loss(self, j, theta):
        r = self.A[j] @ theta - self.b[j]
        return 0.5 * float(r @ r) / self.m

    def grad(self, j, theta):
        return self.A[j].T @ (self.A[j] @ theta - self.b[j]) / self.m

    def stoch_grad(self, j, theta, t, rng):
        if self.batch == "full":
            return self.grad(j, theta)
        bs = self.batch_size(self.m, t)
        idx = rng.choice(self.m, size=bs, replace=False)
        A, b = self.A[j][idx], self.b[j][idx]
        return A.T @ (A @ theta - b) / bs

    def flipped_grad(self, j, theta, t, rng):
        """Label flipping's analogue: the gradient on shard j with targets -b (flipped signs)."""
        return self.A[j].T @ (self.A[j] @ theta + self.b[j]) / self.m


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Digits(Workload):
    """Softmax regression on sklearn's 8x8 digits. theta is the flattened (65 x 10) matrix W (64 pixels
    scaled to [0, 1] plus a bias feature). L_j(W) = mean_i CE(softmax(x_i W), y_i) + lam/2 ||W||^2.
    Smoothness: the Hessian of the mean cross-entropy is at most 1/2 lambda_max(X^T X / m) (the
    softmax Jacobian diag(p) - p p^T <= I/2), so L = 1/2 max_j lambda_max(X_j^T X_j / m_j) + lam."""

    name = "digits"
    classes = 10

    def __init__(self, parts: int, h: int, alpha: float, rng: np.random.Generator, batch: str = "full",
                 batch0: float = 8.0, lam: float = 1e-3, test_fraction: float = 0.25):
        super().__init__(batch, batch0)
        from sklearn.datasets import load_digits  # lazily: only this workload needs scikit-learn

        data = load_digits()
        X = np.hstack([data.data / 16.0, np.ones((data.data.shape[0], 1))])
        y = data.target.astype(int)
        perm = rng.permutation(y.size)
        n_test = int(round(test_fraction * y.size))
        test, train = perm[:n_test], perm[n_test:]
        self.X_test, self.y_test = X[test], y[test]
        self.X_train, self.y_train = X[train], y[train]
        self.shards, self.proportions = dirichlet_split(self.y_train, parts, alpha, rng, self.classes)
        self.h, self.p = h, X.shape[1]
        self.d = self.p * self.classes
        self.lam = float(lam)
        self.alpha = float(alpha)
        self.Xs = [self.X_train[s] for s in self.shards]
        self.ys = [self.y_train[s] for s in self.shards]
        lmax = [np.linalg.eigvalsh(x.T @ x / len(x))[-1] if len(x) else 0.0 for x in self.Xs[:h]]
        self.L = 0.5 * float(max(lmax)) + self.lam

    def _W(self, theta):
        return np.asarray(theta, dtype=np.float64).reshape(self.p, self.classes)

    @staticmethod
    def _ce(X, y, W):
        if len(y) == 0:
            return 0.0
        z = X @ W
        z = z - z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(lse - z[np.arange(len(y)), y]))

    def _grad_on(self, X, y, W):
        G = self.lam * W
        if len(y):
            P = _softmax(X @ W)
            P[np.arange(len(y)), y] -= 1.0
            G = G + X.T @ P / len(y)
        return G.ravel()

    def loss(self, j, theta):
        W = self._W(theta)
        return self._ce(self.Xs[j], self.ys[j], W) + 0.5 * self.lam * float(np.sum(W * W))

    def grad(self, j, theta):
        return self._grad_on(self.Xs[j], self.ys[j], self._W(theta))

    def stoch_grad(self, j, theta, t, rng):
        return self._batch_grad(j, theta, t, rng, flip=False)

    def flipped_grad(self, j, theta, t, rng):
        """The label-flipping attack's gradient: on shard j with labels l' = 9 - l (NNM 14.3)."""
        return self._batch_grad(j, theta, t, rng, flip=True)

    def _batch_grad(self, j, theta, t, rng, flip):
        X, y = self.Xs[j], self.ys[j]
        if self.batch != "full" and len(y):
            bs = self.batch_size(len(y), t)
            idx = rng.choice(len(y), size=bs, replace=False)
            X, y = X[idx], y[idx]
        if flip:
            y = self.classes - 1 - y
        return self._grad_on(X, y, self._W(theta))

    def avg_loss(self, theta):
        return float(np.mean([self.loss(j, theta) for j in range(self.h)]))

    def accuracy(self, theta):
        pred = np.argmax(self.X_test @ self._W(theta), axis=1)
        return float(np.mean(pred == self.y_test))

    def describe(self):
        out = super().describe()
        out.update(alpha=self.alpha, lam=self.lam, train=int(self.y_train.size), test=int(self.y_test.size),
                   shard_sizes=[int(len(s)) for s in self.shards])
        return out


def train_alone(w: Workload, j: int, theta1: np.ndarray, T: int, eta: float, rng: np.random.Generator,
                momentum: float = 0.0) -> np.ndarray:
    """Baseline: node j runs T steps of (stochastic) gradient descent on its own loss only; with
    ``momentum`` beta > 0, the heavy ball of the NNM paper's D-SHB (eq. 3): m_t = beta m_{t-1} +
    (1 - beta) g_t, m_0 = 0, theta_{t+1} = theta_t - eta m_t."""
    theta = np.array(theta1, dtype=np.float64)
    m = np.zeros_like(theta)
    for t in range(1, T + 1):
        g = w.stoch_grad(j, theta, t, rng)
        if momentum:
            m = momentum * m + (1.0 - momentum) * g
            g = m
        theta = theta - eta * g
    return theta
