"""Virtual models: each request to a route is sent to the model the trained router picks for it.

Routes come from config (``routes:``); ``tenbin/auto`` always exists and spans every configured chat model.
A route may split its traffic by weight between variants (a fixed model, or a policy) for A/B comparison.
This module knows nothing about HTTP; the gateway asks it for a decision and records it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenbin.config import RouteConfig, RouteVariant, Settings
from tenbin.errors import ConfigError, InvalidRequest
from tenbin.tokens import message_text

ROUTER_PROMPT_CHARS = 8000
MULTI_MODEL_POLICIES = frozenset({"cascade", "ensemble"})


@dataclass(frozen=True, slots=True)
class RouteDecision:
    route: str
    variant: str
    model: str
    policy: str
    predicted_quality: float | None
    expected_cost_usd: float | None
    reason: str
    plan: tuple[str, ...] = ()
    predicted: dict[str, float] = field(default_factory=dict)
    target: float | None = None

    @property
    def runs_plan(self) -> bool:
        """Cascades and ensembles call several models for one request."""
        return self.policy in MULTI_MODEL_POLICIES and len(self.plan) > 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "variant": self.variant,
            "model": self.model,
            "policy": self.policy,
            "predicted_quality": self.predicted_quality,
            "expected_cost_usd": self.expected_cost_usd,
            "reason": self.reason,
            "plan": list(self.plan),
        }

    def header(self) -> str:
        parts = [f"model={self.model}", f"policy={self.policy}", f"route={self.route}", f"variant={self.variant}"]
        if self.predicted_quality is not None:
            parts.append(f"predicted_quality={self.predicted_quality:.3f}")
        if self.expected_cost_usd is not None:
            parts.append(f"expected_cost_usd={self.expected_cost_usd:.8f}")
        if self.runs_plan:
            parts.append(f"plan={'>'.join(self.plan) if self.policy == 'cascade' else '+'.join(self.plan)}")
        return "; ".join(parts)


@dataclass(slots=True)
class _Variant:
    name: str
    weight: float
    model: str | None
    policy: str
    target: float | None
    budget: float | None
    lam: float | None


@dataclass(slots=True)
class _Route:
    name: str
    candidates: list[str]
    router: Any | None  # tenbin.router.Router, imported only when a route has an artifact
    variants: list[_Variant]
    config: RouteConfig
    prices: dict[str, float]
    cumulative: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        total = sum(variant.weight for variant in self.variants)
        running = 0.0
        for variant in self.variants:
            running += variant.weight / total
            self.cumulative.append(running)

    def pick(self, draw: float) -> _Variant:
        for variant, edge in zip(self.variants, self.cumulative, strict=True):
            if draw < edge:
                return variant
        return self.variants[-1]


def routing_prompt(body: dict[str, Any]) -> str:
    """What the router judges: the last user turn (with the system prompt before it), capped in length."""
    messages = body.get("messages") or []
    system = " ".join(message_text(m.get("content")) for m in messages if m.get("role") in ("system", "developer"))
    user = next((message_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    prompt = f"{system}\n{user}" if system else user
    return prompt[-ROUTER_PROMPT_CHARS:]


def _load_router(path: str, cache: dict[str, Any]) -> Any:
    if path not in cache:
        from tenbin.router import Router
        from tenbin.router.errors import RouterError

        if not Path(path).exists():
            raise ConfigError(f"router artifact {path} does not exist; train one with `tenbin route fit`")
        try:
            cache[path] = Router.load(path)
        except RouterError as error:
            raise ConfigError(f"router artifact {path}: {error}") from None
    return cache[path]


def _variants(route: RouteConfig) -> list[_Variant]:
    configured: list[RouteVariant] = route.split or [RouteVariant()]
    variants = [
        _Variant(
            name=variant.name or chr(ord("A") + index),
            weight=variant.weight,
            model=variant.model,
            policy=variant.policy or route.policy,
            target=variant.target if variant.target is not None else route.target,
            budget=variant.budget if variant.budget is not None else route.budget,
            lam=variant.lam if variant.lam is not None else route.lam,
        )
        for index, variant in enumerate(configured)
    ]
    for variant in variants:
        if variant.model is None and variant.policy == "budget" and variant.budget is None:
            raise ConfigError(f"routes: {route.name!r} uses policy budget without a budget")
        if variant.model is None and variant.policy == "lambda" and variant.lam is None:
            raise ConfigError(f"routes: {route.name!r} uses policy lambda without lambda")
    return variants


class RouteTable:
    def __init__(self, settings: Settings, rng: random.Random | None = None) -> None:
        chat_models = list(dict.fromkeys(m.name for m in settings.models if m.kind == "chat"))
        self.rng = rng or random.Random()
        cache: dict[str, Any] = {}
        # Without a router, cascades go cheapest first by list price.
        prices = {
            m.name: (m.price.input_per_mtok + m.price.output_per_mtok) if m.price else float("inf")
            for m in settings.models
        }
        configs = list(settings.routes)
        if not any(route.name == settings.router.default_route for route in configs):
            configs.append(RouteConfig(name=settings.router.default_route))
        self._routes: dict[str, _Route] = {}
        for config in configs:
            artifact = config.router or settings.router.artifact
            self._routes[config.name] = _Route(
                name=config.name,
                candidates=list(config.models or chat_models),
                router=_load_router(artifact, cache) if artifact else None,
                variants=_variants(config),
                config=config,
                prices=prices,
            )

    def names(self) -> list[str]:
        return [name for name, route in self._routes.items() if route.candidates]

    def __contains__(self, name: object) -> bool:
        return name in self._routes

    def candidates(self, name: str) -> list[str]:
        return self._routes[name].candidates

    def config(self, name: str) -> RouteConfig:
        return self._routes[name].config

    def decide(self, name: str, body: dict[str, Any], allowed: set[str] | None = None) -> RouteDecision:
        """Pick the model for this request; ``allowed`` narrows the choice to what the caller's key may use."""
        route = self._routes[name]
        candidates = [m for m in route.candidates if allowed is None or m in allowed]
        if not candidates:
            raise InvalidRequest(f"No model behind route `{name}` is available to this key.", param="model")
        variant = route.pick(self.rng.random())
        if variant.model is not None and (allowed is None or variant.model in allowed):
            return RouteDecision(name, variant.name, variant.model, "fixed", None, None, "fixed model of this variant")
        if variant.model is not None:  # a fixed model this key may not use: route it like the policy would
            variant = _Variant(variant.name, variant.weight, None, route.config.policy, variant.target, variant.budget,
                               variant.lam)
        router = route.router
        usable = [m for m in candidates if router is not None and m in router.models]
        if router is None or not usable:
            why = "no trained router configured" if router is None else "the router knows none of the candidates"
            plan = self._plan_without_router(route, variant.policy, candidates)
            return RouteDecision(
                name, variant.name, plan[0], variant.policy, None, None, f"{why}; first candidate", tuple(plan),
                {}, variant.target,
            )
        decision = router.decide(
            routing_prompt(body), policy=variant.policy, target=variant.target, budget=variant.budget,
            lam=variant.lam, allowed=usable,
        )
        cost = decision.expected_cost_usd.get(decision.model)
        plan = list(decision.plan or [decision.model])
        if variant.policy == "ensemble":
            plan = plan[: route.config.ensemble_size]
        target = variant.target if variant.target is not None else router.default_target
        return RouteDecision(
            name, variant.name, decision.model, variant.policy, decision.predicted.get(decision.model), cost,
            decision.reason, tuple(plan), dict(decision.predicted), target,
        )

    @staticmethod
    def _plan_without_router(route: _Route, policy: str, candidates: list[str]) -> list[str]:
        if policy == "cascade":
            return sorted(candidates, key=lambda model: route.prices.get(model, float("inf")))
        if policy == "ensemble":
            return candidates[: route.config.ensemble_size]
        return candidates[:1]
