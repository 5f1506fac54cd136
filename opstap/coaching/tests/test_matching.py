"""Suggesting volunteer coaches: a hand-built organisation with a known ranking and reasons."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from opstap.clients.models import ClientCoach
from opstap.core.models import Membership

from .. import matching, services
from ..choices import Expertise
from .factories import assign, client_of, volunteer


@pytest.fixture
def pool(world, case):
    """Amina speaks Arabic (preferred) and French and needs finance and marketing."""
    own = world.own
    others = [client_of(own) for _ in range(3)]
    v = {
        "anouk": volunteer(
            own,
            expertise=["finance", "marketing", "legal"],
            languages=["nl", "fr"],
            max_clients=5,
            first_name="Anouk",
            last_name="Claes",
        ),
        "bilal": volunteer(
            own,
            expertise=["finance"],
            languages=["ar", "nl"],
            max_clients=5,
            first_name="Bilal",
            last_name="Amrani",
        ),
        "chris": volunteer(
            own,
            expertise=["legal"],
            languages=["ar"],
            max_clients=3,
            first_name="Chris",
            last_name="Peeters",
        ),
        # Same score and the same free places: the name decides (Aerts before Wouters).
        "gert": volunteer(
            own,
            expertise=["marketing"],
            languages=["en"],
            max_clients=4,
            first_name="Gert",
            last_name="Wouters",
        ),
        "hanne": volunteer(
            own,
            expertise=["marketing"],
            languages=["en"],
            max_clients=4,
            first_name="Hanne",
            last_name="Aerts",
        ),
        # The best match on paper, but never suggested:
        "full": volunteer(own, expertise=["finance", "marketing"], languages=["ar"], max_clients=2),
        "resting": volunteer(
            own, expertise=["finance", "marketing"], languages=["ar"], active=False
        ),
        "coaching": volunteer(own, expertise=["finance", "marketing"], languages=["ar"]),
        "left": volunteer(own, expertise=["finance", "marketing"], languages=["ar"]),
        "elsewhere": volunteer(world.other, expertise=["finance", "marketing"], languages=["ar"]),
    }
    assign(others[0], v["anouk"].user)
    assign(others[1], v["anouk"].user)
    assign(others[0], v["full"].user)
    assign(others[1], v["full"].user)
    assign(case.client, v["coaching"].user)
    Membership.objects.filter(user=v["left"].user).update(is_active=False)
    return v


NEEDS = ["finance", "marketing"]


@pytest.mark.django_db
def test_suggestions_are_ranked_by_expertise_language_and_room(world, case, pool):
    suggestions = services.suggest_volunteers(client=case.client, needs=NEEDS)
    assert [(s.volunteer.last_name, s.score) for s in suggestions] == [
        ("Claes", 20 + 4 + 3),
        ("Amrani", 10 + 6 + 5),
        ("Aerts", 10 + 0 + 4),
        ("Wouters", 10 + 0 + 4),
        ("Peeters", 0 + 6 + 3),
    ]


@pytest.mark.django_db
def test_each_suggestion_says_why(world, case, pool):
    reasons = {
        s.volunteer.last_name: s.reasons
        for s in services.suggest_volunteers(client=case.client, needs=NEEDS)
    }
    assert reasons["Claes"] == [
        "Expertise: Finance, Marketing",
        "Speaks French like the client",
        "3 of 5 places free",
    ]
    assert reasons["Amrani"] == [
        "Expertise: Finance",
        "Speaks Arabic, the client's preferred language",
        "5 of 5 places free",
    ]
    assert reasons["Aerts"] == [
        "Expertise: Marketing",
        "Speaks none of the client's languages",
        "4 of 4 places free",
    ]
    assert reasons["Peeters"] == [
        "None of the expertise asked for",
        "Speaks Arabic, the client's preferred language",
        "3 of 3 places free",
    ]


@pytest.mark.django_db
def test_full_resting_departed_other_and_current_coaches_are_never_suggested(world, case, pool):
    suggested = {
        s.profile.pk for s in services.suggest_volunteers(client=case.client, needs=NEEDS, limit=50)
    }
    for name in ("full", "resting", "coaching", "left", "elsewhere"):
        assert pool[name].pk not in suggested, name


@pytest.mark.django_db
def test_a_freed_place_brings_a_volunteer_back(world, case, pool):
    ClientCoach.objects.filter(coach=pool["full"].user).first().delete()
    first, second = services.suggest_volunteers(client=case.client, needs=NEEDS)[:2]
    # 20 + 6 + 1 = 27, as much as Anouk Claes, who has more room and so comes first.
    assert (second.profile, second.score, first.score) == (pool["full"], 27, 27)
    assert second.reasons[-1] == "1 of 2 places free"


@pytest.mark.django_db
def test_the_limit_and_the_same_answer_every_time(world, case, pool):
    runs = [
        [
            s.profile.pk
            for s in services.suggest_volunteers(client=case.client, needs=NEEDS, limit=2)
        ]
        for _ in range(3)
    ]
    assert runs[0] == runs[1] == runs[2] == [pool["anouk"].pk, pool["bilal"].pk]


@pytest.mark.django_db
def test_without_needs_language_and_room_decide(world, case, pool):
    suggestions = services.suggest_volunteers(client=case.client, needs=[])
    assert [s.volunteer.last_name for s in suggestions][:2] == ["Amrani", "Peeters"]
    assert all(not r.startswith("None of the expertise") for s in suggestions for r in s.reasons)


@pytest.mark.django_db
def test_unknown_needs_are_refused(world, case):
    with pytest.raises(ValidationError) as exc:
        services.suggest_volunteers(client=case.client, needs=["astrology"])
    assert exc.value.error_dict["needs"][0].code == "need_unknown"


@pytest.mark.django_db
def test_the_adviser_asks_for_suggestions_and_assigns_one(world, case, pool, login):
    http = login(world["adviser"])
    url = reverse("coaching:suggestions", args=[case.client.pk])
    response = http.get(url, {"needs": NEEDS}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.content.decode()
    assert [s.profile for s in response.context["suggestions"]][:2] == [
        pool["anouk"],
        pool["bilal"],
    ]
    assert "Speaks French like the client" in page
    assert "<html" not in page  # a fragment for htmx
    response = http.post(
        reverse("coaching:assign", args=[case.client.pk]), {"volunteer": pool["anouk"].user.pk}
    )
    assert response.status_code == 302
    assert ClientCoach.objects.filter(client=case.client, coach=pool["anouk"].user).exists()
    full = http.post(
        reverse("coaching:assign", args=[case.client.pk]), {"volunteer": pool["full"].user.pk}
    )
    assert full.status_code == 302
    assert not ClientCoach.objects.filter(client=case.client, coach=pool["full"].user).exists()


# --- the score itself ------------------------------------------------------------------

CODES = st.lists(st.sampled_from(Expertise.values), unique=True, max_size=5)
LANGS = st.lists(st.sampled_from(["nl", "fr", "ar", "tr", "en"]), unique=True, max_size=3)


@given(needs=CODES, expertise=CODES, client=LANGS, spoken=LANGS, free=st.integers(-3, 30))
def test_score_is_the_sum_of_its_parts(needs, expertise, client, spoken, free):
    preferred = client[0] if client else ""
    fit = matching.fit(
        needs=needs,
        expertise=expertise,
        client_languages=client,
        preferred_language=preferred,
        volunteer_languages=spoken,
        free_places=free,
    )
    language = 6 if preferred and preferred in spoken else (4 if set(client) & set(spoken) else 0)
    assert fit.score == 10 * len(set(needs) & set(expertise)) + language + min(max(free, 0), 5)
    assert fit.matched_expertise == [n for n in needs if n in expertise]


@given(needs=CODES, expertise=CODES)
def test_one_more_matching_expertise_always_ranks_higher(needs, expertise):
    extra = next((c for c in Expertise.values if c not in needs and c not in expertise), None)
    if extra is None:
        return
    base = dict(client_languages=[], preferred_language="", volunteer_languages=[], free_places=1)
    without = matching.fit(needs=[*needs, extra], expertise=expertise, **base)
    with_it = matching.fit(needs=[*needs, extra], expertise=[*expertise, extra], **base)
    assert with_it.score == without.score + matching.EXPERTISE_POINTS
