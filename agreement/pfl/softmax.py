"""Softmax (multinomial logistic) models for personalised learning on digits: the local loss is the SUM
of the cross-entropies over a user's data (poisoning paper, eq. 5 with nu = 0); theta is the
flattened (features x classes) matrix W."""
from __future__ import annotations

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sum_ce_grad(X: np.ndarray, y: np.ndarray, theta: np.ndarray, classes: int) -> np.ndarray:
    """grad_theta sum_i CE(softmax(x_i W), y_i)."""
    W = theta.reshape(X.shape[1], classes)
    P = softmax(X @ W)
    P[np.arange(len(y)), y] -= 1.0
    return (X.T @ P).ravel()


def sum_ce(X: np.ndarray, y: np.ndarray, theta: np.ndarray, classes: int) -> float:
    z = X @ theta.reshape(X.shape[1], classes)
    z = z - z.max(axis=1, keepdims=True)
    return float(np.sum(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]))


def accuracy(X: np.ndarray, y: np.ndarray, theta: np.ndarray, classes: int) -> float:
    return float(np.mean(np.argmax(X @ theta.reshape(X.shape[1], classes), axis=1) == y))


def smoothness(X: np.ndarray) -> float:
    """The sum cross-entropy's smoothness: 1/2 lambda_max(X^T X) (softmax Jacobian <= I/2)."""
    return 0.5 * float(np.linalg.eigvalsh(X.T @ X)[-1])


def fit(X: np.ndarray, y: np.ndarray, classes: int, steps: int, l2: float = 1e-3) -> np.ndarray:
    """Plain gradient descent on the mean cross-entropy + l2/2 ||W||^2, step 1/L (deterministic)."""
    theta = np.zeros(X.shape[1] * classes)
    lr = 1.0 / (smoothness(X) / len(y) + l2)
    for _ in range(steps):
        theta = theta - lr * (sum_ce_grad(X, y, theta, classes) / len(y) + l2 * theta)
    return theta


def padded(shards_X: list[np.ndarray], shards_y: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Shards stacked into (users, m_max, features) with zero rows (a zero row adds nothing to the
    gradient X^T P), for :func:`batch_sum_ce_grad`."""
    m = max(len(x) for x in shards_X)
    Xp = np.zeros((len(shards_X), m, shards_X[0].shape[1]))
    yp = np.zeros((len(shards_X), m), dtype=int)
    for u, (x, y) in enumerate(zip(shards_X, shards_y)):
        Xp[u, :len(x)], yp[u, :len(y)] = x, y
    return Xp, yp


def batch_sum_ce_grad(Xp: np.ndarray, yp: np.ndarray, thetas: np.ndarray, classes: int) -> np.ndarray:
    """Every user's :func:`sum_ce_grad` at once (padded shards)."""
    U, m, p = Xp.shape
    Z = Xp @ thetas.reshape(U, p, classes)
    Z -= Z.max(axis=2, keepdims=True)
    P = np.exp(Z)
    P /= P.sum(axis=2, keepdims=True)
    P[np.arange(U)[:, None], np.arange(m)[None, :], yp] -= 1.0
    return (Xp.transpose(0, 2, 1) @ P).reshape(U, p * classes)
