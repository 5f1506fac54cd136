import pytest

from opstap.journeys.models import RouteType
from opstap.journeys.tests.factories import builtin_route


def adapt(http, route):
    response = http.post(f"/routes/route-types/{route.pk}/", {"adapt": "1"})
    assert response.status_code == 302
    return RouteType.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def form_data(**overrides):
    data = {
        "name_nl": "Starters Gent",
        "name_fr": "",
        "name_en": "Ghent starters",
        "phases": ["intake", "guidance", "started", "closed"],
        "moves_intake": ["guidance", "closed"],
        "moves_guidance": ["started", "closed"],
        "moves_started": ["closed"],
        "success_outcomes": ["started_off_benefits"],
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_an_admin_adapts_a_builtin_route_for_the_organisation(world, login):
    http = login(world["org_admin"])
    own = adapt(http, builtin_route())
    assert own.organisation == world.own and own.code == "starter"
    response = http.post(f"/routes/route-types/{own.pk}/", form_data())
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.phases == ["intake", "guidance", "started", "closed"]
    assert own.allowed_moves("guidance") == ["started", "closed"]
    assert set(own.outcomes.filter(success=True).values_list("code", flat=True)) == {
        "started_off_benefits"
    }
    builtin = builtin_route()
    assert builtin.phases[0] == "outreach"  # the shared one is untouched


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phases": ["intake", "guidance"]}, "Every route ends in"),
        ({"moves_guidance": []}, "there is no move"),
        ({"moves_intake": ["financing"]}, "may only go to a phase of this route"),
        ({"success_outcomes": []}, "at least one outcome that counts as success"),
    ],
)
def test_a_route_that_could_trap_a_client_is_refused(world, login, overrides, message):
    http = login(world["org_admin"])
    own = adapt(http, builtin_route())
    before = (own.phases, own.transitions)
    response = http.post(f"/routes/route-types/{own.pk}/", form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    own.refresh_from_db()
    assert (own.phases, own.transitions) == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["adviser", "volunteer", "auditor", "loan_officer"])
def test_only_admins_and_programme_managers_edit_routes(world, login, role):
    route = builtin_route()
    http = login(world[role])
    assert http.get("/routes/route-types/").status_code == 404
    assert http.post(f"/routes/route-types/{route.pk}/", {"adapt": "1"}).status_code == 404
    assert not RouteType.objects.filter(organisation=world.own).exists()
