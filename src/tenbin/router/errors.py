"""Errors the router raises; all are ValueErrors so callers can report them without a traceback."""

from __future__ import annotations


class RouterError(ValueError):
    """Base class: a bad input, artifact or request to the router."""


class OutcomesError(RouterError):
    """An outcomes or prompts file cannot be read or a row is invalid (message names file and line)."""


class ArtifactError(RouterError):
    """A router file is missing, damaged, or of an unknown format version."""
