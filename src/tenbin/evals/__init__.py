"""Evaluation harness: benchmark suites, scoring, runner and report (``tenbin eval``)."""
