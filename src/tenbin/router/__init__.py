"""Learned routing: from outcomes (item × model scores and costs) to a per-request model choice.

from tenbin.router import Router, Decision
router = Router.load("router.npz")
d = router.decide("Translate this into Japanese: ...", policy="quality_target")
"""

from tenbin.router.core import Decision, Router
from tenbin.router.errors import ArtifactError, OutcomesError, RouterError
from tenbin.router.fit import FitConfig, fit_router
from tenbin.router.outcomes import OutcomeTable, load_outcomes, load_prompts

__all__ = [
    "ArtifactError",
    "Decision",
    "FitConfig",
    "OutcomeTable",
    "OutcomesError",
    "Router",
    "RouterError",
    "fit_router",
    "load_outcomes",
    "load_prompts",
]
