"""Three families that predict P(model m succeeds on prompt i) from prompt features.

- `KnnPredictor`: mean outcome of the k most similar training prompts, smoothed toward the model prior.
- `LogisticPredictor`: one L2-regularised logistic regression per model on the hashed features.
- `FactorPredictor`: latent factors (matrix factorisation / IRT-like): a prompt's low-rank embedding,
  learned from its features, dotted with a per-model vector, plus a per-model bias.

All take a score matrix with NaN where an (item, model) outcome is missing, and fractional scores are
treated as soft labels. Each stores its parameters as plain arrays (see artifact.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize

_EPS = 1e-6


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.log(q / (1 - q))


def masked_prior(scores: np.ndarray) -> np.ndarray:
    """Each model's mean score over the items it was run on (0.5 when it has none)."""
    known = ~np.isnan(scores)
    counts = known.sum(axis=0)
    sums = np.where(known, scores, 0.0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 0.5)


def masked_log_loss(p: np.ndarray, scores: np.ndarray) -> float:
    """Mean binary cross-entropy over known cells; scores may be fractional (soft labels)."""
    known = ~np.isnan(scores)
    q = np.clip(p[known], _EPS, 1 - _EPS)
    y = scores[known]
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


class KnnPredictor:
    kind = "knn"

    def __init__(self, k: int = 30, alpha: float = 5.0) -> None:
        self.k = k
        self.alpha = alpha
        self.emb = np.zeros((0, 0), dtype=np.float32)
        self.scores = np.zeros((0, 0))
        self.prior = np.zeros(0)
        self._filled = np.zeros((0, 0))
        self._known = np.zeros((0, 0))

    def fit(self, emb: np.ndarray, scores: np.ndarray) -> KnnPredictor:
        self.emb = emb.astype(np.float32)
        self.scores = scores
        self.prior = masked_prior(scores)
        # Precomputed once: per call these would cost more than the similarity search itself.
        self._filled = np.nan_to_num(scores, nan=0.0)
        self._known = (~np.isnan(scores)).astype(np.float64)
        return self

    def predict(self, emb: np.ndarray) -> np.ndarray:
        out = np.empty((emb.shape[0], self.scores.shape[1]))
        filled, known = self._filled, self._known
        k = min(self.k, self.emb.shape[0])
        for start in range(0, emb.shape[0], 512):
            sims = emb[start : start + 512].astype(np.float32) @ self.emb.T
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < sims.shape[1] else None
            if top is None:
                top = np.broadcast_to(np.arange(sims.shape[1]), sims.shape)
            hits = filled[top].sum(axis=1)
            counts = known[top].sum(axis=1)
            # Pseudo-counts toward the prior: few or disagreeing neighbours => close to the prior.
            out[start : start + 512] = (hits + self.alpha * self.prior) / (counts + self.alpha)
        return out

    def params(self) -> dict[str, Any]:
        return {"k": self.k, "alpha": self.alpha}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"emb": self.emb, "scores": self.scores}

    @classmethod
    def restore(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> KnnPredictor:
        return cls(int(params["k"]), float(params["alpha"])).fit(arrays["emb"], arrays["scores"])


def _bce_grad(logits: np.ndarray, scores: np.ndarray, known: np.ndarray, weights: np.ndarray) -> tuple:
    """Weighted soft-label BCE and its gradient w.r.t. logits; each model's rows are averaged."""
    p = sigmoid(logits)
    y = np.nan_to_num(scores, nan=0.0)
    lp = np.clip(p, _EPS, 1 - _EPS)
    loss = -(y * np.log(lp) + (1 - y) * np.log(1 - lp)) * known
    return float((loss * weights).sum()), (p - y) * known * weights


class LogisticPredictor:
    kind = "logistic"

    def __init__(self, l2: float = 1e-2, max_iter: int = 150) -> None:
        self.l2 = l2
        self.max_iter = max_iter
        self.w = np.zeros((0, 0))
        self.b = np.zeros(0)

    def fit(self, x: np.ndarray, scores: np.ndarray) -> LogisticPredictor:
        d = x.shape[1]
        m = scores.shape[1]
        known = (~np.isnan(scores)).astype(np.float64)
        weights = 1.0 / np.maximum(known.sum(axis=0, keepdims=True), 1.0)
        x64 = x.astype(np.float64)

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w = theta[: d * m].reshape(d, m)
            b = theta[d * m :]
            loss, g = _bce_grad(x64 @ w + b, scores, known, weights)
            loss += 0.5 * self.l2 * float((w * w).sum())
            gw = x64.T @ g + self.l2 * w
            return loss, np.concatenate([gw.ravel(), g.sum(axis=0)])

        theta0 = np.concatenate([np.zeros(d * m), logit(masked_prior(scores))])
        res = minimize(objective, theta0, jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter})
        self.w = res.x[: d * m].reshape(d, m).astype(np.float32)
        self.b = res.x[d * m :]
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(x @ self.w + self.b)

    def params(self) -> dict[str, Any]:
        return {"l2": self.l2}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"w": self.w, "b": self.b}

    @classmethod
    def restore(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> LogisticPredictor:
        obj = cls(float(params["l2"]))
        obj.w, obj.b = arrays["w"], arrays["b"]
        return obj


class FactorPredictor:
    kind = "mf"

    def __init__(self, rank: int = 8, l2: float = 1e-2, max_iter: int = 200, seed: int = 0) -> None:
        self.rank = rank
        self.l2 = l2
        self.max_iter = max_iter
        self.seed = seed
        self.a = np.zeros((0, 0))
        self.u = np.zeros((0, 0))
        self.b = np.zeros(0)

    def fit(self, emb: np.ndarray, scores: np.ndarray) -> FactorPredictor:
        d = emb.shape[1]
        m, r = scores.shape[1], self.rank
        known = (~np.isnan(scores)).astype(np.float64)
        weights = 1.0 / np.maximum(known.sum(axis=0, keepdims=True), 1.0)
        e = emb.astype(np.float64)
        rng = np.random.default_rng(self.seed)

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            a = theta[: d * r].reshape(d, r)
            u = theta[d * r : d * r + m * r].reshape(m, r)
            b = theta[d * r + m * r :]
            z = e @ a  # item factors predicted from the prompt, so unseen prompts get factors too
            loss, g = _bce_grad(z @ u.T + b, scores, known, weights)
            loss += 0.5 * self.l2 * float((a * a).sum() + (u * u).sum())
            ga = e.T @ (g @ u) + self.l2 * a
            gu = g.T @ z + self.l2 * u
            return loss, np.concatenate([ga.ravel(), gu.ravel(), g.sum(axis=0)])

        theta0 = np.concatenate(
            [rng.normal(0, 0.1, d * r), rng.normal(0, 0.1, m * r), logit(masked_prior(scores))]
        )
        res = minimize(objective, theta0, jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter})
        self.a = res.x[: d * r].reshape(d, r).astype(np.float32)
        self.u = res.x[d * r : d * r + m * r].reshape(m, r).astype(np.float32)
        self.b = res.x[d * r + m * r :]
        return self

    def predict(self, emb: np.ndarray) -> np.ndarray:
        return sigmoid((emb @ self.a) @ self.u.T + self.b)

    def params(self) -> dict[str, Any]:
        return {"rank": self.rank, "l2": self.l2}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"a": self.a, "u": self.u, "b": self.b}

    @classmethod
    def restore(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> FactorPredictor:
        obj = cls(int(params["rank"]), float(params["l2"]))
        obj.a, obj.u, obj.b = arrays["a"], arrays["u"], arrays["b"]
        return obj


Predictor = KnnPredictor | LogisticPredictor | FactorPredictor
PREDICTORS: dict[str, type[KnnPredictor] | type[LogisticPredictor] | type[FactorPredictor]] = {
    "knn": KnnPredictor,
    "logistic": LogisticPredictor,
    "mf": FactorPredictor,
}
