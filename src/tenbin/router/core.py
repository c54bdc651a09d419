"""The trained router: features → calibrated, shrunk success probabilities → a policy's decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tenbin.router import policies
from tenbin.router.calibration import apply_calibration, shrink
from tenbin.router.costs import predict_costs
from tenbin.router.embedding import project
from tenbin.router.errors import RouterError
from tenbin.router.features import N_STATS, FeatureSpace
from tenbin.router.predictors import KnnPredictor, Predictor

COMPONENTS = ("knn", "logistic", "mf")


def design_matrix(x: np.ndarray, emb: np.ndarray) -> np.ndarray:
    """Inputs of the parametric predictors: the LSA embedding plus the prompt statistics."""
    return np.concatenate([emb, x[:, -N_STATS:]], axis=1)


@dataclass
class Decision:
    """What the router chose for one prompt, and why."""

    model: str
    predicted: dict[str, float]
    expected_cost_usd: dict[str, float | None]
    policy: str
    reason: str
    plan: list[str] = field(default_factory=list)  # cascade order or ensemble members; [model] otherwise

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "predicted": self.predicted,
            "expected_cost_usd": self.expected_cost_usd,
            "policy": self.policy,
            "reason": self.reason,
            "plan": self.plan,
        }


@dataclass
class Router:
    models: list[str]
    features: FeatureSpace
    basis: np.ndarray  # hashed features -> low-rank embedding (LSA)
    components: dict[str, Predictor]
    blend: dict[str, float]  # component -> weight in the mixed probability
    platt: np.ndarray  # models × 2
    prior: np.ndarray  # models: mean score on the training items
    strength: float  # shrinkage toward the prior, chosen by cross-validation
    bonus: np.ndarray  # models: head start in decisions (only the best single model's may be > 0)
    cost_coef: np.ndarray  # models × 2 (intercept, per char); NaN when unknown
    budget_lams: np.ndarray
    budget_costs: np.ndarray
    default_target: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def has_costs(self) -> bool:
        return bool(np.isfinite(self.cost_coef).all())

    @classmethod
    def load(cls, path: str | Path) -> Router:
        from tenbin.router.artifact import load_router

        return load_router(path)

    def save(self, path: str | Path) -> None:
        from tenbin.router.artifact import save_router

        save_router(self, path)

    # -- probabilities -------------------------------------------------------------------------
    def _component_probs(self, x: np.ndarray, names: Sequence[str]) -> dict[str, np.ndarray]:
        emb = project(x, self.basis)
        dense = design_matrix(x, emb)
        out: dict[str, np.ndarray] = {}
        for name in names:
            comp = self.components[name]
            out[name] = comp.predict(emb if isinstance(comp, KnnPredictor) else dense)
        return out

    def _router_probs(self, x: np.ndarray) -> np.ndarray:
        used = [n for n, w in self.blend.items() if w > 0]
        parts = self._component_probs(x, used)
        mixed = sum(self.blend[n] * parts[n] for n in used)
        assert isinstance(mixed, np.ndarray)
        return shrink(apply_calibration(mixed, self.platt), self.prior, self.strength)

    def predict_matrix(self, prompts: Sequence[str], predictor: str = "router") -> np.ndarray:
        """items × models success probabilities from the router or one raw component."""
        x = self.features.transform(prompts)
        if predictor == "router":
            return self._router_probs(x)
        if predictor in self.components:
            return self._component_probs(x, [predictor])[predictor]
        raise RouterError(
            f"unknown predictor {predictor!r}; choose router or one of {', '.join(self.components)}"
        )

    def decision_matrix(self, prompts: Sequence[str], predictor: str = "router") -> np.ndarray:
        """What decisions rank by: the router's probabilities plus its head start for the best model."""
        p = self.predict_matrix(prompts, predictor)
        return p + self.bonus if predictor == "router" else p

    def expected_costs(self, prompts: Sequence[str]) -> np.ndarray | None:
        if not self.has_costs:
            return None
        return predict_costs(self.cost_coef, np.array([len(p) for p in prompts], dtype=np.float64))

    def predict(self, prompts: list[str]) -> list[dict[str, Any]]:
        """Route-prediction rows (without item_id): predicted p and expected cost for every model."""
        p = self.predict_matrix(prompts)
        c = self.expected_costs(prompts)
        rows = []
        for i in range(len(prompts)):
            rows.append(
                {
                    "predicted": {m: round(float(p[i, j]), 6) for j, m in enumerate(self.models)},
                    "expected_cost_usd": {
                        m: (None if c is None else float(c[i, j])) for j, m in enumerate(self.models)
                    },
                }
            )
        return rows

    # -- decisions -----------------------------------------------------------------------------
    def decide(
        self,
        prompt: str,
        policy: str = "quality_target",
        target: float | None = None,
        budget: float | None = None,
        lam: float | None = None,
        allowed: Sequence[str] | None = None,
    ) -> Decision:
        """Choose a model for one prompt; `allowed` restricts the choice to configured models."""
        idx = self._allowed_indices(allowed)
        x = self.features.transform_one(prompt)[None, :]
        p_all = self._router_probs(x)[0]
        c_all = predict_costs(self.cost_coef, float(len(prompt))) if self.has_costs else None
        p = (p_all + self.bonus)[idx]  # rank with the head start; report the probabilities themselves
        c = None if c_all is None else c_all[idx]
        choice, plan, reason = self._apply_policy(policy, p, c, target, budget, lam)
        head_start = float(self.bonus[idx[choice]])
        if head_start > 0:
            reason += f" (ranked with a {head_start:.2f} head start for the best single model)"
        return Decision(
            model=self.models[idx[choice]],
            predicted={self.models[i]: float(p_all[i]) for i in idx},
            expected_cost_usd={self.models[i]: (None if c_all is None else float(c_all[i])) for i in idx},
            policy=policy,
            reason=reason,
            plan=[self.models[idx[k]] for k in plan],
        )

    def _allowed_indices(self, allowed: Sequence[str] | None) -> np.ndarray:
        if allowed is None:
            return np.arange(len(self.models))
        known = {m: i for i, m in enumerate(self.models)}
        idx = [known[m] for m in allowed if m in known]
        if not idx:
            raise RouterError(
                f"none of the allowed models ({', '.join(allowed) or 'empty list'}) is known to the router; "
                f"it knows: {', '.join(self.models)}"
            )
        return np.array(sorted(set(idx)))

    def _apply_policy(
        self,
        policy: str,
        p: np.ndarray,
        c: np.ndarray | None,
        target: float | None,
        budget: float | None,
        lam: float | None,
    ) -> policies.Choice:
        goal = self.default_target if target is None else float(target)
        if policy == "quality_target":
            return policies.quality_target(p, c, goal)
        if policy == "lambda":
            if lam is None or lam < 0:
                raise RouterError("policy 'lambda' needs lam >= 0 (quality points per USD)")
            return policies.lambda_policy(p, c, float(lam))
        if policy == "budget":
            if budget is None or budget < 0:
                raise RouterError("policy 'budget' needs budget >= 0 (average USD per request)")
            return policies.budget_policy(p, c, float(budget), self.budget_lams, self.budget_costs)
        if policy == "cascade":
            return policies.cascade(p, c, goal)
        if policy == "ensemble":
            return policies.ensemble(p, c)
        raise RouterError(f"unknown policy {policy!r}; choose one of {', '.join(policies.POLICIES)}")
