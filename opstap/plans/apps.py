from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# A viability decision due within this many days (or overdue) is shown on the dashboard.
DUE_SOON_DAYS = 14
DASHBOARD_ROWS = 10


def _due_context(request, membership):
    """One query: the organisation's pending assessments due within 14 days or overdue."""
    from django.utils import timezone

    from .models import ViabilityAssessment

    today = timezone.localdate()
    rows = list(
        ViabilityAssessment.objects.filter(organisation_id=membership.organisation_id)
        .due_within(today, DUE_SOON_DAYS)
        .select_related("plan__client")
        .order_by("decision_due", "id")[: DASHBOARD_ROWS + 1]
    )
    for assessment in rows:
        days = (assessment.decision_due - today).days
        assessment.days_left = days
        assessment.days_overdue = -days
        assessment.overdue = days < 0
        assessment.soon = days >= 0
    return {"due": rows[:DASHBOARD_ROWS], "more": len(rows) > DASHBOARD_ROWS}


class PlansConfig(AppConfig):
    name = "opstap.plans"
    label = "plans"
    verbose_name = _("Business plans")

    def ready(self) -> None:
        from opstap.core.dashboard import ClientSection, Panel, register, register_client_section
        from opstap.core.models import register_action_labels, register_change_fields
        from opstap.core.roles import Capability

        from .choices import Section, Verdict, VersionStatus

        # Readable names for this app's audit events (core's table falls back to the code).
        register_action_labels(
            {
                "plan_assumptions.save": _("Plan assumptions saved"),
                "plan.create": _("Business plan started"),
                "plan.section": _("Business plan section changed"),
                "plan.financial": _("Financial plan changed"),
                "plan.submit": _("Business plan version submitted"),
                "plan.new_version": _("Business plan version started"),
                "plan.comment": _("Comment on a business plan"),
                "assessment.request": _("Viability assessment requested"),
                "assessment.extend": _("Viability decision period extended"),
                "assessment.update": _("Viability assessment adviser or report changed"),
                "assessment.decide": _("Viability decided"),
            }
        )
        # A plan's events speak of its version: name those keys and their choices.
        register_change_fields(
            "plans.businessplan",
            {
                "status": (_("status of the version"), VersionStatus),
                "section": (_("section"), Section),
                "verdict": (_("verdict"), Verdict),
                "version": (_("version"), None),
            },
        )

        # For those who decide on viability: the decisions due within 14 days or overdue
        # (one query).
        register(
            Panel(
                key="plans_viability_due",
                template="plans/partials/dashboard_panel.html",
                applies=lambda membership: membership.can(Capability.ASSESS_VIABILITY),
                context=_due_context,
                order=45,
            )
        )
        # On the client file: a link to the client's plans, no query.
        register_client_section(
            ClientSection(
                key="plans",
                template="plans/partials/client_section.html",
                applies=lambda membership: (
                    membership.can(Capability.VIEW_ALL_CLIENTS)
                    or membership.can(Capability.VIEW_ASSIGNED_CLIENTS)
                ),
                context=lambda request, membership, client: {"client": client},
                order=55,
            )
        )
