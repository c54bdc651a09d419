"""Hebrew (he) words for the concept lexicon (see concepts.py for what each concept means)."""

SCRIPT = "hebrew"
STEMS: dict[str, tuple[str, ...]] = {}
