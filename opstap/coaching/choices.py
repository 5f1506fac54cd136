"""The fixed lists of the coaching app: session topics, volunteer expertise, action statuses."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    BUSINESS_PLAN = "business_plan", _("Business plan")
    FINANCE = "finance", _("Finance")
    MARKETING = "marketing", _("Marketing")
    LEGAL = "legal", _("Legal matters")
    ADMINISTRATION = "administration", _("Administration")
    LANGUAGE = "language", _("Language")
    PERSONAL = "personal", _("Personal situation")
    OTHER = "other", _("Other")


class Expertise(models.TextChoices):
    FINANCE = "finance", _("Finance")
    MARKETING = "marketing", _("Marketing")
    LEGAL = "legal", _("Legal matters")
    SALES = "sales", _("Sales")
    DIGITAL = "digital", _("Digital skills")
    ADMINISTRATION = "administration", _("Administration")
    SECTOR_FOOD = "sector_food", _("Sector experience: food and hospitality")
    SECTOR_RETAIL = "sector_retail", _("Sector experience: retail")
    SECTOR_CONSTRUCTION = "sector_construction", _("Sector experience: construction")
    SECTOR_CARE = "sector_care", _("Sector experience: care")
    SECTOR_CREATIVE = "sector_creative", _("Sector experience: creative work")
    LANGUAGE_SUPPORT = "language_support", _("Language support")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# The only moves an action makes; services.action_complete / action_cancel go through them.
ACTION_TRANSITIONS: dict[str, frozenset[str]] = {
    ActionStatus.OPEN: frozenset({ActionStatus.DONE, ActionStatus.CANCELLED}),
    ActionStatus.DONE: frozenset(),
    ActionStatus.CANCELLED: frozenset(),
}


def labels(
    codes: list[str], choices: type[models.TextChoices] | list[tuple[str, object]]
) -> list[str]:
    """The labels of `codes` in the reader's language, in the given order; unknown codes as is."""
    names = dict(choices.choices if isinstance(choices, type) else choices)
    return [str(names.get(code, code)) for code in codes or []]
