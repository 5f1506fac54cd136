from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "opstap.reporting"
    label = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from opstap.core.dashboard import Panel, register

        from .access import can_see_reports

        # Links only, no query: the dashboard's query count is pinned by core's tests.
        register(
            Panel(
                key="reports",
                template="reporting/partials/dashboard_panel.html",
                applies=can_see_reports,
                context=lambda request, membership: {},
                order=70,
            )
        )
