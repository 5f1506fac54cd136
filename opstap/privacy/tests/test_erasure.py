"""Erasure with legal holds, restriction of processing and the client services' refusal."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from opstap.clients import services as client_services
from opstap.clients.models import Client
from opstap.coaching.models import CaseNote
from opstap.core.models import AuditEvent
from opstap.lending.choices import LoanStatus
from opstap.lending.models import Loan, LoanApplication
from opstap.lending.tests.helpers import approved_loan
from opstap.privacy import services
from opstap.privacy.models import Erasure
from opstap.privacy.registry import ERASED
from opstap.referrals.models import Referral

from .helpers import full_client

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 7)


def test_erasure_tombstones_every_app_in_one_go(world):
    client = full_client(world)
    document = client.documents.get()
    services.erase_client(actor=world["org_admin"], client=client, reason="Request of 1 Dec")
    client.refresh_from_db()
    assert client.first_name == ERASED
    assert (client.last_name, client.email, client.phone, client.street) == ("", "", "", "")
    assert client.national_number_encrypted == "" and client.national_number_hash == ""
    assert client.processing_restricted
    assert not CaseNote.objects.filter(client=client).exists()
    assert not client.consents.exists()
    assert not client.documents.exists()
    assert not default_storage.exists(document.file.name)
    assert Referral.objects.get(client=client).reason == ERASED
    # Earlier versions of the file do not keep the name either.
    assert not Client.history.filter(id=client.pk, last_name="Haddou").exists()
    erasure = Erasure.objects.get(client=client)
    assert erasure.complete and erasure.reason == "Request of 1 Dec"
    event = AuditEvent.objects.get(action="privacy.erase", client=client)
    assert event.actor == world["org_admin"]


def test_a_running_loan_keeps_the_loan_records_and_the_identity(world):
    client = full_client(world)
    loan = approved_loan(world, client=client)
    services.erase_client(actor=world["org_admin"], client=client, reason="request", on=TODAY)
    client.refresh_from_db()
    application = LoanApplication.objects.get(pk=loan.application_id)
    # The fiscal record still names its debtor and keeps its purpose; contact data is gone.
    assert client.last_name == "Haddou" and client.national_number_hash
    assert application.purpose.startswith("Foodtruck")
    assert client.email == "" and not CaseNote.objects.filter(client=client).exists()
    held = Erasure.objects.get(client=client).held
    assert {"be-fiscal-wib-315"} == {part["hold"] for part in held}
    assert all(part["until"] is None for part in held)


def test_erasing_again_while_only_held_data_remains_is_refused_naming_the_hold(world):
    client = full_client(world)
    approved_loan(world, client=client)
    services.erase_client(actor=world["org_admin"], client=client, reason="request", on=TODAY)
    with pytest.raises(ValidationError) as refused:
        services.erase_client(actor=world["org_admin"], client=client, reason="again", on=TODAY)
    assert refused.value.code == "held"
    assert "Fiscal retention BE (WIB 92 art. 315)" in refused.value.messages[0]


def test_a_hold_counts_from_the_end_of_the_loan_and_ends_after_its_years(world):
    client = full_client(world)
    loan = approved_loan(world, client=client)
    Loan.objects.filter(pk=loan.pk).update(
        status=LoanStatus.REPAID, ended_on=datetime.date(2020, 3, 31)
    )
    plan = services.plan_erasure(client, datetime.date(2027, 3, 30))
    assert [p.until for p in plan.held if p.entry.id == "lending.LoanApplication"] == [
        datetime.date(2027, 3, 31)
    ]
    # One day after the seven years, nothing is held any more.
    assert services.plan_erasure(client, datetime.date(2027, 3, 31)).held == []


def test_the_retention_run_erases_what_the_hold_kept_once_it_ended(world):
    client = full_client(world)
    loan = approved_loan(world, client=client)
    Loan.objects.filter(pk=loan.pk).update(
        status=LoanStatus.REPAID, ended_on=datetime.date(2026, 6, 30)
    )
    client.trajectories.update(closed_on=datetime.date(2026, 6, 30))
    services.erase_client(actor=world["org_admin"], client=client, reason="request", on=TODAY)
    client.refresh_from_db()
    assert client.last_name == "Haddou"
    run = services.retention_run(on=datetime.date(2033, 7, 1), organisation=world.own)
    client.refresh_from_db()
    assert client.first_name == ERASED and client.last_name == ""
    assert LoanApplication.objects.get(pk=loan.application_id).purpose == ERASED
    assert Erasure.objects.get(client=client).complete
    assert run.files == 1 and run.actions.filter(client=client).exists()


def test_a_hold_of_another_country_does_not_apply(world):
    # world.other is Dutch: the Belgian fiscal hold does not keep its loans.
    from opstap.privacy.models import LegalHold

    hold = LegalHold.objects.get(code="be-fiscal-wib-315")
    assert services.holds_in_force("NL", TODAY)["loan_records"].code == "nl-fiscal-awr-52"
    assert services.holds_in_force("BE", TODAY)["loan_records"] == hold
    LegalHold.objects.filter(pk=hold.pk).update(valid_to=datetime.date(2026, 1, 1))
    assert "loan_records" not in services.holds_in_force("BE", TODAY)


def test_erasure_needs_a_reason(world):
    client = full_client(world)
    with pytest.raises(ValidationError):
        services.erase_client(actor=world["org_admin"], client=client, reason="  ")
    client.refresh_from_db()
    assert client.last_name == "Haddou"


def test_a_restricted_file_refuses_changes_and_leaves_the_lists(world, login):
    client = full_client(world)
    services.processing_restrict(actor=world["adviser"], client=client, restricted=True)
    client.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        client_services.client_update(actor=world["adviser"], client=client, data={"phone": "1"})
    assert refused.value.code == "processing_restricted"
    assert client not in Client.objects.visible_to(world["adviser"]).for_list()
    http = login(world["adviser"])
    assert "Haddou" not in http.get("/clients/").content.decode()
    page = http.get(f"/clients/{client.pk}/").content.decode()
    assert 'data-testid="processing-restricted"' in page
    assert "Haddou" in http.get("/privacy/restricted/").content.decode()
    services.processing_restrict(actor=world["adviser"], client=client, restricted=False)
    client.refresh_from_db()
    client_services.client_update(actor=world["adviser"], client=client, data={"phone": "1"})


def test_the_restriction_button_needs_edit_rights(world, login):
    client = full_client(world)
    url = f"/privacy/clients/{client.pk}/restriction/"
    assert login(world["committee"]).post(url, {"restricted": "1"}).status_code == 403
    assert login(world.other_admin).post(url, {"restricted": "1"}).status_code == 404
    assert login(world["adviser"]).post(url, {"restricted": "1"}).status_code == 302
    client.refresh_from_db()
    assert client.processing_restricted


def test_the_erase_page_is_the_organisation_admins(world, login):
    client = full_client(world)
    url = f"/privacy/clients/{client.pk}/erase/"
    assert login(world["adviser"]).get(url).status_code == 404
    assert login(world.other_admin).get(url).status_code == 404
    http = login(world["org_admin"])
    page = http.get(url)
    assert page.status_code == 200 and "Case notes: 2" in page.content.decode()
    response = http.post(url, {"reason": "request by letter", "confirm": "on"})
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.first_name == ERASED


def _plan_with_decision(world, client, *, decided_on):
    from opstap.plans import services as plan_services
    from opstap.plans.choices import AssessmentOutcome
    from opstap.plans.models import ViabilityAssessment

    plan = plan_services.plan_create(
        actor=world.other_adviser,
        organisation=client.organisation,
        client=client,
        title="Fietsatelier",
    )
    version = plan.versions.get()
    version.narrative = {"entrepreneur": "Ik ben fietsenmaker."}
    version.save(update_fields=["narrative"])
    ViabilityAssessment.objects.create(
        organisation=client.organisation,
        plan=plan,
        version=version,
        requested_on=decided_on - datetime.timedelta(days=60),
        decision_due=decided_on,
        outcome=AssessmentOutcome.VIABLE,
        reasons="Levensvatbaar.",
        decided_on=decided_on,
        created_by=world.other_adviser,
    )
    return plan


def test_a_bbz_decision_keeps_its_plan_version_in_a_dutch_municipality(world):
    from opstap.clients.tests.factories import ClientFactory
    from opstap.plans.models import PlanVersion

    client = ClientFactory(organisation=world.other, last_name="de Vries", email="a@b.nl")
    plan = _plan_with_decision(world, client, decided_on=datetime.date(2026, 3, 2))
    services.erase_client(actor=world.other_admin, client=client, reason="request", on=TODAY)
    client.refresh_from_db()
    plan.refresh_from_db()
    version = PlanVersion.objects.get(plan=plan)
    assert plan.title == ERASED and client.email == ""
    assert version.narrative == {"entrepreneur": "Ik ben fietsenmaker."}
    assert client.last_name == "de Vries"  # the decision still names the person
    held = Erasure.objects.get(client=client).held
    assert {p["until"] for p in held} == {"2036-03-02"}
    # Erased once means nothing is left to change: JSON tombstones are recognised.
    assert services.plan_erasure(client, TODAY).pending() == {}
    with pytest.raises(ValidationError, match="Archive period of Bbz decisions"):
        services.erase_client(actor=world.other_admin, client=client, reason="again", on=TODAY)
    services.retention_run(on=datetime.date(2036, 3, 2), organisation=world.other)
    version.refresh_from_db()
    client.refresh_from_db()
    assert version.narrative == {} and version.evaluation is None and client.last_name == ""
    assert services.plan_erasure(client, datetime.date(2036, 3, 2)).pending() == {}


@pytest.mark.parametrize("change", ["coach", "consent", "document"])
def test_every_client_service_refuses_a_restricted_file(world, change):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opstap.clients.choices import ConsentPurpose, DocumentKind

    from .helpers import PDF

    client = full_client(world)
    services.processing_restrict(actor=world["adviser"], client=client, restricted=True)
    client.refresh_from_db()
    calls = {
        "coach": lambda: client_services.coach_assign(
            actor=world["adviser"], client=client, coach=world["volunteer"]
        ),
        "consent": lambda: client_services.consent_record(
            actor=world["adviser"],
            client=client,
            purpose=ConsentPurpose.CASE_MANAGEMENT,
            given_on=datetime.date(2026, 1, 5),
            text_version="v1",
        ),
        "document": lambda: client_services.document_add(
            actor=world["adviser"],
            client=client,
            kind=DocumentKind.OTHER,
            upload=SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf"),
        ),
    }
    with pytest.raises(ValidationError) as refused:
        calls[change]()
    assert refused.value.code == "processing_restricted"
    assert client.coach_assignments.count() == 0
    assert client.consents.count() == 1 and client.documents.count() == 1
