from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "opstap.referrals"
    label = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from opstap.core.dashboard import ClientSection, Panel, register, register_client_section
        from opstap.core.models import register_action_labels, register_change_fields
        from opstap.core.roles import Capability

        register_change_fields(
            "referrals.referral", {"file_shared": (_("file shared with the partner"), None)}
        )
        # Readable names for this app's audit events (core's table falls back to the code).
        register_action_labels(
            {
                "referral.create": _("Referral recorded"),
                "referral.transition": _("Referral status changed"),
            }
        )

        # Links only, no query: the dashboard's query count is pinned by core's tests.
        register(
            Panel(
                key="referrals",
                template="referrals/partials/dashboard_panel.html",
                applies=lambda membership: membership.can(Capability.VIEW_ALL_CLIENTS),
                context=lambda request, membership: {},
                order=60,
            )
        )
        # On the client file: links to refer the client and to its referrals, no query either.
        register_client_section(
            ClientSection(
                key="referrals",
                template="referrals/partials/client_section.html",
                applies=lambda membership: membership.can(Capability.VIEW_ALL_CLIENTS),
                context=lambda request, membership, client: {"client": client},
                order=60,
            )
        )
