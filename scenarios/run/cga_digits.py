"""``cga.experiment = "digits"``: Figure 1's shape, offline. Ten honest users hold shards of
scikit-learn's bundled 8x8 digits (64 pixels / 16 and a bias), softmax local models with the SUM loss,
one local gradient step per round; one strategic user runs CGA toward a model trained on the labels
y -> y + 1 mod 10. Under l2sq the global model's accuracy on the true labels falls and its accuracy
on the target labels rises; under smooth-l2 (and l2) it stays near the clean run's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from agreement.pfl.cga import OneStep, run_pfl
from agreement.pfl.softmax import accuracy, batch_sum_ce_grad, fit, padded, smoothness
from scenarios.run.seeds_common import (
    Digest,
    at_least,
    at_most,
    premise_failed,
    streams,
)
from scenarios.spec.schema import CgaTable

CLASSES = 10


def load_digits_xy() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import (
        load_digits,  # scikit-learn is optional: only this experiment needs it
    )

    data = load_digits()
    X = np.hstack([data.data / 16.0, np.ones((data.data.shape[0], 1))])
    return X, data.target.astype(int)


def _shards(y: np.ndarray, h: int, alpha: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Dirichlet(alpha) label split (alpha large: nearly iid), every sample in exactly one shard."""
    pieces: list[list[np.ndarray]] = [[] for _ in range(h)]
    for cl in range(CLASSES):
        idx = rng.permutation(np.flatnonzero(y == cl))
        cuts = np.round(np.cumsum(rng.dirichlet(np.full(h, alpha)))[:-1] * idx.size).astype(int)
        for k, chunk in enumerate(np.split(idx, cuts)):
            pieces[k].append(chunk)
    return [np.sort(np.concatenate(p)) for p in pieces]


def digits_experiment(spec: CgaTable, seed: int, dig: Digest):
    rng_split, _ = streams(seed, 2)
    X, y = load_digits_xy()
    perm = rng_split.permutation(len(y))
    n_test = len(y) // 4
    Xt, yt, Xtr, ytr = X[perm[:n_test]], y[perm[:n_test]], X[perm[n_test:]], y[perm[n_test:]]
    h, lam, f = spec.honest, spec.lam, max(1, spec.colluders)
    shards = _shards(ytr, h, spec.alpha, rng_split)
    Xs, ys = [Xtr[s] for s in shards], [ytr[s] for s in shards]
    target = fit(Xtr, (ytr + 1) % CLASSES, CLASSES, spec.target_steps)
    N = h + f
    eta = float(spec.eta) if spec.eta is not None else 1.0 / (6.0 * lam * N)
    lr = float(spec.local_lr) if spec.local_lr is not None else 1.0 / (max(smoothness(x) for x in Xs) + 2 * lam)
    dim = X.shape[1] * CLASSES
    Xp, yp = padded(Xs, ys)
    body: dict[str, Any] = {"N": N, "eta": eta, "local_lr": lr, "shard_sizes": [len(s) for s in ys],
                            "target_accuracy_on_target_labels": accuracy(Xt, (yt + 1) % CLASSES, target, CLASSES),
                            "runs": {}}
    checks: dict[str, Any] = {}
    for kind in spec.regularizations:
        res = {}
        for attacked in (False, True):
            users = OneStep(kind, lam, lambda th: batch_sum_ce_grad(Xp, yp, th, CLASSES), h, lr)
            curve: list[tuple[float, float]] = []

            def on_round(t, rho, thetas, curve=curve):
                if t % 10 == 0 or t == spec.rounds:
                    curve.append((accuracy(Xt, yt, rho, CLASSES), accuracy(Xt, (yt + 1) % CLASSES, rho, CLASSES)))

            tr = run_pfl(np.zeros(dim), np.zeros((h, dim)), users, kind, lam, eta, spec.rounds,
                         target=target if attacked else None, f=f, on_round=on_round)
            dig.add(kind, tr.rho[-1])
            res["attacked" if attacked else "clean"] = {
                "accuracy_true": curve[-1][0], "accuracy_target": curve[-1][1], "curve_every_10": curve,
                "distance_to_target": float(np.linalg.norm(tr.rho[-1] - target)), "dropped": tr.dropped}
        body["runs"][kind] = res
        checks.update(_digits_checks(kind, res, spec.colluders))
    return checks, body


def _digits_checks(kind: str, res: dict[str, Any], colluders: int) -> dict[str, Any]:
    att, clean = res["attacked"], res["clean"]
    if colluders == 0:
        return {f"attack[{kind}]": premise_failed(None, None, "CGA on digits", "no strategic user (colluders = 0)")}
    if kind == "l2sq":
        return {"hijacked_true[l2sq]": at_most(att["accuracy_true"], 0.2, "test accuracy of rho_T on the true labels "
                                               f"(clean run: {clean['accuracy_true']:.3f})"),
                "hijacked_target[l2sq]": at_least(att["accuracy_target"], 0.8, "test accuracy of rho_T on the target "
                                                  "labels y + 1 mod 10")}
    return {f"resists[{kind}]": at_least(att["accuracy_true"], clean["accuracy_true"] - 0.05,
                                         "test accuracy of rho_T on the true labels against the clean run's minus 0.05")}
