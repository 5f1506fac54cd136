"""Background work of lending, through the Django tasks API."""

from __future__ import annotations

import datetime

from django_tasks import task

from .closing import close_of_business


@task()
def close_of_business_task(on: str, organisation_id: int | None = None) -> dict[str, object]:
    """The daily close of business; `on` is an ISO date (task arguments must be JSON)."""
    result = close_of_business(on=datetime.date.fromisoformat(on), organisation_id=organisation_id)
    return {"on": on, "loans": result.loans, "accrued": result.accrued}
