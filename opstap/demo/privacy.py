"""Demo privacy: one lead whose file has passed its retention period, and a retention run.

A lead noted at an information market in spring 2023 never came back: no route, no loan, a
file last changed on 14 March 2023. With the default periods (two years after the file
closes for identity and contact) it has expired on the demo's reference date, and the
retention run of its organisation anonymises it; the run is on the organisation admin's
retention page. The run is limited to that file: the rest of the demo is the story of files
still being worked on, and stays as generated.

Through the clients service for the file and the privacy service for the run; the file's
dates are set back afterwards, as a file would be after years.
"""

from __future__ import annotations

import datetime

from opstap.clients import services as client_services
from opstap.clients.models import Client
from opstap.core.models import MembershipRole, Organisation
from opstap.core.roles import Role
from opstap.privacy.services import retention_run

LEAD = {"first_name": "Noor", "last_name": "Verlaeckt", "phone": "+32 470 11 22 33"}
LAST_CHANGED = datetime.datetime(2023, 3, 14, 15, 0, tzinfo=datetime.UTC)


def build_privacy(*, organisations: list[Organisation], today: datetime.date) -> dict[str, int]:
    first = organisations[0]
    admin = (
        MembershipRole.objects.filter(membership__organisation=first, role=Role.ORG_ADMIN)
        .select_related("membership__user")
        .first()
        .membership.user
    )
    lead = client_services.client_create(actor=admin, organisation=first, data=dict(LEAD))
    Client.objects.filter(pk=lead.pk).update(created_at=LAST_CHANGED, updated_at=LAST_CHANGED)
    run = retention_run(on=today, organisation=first, client_ids=[lead.pk])
    return {"lead": lead.pk, "files": run.files, "rows": run.rows}


def summary(result: dict[str, int]) -> str:
    return f"a retention run that anonymised {result['rows']:,} rows in {result['files']:,} files"
