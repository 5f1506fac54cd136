"""How well a volunteer coach fits a client: pure Python, no database.

score = 10 per expertise asked for that the volunteer has
      + 6 when the volunteer speaks the client's preferred language,
        else 4 when they share any other language of the client
      + 1 per free place, at most 5

Expertise weighs most (it is why the client needs a coach), a shared language next (many
clients are newcomers; a coach they can talk to in their language helps more than a free
afternoon), free places last, so that the work spreads over the volunteers.
"""

from __future__ import annotations

from dataclasses import dataclass

EXPERTISE_POINTS = 10
PREFERRED_LANGUAGE_POINTS = 6
SHARED_LANGUAGE_POINTS = 4
CAPACITY_POINTS_MAX = 5


@dataclass(frozen=True)
class Fit:
    score: int
    matched_expertise: list[str]
    shared_languages: list[str]
    speaks_preferred: bool
    free_places: int


def fit(
    *,
    needs: list[str],
    expertise: list[str],
    client_languages: list[str],
    preferred_language: str,
    volunteer_languages: list[str],
    free_places: int,
) -> Fit:
    """The score of one volunteer for one client, and what it is made of (in the order of
    the needs and of the client's languages)."""
    offered = set(expertise or [])
    matched = [code for code in needs if code in offered]
    spoken = set(volunteer_languages or [])
    shared = [code for code in client_languages if code in spoken]
    speaks_preferred = bool(preferred_language) and preferred_language in spoken
    if speaks_preferred:
        language_points = PREFERRED_LANGUAGE_POINTS
    elif shared:
        language_points = SHARED_LANGUAGE_POINTS
    else:
        language_points = 0
    free = max(free_places, 0)
    score = EXPERTISE_POINTS * len(matched) + language_points + min(free, CAPACITY_POINTS_MAX)
    return Fit(
        score=score,
        matched_expertise=matched,
        shared_languages=shared,
        speaks_preferred=speaks_preferred,
        free_places=free,
    )
