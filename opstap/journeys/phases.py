"""The phases of a route to self-employment (DOMAIN.md), in their natural order."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    OUTREACH = "outreach", _("Outreach (sensitised)")
    INFORMED = "informed", _("Informed")
    INTAKE = "intake", _("Intake")
    GUIDANCE = "guidance", _("Guidance")
    FINANCING = "financing", _("Financing")
    STARTED = "started", _("Started")
    AFTERCARE = "aftercare", _("Aftercare")
    CLOSED = "closed", _("Closed")


PHASE_ORDER = {phase.value: index for index, phase in enumerate(Phase)}
