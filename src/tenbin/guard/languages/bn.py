"""Bengali (bn) words for the concept lexicon (see concepts.py for what each concept means)."""

SCRIPT = "bengali"
STEMS: dict[str, tuple[str, ...]] = {}
