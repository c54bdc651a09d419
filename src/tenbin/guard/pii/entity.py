"""The value object every recogniser returns."""

from __future__ import annotations

from dataclasses import dataclass

# Highest first: when two recognisers claim the same span, the more specific one wins.
PRIORITY: tuple[str, ...] = (
    "PRIVATE_KEY",
    "API_KEY",
    "SECRET",
    "CREDIT_CARD",
    "MY_NUMBER",
    "EMAIL",
    "IP_ADDRESS",
    "PHONE",
    "POSTAL_CODE",
    "ADDRESS",
    "PERSON",
)


@dataclass(frozen=True, slots=True)
class Entity:
    """One detected value: its type, its span in the original text, and the text itself."""

    type: str
    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, object]:
        return {"type": self.type, "start": self.start, "end": self.end, "text": self.text}


def resolve_overlaps(entities: list[Entity]) -> list[Entity]:
    """Keep the longest span where spans overlap (ties go to the more specific type), in text order."""
    rank = {name: index for index, name in enumerate(PRIORITY)}
    ordered = sorted(entities, key=lambda e: (-(e.end - e.start), rank.get(e.type, len(rank)), e.start))
    kept: list[Entity] = []
    for candidate in ordered:
        if all(candidate.end <= other.start or candidate.start >= other.end for other in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda e: e.start)
