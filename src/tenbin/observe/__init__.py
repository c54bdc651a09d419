"""Observability: Prometheus metrics for the gateway."""

from tenbin.observe.metrics import Metrics

__all__ = ["Metrics"]
