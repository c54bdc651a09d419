"""Persian (fa) words for the concept lexicon (see concepts.py for what each concept means)."""

SCRIPT = "arabic"
STEMS: dict[str, tuple[str, ...]] = {}
