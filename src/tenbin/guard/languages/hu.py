"""Hungarian (hu) words for the concept lexicon (see concepts.py for what each concept means)."""

SCRIPT = "latin"
STEMS: dict[str, tuple[str, ...]] = {}
